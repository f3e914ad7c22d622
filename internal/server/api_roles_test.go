package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
)

// Every payment route checks the token and the role before anything
// else: 401 without a token or with an unknown one, 403 for a role the
// route is not for (with the roles it needs named), and admin may use
// every route. The role table is the contract of docs/API.md.
func TestPaymentRoutesCheckRoles(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	routes := []struct {
		method, path string
		allowed      []string
	}{
		{"POST", "/api/v1/payment-requests", []string{tokDossier}},
		{"GET", "/api/v1/payment-requests", []string{tokDossier, tokCashier, tokAccountant}},
		{"GET", "/api/v1/payment-requests/PR-X", []string{tokDossier, tokCashier, tokAccountant}},
		{"POST", "/api/v1/payment-requests/PR-X/cancel", []string{tokDossier}},
		{"POST", "/api/v1/payment-requests/PR-X/charge", []string{tokCashier}},
		{"GET", "/api/v1/payments/P-X", []string{tokDossier, tokCashier, tokAccountant}},
		{"POST", "/api/v1/payments/P-X/settle", []string{tokAccountant}},
		{"POST", "/api/v1/payments/P-X/reverse", []string{tokCashier, tokAccountant}},
		{"POST", "/api/v1/payments/P-X/refund", []string{tokAccountant}},
		{"GET", "/api/v1/receipts/EBL01/26TAA/00000001", []string{tokDossier, tokCashier, tokAccountant}},
		{"GET", "/api/v1/receipts/EBL01/26TAA/00000001.pdf", []string{tokDossier, tokCashier, tokAccountant}},
		{"POST", "/api/v1/receipts/EBL01/26TAA/00000001/replace", []string{tokAccountant}},
		{"GET", "/api/v1/terminals", []string{tokCashier, tokAccountant}},
		{"POST", "/api/v1/terminals/T1/end-of-day", []string{tokCashier, tokAccountant}},
		{"POST", "/api/v1/shifts/close", []string{tokCashier}},
	}
	for _, rt := range routes {
		name := rt.method + " " + rt.path
		a := r.do(rt.method, rt.path, "", nil)
		require.Equal(t, http.StatusUnauthorized, a.Status, "%s without a token: %s", name, a)
		assert.Equal(t, apperr.Unauthorized, a.errCode(t), name)
		assert.NotEmpty(t, a.Header.Get("WWW-Authenticate"), name)

		a = r.do(rt.method, rt.path, "not-a-token", nil)
		require.Equal(t, http.StatusUnauthorized, a.Status, "%s with an unknown token: %s", name, a)

		allowed := map[string]bool{tokAdmin: true}
		for _, tok := range rt.allowed {
			allowed[tok] = true
		}
		for _, tok := range []string{tokDossier, tokCashier, tokAccountant, tokAdmin} {
			a := r.do(rt.method, rt.path, tok, nil)
			if allowed[tok] {
				assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, a.Status, "%s is open to %s: %s", name, tok, a)
				continue
			}
			require.Equal(t, http.StatusForbidden, a.Status, "%s is closed to %s: %s", name, tok, a)
			assert.Equal(t, apperr.Forbidden, a.errCode(t), name)
			assert.Contains(t, a.errMessage(t), "admin", "the message names the roles the route needs")
		}
	}

	// Every payment route the router serves is in the table above.
	var served []string
	require.NoError(t, chi.Walk(r.srv.apiRouter(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		for _, p := range []string{"/payment-requests", "/payments", "/receipts", "/terminals", "/shifts"} {
			if strings.HasPrefix(route, p) {
				served = append(served, method+" "+route)
			}
		}
		return nil
	}))
	assert.Len(t, served, len(routes)-1, "routes: %v", served) // the table's, the receipt's two forms being one route
}

// Without the payment workflow the payment routes say so (503), after the
// role check.
func TestPaymentRoutesWithoutWorkflow(t *testing.T) {
	s, _ := newTestServer(t)
	s.SetTokens(testTokens)
	rec := doRec(t, s, "POST", "/api/v1/payment-requests/PR-1/charge", tokCashier, `{"method":"cash"}`)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	rec = doRec(t, s, "GET", "/api/v1/terminals", tokCashier, "")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `[]`, rec.Body.String(), "no terminals configured")
}
