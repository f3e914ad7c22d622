package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// The soak's payment workflow: what the next issue's workflow will do with
// the manager, reduced to what matters for the money. Its bookings live in
// a table of its own (soak_payments, in the same database: a soak
// database, not a service's), written in the same transaction as the
// attempt's "recorded" (sqlite.Tx.MarkAttemptRecorded).
//
// A booking is "booked" (recorded, the terminal's confirmation pending),
// then "settled" (its attempt is charged: for a reversal, it took effect)
// or "void" (its attempt is not charged). A booking whose attempt is in
// doubt stays booked until recovery settles the attempt. reconcile moves
// the bookings as their attempts end, in every run: a workflow killed
// between its booking and the terminal's answer learns the answer from
// the attempt after the restart.

const paymentsTable = `CREATE TABLE IF NOT EXISTS soak_payments (
	attempt_id TEXT PRIMARY KEY,
	terminal   TEXT NOT NULL,
	kind       TEXT NOT NULL,
	amount     INTEGER NOT NULL,
	receipt_no INTEGER NOT NULL DEFAULT 0,
	refers_to  TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL CHECK (state IN ('booked', 'settled', 'void')),
	reversal_requested INTEGER NOT NULL DEFAULT 0,
	booked_at  TEXT NOT NULL,
	updated_at TEXT NOT NULL
)`

// Booking states.
const (
	bookBooked  = "booked"
	bookSettled = "settled"
	bookVoid    = "void"
)

type workflow struct {
	db  *sqlite.DB
	m   *terminals.Manager
	k   *killer
	log *slog.Logger
	// amounts: every attempt of the soak has its own amount (seq × 1000 +
	// a random remainder), so that each of the simulators' journal
	// entries names its attempt even where the protocol carries no
	// reference (ZVT). A reversal carries its payment's amount.
	amountSeq atomic.Int64
}

func newWorkflow(ctx context.Context, db *sqlite.DB, k *killer, log *slog.Logger) (*workflow, error) {
	if _, err := db.SQL().ExecContext(ctx, paymentsTable); err != nil {
		return nil, fmt.Errorf("create soak_payments: %w", err)
	}
	var maxAmount int64
	if err := db.SQL().GetContext(ctx, &maxAmount, `SELECT COALESCE(MAX(amount), 0) FROM terminal_attempts`); err != nil {
		return nil, err
	}
	w := &workflow{db: db, k: k, log: log}
	w.amountSeq.Store(maxAmount / 1000)
	return w, nil
}

func (w *workflow) nextAmount(rng *rand.Rand) int64 {
	return w.amountSeq.Add(1)*1000 + 1 + rng.Int64N(999)
}

// decision is what the workflow does with a held approval.
type decision string

const (
	decConfirm     decision = "confirm"      // book it, then confirm
	decReject      decision = "reject"       // it could not be booked: reject
	decLateRecord  decision = "late_record"  // try to book it after the deadline: refused, not booked
	decLateConfirm decision = "late_confirm" // book it in time, confirm after the deadline
	decWalkAway    decision = "walk_away"    // neither: the hold ends at the deadline
)

func decide(rng *rand.Rand) decision {
	switch n := rng.IntN(100); {
	case n < 80:
		return decConfirm
	case n < 86:
		return decReject
	case n < 90:
		return decLateRecord
	case n < 95:
		return decLateConfirm
	}
	return decWalkAway
}

// loop charges on terminal t until stop: payments; on ZVT now and then a
// reversal of a payment it booked, and an end of day.
func (w *workflow) loop(ctx context.Context, t config.Terminal, rng *rand.Rand, pace time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if pace > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(pace))))
		}
		var err error
		switch zvtTerm := t.Proto() == pos.ZVT; {
		case zvtTerm && rng.Float64() < 0.01:
			err = w.endOfDay(ctx, t.ID)
		case zvtTerm && rng.Float64() < 0.05:
			err = w.reverse(ctx, t.ID, rng)
		default:
			err = w.pay(ctx, t.ID, rng)
		}
		if err != nil {
			// Busy, offline, closed: nothing was sent; try again shortly.
			time.Sleep(100*time.Millisecond + time.Duration(rng.Int64N(int64(200*time.Millisecond))))
		}
	}
}

func (w *workflow) endOfDay(ctx context.Context, id string) error {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	eod, err := w.m.EndOfDay(cctx, id)
	w.log.Info("soak: end of day", "terminal", id, "outcome", eod.Outcome, "total", eod.Total, "err", err)
	return err
}

func (w *workflow) pay(ctx context.Context, id string, rng *rand.Rand) error {
	return w.charge(ctx, terminals.ChargeRequest{Terminal: id, Kind: pos.KindPay, Amount: w.nextAmount(rng), Cashier: "soak"}, "", rng)
}

// reverse reverses a payment of terminal id the workflow booked and that
// stands. The request is written down first, so that a payment is
// reversed at most once, however often the workflow is killed.
func (w *workflow) reverse(ctx context.Context, id string, rng *rand.Rand) error {
	var p struct {
		ID      string `db:"attempt_id"`
		Amount  int64  `db:"amount"`
		Receipt int64  `db:"receipt_no"`
	}
	err := w.db.SQL().GetContext(ctx, &p, `SELECT attempt_id, amount, receipt_no FROM soak_payments
		WHERE terminal = ? AND kind = 'pay' AND state = 'settled' AND reversal_requested = 0 AND receipt_no > 0
		ORDER BY random() LIMIT 1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return w.pay(ctx, id, rng)
	}
	if err != nil {
		return err
	}
	if err := w.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE soak_payments SET reversal_requested = 1, updated_at = ? WHERE attempt_id = ?`, stamp(tx.Now), p.ID)
		return err
	}); err != nil {
		return err
	}
	return w.charge(ctx, terminals.ChargeRequest{Terminal: id, Kind: pos.KindReverse, Amount: p.Amount, ReceiptNo: p.Receipt, Cashier: "soak"}, p.ID, rng)
}

// charge runs one attempt and does with its result what a payment
// workflow does.
func (w *workflow) charge(ctx context.Context, req terminals.ChargeRequest, refersTo string, rng *rand.Rand) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := w.m.Charge(cctx, req)
	if c == nil {
		return err // nothing was written down or sent
	}
	if !c.Held() {
		// Declined, aborted, nothing ran, or in doubt: nothing to book.
		return nil
	}
	d := decide(rng)
	w.log.Info("soak: held", "attempt", c.AttemptID(), "kind", req.Kind, "decision", d, "deadline", c.Deadline())
	switch d {
	case decReject:
		w.k.at("reject:before")
		err := c.Reject(cctx)
		w.log.Info("soak: rejected", "attempt", c.AttemptID(), "err", err)
	case decWalkAway:
	case decLateRecord:
		sleepUntil(c.Deadline().Add(200 * time.Millisecond))
		if berr := w.book(cctx, c, req, refersTo); berr == nil {
			// Booked after the deadline: the store must have refused it.
			w.log.Error("soak: BOOKED AFTER THE DEADLINE", "attempt", c.AttemptID())
		} else {
			w.log.Info("soak: late booking refused", "attempt", c.AttemptID(), "err", berr)
		}
		err := c.Confirm(cctx)
		w.log.Info("soak: late confirm", "attempt", c.AttemptID(), "err", err)
	case decConfirm, decLateConfirm:
		if berr := w.book(cctx, c, req, refersTo); berr != nil {
			w.log.Info("soak: booking failed, rejecting", "attempt", c.AttemptID(), "err", berr)
			_ = c.Reject(cctx)
			break
		}
		w.k.at("record:after")
		if d == decLateConfirm {
			sleepUntil(c.Deadline().Add(200 * time.Millisecond))
		}
		err := c.Confirm(cctx)
		w.k.at("confirm:after")
		w.log.Info("soak: confirmed", "attempt", c.AttemptID(), "late", d == decLateConfirm, "err", err)
		if rerr := w.reconcileOne(ctx, c.AttemptID()); rerr != nil {
			w.log.Error("soak: reconcile", "attempt", c.AttemptID(), "err", rerr)
		}
	}
	return nil
}

// book records the approval of c: the booking and the attempt's
// "recorded", in one transaction.
func (w *workflow) book(ctx context.Context, c *terminals.Charge, req terminals.ChargeRequest, refersTo string) error {
	w.k.at("record:before")
	r := c.Result()
	return w.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO soak_payments (attempt_id, terminal, kind, amount, receipt_no, refers_to, state, booked_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
			c.AttemptID(), req.Terminal, req.Kind, req.Amount, r.ReceiptNo, refersTo, stamp(tx.Now), stamp(tx.Now)); err != nil {
			return err
		}
		if err := tx.MarkAttemptRecorded(ctx, c.AttemptID(), "soak: the payment is booked"); err != nil {
			return err
		}
		w.k.at("record:in_tx")
		return nil
	})
}

// reconcile moves every booking whose attempt has ended.
func (w *workflow) reconcile(ctx context.Context) error {
	var ids []string
	if err := w.db.SQL().SelectContext(ctx, &ids, `SELECT attempt_id FROM soak_payments WHERE state = 'booked'`); err != nil {
		return err
	}
	for _, id := range ids {
		if err := w.reconcileOne(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (w *workflow) reconcileOne(ctx context.Context, id string) error {
	rec, err := w.db.Attempt(ctx, id)
	if err != nil {
		return err
	}
	charged, final := rec.State.Charged()
	if !final {
		return nil
	}
	state := bookVoid
	if charged {
		state = bookSettled
	}
	return w.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE soak_payments SET state = ?, updated_at = ? WHERE attempt_id = ? AND state = 'booked'`, state, stamp(tx.Now), id)
		return err
	})
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}
