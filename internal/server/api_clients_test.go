package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/payments"
)

// A dossier-system client reads, lists and cancels only the requests it
// created (and reads only their payments): another client's request is
// "not found" to it. Cashiers, accountants and admins see all.
func TestDossierClientSeesOnlyItsRequests(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	mine := r.createRequest("key-own", requestBody("HS-2026-0100"))
	a := r.do("POST", "/api/v1/payment-requests", tokDossier2, requestBody("HS-2026-0200"), "Idempotency-Key", "key-other")
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)
	var theirs payments.Request
	a.decode(t, &theirs)

	// Read.
	a = r.do("GET", "/api/v1/payment-requests/"+theirs.ID, tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
	assert.NotContains(t, string(a.Body), "HS-2026-0200", "nothing of the other client's dossier")
	a = r.do("GET", "/api/v1/payment-requests/"+mine.ID, tokDossier, nil)
	assert.Equal(t, http.StatusOK, a.Status, "%s", a)
	for _, tok := range []string{tokCashier, tokAccountant, tokAdmin} {
		a = r.do("GET", "/api/v1/payment-requests/"+theirs.ID, tok, nil)
		assert.Equal(t, http.StatusOK, a.Status, "%s: %s", tok, a)
	}

	// List: its own only, whatever the filter.
	ids := func(tok, query string) []string {
		a := r.do("GET", "/api/v1/payment-requests"+query, tok, nil)
		require.Equal(t, http.StatusOK, a.Status, "%s", a)
		var page requestPage
		a.decode(t, &page)
		var out []string
		for _, it := range page.Items {
			out = append(out, it.ID)
		}
		return out
	}
	assert.Equal(t, []string{mine.ID}, ids(tokDossier, ""))
	assert.Equal(t, []string{theirs.ID}, ids(tokDossier2, ""))
	assert.Empty(t, ids(tokDossier, "?dossier_code=HS-2026-0200"))
	assert.ElementsMatch(t, []string{mine.ID, theirs.ID}, ids(tokAccountant, ""))
	assert.ElementsMatch(t, []string{mine.ID, theirs.ID}, ids(tokAdmin, "?status=pending"))

	// A payment of another client's request.
	a = r.do("POST", "/api/v1/payment-requests/"+theirs.ID+"/charge", tokCashier, map[string]any{"method": "cash"})
	require.Equal(t, http.StatusAccepted, a.Status, "%s", a)
	var c chargeAccepted
	a.decode(t, &c)
	a = r.do("GET", "/api/v1/payments/"+c.PaymentID, tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
	a = r.do("GET", "/api/v1/payments/"+c.PaymentID+"?wait=1", tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
	a = r.do("GET", "/api/v1/payments/"+c.PaymentID, tokDossier2, nil)
	assert.Equal(t, http.StatusOK, a.Status, "%s", a)

	// Cancel.
	other2 := r.do("POST", "/api/v1/payment-requests", tokDossier2, requestBody("HS-2026-0201"), "Idempotency-Key", "key-other-2")
	require.Equal(t, http.StatusCreated, other2.Status, "%s", other2)
	var pending payments.Request
	other2.decode(t, &pending)
	a = r.do("POST", "/api/v1/payment-requests/"+pending.ID+"/cancel", tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
	a = r.do("GET", "/api/v1/payment-requests/"+pending.ID, tokDossier2, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var still payments.Request
	a.decode(t, &still)
	assert.Equal(t, payments.RequestPending, still.Status, "not cancelled by another client")
	a = r.do("POST", "/api/v1/payment-requests/"+pending.ID+"/cancel", tokDossier2, nil)
	assert.Equal(t, http.StatusOK, a.Status, "%s", a)
}
