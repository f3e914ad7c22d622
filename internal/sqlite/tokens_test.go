package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

var cliActor = auth.Actor{Kind: auth.KindCLI, ID: "root", Name: "root", Role: auth.RoleAdmin}

func createToken(t *testing.T, db *sqlite.DB, name string, role auth.Role) sqlite.NewToken {
	t.Helper()
	var nt sqlite.NewToken
	require.NoError(t, db.WithTx(context.Background(), func(tx *sqlite.Tx) error {
		var err error
		nt, err = tx.CreateToken(context.Background(), name, role, cliActor)
		return err
	}))
	return nt
}

func TestTokensCreateVerifyRevoke(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)

	ds := createToken(t, db, "Hệ thống một cửa", auth.RoleDossierSystem)
	cashier := createToken(t, db, "Quầy 1", auth.RoleCashier)
	assert.True(t, strings.HasPrefix(ds.Plaintext, sqlite.TokenPrefix))
	assert.NotEqual(t, ds.Plaintext, cashier.Plaintext)
	assert.NotEmpty(t, ds.WebhookSecret)
	assert.Empty(t, cashier.WebhookSecret)

	// Only the hash is stored.
	var stored int
	require.NoError(t, db.SQL().Get(&stored, `SELECT COUNT(*) FROM api_tokens WHERE token_sha256 = ? OR token_sha256 LIKE '%fp_%'`, ds.Plaintext))
	assert.Zero(t, stored)

	a, err := db.VerifyToken(ctx, ds.Plaintext)
	require.NoError(t, err)
	assert.Equal(t, auth.Actor{Kind: auth.KindToken, ID: ds.ID, Name: "Hệ thống một cửa", Role: auth.RoleDossierSystem}, a)

	for _, bad := range []string{"", "fp_", "nope", ds.Plaintext + "x", "fp_" + strings.Repeat("A", 43)} {
		_, err := db.VerifyToken(ctx, bad)
		assert.ErrorIs(t, err, auth.ErrBadToken, bad)
	}

	secret, err := db.WebhookSecret(ctx, ds.ID)
	require.NoError(t, err)
	assert.Equal(t, ds.WebhookSecret, string(secret))
	_, err = db.WebhookSecret(ctx, cashier.ID)
	assert.Equal(t, apperr.Invalid, apperr.Code(err))

	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.RevokeToken(ctx, ds.ID, cliActor) }))
	_, err = db.VerifyToken(ctx, ds.Plaintext)
	assert.ErrorIs(t, err, auth.ErrBadToken)
	// A revoked client's secret still signs what was enqueued for it.
	_, err = db.WebhookSecret(ctx, ds.ID)
	assert.NoError(t, err)

	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.RevokeToken(ctx, ds.ID, cliActor) })
	assert.Equal(t, apperr.Conflict, apperr.Code(err))
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.RevokeToken(ctx, "99", cliActor) })
	assert.Equal(t, apperr.NotFound, apperr.Code(err))

	list, err := db.Tokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.NotNil(t, list[0].RevokedAt)
	assert.True(t, list[0].HasWebhook)
	assert.Nil(t, list[1].RevokedAt)

	log, err := db.AuditLog(ctx, sqlite.AuditFilter{Object: "token:" + ds.ID})
	require.NoError(t, err)
	require.Len(t, log, 2)
	assert.Equal(t, "token.revoke", log[0].Action)
	assert.Equal(t, "token.create", log[1].Action)
	assert.Equal(t, cliActor, log[1].Actor)
	assert.NotContains(t, string(log[1].Detail), ds.Plaintext)
}

func TestCreateTokenRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	for _, c := range []struct {
		name string
		role auth.Role
	}{{"", auth.RoleCashier}, {"x", "root"}} {
		err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
			_, err := tx.CreateToken(ctx, c.name, c.role, cliActor)
			return err
		})
		assert.Equal(t, apperr.Invalid, apperr.Code(err))
	}
}
