package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

func TestCreateUserChecks(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	by := auth.System("test")
	for _, nu := range []sqlite.NewUser{
		{Username: "", Name: "A", Role: auth.RoleCashier},
		{Username: "nguyễn", Name: "A", Role: auth.RoleCashier},
		{Username: "thu", Name: " ", Role: auth.RoleCashier},
		{Username: "thu", Name: "A", Role: auth.RoleDossierSystem},
		{Username: "thu", Name: "A", Role: auth.RoleCashier, Password: "ngan"},
	} {
		_, err := db.CreateUser(ctx, nu, by)
		require.Error(t, err, "%+v", nu)
		assert.Equal(t, apperr.Invalid, apperr.Code(err), "%+v: %v", nu, err)
	}
	_, err := db.CreateUser(ctx, sqlite.NewUser{Username: "Thu", Name: "Nguyễn Thị Thu", Role: auth.RoleCashier, Password: "mat-khau-1"}, by)
	require.NoError(t, err)
	_, err = db.CreateUser(ctx, sqlite.NewUser{Username: "thu", Name: "Người khác", Role: auth.RoleAdmin}, by)
	assert.Equal(t, apperr.Conflict, apperr.Code(err), "user names ignore case")
	u, _, err := db.Login(ctx, "THU", "mat-khau-1", time.Now())
	require.NoError(t, err)
	assert.Equal(t, "Thu", u.Username)
}

func TestSessionsEndWithLogoutAndDisable(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	by := auth.System("test")
	_, err := db.CreateUser(ctx, sqlite.NewUser{Username: "ketoan", Name: "Trần Văn Kế", Role: auth.RoleAccountant, Password: "mat-khau-1"}, by)
	require.NoError(t, err)
	now := time.Now()
	_, s1, err := db.Login(ctx, "ketoan", "mat-khau-1", now)
	require.NoError(t, err)
	_, s2, err := db.Login(ctx, "ketoan", "mat-khau-1", now)
	require.NoError(t, err)
	assert.NotEqual(t, s1.Token, s2.Token)
	assert.NotEqual(t, s1.CSRF, s2.CSRF)

	u, s, err := db.Session(ctx, s1.Token, now.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "ketoan", u.Username)
	assert.Equal(t, s1.CSRF, s.CSRF)
	_, _, err = db.Session(ctx, s1.Token+"x", now)
	assert.ErrorIs(t, err, auth.ErrNoSession)

	require.NoError(t, db.Logout(ctx, s1.Token, now))
	_, _, err = db.Session(ctx, s1.Token, now)
	assert.ErrorIs(t, err, auth.ErrNoSession)
	require.NoError(t, db.Logout(ctx, s1.Token, now), "an ended session is no error")

	_, err = db.SetUserDisabled(ctx, "ketoan", true, "nghỉ việc", by)
	require.NoError(t, err)
	_, _, err = db.Session(ctx, s2.Token, now)
	assert.ErrorIs(t, err, auth.ErrNoSession, "disabling ends the sessions")
	_, _, err = db.Login(ctx, "ketoan", "mat-khau-1", now)
	assert.ErrorIs(t, err, auth.ErrBadLogin, "a disabled account does not sign in, and is not told apart")
	_, err = db.SetUserDisabled(ctx, "ketoan", false, "trở lại", by)
	require.NoError(t, err)
	_, _, err = db.Login(ctx, "ketoan", "mat-khau-1", now)
	require.NoError(t, err)
}

// Wrong passwords sent at once still lock at the fifth: the count is
// kept by the database, not read and written back.
func TestConcurrentWrongPasswordsLock(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	_, err := db.CreateUser(ctx, sqlite.NewUser{Username: "thu", Name: "Thu", Role: auth.RoleCashier, Password: "mat-khau-1"}, auth.System("test"))
	require.NoError(t, err)
	now := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < auth.MaxFailedLogins; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = db.Login(ctx, "thu", "sai-mat-khau", now)
		}()
	}
	wg.Wait()
	_, _, err = db.Login(ctx, "thu", "mat-khau-1", now)
	var locked auth.LockedError
	require.ErrorAs(t, err, &locked)
	assert.WithinDuration(t, now.Add(auth.LockoutDuration), locked.Until, time.Second)
}

func TestUpdateUserEndsSessionsOnARoleChange(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	by := auth.System("test")
	_, err := db.CreateUser(ctx, sqlite.NewUser{Username: "thu", Name: "Thu", Role: auth.RoleCashier, Password: "mat-khau-1"}, by)
	require.NoError(t, err)
	now := time.Now()
	_, s, err := db.Login(ctx, "thu", "mat-khau-1", now)
	require.NoError(t, err)
	u, err := db.UpdateUser(ctx, "thu", "Nguyễn Thị Thu", auth.RoleCashier, by)
	require.NoError(t, err)
	assert.Equal(t, "Nguyễn Thị Thu", u.Name)
	_, _, err = db.Session(ctx, s.Token, now)
	require.NoError(t, err, "a new name keeps the session")
	u, err = db.UpdateUser(ctx, "thu", "Nguyễn Thị Thu", auth.RoleAccountant, by)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleAccountant, u.Role)
	_, _, err = db.Session(ctx, s.Token, now)
	assert.ErrorIs(t, err, auth.ErrNoSession, "a new role needs a new sign-in")
	_, err = db.UpdateUser(ctx, "thu", "Thu", auth.RoleDossierSystem, by)
	assert.Equal(t, apperr.Invalid, apperr.Code(err))
}
