package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func newTestServer(t *testing.T) (*Server, *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(s.Close) // the /verify chain walker, if a test started it
	return s, db
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	checkAPI(t, h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestHealthReportsDatabase(t *testing.T) {
	s, db := newTestServer(t)
	rec := get(t, s, "/healthz")
	require.Equal(t, http.StatusOK, rec.Code)
	var h health
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
	assert.Equal(t, "ok", h.Status)
	want, err := db.SchemaVersion(context.Background())
	require.NoError(t, err)
	assert.Positive(t, want)
	assert.Equal(t, want, h.SchemaVersion, "health reports the database's schema version")

	// A database that no longer answers makes the service unhealthy.
	require.NoError(t, db.Close())
	rec = get(t, s, "/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
	assert.Equal(t, "unavailable", h.Status)
	assert.Contains(t, h.Error, "database")
}

func TestMetricsCountLedgerAndRoutes(t *testing.T) {
	s, db := newTestServer(t)
	_, err := db.Post(context.Background(), ledger.NewEntry{Date: "2026-11-25", Description: "Thu phí",
		Lines: []ledger.Line{{Account: "111", Side: ledger.Debit, Amount: 20000}, {Account: "3373", Side: ledger.Credit, Amount: 20000}}})
	require.NoError(t, err)
	get(t, s, "/healthz")
	get(t, s, "/no-such-page")

	body := get(t, s, "/metrics").Body.String()
	assert.Contains(t, body, "feepos_ledger_entries 1")
	assert.Contains(t, body, `feepos_http_requests_total{method="GET",route="/healthz",status="200"} 1`)
	assert.Contains(t, body, `feepos_http_requests_total{method="GET",route="unmatched",status="404"} 1`)
	assert.Contains(t, body, "go_goroutines")
}
