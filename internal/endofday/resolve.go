package endofday

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// Resolution actions.
const (
	ActionMatch    = "match"     // a person pairs the payment and the line
	ActionWriteOff = "write_off" // a person accepts the difference, with a reason
	ActionUnmatch  = "unmatch"   // undoes the resolution in force: the exception is open again
)

// ResolveInput is a person's resolution of an exception.
type ResolveInput struct {
	Action string
	Reason string
	// For a match: the payment and the settlement line to pair; the
	// exception's own are used when empty.
	PaymentID string
	LineID    string
}

// Exceptions lists the stored exceptions (open only, or all), oldest
// first, each with its resolutions.
func (c *Closer) Exceptions(ctx context.Context, openOnly bool) ([]sqlite.StoredException, error) {
	return c.db.Exceptions(ctx, sqlite.ExceptionFilter{OpenOnly: openOnly})
}

// Resolve records a person's resolution of exception id in one
// transaction with its audit line (who, when, why): a manual match (which
// holds the payment like any match: a payment another match holds is
// refused), a write-off, or an unmatch that undoes the resolution in force.
func (c *Closer) Resolve(ctx context.Context, actor auth.Actor, id int64, in ResolveInput) (sqlite.StoredException, error) {
	if in.Reason == "" {
		return sqlite.StoredException{}, invalidf("a reason is required (--reason): say what proves it, e.g. the acquirer's letter or the bank's reference")
	}
	var out sqlite.StoredException
	err := c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		e, err := tx.Exception(ctx, id)
		if err != nil {
			return err
		}
		date := ledger.BusinessDate(tx.Now)
		r := sqlite.Resolution{ExceptionID: id, Action: in.Action, Reason: in.Reason, Actor: actor.String(), Date: date}
		switch in.Action {
		case ActionMatch, ActionWriteOff:
			if !e.Open {
				return conflictf("exception %d is already resolved (%s by %s): unmatch it first (--unmatch) to resolve it again", id, e.Resolution.Action, e.Resolution.Actor)
			}
			if in.Action == ActionMatch {
				m, err := c.manualMatch(ctx, tx, e, in)
				if err != nil {
					return err
				}
				if r.MatchID, err = tx.InsertMatch(ctx, 0, e.FirstSeen, m); err != nil {
					return err
				}
			}
		case ActionUnmatch:
			if e.Resolution == nil {
				return conflictf("exception %d is open: there is no resolution to undo", id)
			}
			r.Undoes = e.Resolution.ID
			if e.Resolution.MatchID != 0 {
				if err := tx.ReleaseMatch(ctx, e.Resolution.MatchID); err != nil {
					return err
				}
			}
		default:
			return invalidf("resolution %q: use match, write_off or unmatch", in.Action)
		}
		rid, err := tx.InsertResolution(ctx, r)
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"resolution_id": rid, "action": in.Action, "match_id": r.MatchID, "undoes": r.Undoes,
			"kind": e.Kind, "payment_id": e.PaymentID, "settlement_id": e.SettlementID})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "reconcile.resolve", Object: fmt.Sprintf("reconcile_exception:%d", id),
			Reason: in.Reason, Detail: detail}); err != nil {
			return err
		}
		out, err = tx.Exception(ctx, id)
		return err
	})
	return out, err
}

// manualMatch builds a person's match of an exception.
func (c *Closer) manualMatch(ctx context.Context, tx *sqlite.Tx, e sqlite.StoredException, in ResolveInput) (reconcile.Match, error) {
	pay, line := in.PaymentID, in.LineID
	if pay == "" {
		pay = e.PaymentID
	}
	if line == "" {
		line = e.SettlementID
	}
	if pay == "" && line == "" && e.BankID == "" {
		return reconcile.Match{}, invalidf("exception %d is about no payment, settlement line or bank entry: name them with --payment and --line, or write it off", e.ID)
	}
	m := reconcile.Match{Rule: "manual", Explanation: "Kế toán đối chiếu thủ công: " + in.Reason}
	if pay != "" {
		p, err := tx.Payment(ctx, pay)
		if err != nil {
			return m, notFoundf("payment %s: %v", pay, err)
		}
		m.PaymentIDs, m.Amount = []string{pay}, p.Amount
	}
	if line != "" {
		m.Settlement = []string{line}
		if e.SettlementAmount != nil && m.Amount == 0 {
			m.Amount = *e.SettlementAmount
		}
	}
	if e.BankID != "" {
		m.Bank = []string{e.BankID}
	}
	if m.Amount == 0 && e.LedgerAmount != nil {
		m.Amount = *e.LedgerAmount
	}
	return m, nil
}

// Confirm settles as charged a payment in needs_review that a run
// offered with the acquirer's settlement line lineID as evidence: the
// payment workflow records it (payments.Service.Settle: ledger entry,
// receipts, request paid, audited), then the payment and the line are
// matched. The engine only offers; an accountant decides.
func (c *Closer) Confirm(ctx context.Context, actor auth.Actor, paymentID, lineID, reason string) (payments.Payment, error) {
	if reason == "" {
		return payments.Payment{}, invalidf("a reason is required (--reason): e.g. the slip you checked")
	}
	if c.opt.Payments == nil {
		return payments.Payment{}, fmt.Errorf("confirm needs the payment workflow: this feepos was built without it")
	}
	var offer *sqlite.StoredMatch
	err := c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		offers, err := tx.ActiveOffers(ctx, paymentID)
		if err != nil {
			return err
		}
		for i := range offers {
			if slices.Contains(offers[i].Settlement, lineID) {
				offer = &offers[i]
			}
		}
		return nil
	})
	if err != nil {
		return payments.Payment{}, err
	}
	if offer == nil {
		return payments.Payment{}, notFoundf("no run offered payment %s with settlement line %s: run the day (feepos reconcile run --date …) and take the ids from its offers", paymentID, lineID)
	}
	p, err := c.opt.Payments.Payment(ctx, paymentID)
	if err != nil {
		return payments.Payment{}, err
	}
	if p.Status == payments.PaymentNeedsReview {
		p, err = c.opt.Payments.Settle(ctx, actor, paymentID, payments.OutcomeCharged,
			fmt.Sprintf("dòng quyết toán %s của ngân hàng thanh toán: %s", lineID, reason))
		if err != nil {
			return payments.Payment{}, err
		}
	} else if p.Status != payments.PaymentPaid {
		return payments.Payment{}, conflictf("payment %s is %s: only a payment in review is confirmed", paymentID, p.Status)
	}
	// Settled (now, or by an earlier confirm that stopped before this
	// step): the payment and the line are matched, the offer released.
	err = c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if err := tx.ReleaseMatch(ctx, offer.ID); err != nil {
			return err
		}
		m := offer.Match
		m.Offer, m.Rule, m.Settlement = false, "confirmed_in_doubt", []string{lineID}
		m.Explanation = "Kế toán xác nhận giao dịch treo theo tệp quyết toán: " + reason
		if _, err := tx.InsertMatch(ctx, 0, offer.Date, m); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"payment_id": paymentID, "settlement_id": lineID, "offer_match_id": offer.ID})
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "reconcile.confirm", Object: "payment:" + paymentID, Reason: reason, Detail: detail})
	})
	return p, err
}
