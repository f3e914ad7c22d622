package endofday_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/reconcile"
)

// inDoubt makes a card payment in needs_review the way a stopped feepos
// leaves one: the attempt written, the terminal's approval received
// (trace, approval code) but never recorded, the attempt in doubt; the
// payment workflow's recovery puts the payment in review with that
// evidence.
func (r *rig) inDoubt(trace int, amount int64) payments.Payment {
	r.n++
	key := fmt.Sprintf("K%d", r.n)
	req, _, err := r.s.CreateRequest(r.ctx, dossierSystem, key, payments.NewRequest{DossierCode: "HS-" + key,
		Payer: payments.Payer{Name: "Trần Thị Bình"}, Items: []payments.NewItem{{FeeCode: "TSDD", Amount: amount}}})
	require.NoError(r.t, err)
	now := r.clock()
	att := fmt.Sprintf("doubt%05d", trace)
	require.NoError(r.t, r.db.CreateAttempt(r.ctx, terminals.Attempt{ID: att, Terminal: "T1", Protocol: pos.ZVT, Kind: pos.KindPay,
		Amount: amount, Reference: att, StartedAt: now}, now))
	require.NoError(r.t, r.db.SetAttemptState(r.ctx, att, terminals.StateChange{State: terminals.StateSent, At: now}))
	require.NoError(r.t, r.db.SetAttemptResult(r.ctx, att, terminals.StateChange{State: terminals.StateHeld, At: now},
		pos.Result{Outcome: pos.Approved, Amount: amount, TerminalID: "T0000001", TraceNo: int64(trace),
			ApprovalCode: fmt.Sprintf("AP%04d", trace), PANMasked: "970436******1234"}))
	require.NoError(r.t, r.db.SetAttemptState(r.ctx, att, terminals.StateChange{State: terminals.StateInDoubt, At: now, Reason: "feepos stopped"}))
	id := "PM" + att
	require.NoError(r.t, r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		if err := tx.InsertPayment(r.ctx, sqlite.PaymentRow{ID: id, RequestID: req.ID, Method: "card", Status: "processing",
			Amount: amount, Terminal: "T1", Reference: att, CashierID: cashier.ID, CreatedAt: sqlite.StoreTime(tx.Now)}, "test"); err != nil {
			return err
		}
		return tx.SetPaymentRequestStatus(r.ctx, req.ID, "processing", "test", "")
	}))
	require.NoError(r.t, r.s.Recover(r.ctx))
	p, err := r.s.Payment(r.ctx, id)
	require.NoError(r.t, err)
	require.Equal(r.t, payments.PaymentNeedsReview, p.Status)
	return p
}

// A payment in needs_review that the acquirer's file shows settled is
// offered, never settled by the engine; an accountant confirms it: the
// payment is paid (ledger entry, receipts), the payment and the line are
// matched, both steps audited. A confirmation without an offer is
// refused.
func TestConfirmAnOfferedInDoubtPayment(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	paid := r.card(101, 150_000)
	doubt := r.inDoubt(501, 320_000)
	r.importCSV("s.csv", csvOf(line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 501, 320_000, ""}))
	r.at(vn("2026-03-03", "08:00"))

	run, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	require.Len(t, run.Offers, 1, "%+v", run.Report.Matches)
	offer := run.Offers[0]
	assert.True(t, offer.Offer)
	assert.Equal(t, []string{doubt.ID}, offer.PaymentIDs)
	require.Len(t, offer.Settlement, 1)
	lineID := offer.Settlement[0]
	assert.Equal(t, 1, run.Report.Summary.MatchedCount, "an offer is not a match")
	got, err := r.s.Payment(r.ctx, doubt.ID)
	require.NoError(t, err)
	assert.Equal(t, payments.PaymentNeedsReview, got.Status, "the engine alone never settles it")

	// Refused: no reason; a line the run did not offer; a payment it did
	// not offer.
	_, err = r.c.Confirm(r.ctx, accountant, doubt.ID, lineID, "")
	require.Error(t, err)
	_, err = r.c.Confirm(r.ctx, accountant, doubt.ID, strings.Replace(lineID, "501", "101", 1), "hóa đơn máy POS số 501")
	require.Error(t, err)
	_, err = r.c.Confirm(r.ctx, accountant, paid.ID, lineID, "hóa đơn máy POS số 501")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no run offered")
	got, err = r.s.Payment(r.ctx, doubt.ID)
	require.NoError(t, err)
	assert.Equal(t, payments.PaymentNeedsReview, got.Status)

	p, err := r.c.Confirm(r.ctx, accountant, doubt.ID, lineID, "hóa đơn máy POS số 501 và tệp quyết toán")
	require.NoError(t, err)
	assert.Equal(t, payments.PaymentPaid, p.Status)
	assert.NotZero(t, p.LedgerEntry)
	assert.NotEmpty(t, p.Receipts)
	for _, action := range []string{"reconcile.confirm", "payment.settle"} {
		log, err := r.db.AuditLog(r.ctx, sqlite.AuditFilter{Action: action})
		require.NoError(t, err)
		require.Len(t, log, 1, action)
		assert.Equal(t, accountant.ID, log[0].Actor.ID, action)
	}
	_, err = r.c.Confirm(r.ctx, accountant, doubt.ID, lineID, "lần nữa")
	require.Error(t, err, "the offer is used")

	// The day again: the confirmed payment stays matched to its line; no
	// offer, no exception.
	again, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	assert.Empty(t, again.Offers)
	assert.Empty(t, again.Report.Exceptions, "%+v", again.Report.Exceptions)
	assert.Equal(t, 1, r.count(fmt.Sprintf("reconcile_match_payments WHERE released_at IS NULL AND payment_id = '%s'", doubt.ID)))
}

// camtOf is a camt.053.001.08 statement of one VND account for date:
// opening balance, one booked credit per net, closing = opening + nets.
func camtOf(date string, opening int64, nets ...int64) []byte {
	closing := opening
	var entries strings.Builder
	for i, n := range nets {
		closing += n
		fmt.Fprintf(&entries, `<Ntry><Amt Ccy="VND">%d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>%s</Dt></BookgDt><AcctSvcrRef>FT%s%03d</AcctSvcrRef><AddtlNtryInf>Thanh toán thẻ</AddtlNtryInf></Ntry>
`, n, date, strings.ReplaceAll(date, "-", ""), i+1)
	}
	bal := func(code string, v int64) string {
		return fmt.Sprintf(`<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="VND">%d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>
`, code, v, date)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M-` + date + `</MsgId><CreDtTm>` + date + `T23:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>S-` + date + `</Id><Acct><Id><Othr><Id>12010000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
` + bal("OPBD", opening) + bal("CLBD", closing) + entries.String() + `</Stmt></BkToCstmrStmt></Document>
`)
}

// The bank's closing balance (camt CLBD) is asserted against the ledger's
// bank account after the run's postings: a statement whose balance the
// ledger cannot explain is a balance_mismatch with both amounts, while
// its credit still matches the batch's net.
func TestBankClosingBalanceIsCheckedAgainstTheLedger(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	r.card(101, 150_000)
	r.card(102, 2_500_000)
	r.importCSV("s.csv", csvOf(line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 102, 2_500_000, ""}))
	const net = 2_650_000 - 29_150
	// The account held 1,000,000 đồng the ledger never recorded.
	_, err := r.c.Import(r.ctx, accountant, endofday.File{Name: "sao-ke.xml", Data: camtOf("2026-03-02", 1_000_000, net), Format: "auto"})
	require.NoError(t, err)
	r.at(vn("2026-03-03", "08:00"))

	run, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	require.Len(t, run.Report.Exceptions, 1, "%+v", run.Report.Exceptions)
	e := run.Report.Exceptions[0]
	assert.Equal(t, reconcile.BalanceMismatch, e.Kind)
	require.NotNil(t, e.BankAmount)
	require.NotNil(t, e.LedgerAmount)
	assert.EqualValues(t, 1_000_000+net, *e.BankAmount)
	assert.EqualValues(t, net, *e.LedgerAmount, "the ledger's bank account with this run's posting")
	var bankMatched bool
	for _, m := range run.Report.Matches {
		bankMatched = bankMatched || (m.Rule == "batch_net" && len(m.Bank) == 1)
	}
	assert.True(t, bankMatched, "the credit is the batch's net: %+v", run.Report.Matches)
	require.Len(t, run.Postings, 1)
	assert.NotEmpty(t, run.Postings[0].Bank)
}
