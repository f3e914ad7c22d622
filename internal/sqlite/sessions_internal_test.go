package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
)

// A password reset (or the account disabled) while a sign-in is between
// its password check and its session: no session is opened with the old
// password.
func TestLoginRacingAResetOpensNoSession(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "u.db"))
	require.NoError(t, err)
	defer db.Close()
	admin := auth.System("test")
	_, err = db.CreateUser(ctx, NewUser{Username: "thungan", Name: "Nguyễn Thị Thu", Role: auth.RoleCashier, Password: "mật-khẩu-cũ-123"}, admin)
	require.NoError(t, err)

	defer func() { afterPasswordCheck = func() {} }()
	afterPasswordCheck = func() {
		_, err := db.ResetPassword(ctx, "thungan", admin)
		require.NoError(t, err)
	}
	_, _, err = db.Login(ctx, "thungan", "mật-khẩu-cũ-123", time.Now())
	assert.ErrorIs(t, err, auth.ErrBadLogin)
	var sessions int
	require.NoError(t, db.db.Get(&sessions, `SELECT count(*) FROM web_sessions`))
	assert.Zero(t, sessions, "no session with the old password")

	// Without a change in between, the same sign-in opens its session.
	afterPasswordCheck = func() {}
	cu, err := db.ResetPassword(ctx, "thungan", admin)
	require.NoError(t, err)
	_, ns, err := db.Login(ctx, "thungan", cu.Password, time.Now())
	require.NoError(t, err)
	assert.NotEmpty(t, ns.Token)
}
