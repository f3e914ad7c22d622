package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/receipts"
)

// replaceAnswer is the route's answer as a client reads it.
type replaceAnswer struct {
	Original    payments.ReceiptRef  `json:"original"`
	Replacement payments.ReceiptRef  `json:"replacement"`
	Receipt     receiptJSON          `json:"receipt"`
	PaymentID   string               `json:"payment_id"`
	Difference  int64                `json:"difference"`
	LedgerEntry int64                `json:"ledger_entry"`
	Refund      *payments.RefundOwed `json:"refund"`
}

// An accountant corrects a receipt through the API: a payer's name (same
// total: no money side), then a fee line lower (a refund owed, with its
// balanced ledger entry, audited), a higher total refused, a replaced
// receipt refused; the original's /verify says replaced and links the
// replacement; the dossier system is told by a webhook; cashiers and
// dossier systems may not replace (403).
func TestReplaceReceiptAPI(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	req := r.createRequest("key-r", requestBody("HS-2026-0009")) // HKD-DK 100 000 + CT-BS 3 × 2 000
	p := r.settled(r.charge(req.ID, map[string]any{"method": "cash"}))
	require.Len(t, p.Receipts, 1)
	orig := p.Receipts[0]
	path := "/api/v1/receipts/EBL01/" + orig.Series + "/00000001/replace"

	for _, tok := range []string{tokCashier, tokDossier} {
		a := r.do("POST", path, tok, map[string]any{"reason": "x", "payer": map[string]any{"name": "Lê Thị Hòa"}})
		require.Equal(t, http.StatusForbidden, a.Status, "%s", a)
		assert.Equal(t, apperr.Forbidden, a.errCode(t))
	}
	a := r.do("POST", path, tokAccountant, map[string]any{"payer": map[string]any{"name": "Lê Thị Hòa"}})
	require.Equal(t, http.StatusBadRequest, a.Status, "no reason: %s", a)
	a = r.do("POST", path, tokAccountant, map[string]any{"reason": "nothing"})
	require.Equal(t, http.StatusBadRequest, a.Status, "no change: %s", a)

	// A name: the same total, no ledger entry, no refund.
	a = r.do("POST", path, tokAccountant, map[string]any{"reason": "Sai tên người nộp", "payer": map[string]any{"name": "Lê Thị Hòa"}})
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)
	var named replaceAnswer
	a.decode(t, &named)
	assert.Equal(t, int64(0), named.Difference)
	assert.Nil(t, named.Refund)
	assert.Zero(t, named.LedgerEntry)
	assert.Equal(t, p.ID, named.PaymentID)
	assert.Equal(t, "replaced", named.Original.Kind)
	assert.Equal(t, "replacement", named.Replacement.Kind)
	assert.Equal(t, int64(2), named.Receipt.Number)
	assert.Equal(t, "Lê Thị Hòa", named.Receipt.Payer.Name)
	assert.Equal(t, "001190000123", named.Receipt.Payer.IDNumber, "kept")
	assert.Equal(t, "valid", named.Receipt.Signature)
	require.NotNil(t, named.Receipt.Replaces)
	assert.Equal(t, int64(1), named.Receipt.Replaces.Number)
	assert.NotEmpty(t, named.Receipt.ReplacesDate)

	a = r.do("GET", "/api/v1/receipts/EBL01/"+orig.Series+"/00000001", tokAccountant, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var o receiptJSON
	a.decode(t, &o)
	assert.Equal(t, receipts.Replaced, o.Status)
	require.NotNil(t, o.ReplacedBy)
	assert.Equal(t, int64(2), o.ReplacedBy.Number)

	// The public page of the original, as its QR code opens it (with
	// its lookup code).
	origRC, err := r.db.Receipt(context.Background(), "EBL01", orig.Series, 1)
	require.NoError(t, err)
	verifyOrig := "/verify/EBL01/" + orig.Series + "/00000001?c=" + origRC.LookupCode
	a = r.do("GET", verifyOrig, "", nil, "Accept", "application/json")
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var v struct {
		Status     string        `json:"status"`
		ReplacedBy *receipts.Ref `json:"replaced_by"`
	}
	a.decode(t, &v)
	assert.Equal(t, "replaced", v.Status)
	require.NotNil(t, v.ReplacedBy)
	assert.Equal(t, int64(2), v.ReplacedBy.Number)
	a = r.do("GET", verifyOrig, "", nil)
	assert.Contains(t, string(a.Body), `href="/verify/EBL01/`+orig.Series+`/00000002"`, "the page links the replacement")

	// The replacement's page prints what it replaces, with the date.
	a = r.do("GET", "/api/v1/receipts/EBL01/"+orig.Series+"/00000002.html", tokAccountant, nil)
	require.Equal(t, http.StatusOK, a.Status)
	assert.Contains(t, string(a.Body), receipts.ReplacesWords(*named.Receipt.Replaces, named.Receipt.ReplacesDate))
	assert.Regexp(t, `Thay thế cho biên lai mẫu số EBL01, ký hiệu `+orig.Series+`, số 00000001 ngày \d\d/\d\d/\d{4}`, string(a.Body))

	// Replaced once.
	a = r.do("POST", path, tokAccountant, map[string]any{"reason": "again", "payer": map[string]any{"name": "X"}})
	require.Equal(t, http.StatusConflict, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "already replaced")

	// Lower: two pages certified, not three: 4 000 đồng owed back.
	path2 := "/api/v1/receipts/EBL01/" + orig.Series + "/00000002/replace"
	a = r.do("POST", path2, tokAdmin, map[string]any{"reason": "Chỉ chứng thực 1 trang", "fees": []map[string]any{{"fee_code": "CT-BS", "amount": 2_000}}})
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)
	var lower replaceAnswer
	a.decode(t, &lower)
	assert.Equal(t, int64(-4_000), lower.Difference)
	require.NotNil(t, lower.Refund)
	assert.Equal(t, int64(4_000), lower.Refund.Amount)
	assert.Equal(t, "pending", lower.Refund.Status)
	assert.Equal(t, int64(102_000), lower.Receipt.Total)
	assert.Equal(t, "Lê Thị Hòa", lower.Receipt.Payer.Name, "the replacement of a replacement keeps its corrections")

	ctx := context.Background()
	e, err := r.db.Entry(ctx, lower.LedgerEntry)
	require.NoError(t, err)
	sums := map[string]int64{}
	var debit, credit int64
	for _, l := range e.Lines {
		if l.Side == ledger.Debit {
			debit += l.Amount
			sums[l.Account] -= l.Amount
		} else {
			credit += l.Amount
			sums[l.Account] += l.Amount
		}
	}
	assert.Equal(t, debit, credit, "balanced")
	assert.Equal(t, map[string]int64{"3373": -4_000, "3388": 4_000}, sums)
	refunds, err := r.db.ReceiptRefunds(ctx, false)
	require.NoError(t, err)
	require.Len(t, refunds, 1)
	assert.Equal(t, lower.LedgerEntry, refunds[0].LedgerEntryID)
	assert.Equal(t, p.ID, refunds[0].PaymentID.String)
	audit, err := r.db.AuditLog(ctx, sqlite.AuditFilter{Action: "receipt.replace"})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	assert.Equal(t, "Chỉ chứng thực 1 trang", audit[0].Reason)
	assert.Equal(t, "Trần Văn Kế", audit[1].Actor.Name)

	// Higher: refused, saying to create a payment request.
	path3 := "/api/v1/receipts/EBL01/" + orig.Series + "/00000003/replace"
	a = r.do("POST", path3, tokAccountant, map[string]any{"reason": "Thu thiếu", "items": []map[string]any{
		{"fee_code": "HKD-DK", "amount": 100_000}, {"fee_code": "CT-BS", "quantity": 5, "amount": 10_000}}})
	require.Equal(t, http.StatusUnprocessableEntity, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "Create a payment request for the further 8000 đồng")

	// The dossier system heard of both replacements.
	rows := outbox(t, r.db, req.ID)
	require.Len(t, rows, 3)
	var hook struct {
		Event      string              `json:"event"`
		Status     string              `json:"status"`
		Receipt    payments.ReceiptRef `json:"receipt"`
		Replaces   payments.ReceiptRef `json:"replaces"`
		RefundOwed int64               `json:"refund_owed"`
	}
	require.NoError(t, json.Unmarshal([]byte(rows[2].Body), &hook))
	assert.Equal(t, "payment_request.receipt_replaced", hook.Event)
	assert.Equal(t, "paid", hook.Status)
	assert.Equal(t, int64(3), hook.Receipt.Number)
	assert.Equal(t, int64(2), hook.Replaces.Number)
	assert.Equal(t, int64(4_000), hook.RefundOwed)

	// The payment lists all three; the chain and the signatures hold.
	pay := r.settled(p.ID)
	require.Len(t, pay.Receipts, 3)
	rep, err := r.db.VerifyReceiptSignatures(ctx, r.keys.Trust())
	require.NoError(t, err)
	assert.True(t, rep.OK, rep.Problem)
}

// A card payment whose receipt was replaced with a lower total (a refund
// owed) is not reversed on the terminal: the whole amount would go back
// and the difference be owed a second time. Nothing is voided.
func TestReverseRefusedAfterAReplacement(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	req := r.createRequest("key-rr", requestBody("HS-2026-0021"))
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)
	require.NotEmpty(t, p.Receipts)
	rc := p.Receipts[0]
	a := r.do("POST", fmt.Sprintf("/api/v1/receipts/%s/%s/%08d/replace", rc.Template, rc.Series, rc.Number), tokAccountant,
		map[string]any{"reason": "Chỉ chứng thực 1 trang", "fees": []map[string]any{{"fee_code": "CT-BS", "amount": 2_000}}})
	require.Equal(t, http.StatusCreated, a.Status, "%s", a)

	a = r.do("POST", "/api/v1/payments/"+p.ID+"/reverse", tokCashier, map[string]any{"reason": "Thu nhầm"})
	require.Equal(t, http.StatusConflict, a.Status, "%s", a)
	assert.Contains(t, a.errMessage(t), "replacement receipt")
	assert.Equal(t, payments.PaymentPaid, r.settled(p.ID).Status, "nothing changed")
	for _, tx := range r.sim.Journal() {
		assert.NotEqual(t, zvtsim.Voided, tx.Status, "nothing returned on the terminal")
	}
}
