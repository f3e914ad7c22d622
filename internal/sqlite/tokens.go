package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
)

// API tokens (migration 0011, docs/API.md "Access"). A token is "fp_"
// followed by 32 random bytes in base64url; only its SHA-256 is stored.

// TokenPrefix starts every API token, so a leaked one is recognisable
// (secret scanners, logs).
const TokenPrefix = "fp_"

// Token is a stored API token: never the token itself.
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       auth.Role  `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	HasWebhook bool       `json:"has_webhook_secret"` // a dossier-system client: its webhooks are signed
}

// NewToken is a token just made: the only time its plaintext (and its
// webhook secret) exist outside the client.
type NewToken struct {
	Token
	Plaintext     string // the bearer token
	WebhookSecret string // dossier-system clients only: the HMAC key of their webhooks
}

type tokenRow struct {
	ID            int64          `db:"id"`
	Name          string         `db:"name"`
	Role          string         `db:"role"`
	Hash          string         `db:"token_sha256"`
	WebhookSecret sql.NullString `db:"webhook_secret"`
	CreatedAt     string         `db:"created_at"`
	RevokedAt     sql.NullString `db:"revoked_at"`
}

func (r tokenRow) token() (Token, error) {
	t := Token{ID: strconv.FormatInt(r.ID, 10), Name: r.Name, Role: auth.Role(r.Role), HasWebhook: r.WebhookSecret.Valid}
	var err error
	if t.CreatedAt, err = time.Parse(time.RFC3339Nano, r.CreatedAt); err != nil {
		return Token{}, fmt.Errorf("token %d: created_at %q: %w", r.ID, r.CreatedAt, err)
	}
	if r.RevokedAt.Valid {
		at, err := time.Parse(time.RFC3339Nano, r.RevokedAt.String)
		if err != nil {
			return Token{}, fmt.Errorf("token %d: revoked_at %q: %w", r.ID, r.RevokedAt.String, err)
		}
		t.RevokedAt = &at
	}
	return t, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes for a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateToken makes a token for the client name with role, and for a
// dossier-system client its webhook secret, with an audit line naming
// by.
func (tx *Tx) CreateToken(ctx context.Context, name string, role auth.Role, by auth.Actor) (NewToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return NewToken{}, coded{apperr.Invalid, errors.New("a token needs the name of its client (e.g. --name \"Hệ thống một cửa\")")}
	}
	if _, err := auth.ParseRole(string(role)); err != nil {
		return NewToken{}, coded{apperr.Invalid, err}
	}
	random, err := randomString(32)
	if err != nil {
		return NewToken{}, err
	}
	nt := NewToken{Plaintext: TokenPrefix + random}
	var secret any
	if role == auth.RoleDossierSystem {
		s, err := randomString(32)
		if err != nil {
			return NewToken{}, err
		}
		nt.WebhookSecret = "whsec_" + s
		secret = nt.WebhookSecret
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, role, token_sha256, webhook_secret, created_at)
		VALUES (?, ?, ?, ?, ?)`, name, string(role), hashToken(nt.Plaintext), secret, tx.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return NewToken{}, fmt.Errorf("store the token for %s: %w", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return NewToken{}, err
	}
	nt.Token = Token{ID: strconv.FormatInt(id, 10), Name: name, Role: role, CreatedAt: tx.Now.UTC(), HasWebhook: secret != nil}
	detail, _ := json.Marshal(map[string]any{"name": name, "role": role})
	if err := tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "token.create", Object: "token:" + nt.ID, Detail: detail}); err != nil {
		return NewToken{}, err
	}
	return nt, nil
}

// RevokeToken revokes the token id for ever, with an audit line naming by.
func (tx *Tx) RevokeToken(ctx context.Context, id string, by auth.Actor) error {
	r, err := tokenByID(ctx, tx, id)
	if err != nil {
		return err
	}
	if r.RevokedAt.Valid {
		return coded{apperr.Conflict, fmt.Errorf("token %s (%s) was already revoked at %s", id, r.Name, r.RevokedAt.String)}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`,
		tx.Now.UTC().Format(time.RFC3339Nano), r.ID); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	detail, _ := json.Marshal(map[string]any{"name": r.Name, "role": r.Role})
	return tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "token.revoke", Object: "token:" + id, Detail: detail})
}

func tokenByID(ctx context.Context, q querier, id string) (tokenRow, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return tokenRow{}, coded{apperr.Invalid, fmt.Errorf("token id %q is not a number: use the id feepos tokens list shows", id)}
	}
	var r tokenRow
	err = q.GetContext(ctx, &r, `SELECT id, name, role, token_sha256, webhook_secret, created_at, revoked_at FROM api_tokens WHERE id = ?`, n)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenRow{}, coded{apperr.NotFound, fmt.Errorf("there is no token %s: feepos tokens list shows the tokens", id)}
	}
	if err != nil {
		return tokenRow{}, fmt.Errorf("read token %s: %w", id, err)
	}
	return r, nil
}

// Tokens lists every token, revoked ones too, by id.
func (db *DB) Tokens(ctx context.Context) ([]Token, error) {
	var rows []tokenRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT id, name, role, token_sha256, webhook_secret, created_at, revoked_at
		FROM api_tokens ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read API tokens: %w", err)
	}
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// VerifyToken is the actor of an API token (auth.TokenVerifier): an
// unknown, revoked or malformed token is auth.ErrBadToken. The token is
// found by its hash (an index lookup), and the stored hash is compared in
// constant time, so neither the lookup nor the comparison tells an
// attacker how much of a guess was right.
func (db *DB) VerifyToken(ctx context.Context, token string) (auth.Actor, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 200 {
		return auth.Actor{}, auth.ErrBadToken
	}
	h := hashToken(token)
	var r tokenRow
	err := db.db.GetContext(ctx, &r, `SELECT id, name, role, token_sha256, webhook_secret, created_at, revoked_at
		FROM api_tokens WHERE token_sha256 = ?`, h)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Actor{}, auth.ErrBadToken
	}
	if err != nil {
		return auth.Actor{}, fmt.Errorf("check the API token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(r.Hash), []byte(h)) != 1 || r.RevokedAt.Valid {
		return auth.Actor{}, auth.ErrBadToken
	}
	return auth.Actor{Kind: auth.KindToken, ID: strconv.FormatInt(r.ID, 10), Name: r.Name, Role: auth.Role(r.Role)}, nil
}

// WebhookSecret is the key that signs the webhooks of the client (a token
// id). A revoked client's secret still signs the messages enqueued for it:
// its receiver still knows the key, and the messages report payments that
// happened.
func (db *DB) WebhookSecret(ctx context.Context, clientID string) ([]byte, error) {
	r, err := tokenByID(ctx, db.db, clientID)
	if err != nil {
		return nil, err
	}
	if !r.WebhookSecret.Valid {
		return nil, coded{apperr.Invalid, fmt.Errorf("token %s (%s, %s) has no webhook secret: only a dossier-system client receives webhooks", clientID, r.Name, r.Role)}
	}
	return []byte(r.WebhookSecret.String), nil
}
