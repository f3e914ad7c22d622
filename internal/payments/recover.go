package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/receipts"
)

func refOf(r sqlite.PaymentReceiptRow) receipts.Ref {
	return receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number}
}

// Recover brings every payment whose card charge feepos did not see to
// its end in line with its terminal attempt, as the terminal manager
// settled it: charged and not recorded → recorded now (late, exactly
// once: the payment leaves processing in that transaction); not charged →
// declined or failed, the request payable again; still unknown →
// needs_review with the attempt's evidence; recorded but then not charged
// (the terminal reversed it because feepos stopped before confirming) →
// needs_review, for a person (docs/PAYMENTS.md "Recovery"). Run it at
// start and whenever a terminal comes back; it is safe to run at any
// time, and skips the charges running in this process.
func (s *Service) Recover(ctx context.Context) error {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	rows, err := s.db.PaymentsToCheck(ctx)
	if err != nil {
		return err
	}
	actor := auth.System("recovery")
	for _, p := range rows {
		if p.Method != MethodCard {
			continue
		}
		s.mu.Lock()
		_, running := s.running[p.ID]
		s.mu.Unlock()
		if running {
			continue
		}
		s.settle(ctx, p.ID, actor, "recovery")
	}
	return ctx.Err()
}

// attemptOf finds a card payment's terminal attempt: by its id, else by
// the reference the payment was committed with before the charge started
// (feepos may have stopped before it stored the attempt's id).
func (s *Service) attemptOf(ctx context.Context, p sqlite.PaymentRow) (terminals.AttemptRecord, bool, error) {
	if p.AttemptID != "" {
		rec, err := s.db.Attempt(ctx, p.AttemptID)
		if err != nil {
			return rec, false, err
		}
		return rec, true, nil
	}
	if p.Reference == "" {
		return terminals.AttemptRecord{}, false, nil
	}
	return s.db.AttemptByReference(ctx, p.Terminal, p.Reference)
}

// settle puts a card payment in line with its attempt's state.
func (s *Service) settle(ctx context.Context, paymentID string, actor auth.Actor, note string) {
	if err := s.settleErr(ctx, paymentID, actor, note); err != nil {
		s.log.Error("card payment not settled from its attempt (the next Recover retries)", "payment", paymentID, "err", err)
	}
}

func (s *Service) settleErr(ctx context.Context, paymentID string, actor auth.Actor, note string) error {
	p, err := s.db.Payment(ctx, paymentID)
	if err != nil {
		return err
	}
	rec, found, err := s.attemptOf(ctx, p)
	if err != nil {
		return err
	}
	if !found {
		if p.Status != string(PaymentProcessing) {
			return nil
		}
		// Committed, but the attempt was never written down: nothing was
		// sent to the terminal (the manager writes it before sending).
		s.endUnpaid(ctx, p.ID, PaymentFailed, "no attempt was written down for it: nothing was sent to the terminal",
			"Chưa gửi giao dịch đến máy POS: thẻ chưa bị trừ tiền", actor)
		return nil
	}
	if p.AttemptID == "" {
		if err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.SetPaymentAttempt(ctx, p.ID, rec.ID) }); err != nil {
			return err
		}
		p.AttemptID = rec.ID
	}
	var review Review
	if p.Review.Valid {
		_ = json.Unmarshal([]byte(p.Review.String), &review)
	}
	if review.SettledOutcome != "" {
		return nil // a person settled it: the terminal's later word does not overrule them
	}
	recorded := p.LedgerEntryID.Valid
	open := p.Status == string(PaymentProcessing) || p.Status == string(PaymentNeedsReview)
	charged, final := rec.State.Charged()
	switch {
	case final && charged && open && !recorded:
		res := approvedResult(rec)
		err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
			_, err := s.Record(ctx, tx, p.RequestID, p.ID, Recording{Card: terminalResult(res), Actor: actor,
				Reason: "recorded late: the terminal kept the charge (attempt " + rec.ID + " " + string(rec.State) + ")"})
			return err
		})
		if err != nil {
			return fmt.Errorf("record payment %s late: %w", p.ID, err)
		}
		s.log.Info("card payment recorded late", "payment", p.ID, "attempt", rec.ID, "state", rec.State)
		s.poke()
	case final && !charged && open && !recorded:
		status, msg := PaymentFailed, "Giao dịch không thành công: thẻ không bị trừ tiền"
		res := lastResult(rec)
		switch rec.State {
		case terminals.StateDeclined, terminals.StateAborted:
			status = PaymentDeclined
			if res != nil && res.TextVI != "" {
				msg = res.TextVI
			} else if rec.State == terminals.StateAborted {
				msg = "Giao dịch đã bị hủy: thẻ không bị trừ tiền"
			} else {
				msg = "Giao dịch bị từ chối: thẻ không bị trừ tiền"
			}
		}
		why := "the terminal did not charge it (attempt " + rec.ID + " " + string(rec.State) + ")"
		if note != "" {
			why += ": " + note
		}
		s.endUnpaid(ctx, p.ID, status, why, msg, actor)
	case final && !charged && recorded && (p.Status == string(PaymentPaid) || p.Status == string(PaymentNeedsReview)):
		// Recorded, then the terminal did not keep the charge: ZVT
		// reverses an approval feepos recorded but did not acknowledge
		// (it stopped, or the acknowledgement was lost). The terminal's
		// word is final: undo the record, in one transaction.
		why := "the terminal reversed the charge before it was acknowledged (attempt " + rec.ID + " " + string(rec.State) + ": " + attemptWhy(rec) + ")"
		var ok bool
		err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
			var err error
			// The system decides it on the terminal's word, whoever charged.
			ok, err = s.voidRecorded(ctx, tx, p.ID, auth.System("recovery"), why, map[string]any{"attempt_state": rec.State, "charged_by": p.CashierName}, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("void payment %s: %w", p.ID, err)
		}
		if ok {
			s.log.Warn("recorded card payment voided: the terminal did not keep the charge", "payment", p.ID, "attempt", rec.ID, "state", rec.State)
			s.poke()
		}
	case final && charged && recorded && p.Status == string(PaymentNeedsReview):
		// Put in review while the attempt was in doubt; the terminal's
		// records have since proven the charge kept: the record stands.
		return s.backToPaid(ctx, p, rec, actor)
	case !final && recorded && p.Status == string(PaymentPaid):
		// Recorded, not acknowledged, and the terminal manager could not
		// settle it from the terminal's records: a person compares it
		// with the printed slip. Only once the manager has judged it (or
		// it has been in doubt for a while: the terminal may never
		// answer), so a restart does not send every recorded payment to
		// review before the terminal was asked.
		if rec.State != terminals.StateInDoubt || !s.judged(rec) {
			return nil
		}
		return s.toReview(ctx, p, rec, actor, "recorded as paid, but the terminal's acknowledgement was not completed and its records do not prove whether it kept the charge (attempt "+
			rec.ID+" "+string(rec.State)+": "+attemptWhy(rec)+"): the ledger entry and receipts stand until a person settles it")
	case !final && p.Status == string(PaymentProcessing):
		if rec.State == terminals.StatePrepared {
			return nil // the manager is about to send it, or settles it never sent at its start
		}
		why := "the terminal's answer does not prove whether the card was charged (attempt " + rec.ID + " " + string(rec.State) + ": " + attemptWhy(rec) + ")"
		if note != "" {
			why += "; " + note
		}
		return s.toReview(ctx, p, rec, actor, why)
	case p.Status == string(PaymentNeedsReview):
		// Still for a person: refresh the evidence they see, and the
		// terminal manager's last word in the reason (it judges the
		// attempt after the payment went to review).
		why := ""
		if !recorded && !final {
			why = "the terminal's answer does not prove whether the card was charged (attempt " + rec.ID + " " + string(rec.State) + ": " + attemptWhy(rec) + ")"
		}
		return s.toReview(ctx, p, rec, actor, why)
	}
	return nil
}

// toReview puts a payment and its request in needs_review with the
// attempt's record as evidence (its history, the terminal's answers, the
// orphans, the wire, masked).
func (s *Service) toReview(ctx context.Context, p sqlite.PaymentRow, rec terminals.AttemptRecord, actor auth.Actor, reason string) error {
	var old Review
	if p.Review.Valid {
		_ = json.Unmarshal([]byte(p.Review.String), &old)
	}
	if reason == "" {
		reason = old.Reason
	}
	b, err := json.Marshal(Review{Reason: reason, Evidence: rec})
	if err != nil {
		return err
	}
	review := string(b)
	if p.Status == string(PaymentNeedsReview) && p.Review.Valid && p.Review.String == review {
		return nil // nothing new
	}
	msg := "Chưa xác định được thẻ đã bị trừ tiền hay chưa: đối chiếu với hóa đơn in từ máy POS"
	err = s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		first := p.Status != string(PaymentNeedsReview)
		ok, err := tx.UpdatePayment(ctx, p.ID, []string{p.Status}, sqlite.PaymentUpdate{Status: string(PaymentNeedsReview), Reason: reason,
			Review: &review, Message: &msg}, actor.String())
		if err != nil || !ok {
			return err
		}
		if !first {
			return nil
		}
		if err := tx.SetPaymentRequestStatus(ctx, p.RequestID, string(RequestNeedsReview), actor.String(), "payment "+p.ID+": "+reason); err != nil {
			return err
		}
		req, err := tx.PaymentRequest(ctx, p.RequestID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, req, "payment_request.needs_review", string(RequestNeedsReview), nil, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.needs_review", Object: "payment:" + p.ID, Reason: reason})
	})
	if err == nil && p.Status != string(PaymentNeedsReview) {
		s.log.Warn("card payment needs a person", "payment", p.ID, "attempt", rec.ID, "reason", reason)
		s.poke()
	}
	return err
}

// approvedResult is the terminal's approval of an attempt settled charged:
// the driver's own result, else the last result or orphan that proved it.
func approvedResult(rec terminals.AttemptRecord) pos.Result {
	for i := len(rec.Evidence) - 1; i >= 0; i-- {
		e := rec.Evidence[i]
		if e.Result != nil && e.Result.Outcome == pos.Approved && (e.Result.Amount == 0 || e.Result.Amount == rec.Amount) {
			return *e.Result
		}
	}
	return pos.Result{Outcome: pos.Approved, Amount: rec.Amount}
}

// lastResult is the driver's result of the attempt, if stored.
func lastResult(rec terminals.AttemptRecord) *pos.Result {
	for i := len(rec.Evidence) - 1; i >= 0; i-- {
		if e := rec.Evidence[i]; e.Source == terminals.EvidenceResult && e.Result != nil {
			return e.Result
		}
	}
	return nil
}

// Settle is a person's decision on a payment in needs_review, from the
// terminal's printed slip or the acquirer's statement: "charged" records
// it (ledger entry, receipts, request paid); "not_charged" ends it
// unpaid and makes the request payable again — or, for a payment that was
// recorded before the terminal dropped the charge, posts the ledger
// reversal. Audited with the reason, which is required.
func (s *Service) Settle(ctx context.Context, actor auth.Actor, paymentID, outcome, reason string) (Payment, error) {
	if reason == "" {
		return Payment{}, invalid("a reason is required: say what proves the outcome (e.g. the terminal's slip number)")
	}
	if outcome != OutcomeCharged && outcome != OutcomeNotCharged {
		return Payment{}, invalid("outcome %q: use charged or not_charged", outcome)
	}
	p, err := s.db.Payment(ctx, paymentID)
	if errors.Is(err, sqlite.ErrNoPayment) {
		return Payment{}, notFound("payment %s does not exist", paymentID)
	}
	if err != nil {
		return Payment{}, err
	}
	if p.Status != string(PaymentNeedsReview) {
		return Payment{}, conflict("payment %s is %s: only a payment in needs_review is settled by a person", paymentID, p.Status)
	}
	var review Review
	_ = json.Unmarshal([]byte(p.Review.String), &review)
	review.SettledOutcome, review.SettledBy, review.SettledReason = outcome, actor.String(), reason
	rb, _ := json.Marshal(review)
	rs := string(rb)
	recorded := p.LedgerEntryID.Valid
	err = s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.settle", Object: "payment:" + p.ID, Reason: reason,
			Detail: []byte(`{"outcome":"` + outcome + `"}`)}); err != nil {
			return err
		}
		switch {
		case outcome == OutcomeCharged && recorded:
			// Recorded before: it stands.
			if _, err := tx.UpdatePayment(ctx, p.ID, []string{string(PaymentNeedsReview)}, sqlite.PaymentUpdate{Status: string(PaymentPaid),
				Reason: "settled charged: " + reason, Review: &rs}, actor.String()); err != nil {
				return err
			}
			if err := tx.SetPaymentRequestStatus(ctx, p.RequestID, string(RequestPaid), actor.String(), "settled charged: "+reason); err != nil {
				return err
			}
			return s.enqueuePaidAgain(ctx, tx, p) // it was told needs_review
		case outcome == OutcomeCharged:
			rec, _, _ := s.attemptOf(ctx, p)
			if _, err := tx.UpdatePayment(ctx, p.ID, nil, sqlite.PaymentUpdate{Review: &rs}, actor.String()); err != nil {
				return err
			}
			_, err := s.Record(ctx, tx, p.RequestID, p.ID, Recording{Card: terminalResult(approvedResult(rec)), Actor: actor,
				Reason: "settled charged by a person: " + reason})
			return err
		case recorded:
			// Recorded before, and a person found it not charged: voided
			// like recovery does (ledger reversal, request payable, the
			// webhook, the receipts listed for an accountant).
			ok, err := s.voidRecorded(ctx, tx, p.ID, actor, "settled not charged by a person: "+reason, nil, &rs)
			if err == nil && !ok {
				err = conflict("payment %s changed while it was settled", p.ID)
			}
			return err
		default:
			msg := "Thẻ không bị trừ tiền (đã xác minh)"
			if _, err := tx.UpdatePayment(ctx, p.ID, []string{string(PaymentNeedsReview)}, sqlite.PaymentUpdate{Status: string(PaymentFailed),
				Reason: "settled not charged: " + reason, Review: &rs, Message: &msg}, actor.String()); err != nil {
				return err
			}
			req, err := tx.PaymentRequest(ctx, p.RequestID)
			if err != nil {
				return err
			}
			if err := tx.SetPaymentRequestStatus(ctx, p.RequestID, string(RequestPending), actor.String(), "settled not charged: "+reason); err != nil {
				return err
			}
			return s.enqueueNotCharged(ctx, tx, req)
		}
	})
	if err != nil {
		return Payment{}, err
	}
	s.poke()
	return s.Payment(ctx, paymentID)
}

// RecoverLoop runs Recover now and then every interval (default 5 s)
// until ctx ends. The terminal manager settles the attempts in doubt of a
// terminal when it comes back (and when an orphan answer arrives); the
// next pass records what it settled charged and releases what it settled
// not charged. A pass over nothing to check is one indexed query.
func (s *Service) RecoverLoop(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Recover(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("payment recovery pass failed (retried)", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
