package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/webhook"
)

type accessFixture struct {
	db     *sqlite.DB
	srv    *server.Server
	now    atomic.Pointer[time.Time]
	tokens map[auth.Role]sqlite.NewToken
}

func newAccessFixture(t *testing.T, ratePerMinute int) *accessFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	f := &accessFixture{db: db, tokens: map[auth.Role]sqlite.NewToken{}}
	start := time.Date(2026, 7, 15, 3, 0, 0, 0, time.UTC)
	f.now.Store(&start)
	db.Now = f.Now
	for _, r := range auth.Roles {
		require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
			nt, err := tx.CreateToken(ctx, "client "+string(r), r, auth.System("test"))
			f.tokens[r] = nt
			return err
		}))
	}
	f.srv = server.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(f.srv.Close)
	f.srv.SetTokens(db)
	f.srv.SetRateLimit(ratePerMinute)
	return f
}

func (f *accessFixture) Now() time.Time           { return *f.now.Load() }
func (f *accessFixture) set(t time.Time)          { f.now.Store(&t) }
func (f *accessFixture) token(r auth.Role) string { return f.tokens[r].Plaintext }

func (f *accessFixture) do(t *testing.T, method, path, token string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	server.CheckAPI(t, f.srv).ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec, body
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestAccessChecksTokenAndRole(t *testing.T) {
	f := newAccessFixture(t, 0)
	f.srv.AddWebhookRoutes(nil)

	rec, body := f.do(t, http.MethodGet, "/api/v1/webhooks", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "unauthorized", errorCode(body))
	assert.NotEmpty(t, rec.Header().Get("WWW-Authenticate"))

	rec, body = f.do(t, http.MethodGet, "/api/v1/webhooks", "fp_not-a-token")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "unauthorized", errorCode(body))

	rec, body = f.do(t, http.MethodGet, "/api/v1/webhooks", f.token(auth.RoleCashier))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, "forbidden", errorCode(body))
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks", f.token(auth.RoleDossierSystem))
	assert.Equal(t, http.StatusForbidden, rec.Code)

	rec, body = f.do(t, http.MethodGet, "/api/v1/webhooks", f.token(auth.RoleAdmin))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, []any{}, body["webhooks"])

	// Revoked: 401 from the next request on.
	ctx := context.Background()
	require.NoError(t, f.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		return tx.RevokeToken(ctx, f.tokens[auth.RoleAdmin].ID, auth.System("test"))
	}))
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks", f.token(auth.RoleAdmin))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestAccessRateLimit(t *testing.T) {
	f := newAccessFixture(t, 3)
	f.srv.AddWebhookRoutes(nil)
	admin := f.token(auth.RoleAdmin)
	for range 3 {
		rec, _ := f.do(t, http.MethodGet, "/api/v1/webhooks", admin)
		require.Equal(t, http.StatusOK, rec.Code)
	}
	rec, body := f.do(t, http.MethodGet, "/api/v1/webhooks", admin)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "rate_limited", errorCode(body))
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	// Another token has its own count.
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks", f.token(auth.RoleCashier))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	// Without a token: counted per address.
	for range 3 {
		rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks", "fp_guess")
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks", "")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
}

// A receiver down for a day: the message is dead; an admin retries it
// over the API once the receiver is back, and it is delivered, signed.
func TestDeadWebhookRetriedByAdmin(t *testing.T) {
	ctx := context.Background()
	f := newAccessFixture(t, -1)
	client := f.tokens[auth.RoleDossierSystem]
	var up atomic.Bool
	var mu sync.Mutex
	var got []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.VerifyAt([]byte(client.WebhookSecret), r.Header.Get(webhook.SignatureHeader), body, time.Minute, f.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if !up.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer recv.Close()
	w := webhook.New(f.db, webhook.Options{Now: f.Now})
	f.srv.AddWebhookRoutes(w)

	var id int64
	require.NoError(t, f.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var err error
		id, err = tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: "PR-1", ClientID: client.ID, URL: recv.URL,
			Event: "payment_request.paid", Body: []byte(`{"event":"payment_request.paid","payment_request_id":"PR-1"}`)})
		return err
	}))
	for i := 0; ; i++ {
		require.Less(t, i, 100)
		_, err := w.RunOnce(ctx)
		require.NoError(t, err)
		m, _, err := f.db.Webhook(ctx, id)
		require.NoError(t, err)
		if m.State == sqlite.WebhookDead {
			break
		}
		f.set(m.NextAt)
	}

	admin := f.token(auth.RoleAdmin)
	rec, body := f.do(t, http.MethodGet, "/api/v1/webhooks?state=dead", admin)
	require.Equal(t, http.StatusOK, rec.Code)
	list := body["webhooks"].([]any)
	require.Len(t, list, 1)
	assert.Equal(t, "dead", list[0].(map[string]any)["state"])
	assert.Equal(t, "PR-1", list[0].(map[string]any)["payment_request_id"])

	up.Store(true)
	f.set(f.Now().Add(time.Hour))
	rec, body = f.do(t, http.MethodPost, "/api/v1/webhooks/"+itoa(id)+"/retry", admin)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "pending", body["state"])
	n, err := w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{`{"event":"payment_request.paid","payment_request_id":"PR-1"}`}, got)

	rec, body = f.do(t, http.MethodGet, "/api/v1/webhooks/"+itoa(id), admin)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "delivered", body["state"])
	ds := body["deliveries"].([]any)
	last := ds[len(ds)-1].(map[string]any)
	assert.EqualValues(t, 200, last["status"])
	assert.Contains(t, last["actor"], "token:"+f.tokens[auth.RoleAdmin].ID)
	assert.Contains(t, ds[0].(map[string]any)["response"], "down for maintenance")

	// Delivered: a retry is a conflict; an unknown id is 404.
	rec, body = f.do(t, http.MethodPost, "/api/v1/webhooks/"+itoa(id)+"/retry", admin)
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.Equal(t, "conflict", errorCode(body))
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks/999", admin)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec, _ = f.do(t, http.MethodGet, "/api/v1/webhooks?state=lost", admin)
	assert.Equal(t, http.StatusBadRequest, rec.Code)

	audit, err := f.db.AuditLog(ctx, sqlite.AuditFilter{Action: "webhook.retry"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, auth.KindToken, audit[0].Actor.Kind)
	assert.Equal(t, f.tokens[auth.RoleAdmin].ID, audit[0].Actor.ID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
