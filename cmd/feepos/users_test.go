package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

func TestUsersCreateResetList(t *testing.T) {
	ctx := context.Background()
	db := newDatabase(t)

	r := feepos(t, "", "--db", db, "users", "create", "--username", "quantri", "--name", "Lê Văn Quản", "--role", "admin", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var created struct {
		auth.User
		Password string `json:"one_time_password"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created))
	assert.Equal(t, "quantri", created.Username)
	assert.Equal(t, auth.RoleAdmin, created.Role)
	assert.True(t, created.MustChange, "a one-time password must be changed")
	require.Len(t, created.Password, 14)

	store, err := sqlite.OpenExisting(ctx, db)
	require.NoError(t, err)
	defer store.Close()
	u, _, err := store.Login(ctx, "quantri", created.Password, time.Now())
	require.NoError(t, err, "the printed password signs in")
	assert.True(t, u.MustChange)

	r = feepos(t, "", "--db", db, "users", "create", "--username", "quantri", "--name", "Người khác", "--role", "cashier")
	assert.Equal(t, 1, r.code, "the user name is taken")
	assert.Contains(t, r.stderr, "is taken")
	r = feepos(t, "", "--db", db, "users", "create", "--username", "mc", "--name", "Một cửa", "--role", "dossier-system")
	assert.NotEqual(t, 0, r.code, "dossier-system is no person's role")
	assert.Contains(t, r.stderr, "cashier, accountant, admin")

	r = feepos(t, "", "--db", db, "users", "create", "--username", "thu", "--name", "Nguyễn Thị Thu", "--role", "cashier")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Mật khẩu dùng một lần")

	// Lock thu, then reset: a new password, unlocked.
	for i := 0; i < auth.MaxFailedLogins; i++ {
		_, _, err := store.Login(ctx, "thu", "sai-mat-khau", time.Now())
		require.Error(t, err)
	}
	r = feepos(t, "", "--db", db, "users", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "khóa đến")
	r = feepos(t, "", "--db", db, "users", "reset", "--username", "thu", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var reset struct {
		auth.User
		Password string `json:"one_time_password"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &reset))
	assert.Nil(t, reset.LockedUntil)
	_, _, err = store.Login(ctx, "thu", reset.Password, time.Now())
	require.NoError(t, err, "reset unlocks")

	r = feepos(t, "", "--db", db, "users", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "argon2id")
	assert.NotContains(t, r.stdout, reset.Password)
	var list []auth.User
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 2)
	assert.Equal(t, "quantri", list[0].Username)

	r = feepos(t, "", "--db", db, "users", "reset", "--username", "khongco")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "feepos users list")

	lines, err := store.AuditLog(ctx, sqlite.AuditFilter{Action: "user.reset"})
	require.NoError(t, err)
	require.Len(t, lines, 1)
	assert.Equal(t, auth.KindCLI, lines[0].Actor.Kind)
}

func TestSeedDemoUsersOnce(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, newDatabase(t))
	require.NoError(t, err)
	defer store.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, seedDemoUsers(ctx, log, store))
	require.NoError(t, seedDemoUsers(ctx, log, store), "a second start leaves them")
	for _, du := range demoUsers {
		u, _, err := store.Login(ctx, du.Username, "demo1234", time.Now())
		require.NoError(t, err)
		assert.Equal(t, du.Role, u.Role)
		assert.False(t, u.MustChange, "demo accounts need no change")
	}
}
