package payments

import (
	"time"

	"context"
	"encoding/json"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// EventPaymentVoided is the webhook event of a payment the dossier system
// was told paid, undone because the terminal did not keep the charge: the
// request is payable again (status pending).
const EventPaymentVoided = "payment_request.payment_voided"

// voidedMessage is what the cashier and the accountant read on a voided
// payment.
const voidedMessage = "Máy POS đã hủy giao dịch (chưa được xác nhận): thẻ không bị trừ tiền. Bút toán đã được đảo, " +
	"hồ sơ có thể thanh toán lại; biên lai đã lập được đưa vào danh sách chờ kế toán xử lý (docs/RECEIPTS.md)"

// voidRecorded undoes, inside tx, a card payment that was recorded (paid,
// or put in needs_review after it was recorded) whose charge the terminal
// did not keep — typically a ZVT terminal that reversed an approval feepos
// recorded but had not acknowledged when it stopped or lost the line. In
// the caller's one transaction: the ledger reversal (payment-void:<id>),
// the payment voided, the request pending (payable again), the webhook
// payment_request.payment_voided (after the paid one, in order), each
// receipt it issued listed in receipts_to_notify (a receipt is never
// edited, and the law leaves its fate open: docs/RECEIPTS.md), and the
// audit line. ok is false when the payment is no longer recorded and
// open (someone else settled it first).
func (s *Service) voidRecorded(ctx context.Context, tx *sqlite.Tx, paymentID string, actor auth.Actor, why string, detail map[string]any, review *string) (ok bool, err error) {
	p, err := tx.Payment(ctx, paymentID)
	if err != nil {
		return false, err
	}
	if !p.LedgerEntryID.Valid || p.ReversalEntryID.Valid ||
		(p.Status != string(PaymentPaid) && p.Status != string(PaymentNeedsReview)) {
		return false, nil
	}
	rev, err := tx.ReverseEntry(ctx, p.LedgerEntryID.Int64, "",
		"Hủy ghi nhận thanh toán thẻ "+p.ID+": máy POS đã hủy giao dịch, thẻ không bị trừ tiền", "payment-void:"+p.ID)
	if err != nil {
		return false, err
	}
	msg := voidedMessage
	ok, err = tx.UpdatePayment(ctx, p.ID, []string{string(PaymentPaid), string(PaymentNeedsReview)}, sqlite.PaymentUpdate{
		Status: string(PaymentVoided), Reason: why, ReversalEntryID: &rev.ID, Message: &msg, Review: review}, actor.String())
	if err != nil || !ok {
		return false, err
	}
	req, err := tx.PaymentRequest(ctx, p.RequestID)
	if err != nil {
		return false, err
	}
	if req.Status == string(RequestPaid) || req.Status == string(RequestNeedsReview) {
		if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(RequestPending), actor.String(), "payment "+p.ID+" voided: "+why); err != nil {
			return false, err
		}
		if err := s.enqueue(ctx, tx, req, EventPaymentVoided, string(RequestPending), nil, nil); err != nil {
			return false, err
		}
	}
	recs, err := tx.PaymentReceipts(ctx, p.ID)
	if err != nil {
		return false, err
	}
	refs := make([]ReceiptRef, 0, len(recs))
	for _, r := range recs {
		if err := tx.AddReceiptToNotify(ctx, sqlite.ReceiptToNotifyRow{Template: r.Template, Series: r.Series, Number: r.Number,
			PaymentID: p.ID, OrgCode: r.OrgCode, Total: r.Total, CreatedBy: actor.String(),
			Reason: "issued for payment " + p.ID + ", voided: " + why + "; " + receiptsOpenQuestion}); err != nil {
			return false, err
		}
		refs = append(refs, s.receiptRef(receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number}, r.OrgCode, r.Total, r.Kind, r.LookupCode))
	}
	d := map[string]any{"payment_id": p.ID, "attempt_id": p.AttemptID, "ledger_entry": p.LedgerEntryID.Int64,
		"reversal_entry": rev.ID, "receipts_to_notify": refs, "receipts": receiptsOpenQuestion}
	for k, v := range detail {
		d[k] = v
	}
	b, _ := json.Marshal(d)
	if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.void", Object: "payment:" + p.ID, Reason: why, Detail: b}); err != nil {
		return false, err
	}
	return true, nil
}

// attemptWhy is the terminal manager's last word on an attempt: its
// latest finding (why the terminal's records prove, or do not prove, the
// outcome), else the reason of its last state change.
func attemptWhy(rec terminals.AttemptRecord) string {
	// The terminal's own record of its last transaction says most; an
	// orphan that named no attempt (another payment's late answer) least.
	for _, src := range []string{pos.EvidenceLastResult, ""} {
		for i := len(rec.Evidence) - 1; i >= 0; i-- {
			e := rec.Evidence[i]
			if f := e.Finding; f != nil && f.Reason != "" && (src == "" || e.Source == src) {
				return f.Reason
			}
		}
	}
	if rec.Protocol == pos.Concert && rec.State == terminals.StateInDoubt {
		// Concert E+ cannot be asked for its last transaction.
		return "Concert E+ cannot be asked for its last transaction, and no answer naming this attempt's reference came: only the terminal's journal or slip can tell"
	}
	if n := len(rec.History); n > 0 && rec.History[n-1].Reason != "" {
		return rec.History[n-1].Reason
	}
	return "no reason given"
}

// inDoubtGrace is how long a recorded payment whose attempt is in doubt
// stays paid while the terminal manager has not judged it (the terminal
// may be off, or never answer): then a person looks.
const inDoubtGrace = 5 * time.Minute

// judged reports whether the terminal manager has judged an attempt in
// doubt against the terminal's records (a finding is kept with it), or
// it has been in doubt longer than inDoubtGrace.
func (s *Service) judged(rec terminals.AttemptRecord) bool {
	for _, e := range rec.Evidence {
		if e.Finding != nil {
			return true
		}
	}
	return !rec.Updated().IsZero() && s.opt.Clock().Sub(rec.Updated()) > inDoubtGrace
}

// backToPaid ends the review of a recorded payment whose charge the
// terminal's records have since proven kept: the payment and the request
// paid again, the webhook paid again (after the needs_review one, in
// order), the audit line.
func (s *Service) backToPaid(ctx context.Context, p sqlite.PaymentRow, rec terminals.AttemptRecord, actor auth.Actor) error {
	why := "the terminal kept the charge (attempt " + rec.ID + " " + string(rec.State) + ": " + attemptWhy(rec) + ")"
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		msg := ""
		ok, err := tx.UpdatePayment(ctx, p.ID, []string{string(PaymentNeedsReview)}, sqlite.PaymentUpdate{Status: string(PaymentPaid),
			Reason: why, Message: &msg}, actor.String())
		if err != nil || !ok {
			return err
		}
		if err := tx.SetPaymentRequestStatus(ctx, p.RequestID, string(RequestPaid), actor.String(), "payment "+p.ID+": "+why); err != nil {
			return err
		}
		if err := s.enqueuePaidAgain(ctx, tx, p); err != nil {
			return err
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.paid_again", Object: "payment:" + p.ID, Reason: why})
	})
	if err == nil {
		s.poke()
	}
	return err
}

// enqueuePaidAgain tells the dossier system, in tx, that p's request is
// paid again after it was told needs_review (webhooks of a request arrive
// in order, so this one follows it).
func (s *Service) enqueuePaidAgain(ctx context.Context, tx *sqlite.Tx, p sqlite.PaymentRow) error {
	req, err := tx.PaymentRequest(ctx, p.RequestID)
	if err != nil {
		return err
	}
	recs, err := tx.PaymentReceipts(ctx, p.ID)
	if err != nil {
		return err
	}
	refs := make([]ReceiptRef, len(recs))
	for i, r := range recs {
		refs[i] = s.receiptRef(refOf(r), r.OrgCode, r.Total, r.Kind, r.LookupCode)
	}
	var paidAt *time.Time
	if t, err := sqlite.ParseStoreTime(p.PaidAt.String); err == nil {
		paidAt = &t
	}
	return s.enqueue(ctx, tx, req, "payment_request.paid", string(RequestPaid), paidAt, refs)
}

// EventNotCharged tells the dossier system that the payment it was told
// is in review (payment_request.needs_review) was not charged after all:
// the request is payable again (status pending).
const EventNotCharged = "payment_request.not_charged"

// enqueueNotCharged sends EventNotCharged for req, in tx, when the
// dossier system was told the request is in review.
func (s *Service) enqueueNotCharged(ctx context.Context, tx *sqlite.Tx, req sqlite.PaymentRequestRow) error {
	if req.Status != string(RequestNeedsReview) {
		return nil // told nothing since processing: nothing to take back
	}
	return s.enqueue(ctx, tx, req, EventNotCharged, string(RequestPending), nil, nil)
}
