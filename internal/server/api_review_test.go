package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// A charge whose outcome the terminal cannot prove (the cable pulled while
// the terminal sent its result, and the terminal gone) puts the payment
// and the request in needs_review with the evidence; the request cannot
// be charged meanwhile; an accountant settles it from the slip, with a
// reason, audited; a cashier may not.
func TestNeedsReviewSettledByAccountant(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	req := r.createRequest("key-nr", requestBody("HS-2026-0030"))
	r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultHangUp, Target: zvtsim.TargetResult})
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	t.Logf("%+v", p)
	require.Equal(t, payments.PaymentNeedsReview, p.Status, "%+v", p)
	require.NotNil(t, p.Review)
	assert.NotEmpty(t, p.Review.Reason)
	assert.NotNil(t, p.Review.Evidence, "the terminal's evidence is kept")
	assert.Equal(t, payments.RequestNeedsReview, r.request(req.ID).Status)

	a := r.do("POST", "/api/v1/payment-requests/"+req.ID+"/charge", tokCashier, map[string]any{"method": "cash"})
	assert.Equal(t, http.StatusConflict, a.Status, "not charged again while in review: %s", a)
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/settle", tokCashier, map[string]any{"outcome": "charged", "reason": "x"})
	assert.Equal(t, http.StatusForbidden, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/settle", tokAccountant, map[string]any{"outcome": "maybe", "reason": "x"})
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/settle", tokAccountant, map[string]any{"outcome": "not_charged"})
	assert.Equal(t, http.StatusBadRequest, a.Status, "a reason is required: %s", a)

	a = r.do("POST", "/api/v1/payments/"+p.ID+"/settle", tokAccountant,
		map[string]any{"outcome": "not_charged", "reason": "Phiếu in của máy POS ghi giao dịch bị hủy"})
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var settled paymentJSON
	a.decode(t, &settled)
	assert.NotEqual(t, payments.PaymentNeedsReview, settled.Status)
	assert.Empty(t, settled.Receipts)
	assert.Equal(t, payments.RequestPending, r.request(req.ID).Status, "payable again")
	// The dossier system, told needs_review, is told payable again.
	var events []string
	require.NoError(t, r.db.SQL().Select(&events, `SELECT event FROM webhook_outbox WHERE request_id = ? ORDER BY id`, req.ID))
	assert.Equal(t, []string{"payment_request.needs_review", payments.EventNotCharged}, events)
	log, err := r.db.AuditLog(context.Background(), sqlite.AuditFilter{Action: "payment.settle"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "Trần Văn Kế", log[0].Actor.Name)
	assert.Equal(t, "Phiếu in của máy POS ghi giao dịch bị hủy", log[0].Reason)
}
