package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// reconcilePayments reads the card payments as the engine sees them,
// in the order of their time then id: paid, refunded later, or in
// needs_review (InReview), that no active match holds. A day's million
// payments are scanned column by column (no reflection), their terminal
// results read by flatJSON, and sorted here: SQLite would sort the whole
// rows, terminal results included, in its temporary store.
func (tx *Tx) reconcilePayments(ctx context.Context, about int, where string, args ...any) ([]reconcile.Payment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, status, amount, terminal, terminal_result, COALESCE(paid_at, created_at), review FROM payments p
		WHERE method = 'card' AND status IN ('paid', 'refunded', 'needs_review') AND `+where+`
		  AND NOT EXISTS (SELECT 1 FROM reconcile_match_payments m WHERE m.payment_id = p.id AND m.released_at IS NULL)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// The payments and their sort keys side by side: the payments are
	// put in order in place at the end, not copied into a second array.
	// About: a few per cent more for the late payments of the day before.
	about += about/32 + 16
	ps := make([]reconcile.Payment, 0, about)
	ats := make([]string, 0, about)
	var (
		id, status, terminal, result sql.RawBytes
		at                           string
		amount                       int64
		review                       sql.NullString
	)
	in := newInterner()
	dates := map[string]string{} // a UTC hour ("2006-01-02T15") → its business date: one zone, whole-hour offset
	for rows.Next() {
		if err := rows.Scan(&id, &status, &amount, &terminal, &result, &at, &review); err != nil {
			return nil, err
		}
		t, err := ParseStoreTime(at)
		if err != nil {
			return nil, err
		}
		p := reconcile.Payment{ID: string(id), TerminalID: in.get(terminal), Amount: amount, PaidAt: t, InReview: string(status) == "needs_review"}
		hour := at[:13]
		d, ok := dates[hour]
		if !ok {
			d = ledger.BusinessDate(t)
			dates[hour] = d
		}
		p.Date = d
		if result != nil {
			terminalResult(result, &p, in)
		}
		if p.InReview && p.TraceNo == 0 && review.Valid {
			// A payment in review has no stored result: its trace and
			// approval code come from the terminal's answer kept as
			// evidence, so that the acquirer's line can be offered.
			reviewFacts(&p, review.String)
		}
		ps = append(ps, p)
		ats = append(ats, at)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := make([]int32, len(ps))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(ats[a], ats[b]); c != 0 {
			return c
		}
		return strings.Compare(ps[a].ID, ps[b].ID)
	})
	permute(ps, order)
	return slices.Clip(ps), nil
}

// ReconcilePaymentByID returns a card payment no active match holds.
func (tx *Tx) ReconcilePaymentByID(ctx context.Context, id string) (reconcile.Payment, bool, error) {
	ps, err := tx.reconcilePayments(ctx, 0, `id = ?`, id)
	if err != nil || len(ps) == 0 {
		return reconcile.Payment{}, false, err
	}
	return ps[0], true, nil
}

// terminalResult fills the payment's terminal facts from its stored
// terminal result (JSON, payments.TerminalResult, masked PAN only). The
// terminal and the card brand are shared through in (a day has a few
// hundred terminals); the approval code, masked PAN and RRN are one
// string, the numbers read from the bytes.
func terminalResult(b []byte, p *reconcile.Payment, in *interner) {
	var trace, approval, pan, terminal, receipt, card, rrn []byte
	set := func(k, v []byte) {
		switch string(k) {
		case "trace_no":
			trace = v
		case "approval_code":
			approval = v
		case "pan_masked":
			pan = v
		case "terminal_id":
			terminal = v
		case "receipt_no":
			receipt = v
		case "card_type":
			card = v
		case "rrn":
			rrn = v
		}
	}
	if !flatJSON(b, set) {
		var res struct {
			TraceNo      string `json:"trace_no"`
			ApprovalCode string `json:"approval_code"`
			PANMasked    string `json:"pan_masked"`
			TerminalID   string `json:"terminal_id"`
			ReceiptNo    string `json:"receipt_no"`
			CardType     string `json:"card_type"`
			RRN          string `json:"rrn"`
		}
		if json.Unmarshal(b, &res) != nil {
			return
		}
		trace, approval, pan, terminal = []byte(res.TraceNo), []byte(res.ApprovalCode), []byte(res.PANMasked), []byte(res.TerminalID)
		receipt, card, rrn = []byte(res.ReceiptNo), []byte(res.CardType), []byte(res.RRN)
	}
	p.TraceNo, _ = strconv.ParseInt(string(trace), 10, 64)
	p.ReceiptNo, _ = strconv.ParseInt(string(receipt), 10, 64)
	own := string(append(append(append(make([]byte, 0, len(approval)+len(pan)+len(rrn)), approval...), pan...), rrn...))
	p.ApprovalCode, p.PANMasked, p.RRN = own[:len(approval)], own[len(approval):len(approval)+len(pan)], own[len(approval)+len(pan):]
	p.Brand = in.get(card)
	if len(terminal) > 0 {
		p.TerminalID = in.get(terminal)
	}
}

// flatJSON reads an object whose values are all strings without
// escapes, as json.Marshal writes a struct of plain strings
// ({"k":"v",…}, no spaces), calling fn per pair; it reports false for
// anything else (fn may have been called: the caller decodes again with
// encoding/json, which handles every case).
func flatJSON(b []byte, fn func(k, v []byte)) bool {
	n := len(b)
	if n < 2 || b[0] != '{' {
		return false
	}
	i := 1
	str := func() ([]byte, bool) {
		if i >= n || b[i] != '"' {
			return nil, false
		}
		i++
		s := i
		for i < n && b[i] != '"' {
			if b[i] == '\\' || b[i] < 0x20 {
				return nil, false
			}
			i++
		}
		if i >= n {
			return nil, false
		}
		i++
		return b[s : i-1], true
	}
	if b[i] == '}' {
		return i+1 == n
	}
	for {
		k, ok := str()
		if !ok || i >= n || b[i] != ':' {
			return false
		}
		i++
		v, ok := str()
		if !ok || i >= n {
			return false
		}
		fn(k, v)
		switch b[i] {
		case ',':
			i++
		case '}':
			return i+1 == n
		default:
			return false
		}
	}
}
