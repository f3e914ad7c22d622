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
)

// Charge charges a pending request. Cash is recorded at once (the payment
// is paid when Charge returns). Card: the payment is committed as
// processing, with the reference the terminal is sent, before the terminal
// is asked; Charge returns then, and the charge runs in the background
// (Wait for its end): the terminal's approval recorded in one transaction
// and then confirmed, a decline or abort leaving the request payable, an
// unknown outcome putting it in needs_review. A request that is not
// pending (being charged, paid, in review, cancelled) is a conflict.
func (s *Service) Charge(ctx context.Context, actor auth.Actor, requestID string, in ChargeInput) (Payment, error) {
	switch in.Method {
	case MethodCash:
		if in.Terminal != "" {
			return Payment{}, invalid("a cash payment takes no terminal")
		}
	case MethodCard:
		if in.Terminal == "" {
			return Payment{}, invalid("a card payment needs the terminal: give terminal (e.g. \"T1\")")
		}
		if s.terms == nil {
			return Payment{}, unavailable("no card terminal is configured: take the payment in cash, or configure the terminals")
		}
		if in.Tendered != 0 {
			return Payment{}, invalid("tendered is for cash payments")
		}
	default:
		return Payment{}, invalid("method %q: use card or cash", in.Method)
	}
	if in.Tendered < 0 {
		return Payment{}, invalid("tendered %d is negative", in.Tendered)
	}
	var p sqlite.PaymentRow
	err := s.db.WithGroupTx(ctx, func(ctx context.Context, tx *sqlite.Tx) error {
		req, err := tx.PaymentRequest(ctx, requestID)
		if errors.Is(err, sqlite.ErrNoPaymentRequest) {
			return notFound("payment request %s does not exist", requestID)
		}
		if err != nil {
			return err
		}
		switch RequestStatus(req.Status) {
		case RequestPending:
		case RequestProcessing:
			return conflict("payment request %s is being charged now: wait for that charge to end", requestID)
		case RequestPaid:
			return conflict("payment request %s is paid already: it is never charged twice", requestID)
		case RequestNeedsReview:
			return conflict("payment request %s has a charge whose outcome is not known: an accountant settles it first, with the terminal's slip", requestID)
		default:
			return conflict("payment request %s is %s: it cannot be charged", requestID, req.Status)
		}
		if in.Method == MethodCash && in.Tendered != 0 && in.Tendered < req.Total {
			return invalid("tendered %d đồng is less than the total %d đồng", in.Tendered, req.Total)
		}
		p = sqlite.PaymentRow{ID: newID("PM", tx.Now), RequestID: req.ID, Method: in.Method, Status: string(PaymentProcessing),
			Amount: req.Total, Terminal: in.Terminal, CashierID: actor.ID, CashierName: actor.Name, Tendered: in.Tendered,
			CreatedAt: sqlite.StoreTime(tx.Now)}
		if in.Method == MethodCard {
			p.Reference = p.ID[2:] // ten characters: fits Concert's PRIV
		}
		if err := tx.InsertPayment(ctx, p, actor.String()); err != nil {
			if errors.Is(err, sqlite.ErrPaymentLive) {
				return conflict("payment request %s already has a payment processing, paid or in review: it is never charged twice", requestID)
			}
			return err
		}
		if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(RequestProcessing), actor.String(), "payment "+p.ID); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"payment_id": p.ID, "method": p.Method, "amount": p.Amount, "terminal": p.Terminal})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment.charge", Object: "payment_request:" + req.ID, Detail: detail}); err != nil {
			return err
		}
		if in.Method == MethodCash {
			_, err := s.Record(ctx, tx, req.ID, p.ID, Recording{Actor: actor, Reason: "cash received"})
			return err
		}
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	if in.Method == MethodCash {
		s.poke()
		return s.Payment(ctx, p.ID)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.running[p.ID] = done
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.running, p.ID)
			s.mu.Unlock()
			close(done)
		}()
		s.runCard(p, actor)
	}()
	return s.Payment(ctx, p.ID)
}

// runCard runs a committed card payment on its terminal.
func (s *Service) runCard(p sqlite.PaymentRow, actor auth.Actor) {
	ctx := s.bg
	c, err := s.terms.Charge(ctx, terminals.ChargeRequest{Terminal: p.Terminal, Amount: p.Amount, Reference: p.Reference, Cashier: actor.String()})
	if c == nil {
		// Nothing was written down, so nothing was sent: not charged.
		msg := terminals.MessageVI(err)
		if msg == "" && err != nil {
			msg = err.Error()
		}
		s.endUnpaid(ctx, p.ID, PaymentFailed, "the terminal took nothing: "+fmt.Sprint(err), msg, actor)
		return
	}
	if ctx.Err() != nil {
		return // feepos stops: the attempt goes on, Recover records it
	}
	if err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.SetPaymentAttempt(ctx, p.ID, c.AttemptID()) }); err != nil {
		s.log.Error("payment's attempt not stored (recovery finds it by its reference)", "payment", p.ID, "attempt", c.AttemptID(), "err", err)
	}
	res := c.Result()
	if res.Outcome == pos.Approved && c.Held() {
		// A group commit: the counters recording at the same moment share
		// one durable commit, and their receipts are signed in parallel.
		err := s.db.WithGroupTx(ctx, func(ctx context.Context, tx *sqlite.Tx) error {
			_, err := s.Record(ctx, tx, p.RequestID, p.ID, Recording{Card: terminalResult(res), MarkAttempt: true, Actor: actor,
				Reason: "approved by terminal " + p.Terminal})
			return err
		})
		if err != nil {
			s.log.Error("approved card payment not recorded: its approval is refused", "payment", p.ID, "attempt", c.AttemptID(), "err", err)
			if rerr := c.Reject(ctx); rerr != nil {
				s.log.Warn("reject", "payment", p.ID, "err", rerr)
			}
			<-c.Finished()
			s.settle(ctx, p.ID, actor, "not recorded: "+err.Error())
			return
		}
		s.poke()
		if cerr := c.Confirm(ctx); cerr != nil {
			s.log.Warn("recorded card payment not confirmed by the terminal", "payment", p.ID, "attempt", c.AttemptID(), "err", cerr)
			<-c.Finished()
			s.settle(ctx, p.ID, actor, "recorded, then the confirmation failed: "+cerr.Error())
		}
		return
	}
	<-c.Finished()
	s.settle(ctx, p.ID, actor, "")
}

// endUnpaid ends a processing or in-review payment that took no money and
// makes its request payable again.
func (s *Service) endUnpaid(ctx context.Context, paymentID string, status PaymentStatus, reason, messageVI string, actor auth.Actor) {
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		p, err := tx.Payment(ctx, paymentID)
		if err != nil {
			return err
		}
		ok, err := tx.UpdatePayment(ctx, paymentID, []string{string(PaymentProcessing), string(PaymentNeedsReview)},
			sqlite.PaymentUpdate{Status: string(status), Reason: reason, Message: &messageVI}, actor.String())
		if err != nil || !ok {
			return err
		}
		req, err := tx.PaymentRequest(ctx, p.RequestID)
		if err != nil {
			return err
		}
		if req.Status == string(RequestProcessing) || req.Status == string(RequestNeedsReview) {
			if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(RequestPending), actor.String(), "payment "+paymentID+" "+string(status)); err != nil {
				return err
			}
			if err := s.enqueueNotCharged(ctx, tx, req); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment." + string(status), Object: "payment:" + paymentID, Reason: reason})
	})
	if err != nil {
		s.log.Error("payment's end not stored (Recover retries)", "payment", paymentID, "status", status, "err", err)
	}
}

// Payment reads one payment.
func (s *Service) Payment(ctx context.Context, id string) (Payment, error) {
	row, err := s.db.Payment(ctx, id)
	if errors.Is(err, sqlite.ErrNoPayment) {
		return Payment{}, notFound("payment %s does not exist", id)
	}
	if err != nil {
		return Payment{}, err
	}
	return s.paymentFromRow(ctx, row)
}

// Wait waits until the payment's background charge has ended and it is
// no longer processing (or ctx ends), and returns it.
func (s *Service) Wait(ctx context.Context, paymentID string) (Payment, error) {
	s.mu.Lock()
	done := s.running[paymentID]
	s.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return Payment{}, ctx.Err()
		}
	}
	for {
		p, err := s.Payment(ctx, paymentID)
		if err != nil || p.Status != PaymentProcessing {
			return p, err
		}
		// A payment processing with no charge running here: a previous run
		// left it, Recover ends it.
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Service) paymentFromRow(ctx context.Context, row sqlite.PaymentRow) (Payment, error) {
	p := Payment{ID: row.ID, PaymentRequestID: row.RequestID, Method: row.Method, Status: PaymentStatus(row.Status),
		Amount: row.Amount, Terminal: row.Terminal, AttemptID: row.AttemptID, Message: row.Message, Tendered: row.Tendered,
		Receipts: []ReceiptRef{}}
	p.Cashier = row.CashierName
	if p.Cashier == "" {
		p.Cashier = row.CashierID
	}
	if row.Tendered > 0 {
		p.Change = row.Tendered - row.Amount
	}
	p.CreatedAt, _ = sqlite.ParseStoreTime(row.CreatedAt)
	if row.PaidAt.Valid {
		t, _ := sqlite.ParseStoreTime(row.PaidAt.String)
		p.PaidAt = &t
	}
	if row.TerminalResult.Valid {
		var tr TerminalResult
		if json.Unmarshal([]byte(row.TerminalResult.String), &tr) == nil {
			p.TerminalResult = &tr
		}
	}
	if row.Review.Valid {
		var r Review
		if json.Unmarshal([]byte(row.Review.String), &r) == nil {
			p.Review = &r
		}
	}
	if row.LedgerEntryID.Valid {
		p.LedgerEntry = row.LedgerEntryID.Int64
	}
	recs, err := s.db.PaymentReceipts(ctx, row.ID)
	if err != nil {
		return Payment{}, err
	}
	for _, r := range recs {
		ref := s.receiptRef(refOf(r), r.OrgCode, r.Total, r.Kind, r.LookupCode)
		p.Receipts = append(p.Receipts, ref)
	}
	return p, nil
}
