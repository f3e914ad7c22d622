package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
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
// path is wrong and are not operations. The web pages (behind webSession,
// docs/WEB.md) are HTML for people, not the API.
func servedRoutes(t *testing.T, s *Server) []apispec.Op {
	t.Helper()
	var out []apispec.Op
	seen := map[apispec.Op]bool{}
	webPage := reflect.ValueOf(s.webSession).Pointer()
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, mws ...func(http.Handler) http.Handler) error {
		for _, mw := range mws {
			if reflect.ValueOf(mw).Pointer() == webPage {
				return nil
			}
		}
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
	rec := get(t, s, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, apispec.JSON, rec.Body.Bytes())
	rec = get(t, s, "/healthz")
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

	// A shared error response ($ref to components/responses) is checked.
	const js = "application/json; charset=utf-8"
	assert.NoError(t, spec.CheckResponse("GET", "/api/v1/payments/PM-1", 404, js, []byte(`{"error":{"code":"not_found","message":"x"}}`)))
	assert.Error(t, spec.CheckResponse("GET", "/api/v1/payments/PM-1", 404, js, []byte(`{"error":"not found"}`)))
	// Closed shapes: a field the handler does not write is refused, also
	// in the shapes built with allOf.
	payment := `{"id":"PM-1","payment_request_id":"PR-1","method":"cash","status":"paid","amount":1,"receipts":[],"created_at":"2026-07-15T03:00:00Z"%s}`
	assert.NoError(t, spec.CheckResponse("GET", "/api/v1/payments/PM-1", 200, js, []byte(fmt.Sprintf(payment, ""))))
	assert.Error(t, spec.CheckResponse("GET", "/api/v1/payments/PM-1", 200, js, []byte(fmt.Sprintf(payment, `,"pan":"4111111111111111"`))))
	assert.Error(t, spec.CheckResponse("GET", "/api/v1/payments/PM-1", 200, js, []byte(fmt.Sprintf(payment, `,"status":"approved"`))))
	// A status the operation does not give.
	assert.Error(t, spec.CheckResponse("GET", "/api/v1/fees", 404, js, []byte(`{"error":{"code":"not_found","message":"x"}}`)))
}

// checkAPI wraps h so that every answer it gives is checked against
// openapi.json when the test ends: a status, media type or body shape the
// description does not give fails the test. A path no operation matches
// (the router's 404, /verify's catch-all) must be a 4xx: it is not an
// operation, so the description cannot hold it. Every answer checked is
// counted for TestMain's coverage check (openapi_coverage_test.go).
func checkAPI(t testing.TB, h http.Handler) http.Handler {
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
		if err := checkAnswer(spec, r, rec); err != nil {
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

// CheckAPI is checkAPI for the external test package (server_test).
var CheckAPI = checkAPI

func checkAnswer(spec *apispec.Spec, r *http.Request, rec *httptest.ResponseRecorder) error {
	op, ok := spec.Find(r.Method, r.URL.Path)
	if !ok {
		if rec.Code >= 400 && rec.Code < 500 {
			return nil
		}
		return fmt.Errorf("%s %s answered %d, and no operation of openapi.json matches it", r.Method, r.URL.Path, rec.Code)
	}
	if err := spec.CheckResponse(r.Method, r.URL.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
		return err
	}
	answered(op, rec.Code)
	return nil
}
