package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/server/apispec"
)

// servedRoutes walks the router: every method and pattern it serves, as
// OpenAPI templates. Catch-all patterns ("/verify/*") only answer that a
// path is wrong and are not operations.
func servedRoutes(t *testing.T, s *Server) []apispec.Op {
	t.Helper()
	var out []apispec.Op
	seen := map[apispec.Op]bool{}
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "/*/", "/")
		if strings.HasSuffix(route, "*") || (strings.HasSuffix(route, "/") && route != "/") {
			return nil
		}
		op := apispec.Op{Method: method, Path: route}
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
		return nil
	})
	require.NoError(t, err)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// TestOpenAPIDescribesEveryRoute: every route the router serves is in
// openapi.json, and everything openapi.json describes is served. The
// server is built the way serve builds it, with every resource's routes.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	spec, err := apispec.Load()
	require.NoError(t, err)
	s := fullTestServer(t)
	served := servedRoutes(t, s)
	described := map[apispec.Op]bool{}
	for _, op := range spec.Operations() {
		described[op] = true
	}
	servedSet := map[apispec.Op]bool{}
	for _, op := range served {
		servedSet[op] = true
		assert.True(t, described[op], "the router serves %s, which openapi.json does not describe", op)
	}
	for _, op := range spec.Operations() {
		assert.True(t, servedSet[op], "openapi.json describes %s, which the router does not serve", op)
	}
}

// TestOpenAPIServed: the description is served without a token, and is
// the embedded file.
func TestOpenAPIServed(t *testing.T) {
	s, _ := newTestServer(t)
	h := checkAPI(t, s)
	rec := get(t, h, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, apispec.JSON, rec.Body.Bytes())
	rec = get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, rec.Code)
}

// TestCheckAPIRefusesAnUndescribedAnswer: the checker the other tests
// use does fail on a shape or a status the description does not give.
func TestCheckAPIRefusesAnUndescribedAnswer(t *testing.T) {
	spec, err := apispec.Load()
	require.NoError(t, err)
	assert.NoError(t, spec.CheckResponse("GET", "/healthz", 200, "application/json", []byte(`{"status":"ok","schema_version":3}`)))
	assert.Error(t, spec.CheckResponse("GET", "/healthz", 200, "application/json", []byte(`{"status":"fine"}`)))
	assert.Error(t, spec.CheckResponse("GET", "/healthz", 418, "application/json", []byte(`{"status":"ok"}`)))
	assert.Error(t, spec.CheckResponse("GET", "/healthz", 200, "text/html", []byte(`<p>`)))
	assert.Error(t, spec.CheckResponse("DELETE", "/healthz", 200, "application/json", []byte(`{}`)))
}

// checkAPI wraps h so that every answer it gives is checked against
// openapi.json when the test ends: a status, media type or body shape the
// description does not give fails the test.
func checkAPI(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	spec, err := apispec.Load()
	require.NoError(t, err)
	var mu sync.Mutex
	var problems []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("openapi.json: %s", p)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if err := spec.CheckResponse(r.Method, r.URL.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
			mu.Lock()
			problems = append(problems, err.Error())
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = bytes.NewReader(rec.Body.Bytes()).WriteTo(w)
	})
}
