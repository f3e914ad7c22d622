package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/feepos/feepos/internal/sqlite"
)

// The check reads feepos's database (read-only, after the last feepos
// stopped) for what the API does not show: every payment of a request,
// its ledger entry, its receipts and its webhook message.

type store struct{ db *sqlite.DB }

func openStore(ctx context.Context, path string) (*store, error) {
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open %s to check it: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() { _ = s.db.Close() }

// payRow is one payment of a request.
type payRow struct {
	ID       string         `db:"id"`
	Status   string         `db:"status"`
	Amount   int64          `db:"amount"`
	Terminal string         `db:"terminal"`
	Entry    sql.NullInt64  `db:"ledger_entry_id"`
	Reversal sql.NullInt64  `db:"reversal_entry_id"`
	Review   sql.NullString `db:"review"`
	Message  string         `db:"message"`
	Receipts int64          `db:"receipts"`
	RcptSum  int64          `db:"receipts_total"`
	Debits   int64          `db:"entry_debits"`
	Credits  int64          `db:"entry_credits"`
}

// reqState is what the database has of one request.
type reqState struct {
	Status   string
	Reason   string // needs_review: why, from the payment's review or the status history
	Payments []payRow
	Outbox   map[string]int // webhook messages by event/state
}

func (s *store) request(ctx context.Context, id string) (reqState, error) {
	q := s.db.SQL()
	var st reqState
	if err := q.GetContext(ctx, &st.Status, `SELECT status FROM payment_requests WHERE id = ?`, id); err != nil {
		return st, fmt.Errorf("request %s: %w", id, err)
	}
	if err := q.SelectContext(ctx, &st.Payments, `
		SELECT p.id, p.status, p.amount, p.terminal, p.ledger_entry_id, p.reversal_entry_id, p.review, p.message,
		       (SELECT COUNT(*) FROM payment_receipts r WHERE r.payment_id = p.id AND r.kind = 'issued') AS receipts,
		       (SELECT COALESCE(SUM(r.total), 0) FROM payment_receipts r WHERE r.payment_id = p.id AND r.kind = 'issued') AS receipts_total,
		       (SELECT COALESCE(SUM(l.amount), 0) FROM ledger_lines l WHERE l.entry_id = p.ledger_entry_id AND l.side = 'D') AS entry_debits,
		       (SELECT COALESCE(SUM(l.amount), 0) FROM ledger_lines l WHERE l.entry_id = p.ledger_entry_id AND l.side = 'C') AS entry_credits
		FROM payments p WHERE p.request_id = ? ORDER BY p.created_at, p.id`, id); err != nil {
		return st, fmt.Errorf("payments of request %s: %w", id, err)
	}
	var ob []struct {
		Event string `db:"event"`
		State string `db:"state"`
	}
	if err := q.SelectContext(ctx, &ob, `SELECT event, state FROM webhook_outbox WHERE request_id = ?`, id); err != nil {
		return st, fmt.Errorf("webhook messages of request %s: %w", id, err)
	}
	st.Outbox = map[string]int{}
	for _, o := range ob {
		st.Outbox[o.Event+"/"+o.State]++
	}
	if st.Status == "needs_review" {
		for _, p := range st.Payments {
			if p.Status == "needs_review" {
				st.Reason = reviewReason(p)
			}
		}
		if st.Reason == "" {
			_ = q.GetContext(ctx, &st.Reason, `SELECT reason FROM payment_status_history
				WHERE request_id = ? AND status = 'needs_review' ORDER BY id DESC LIMIT 1`, id)
		}
	}
	return st, nil
}

// reviewReason is the reason in a payment's review JSON (a "reason"
// field, else the whole text), else its message.
func reviewReason(p payRow) string {
	if p.Review.Valid && p.Review.String != "" {
		var v map[string]any
		if json.Unmarshal([]byte(p.Review.String), &v) == nil {
			for _, k := range []string{"reason", "why", "message"} {
				if s, ok := v[k].(string); ok && s != "" {
					return s
				}
			}
		}
		return p.Review.String
	}
	return p.Message
}

// problems lists what is missing from a paid request's record: exactly
// one paid payment of the total, its balanced ledger entry of the total,
// its receipts adding up to the total, a paid webhook message delivered.
func (st reqState) problems(total int64) []string {
	var out []string
	var paid []payRow
	for _, p := range st.Payments {
		if p.Status == "paid" {
			paid = append(paid, p)
		}
	}
	if len(paid) != 1 {
		return append(out, fmt.Sprintf("%d paid payments (want exactly one)", len(paid)))
	}
	p := paid[0]
	if p.Amount != total {
		out = append(out, fmt.Sprintf("payment %s of %d đồng, the request is %d", p.ID, p.Amount, total))
	}
	switch {
	case !p.Entry.Valid:
		out = append(out, fmt.Sprintf("payment %s has no ledger entry", p.ID))
	case p.Debits != total || p.Credits != total:
		out = append(out, fmt.Sprintf("payment %s: ledger entry %d debits %d, credits %d, the request is %d", p.ID, p.Entry.Int64, p.Debits, p.Credits, total))
	}
	if p.Receipts == 0 || p.RcptSum != total {
		out = append(out, fmt.Sprintf("payment %s: %d receipts of %d đồng in all, the request is %d", p.ID, p.Receipts, p.RcptSum, total))
	}
	// The paid message (event "….paid"), delivered. One per payment
	// paid: a request told paid, then told its payment was voided (the
	// terminal reversed it: payable again, paid again by another charge)
	// or in review (then proven kept: paid again), is told paid once more.
	delivered, paidMsgs, undone := 0, 0, 0
	for k, n := range st.Outbox {
		event, state, _ := strings.Cut(k, "/")
		switch {
		case strings.HasSuffix(event, ".paid"):
			paidMsgs += n
			if state == "delivered" {
				delivered += n
			}
		case strings.HasSuffix(event, ".payment_voided"), strings.HasSuffix(event, ".needs_review"):
			undone += n
		}
	}
	switch {
	case paidMsgs == 0:
		out = append(out, fmt.Sprintf("no paid webhook message in the outbox (it has %v)", st.Outbox))
	case paidMsgs > 1+undone:
		out = append(out, fmt.Sprintf("%d paid webhook messages in the outbox, %d voided or in review between them (one payment, one message)", paidMsgs, undone))
	case delivered == 0:
		out = append(out, fmt.Sprintf("the paid webhook message is not delivered: %v", st.Outbox))
	}
	return out
}

// lastReceipt is the id of the last receipt issued so far (0: none).
func lastReceipt(ctx context.Context, path string) (int64, error) {
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var id int64
	err = db.SQL().GetContext(ctx, &id, `SELECT COALESCE(MAX(id), 0) FROM receipts`)
	return id, err
}

// verify runs feepos's own checks and the database-wide ones: the ledger's
// chain, every receipt's chain and signature, the trial balance, receipt
// numbers gap-free per series and year, every receipt belonging to a
// payment (but those issued before the run: the demo's), the outbox drained.
func (h *harness) verify(ctx context.Context, s *store, rep *report) error {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"ledger verify", []string{"ledger", "verify"}},
		{"receipts verify", []string{"receipts", "verify"}},
		{"ledger trial-balance", []string{"ledger", "trial-balance"}},
	} {
		if _, err := h.fp.run(ctx, c.args...); err != nil {
			rep.Verify[c.name] = err.Error()
			rep.Violations = append(rep.Violations, violation{Rule: c.name, Detail: err.Error()})
		} else {
			rep.Verify[c.name] = "ok"
		}
	}
	q := s.db.SQL()
	var series []struct {
		Template string `db:"template"`
		Series   string `db:"series"`
		N        int64  `db:"n"`
		Min      int64  `db:"lo"`
		Max      int64  `db:"hi"`
	}
	if err := q.SelectContext(ctx, &series, `SELECT template, series, COUNT(*) AS n, MIN(number) AS lo, MAX(number) AS hi
		FROM receipts GROUP BY template, series`); err != nil {
		return err
	}
	gapFree := true
	for _, g := range series {
		rep.Receipts += int(g.N)
		if g.Min != 1 || g.Max != g.N {
			gapFree = false
			rep.Violations = append(rep.Violations, violation{Rule: "receipt numbers",
				Detail: fmt.Sprintf("%s %s: %d receipts numbered %d to %d", g.Template, g.Series, g.N, g.Min, g.Max)})
		}
	}
	rep.Verify["receipts gap-free"] = "ok"
	if !gapFree {
		rep.Verify["receipts gap-free"] = "gaps (see violations)"
	}
	var orphans []string
	if err := q.SelectContext(ctx, &orphans, `SELECT r.template || ' ' || r.series || ' ' || r.number FROM receipts r
		WHERE r.id > ? AND NOT EXISTS (SELECT 1 FROM payment_receipts p WHERE p.template = r.template AND p.series = r.series AND p.number = r.number)`, h.receiptsBefore); err != nil {
		return err
	}
	for _, o := range orphans {
		rep.Violations = append(rep.Violations, violation{Rule: "receipt of no payment", Detail: "receipt " + o + " belongs to no payment"})
	}
	var dangling []string
	if err := q.SelectContext(ctx, &dangling, `SELECT p.payment_id || ' → ' || p.template || ' ' || p.series || ' ' || p.number FROM payment_receipts p
		WHERE NOT EXISTS (SELECT 1 FROM receipts r WHERE p.template = r.template AND p.series = r.series AND p.number = r.number)`); err != nil {
		return err
	}
	for _, d := range dangling {
		rep.Violations = append(rep.Violations, violation{Rule: "receipt missing", Detail: "payment receipt link " + d + " names no receipt"})
	}
	var pending int
	if err := q.GetContext(ctx, &pending, `SELECT COUNT(*) FROM webhook_outbox WHERE state <> 'delivered'`); err != nil {
		return err
	}
	if pending > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d webhook messages not delivered when feepos stopped", pending))
	}
	return nil
}
