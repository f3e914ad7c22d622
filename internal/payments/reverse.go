package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos"
)

// receiptsOpenQuestion is what a reversal or refund says of the receipts
// (docs/RECEIPTS.md, "Open question: a payment undone in full").
const receiptsOpenQuestion = "a payment undone in full cannot be corrected by a replacement receipt of 0 đồng " +
	"(Circular 91/2026/TT-BTC Art. 20 corrects a refund by a replacement, and a receipt's total is positive), " +
	"and the law says nothing else for this case"

// Reverse reverses a paid card payment on its terminal on the business
// day it was paid (the citizen was charged by mistake): the terminal's
// reversal approved, then in one transaction the ledger reversal, the
// payment reversed, the request refunded, the webhook message and the
// audit line; then the reversal is confirmed to the terminal. The
// receipts issued stay as they are: docs/RECEIPTS.md leaves the receipt of
// a payment undone in full open, and the payment's message says so.
func (s *Service) Reverse(ctx context.Context, actor auth.Actor, paymentID, reason string) (Payment, error) {
	if reason == "" {
		return Payment{}, invalid("a reason is required: say why the payment is reversed")
	}
	p, err := s.db.Payment(ctx, paymentID)
	if errors.Is(err, sqlite.ErrNoPayment) {
		return Payment{}, notFound("payment %s does not exist", paymentID)
	}
	if err != nil {
		return Payment{}, err
	}
	if p.Method != MethodCard {
		return Payment{}, conflict("payment %s was paid in cash: only a card payment is reversed on its terminal", paymentID)
	}
	if p.Status != string(PaymentPaid) || !p.LedgerEntryID.Valid {
		return Payment{}, conflict("payment %s is %s: only a paid payment is reversed", paymentID, p.Status)
	}
	paidAt, _ := sqlite.ParseStoreTime(p.PaidAt.String)
	if ledger.BusinessDate(paidAt) != ledger.BusinessDate(s.opt.Clock()) {
		return Payment{}, conflict("payment %s was paid on %s: a terminal reversal is for the same business day; a later day is a refund",
			paymentID, ledger.BusinessDate(paidAt))
	}
	// A receipt of the payment already replaced (ReplaceReceipt) has
	// corrected its money: a lower total left a refund owed. Reversing the
	// whole amount on the terminal would return that difference twice.
	rcs, err := s.db.PaymentReceipts(ctx, paymentID)
	if err != nil {
		return Payment{}, err
	}
	for _, rc := range rcs {
		if rc.Kind == "replacement" {
			return Payment{}, conflict("payment %s has a replacement receipt (%s-%08d): its amount was corrected by that replacement, "+
				"so a terminal reversal of the whole amount is refused; settle what is still owed with the accountant", paymentID, rc.Series, rc.Number)
		}
	}
	if s.terms == nil {
		return Payment{}, unavailable("no card terminal is configured: the reversal runs on terminal %s", p.Terminal)
	}
	var tr TerminalResult
	_ = json.Unmarshal([]byte(p.TerminalResult.String), &tr)
	receiptNo, _ := strconv.ParseInt(tr.ReceiptNo, 10, 64)
	c, err := s.terms.Charge(ctx, terminals.ChargeRequest{Terminal: p.Terminal, Kind: pos.KindReverse, Amount: p.Amount,
		ReceiptNo: receiptNo, Cashier: actor.String()})
	if c == nil {
		return Payment{}, unavailable("the terminal took no reversal: %v", err)
	}
	res := c.Result()
	if res.Outcome != pos.Approved || !c.Held() {
		<-c.Finished()
		return Payment{}, conflict("the terminal did not reverse payment %s (%s, attempt %s): %s", paymentID, res.Outcome, c.AttemptID(), res.TextVI)
	}
	msg := "Đã hoàn tiền vào thẻ (hủy giao dịch trong ngày). Biên lai đã lập: chưa có quy định xử lý (docs/RECEIPTS.md)"
	err = s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if err := tx.MarkAttemptRecorded(ctx, c.AttemptID(), "reversal of payment "+p.ID+" recorded"); err != nil {
			return err
		}
		rev, err := tx.ReverseEntry(ctx, p.LedgerEntryID.Int64, "", "Hủy thanh toán thẻ "+p.ID+" trong ngày: "+reason, "payment-reverse:"+p.ID)
		if err != nil {
			return err
		}
		ok, err := tx.UpdatePayment(ctx, p.ID, []string{string(PaymentPaid)}, sqlite.PaymentUpdate{Status: string(PaymentReversed),
			Reason: "reversed on terminal (attempt " + c.AttemptID() + "): " + reason, ReversalEntryID: &rev.ID, Message: &msg}, actor.String())
		if err != nil {
			return err
		}
		if !ok {
			return conflict("payment %s changed while it was reversed", p.ID)
		}
		if err := tx.SetPaymentRequestStatus(ctx, p.RequestID, string(RequestRefunded), actor.String(), "payment "+p.ID+" reversed: "+reason); err != nil {
			return err
		}
		req, err := tx.PaymentRequest(ctx, p.RequestID)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, req, "payment_request.refunded", string(RequestRefunded), nil, nil); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"attempt_id": c.AttemptID(), "reversal_entry": rev.ID, "receipts": receiptsOpenQuestion})
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.reverse", Object: "payment:" + p.ID, Reason: reason, Detail: detail})
	})
	if err != nil {
		_ = c.Reject(ctx)
		<-c.Finished()
		return Payment{}, fmt.Errorf("reversal of payment %s not recorded, refused to the terminal (attempt %s; if it stands, recovery shows it): %w", p.ID, c.AttemptID(), err)
	}
	s.poke()
	if err := c.Confirm(ctx); err != nil {
		s.log.Warn("recorded reversal not confirmed by the terminal: check attempt", "payment", p.ID, "attempt", c.AttemptID(), "err", err)
	}
	return s.Payment(ctx, paymentID)
}

// Refund would refund a payment on a later day. A refund is corrected by a
// replacement receipt (docs/RECEIPTS.md), and a payment is always refunded
// in full here, so the replacement would be a receipt of 0 đồng, which a
// receipt cannot be, and the law does not say what else to issue: the
// refund is refused with that message, without inventing a rule
// (docs/RECEIPTS.md, "Open question: a payment undone in full").
func (s *Service) Refund(ctx context.Context, actor auth.Actor, paymentID, reason string) (Payment, error) {
	p, err := s.db.Payment(ctx, paymentID)
	if errors.Is(err, sqlite.ErrNoPayment) {
		return Payment{}, notFound("payment %s does not exist", paymentID)
	}
	if err != nil {
		return Payment{}, err
	}
	if p.Status != string(PaymentPaid) {
		return Payment{}, conflict("payment %s is %s: only a paid payment is refunded", paymentID, p.Status)
	}
	return Payment{}, unprocessable(-1, "payment %s cannot be refunded by feepos: %s. Refund it outside feepos as the organisation's finance office decides, and see docs/RECEIPTS.md (open question)", paymentID, receiptsOpenQuestion)
}
