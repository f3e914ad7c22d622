package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

func TestTokensCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	db := newDatabase(t)

	r := feepos(t, "", "--db", db, "tokens", "create", "--name", "Hệ thống một cửa", "--role", "dossier-system", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var created struct {
		ID            string `json:"id"`
		Token         string `json:"token"`
		WebhookSecret string `json:"webhook_secret"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created))
	assert.True(t, strings.HasPrefix(created.Token, "fp_"))
	assert.NotEmpty(t, created.WebhookSecret)

	r = feepos(t, "", "--db", db, "tokens", "create", "--name", "Quầy 1", "--role", "cashier")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "fp_")
	assert.NotContains(t, r.stdout, "whsec_", "a cashier receives no webhooks")

	r = feepos(t, "", "--db", db, "tokens", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, created.Token)
	assert.NotContains(t, r.stdout, created.WebhookSecret)
	var list []sqlite.Token
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 2)
	assert.Equal(t, auth.RoleDossierSystem, list[0].Role)
	assert.True(t, list[0].HasWebhook)

	store, err := sqlite.OpenExisting(ctx, db)
	require.NoError(t, err)
	defer store.Close()
	actor, err := store.VerifyToken(ctx, created.Token)
	require.NoError(t, err)
	assert.Equal(t, "Hệ thống một cửa", actor.Name)

	r = feepos(t, "", "--db", db, "tokens", "revoke", created.ID)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã thu hồi token "+created.ID)
	_, err = store.VerifyToken(ctx, created.Token)
	assert.ErrorIs(t, err, auth.ErrBadToken)

	r = feepos(t, "", "--db", db, "tokens", "revoke", created.ID, "--json")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `"code":"conflict"`)

	r = feepos(t, "", "--db", db, "tokens", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Quầy 1")

	audit, err := store.AuditLog(ctx, sqlite.AuditFilter{Object: "token:" + created.ID})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	assert.Equal(t, auth.KindCLI, audit[0].Actor.Kind)
	assert.NotEmpty(t, audit[0].Actor.ID)
}

func TestTokensUsage(t *testing.T) {
	db := newDatabase(t)
	for _, args := range [][]string{
		{"tokens", "create", "--role", "cashier"},
		{"tokens", "create", "--name", "x", "--role", "root"},
		{"tokens", "revoke"},
		{"tokens"},
		{"tokens", "lost"},
	} {
		r := feepos(t, "", append([]string{"--db", db}, args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
	r := feepos(t, "", "--db", db, "tokens", "revoke", "42")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no token 42")
}
