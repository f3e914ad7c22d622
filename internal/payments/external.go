package payments

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// RecordCardResult records a card payment approved on a terminal feepos
// did not drive (the demo's sample payment; a standalone terminal whose
// slip the cashier keys in): in one transaction the payment and Record,
// exactly as a managed terminal's approval, with no attempt to mark. The
// request must be pending; the same conflicts as Charge apply.
func (s *Service) RecordCardResult(ctx context.Context, actor auth.Actor, requestID, terminal string, result TerminalResult) (Payment, error) {
	if terminal == "" {
		return Payment{}, invalid("the terminal is required")
	}
	var id string
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		req, err := tx.PaymentRequest(ctx, requestID)
		if errors.Is(err, sqlite.ErrNoPaymentRequest) {
			return notFound("payment request %s does not exist", requestID)
		}
		if err != nil {
			return err
		}
		if req.Status != string(RequestPending) {
			return conflict("payment request %s is %s: it cannot be charged", requestID, req.Status)
		}
		p := sqlite.PaymentRow{ID: newID("PM", tx.Now), RequestID: req.ID, Method: MethodCard, Status: string(PaymentProcessing),
			Amount: req.Total, Terminal: terminal, CashierID: actor.ID, CashierName: actor.Name, CreatedAt: sqlite.StoreTime(tx.Now)}
		id = p.ID
		if err := tx.InsertPayment(ctx, p, actor.String()); err != nil {
			if errors.Is(err, sqlite.ErrPaymentLive) {
				return conflict("payment request %s already has a payment processing, paid or in review", requestID)
			}
			return err
		}
		detail, _ := json.Marshal(map[string]any{"payment_id": p.ID, "method": p.Method, "amount": p.Amount, "terminal": terminal, "external": true})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.charge", Object: "payment_request:" + req.ID, Detail: detail}); err != nil {
			return err
		}
		r := result
		_, err = s.Record(ctx, tx, req.ID, p.ID, Recording{Card: &r, Actor: actor, Reason: "approved on terminal " + terminal + " (recorded from its slip)"})
		return err
	})
	if err != nil {
		return Payment{}, err
	}
	s.poke()
	return s.Payment(ctx, id)
}
