package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/receipts"
)

// End-to-end through HTTP: the dossier system creates a request, the
// cashier charges it on the simulated terminal over its pseudo-terminal,
// and everything recorded shows through the API and in the database.

// outboxRow is a webhook message as stored (migration 0009).
type outboxRow struct {
	RequestID string `db:"request_id"`
	ClientID  string `db:"client_id"`
	URL       string `db:"url"`
	Event     string `db:"event"`
	Body      []byte `db:"body"`
	State     string `db:"state"`
}

func outbox(t *testing.T, db *sqlite.DB, requestID string) []outboxRow {
	t.Helper()
	var rows []outboxRow
	require.NoError(t, db.SQL().Select(&rows, `SELECT request_id, client_id, url, event, body, state FROM webhook_outbox WHERE request_id = ? ORDER BY id`, requestID))
	return rows
}

// A card payment approved: the request paid, the payment with the
// terminal's result (masked card number), one signed receipt per
// collecting organisation, each served by the receipts route, the
// webhook message written with it, the cashier in the audit log; the
// request is never charged twice (409 while processing and once paid).
func TestCardPaymentApproved(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	body := requestBody("HS-2026-0001",
		map[string]any{"fee_code": "HKD-DK", "amount": 100_000},
		map[string]any{"fee_code": "CT-BS", "quantity": 3, "amount": 6_000},
		map[string]any{"fee_code": "CA-LLTP", "amount": 200_000})
	req := r.createRequest("key-1", body)
	assert.Equal(t, payments.RequestPending, req.Status)
	assert.EqualValues(t, 306_000, req.Total)
	require.Len(t, req.Items, 3)
	assert.Equal(t, "Phí chứng thực bản sao", req.Items[1].Name, "names come from the catalogue")
	assert.Equal(t, "phi", req.Items[1].Kind)
	assert.EqualValues(t, 3, req.Items[1].Quantity)
	assert.Equal(t, "CA-X", req.Items[2].OrgCode)
	assert.EqualValues(t, 1, req.Items[0].Quantity, "quantity defaults to 1")

	payID := r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"})
	a := r.do("POST", "/api/v1/payment-requests/"+req.ID+"/charge", tokCashier, map[string]any{"method": "card", "terminal": "T1"})
	require.Equal(t, http.StatusConflict, a.Status, "a second charge while the first runs (or once it paid): %s", a)
	assert.Equal(t, apperr.Conflict, a.errCode(t))

	p := r.settled(payID)
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)
	assert.EqualValues(t, 306_000, p.Amount)
	assert.Equal(t, "card", p.Method)
	assert.Equal(t, "T1", p.Terminal)
	assert.Equal(t, "Nguyễn Thị Thu", p.Cashier)
	require.NotNil(t, p.TerminalResult)
	assert.NotEmpty(t, p.TerminalResult.TraceNo)
	assert.NotEmpty(t, p.TerminalResult.ApprovalCode)
	assert.Equal(t, "29001234", p.TerminalResult.TerminalID)
	assert.Contains(t, p.TerminalResult.PANMasked, "*", "masked card number")
	require.NotNil(t, p.PaidAt)
	require.Len(t, p.Receipts, 2, "one receipt per collecting organisation")
	require.NotNil(t, p.Receipt, "the contract's receipt: the first")
	assert.Equal(t, p.Receipts[0], *p.Receipt)
	var total int64
	for _, ref := range p.Receipts {
		total += ref.Total
		assert.Equal(t, receipts.Template, ref.Template)
		assert.Regexp(t, `^https://bienlai\.example\.gov\.vn/verify/`+ref.Template+"/"+ref.Series+"/"+receipts.PrintedNumber(ref.Number)+`\?c=[0-9A-Z]{10}$`, ref.VerifyURL, "with the lookup code")
		a := r.do("GET", "/api/v1/receipts/"+ref.Template+"/"+ref.Series+"/"+receipts.PrintedNumber(ref.Number), tokDossier, nil)
		require.Equal(t, http.StatusOK, a.Status, "%s", a)
		var rc receiptJSON
		a.decode(t, &rc)
		assert.Equal(t, receipts.Card, rc.Method)
		assert.Equal(t, "HS-2026-0001", rc.DossierCode)
		assert.Equal(t, "Lê Thị Hoa", rc.Payer.Name)
		require.NotNil(t, rc.Card)
		assert.Equal(t, p.TerminalResult.PANMasked, rc.Card.PANMasked)
		assert.Equal(t, signatureValid, rc.Signature, "signed with the organisation's key")
		assert.Equal(t, ref.VerifyURL, rc.VerifyURL)
	}
	assert.EqualValues(t, 306_000, total)

	got := r.request(req.ID)
	assert.Equal(t, payments.RequestPaid, got.Status)
	require.Len(t, got.Payments, 1)
	assert.Equal(t, payID, got.Payments[0].ID)

	a = r.do("POST", "/api/v1/payment-requests/"+req.ID+"/charge", tokCashier, map[string]any{"method": "cash"})
	require.Equal(t, http.StatusConflict, a.Status, "a paid request is never charged again: %s", a)
	assert.Contains(t, a.errMessage(t), "paid")

	// The terminal charged once.
	var charged []zvtsim.Tx
	for _, tx := range r.sim.Journal() {
		if tx.Charged() {
			charged = append(charged, tx)
		}
	}
	require.Len(t, charged, 1)
	assert.EqualValues(t, 306_000, charged[0].Amount)

	// The webhook message, written with the payment.
	rows := outbox(t, r.db, req.ID)
	require.Len(t, rows, 1)
	assert.Equal(t, "payment_request.paid", rows[0].Event)
	assert.Equal(t, "https://motcua.example.gov.vn/feepos/callback", rows[0].URL)
	assert.Equal(t, testTokens[tokDossier].ID, rows[0].ClientID, "signed with the creating client's secret")
	var msg struct {
		Event            string               `json:"event"`
		PaymentRequestID string               `json:"payment_request_id"`
		DossierCode      string               `json:"dossier_code"`
		Status           string               `json:"status"`
		Amount           int64                `json:"amount"`
		PaidAt           *string              `json:"paid_at"`
		Receipt          *payments.ReceiptRef `json:"receipt"`
	}
	require.NoError(t, json.Unmarshal(rows[0].Body, &msg))
	assert.Equal(t, "payment_request.paid", msg.Event)
	assert.Equal(t, req.ID, msg.PaymentRequestID)
	assert.Equal(t, "HS-2026-0001", msg.DossierCode)
	assert.Equal(t, "paid", msg.Status)
	assert.EqualValues(t, 306_000, msg.Amount)
	assert.NotNil(t, msg.PaidAt)
	require.NotNil(t, msg.Receipt)
	assert.Equal(t, p.Receipts[0].Number, msg.Receipt.Number)

	// The cashier is in the audit log of the charge.
	log, err := r.db.AuditLog(context.Background(), sqlite.AuditFilter{Action: "payment.charge"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "Nguyễn Thị Thu", log[0].Actor.Name)
	assert.Equal(t, "payment_request:"+req.ID, log[0].Object)
}

// A declined card and a customer's abort leave the request payable: each
// payment ends declined with the terminal's reason for the cashier, and
// the next charge of the same request is taken and paid.
func TestCardDeclinedThenAbortedThenPaid(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	req := r.createRequest("key-d", requestBody("HS-2026-0002"))

	r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x05})
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	assert.Equal(t, payments.PaymentDeclined, p.Status, "%+v", p)
	assert.NotEmpty(t, p.Message, "the cashier reads why")
	assert.Empty(t, p.Receipts)
	assert.Nil(t, p.Receipt)
	assert.Equal(t, payments.RequestPending, r.request(req.ID).Status, "payable again")

	r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort})
	p = r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	assert.Equal(t, payments.PaymentDeclined, p.Status, "an aborted card is not charged: %+v", p)
	assert.Equal(t, payments.RequestPending, r.request(req.ID).Status)
	assert.Empty(t, outbox(t, r.db, req.ID), "nothing to tell the dossier system yet")

	p = r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	assert.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)
	got := r.request(req.ID)
	assert.Equal(t, payments.RequestPaid, got.Status)
	assert.Len(t, got.Payments, 3, "the declined and aborted charges are kept")

	var charged int
	for _, tx := range r.sim.Journal() {
		if tx.Charged() {
			charged++
		}
	}
	assert.Equal(t, 1, charged)
}

// Cash: recorded at once (paid when the charge answers), with the change;
// then the cashier closes the shift: counted against expected, and a
// shortfall needs the cashier's note.
func TestCashPaymentAndShiftClose(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	req := r.createRequest("key-c", requestBody("HS-2026-0003")) // 106 000 đồng
	a := r.do("POST", "/api/v1/payment-requests/"+req.ID+"/charge", tokCashier, map[string]any{"method": "cash", "tendered": 200_000})
	require.Equal(t, http.StatusAccepted, a.Status, "%s", a)
	var c chargeAccepted
	a.decode(t, &c)
	assert.Equal(t, payments.PaymentPaid, c.Status, "cash is paid when the charge answers")
	p := r.settled(c.PaymentID)
	assert.Equal(t, payments.PaymentPaid, p.Status)
	assert.Equal(t, "cash", p.Method)
	assert.EqualValues(t, 200_000, p.Tendered)
	assert.EqualValues(t, 94_000, p.Change)
	assert.Nil(t, p.TerminalResult)
	require.Len(t, p.Receipts, 1)
	assert.Equal(t, payments.RequestPaid, r.request(req.ID).Status)
	require.Len(t, outbox(t, r.db, req.ID), 1)

	// A card charge without terminals, and tendered too little.
	req2 := r.createRequest("key-c2", requestBody("HS-2026-0004"))
	a = r.do("POST", "/api/v1/payment-requests/"+req2.ID+"/charge", tokCashier, map[string]any{"method": "card", "terminal": "T1"})
	assert.Equal(t, http.StatusServiceUnavailable, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests/"+req2.ID+"/charge", tokCashier, map[string]any{"method": "cash", "tendered": 1_000})
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests/"+req2.ID+"/charge", tokCashier, map[string]any{"method": "cheque"})
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests/"+req2.ID+"/charge", tokCashier, `{"method":"cash","amount":5}`)
	assert.Equal(t, http.StatusBadRequest, a.Status, "an unknown field is refused: %s", a)
	a = r.do("POST", "/api/v1/payment-requests/PR-NOPE/charge", tokCashier, map[string]any{"method": "cash"})
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)

	// Shift close: 106 000 expected; 100 000 counted needs a note.
	a = r.do("POST", "/api/v1/shifts/close", tokCashier, map[string]any{"note": "x"})
	assert.Equal(t, http.StatusBadRequest, a.Status, "counted is required: %s", a)
	a = r.do("POST", "/api/v1/shifts/close", tokCashier, map[string]any{"counted": 100_000})
	assert.Equal(t, http.StatusBadRequest, a.Status, "a difference needs the cashier's note: %s", a)
	a = r.do("POST", "/api/v1/shifts/close", tokCashier, map[string]any{"counted": 100_000, "note": "Thiếu 6.000 đồng, đã báo tổ trưởng"})
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var sh payments.Shift
	a.decode(t, &sh)
	assert.EqualValues(t, 106_000, sh.Expected)
	assert.EqualValues(t, 100_000, sh.Counted)
	assert.EqualValues(t, -6_000, sh.Difference)
	assert.NotZero(t, sh.LedgerEntry, "the shortfall is posted")
	assert.Contains(t, sh.Cashier, "Nguyễn Thị Thu")

	// A refund is refused with the open question of docs/RECEIPTS.md, and
	// a cash payment is not reversed on a terminal.
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/refund", tokAccountant, map[string]any{"reason": "Hoàn tiền cho công dân"})
	require.Equal(t, http.StatusUnprocessableEntity, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "open question")
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/reverse", tokAccountant, map[string]any{"reason": "x"})
	assert.Equal(t, http.StatusConflict, a.Status, "%s", a)
	assert.Equal(t, payments.PaymentPaid, r.settled(p.ID).Status, "nothing changed")
}

// Cancel: a pending request is cancelled (and the dossier system told),
// cancelling again is harmless, a cancelled request cannot be charged,
// and a paid one cannot be cancelled.
func TestCancelRequest(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	req := r.createRequest("key-x", requestBody("HS-2026-0005"))
	a := r.do("POST", "/api/v1/payment-requests/"+req.ID+"/cancel", tokDossier, map[string]any{"reason": "Công dân rút hồ sơ"})
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var got payments.Request
	a.decode(t, &got)
	assert.Equal(t, payments.RequestCancelled, got.Status)
	a = r.do("POST", "/api/v1/payment-requests/"+req.ID+"/cancel", tokDossier, nil)
	assert.Equal(t, http.StatusOK, a.Status, "no body, and cancelled twice: %s", a)
	a = r.do("POST", "/api/v1/payment-requests/"+req.ID+"/charge", tokCashier, map[string]any{"method": "cash"})
	assert.Equal(t, http.StatusConflict, a.Status, "%s", a)
	rows := outbox(t, r.db, req.ID)
	require.Len(t, rows, 1)
	assert.Equal(t, "payment_request.cancelled", rows[0].Event)

	paid := r.createRequest("key-y", requestBody("HS-2026-0006"))
	r.charge(paid.ID, map[string]any{"method": "cash"})
	a = r.do("POST", "/api/v1/payment-requests/"+paid.ID+"/cancel", tokDossier, nil)
	assert.Equal(t, http.StatusConflict, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests/PR-NOPE/cancel", tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests/"+paid.ID+"/cancel", tokDossier, `{"why":"x"}`)
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
}

// Create is idempotent per key: the same key and body again is the same
// request (200), the same key with another body 409; a missing key is
// 400; an unknown fee code or a wrong amount is 422 naming the line; a
// body that is not the route's JSON is 400.
func TestCreateRequestIdempotencyAndChecks(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	body := requestBody("HS-2026-0007")
	first := r.createRequest("key-i", body)

	a := r.do("POST", "/api/v1/payment-requests", tokDossier, body, "Idempotency-Key", "key-i")
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var again payments.Request
	a.decode(t, &again)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, first.Total, again.Total)

	other := requestBody("HS-2026-0007", map[string]any{"fee_code": "HKD-DK", "amount": 100_000})
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, other, "Idempotency-Key", "key-i")
	require.Equal(t, http.StatusConflict, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), first.ID)

	// Another client may use the same key for its own request.
	a = r.do("POST", "/api/v1/payment-requests", tokDossier2, other, "Idempotency-Key", "key-i")
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)

	a = r.do("POST", "/api/v1/payment-requests", tokDossier, body)
	require.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "Idempotency-Key")
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, body, "Idempotency-Key", strings.Repeat("k", MaxIdempotencyKey+1))
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)

	a = r.do("POST", "/api/v1/payment-requests", tokDossier, requestBody("HS-2026-0008",
		map[string]any{"fee_code": "HKD-DK", "amount": 100_000}, map[string]any{"fee_code": "NO-SUCH", "amount": 5_000}), "Idempotency-Key", "key-u")
	require.Equal(t, http.StatusUnprocessableEntity, a.Status, "%s", a)
	assert.Equal(t, apperr.Unprocessable, a.errCode(t))
	assert.Contains(t, a.errMessage(t), "NO-SUCH")
	assert.Contains(t, a.errMessage(t), "items[1]")

	a = r.do("POST", "/api/v1/payment-requests", tokDossier, requestBody("HS-2026-0008",
		map[string]any{"fee_code": "CT-BS", "quantity": 3, "amount": 5_000}), "Idempotency-Key", "key-w")
	require.Equal(t, http.StatusUnprocessableEntity, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "items[0]")
	assert.Contains(t, a.errMessage(t), "6000")

	// A fee the agency computes takes the amount sent.
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, requestBody("HS-2026-0009",
		map[string]any{"fee_code": "GPXD", "amount": 1_234_000}), "Idempotency-Key", "key-g")
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)

	noPayer := requestBody("HS-2026-0010")
	noPayer["payer"] = map[string]any{"name": " "}
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, noPayer, "Idempotency-Key", "key-p")
	assert.Equal(t, http.StatusBadRequest, a.Status, "a payer name is required: %s", a)

	withTypo := requestBody("HS-2026-0011")
	withTypo["dosier_code"] = "x"
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, withTypo, "Idempotency-Key", "key-t")
	assert.Equal(t, http.StatusBadRequest, a.Status, "an unknown field is refused: %s", a)
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, `{"items": 12.5.`, "Idempotency-Key", "key-t")
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
	a = r.do("POST", "/api/v1/payment-requests", tokDossier, requestBody("HS-2026-0012",
		map[string]any{"fee_code": "CT-BS", "quantity": 1, "amount": 2000.5}), "Idempotency-Key", "key-f")
	assert.Equal(t, http.StatusBadRequest, a.Status, "whole đồng only: %s", a)

	a = r.do("GET", "/api/v1/payment-requests/PR-NOPE", tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
}

// The list: by dossier code and status, a page at a time, following next.
func TestListRequestsPaged(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	var ids []string
	for i := range 5 {
		ids = append(ids, r.createRequest("key-l"+strconv.Itoa(i), requestBody("HS-LIST-A")).ID)
	}
	r.createRequest("key-other", requestBody("HS-LIST-B"))
	r.charge(ids[2], map[string]any{"method": "cash"})

	seen := map[string]bool{}
	path := "/api/v1/payment-requests?dossier_code=HS-LIST-A&limit=2"
	pages := 0
	for path != "" {
		a := r.do("GET", path, tokCashier, nil)
		require.Equal(t, http.StatusOK, a.Status, "%s", a)
		var page requestPage
		a.decode(t, &page)
		assert.LessOrEqual(t, len(page.Items), 2)
		for _, it := range page.Items {
			assert.Equal(t, "HS-LIST-A", it.DossierCode)
			assert.False(t, seen[it.ID], "each request once")
			seen[it.ID] = true
		}
		pages++
		require.Less(t, pages, 10)
		path = ""
		if page.Next != "" {
			path = "/api/v1/payment-requests?dossier_code=HS-LIST-A&limit=2&after=" + page.Next
		}
	}
	assert.Len(t, seen, 5)
	assert.GreaterOrEqual(t, pages, 3)

	a := r.do("GET", "/api/v1/payment-requests?dossier_code=HS-LIST-A&status=paid", tokDossier, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var page requestPage
	a.decode(t, &page)
	require.Len(t, page.Items, 1)
	assert.Equal(t, ids[2], page.Items[0].ID)
	assert.Empty(t, page.Next)

	a = r.do("GET", "/api/v1/payment-requests?dossier_code=HS-NONE", tokDossier, nil)
	require.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `{"items":[]}`, string(a.Body))

	for _, q := range []string{"limit=0", "limit=x", "dossier=HS-LIST-A"} {
		a := r.do("GET", "/api/v1/payment-requests?"+q, tokDossier, nil)
		assert.Equal(t, http.StatusBadRequest, a.Status, "%s: %s", q, a)
	}
}

// A card payment reversed on the terminal the same day: the terminal
// voids it, the payment is reversed and the request refunded; a refund
// of a payment undone is refused with the open question; settling a
// payment not in review is a conflict; reasons are required.
func TestReverseRefundSettle(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	req := r.createRequest("key-r", requestBody("HS-2026-0020"))
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)

	a := r.do("POST", "/api/v1/payments/"+p.ID+"/settle", tokAccountant, map[string]any{"outcome": "charged", "reason": "slip"})
	assert.Equal(t, http.StatusConflict, a.Status, "only a payment in review is settled: %s", a)
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/reverse", tokCashier, map[string]any{"reason": ""})
	assert.Equal(t, http.StatusBadRequest, a.Status, "a reason is required: %s", a)
	a = r.do("POST", "/api/v1/payments/"+p.ID+"/reverse", tokCashier, map[string]any{})
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)

	a = r.do("POST", "/api/v1/payments/"+p.ID+"/reverse", tokCashier, map[string]any{"reason": "Thu nhầm, công dân đã nộp tiền mặt"})
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var rev paymentJSON
	a.decode(t, &rev)
	assert.Equal(t, payments.PaymentReversed, rev.Status)
	assert.Equal(t, payments.RequestRefunded, r.request(req.ID).Status)
	var voided int
	for _, tx := range r.sim.Journal() {
		if tx.Status == zvtsim.Voided {
			voided++
		}
	}
	assert.Equal(t, 1, voided, "the terminal voided the payment")

	a = r.do("POST", "/api/v1/payments/"+p.ID+"/refund", tokAccountant, map[string]any{"reason": "Hoàn tiền"})
	assert.Contains(t, []int{http.StatusConflict, http.StatusUnprocessableEntity}, a.Status, "%s", a)

	a = r.do("GET", "/api/v1/payments/P-NOPE", tokCashier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status)
	a = r.do("GET", "/api/v1/payments/"+p.ID+"?wait=600", tokCashier, nil)
	assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a)
}
