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
func (tx *Tx) reconcilePayments(ctx context.Context, where string, args ...any) ([]reconcile.Payment, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, status, amount, terminal, terminal_result, COALESCE(paid_at, created_at), review FROM payments p
		WHERE method = 'card' AND status IN ('paid', 'refunded', 'needs_review') AND `+where+`
		  AND NOT EXISTS (SELECT 1 FROM reconcile_match_payments m WHERE m.payment_id = p.id AND m.released_at IS NULL)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type keyed struct {
		at string
		p  reconcile.Payment
	}
	var ps []keyed
	var (
		id, status, terminal, at string
		amount                   int64
		result                   sql.RawBytes
		review                   sql.NullString
	)
	dates := map[string]string{} // a UTC hour ("2006-01-02T15") → its business date: one zone, whole-hour offset
	for rows.Next() {
		if err := rows.Scan(&id, &status, &amount, &terminal, &result, &at, &review); err != nil {
			return nil, err
		}
		t, err := ParseStoreTime(at)
		if err != nil {
			return nil, err
		}
		p := reconcile.Payment{ID: id, TerminalID: terminal, Amount: amount, PaidAt: t, InReview: status == "needs_review"}
		hour := at[:13]
		d, ok := dates[hour]
		if !ok {
			d = ledger.BusinessDate(t)
			dates[hour] = d
		}
		p.Date = d
		if result != nil {
			terminalResult(result, &p)
		}
		if p.InReview && p.TraceNo == 0 && review.Valid {
			// A payment in review has no stored result: its trace and
			// approval code come from the terminal's answer kept as
			// evidence, so that the acquirer's line can be offered.
			reviewFacts(&p, review.String)
		}
		ps = append(ps, keyed{at, p})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(ps, func(a, b keyed) int {
		if c := strings.Compare(a.at, b.at); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	})
	out := make([]reconcile.Payment, len(ps))
	for i := range ps {
		out[i] = ps[i].p
	}
	return out, nil
}

// ReconcilePaymentByID returns a card payment no active match holds.
func (tx *Tx) ReconcilePaymentByID(ctx context.Context, id string) (reconcile.Payment, bool, error) {
	ps, err := tx.reconcilePayments(ctx, `id = ?`, id)
	if err != nil || len(ps) == 0 {
		return reconcile.Payment{}, false, err
	}
	return ps[0], true, nil
}

// terminalResult fills the payment's terminal facts from its stored
// terminal result (JSON, payments.TerminalResult, masked PAN only).
func terminalResult(b []byte, p *reconcile.Payment) {
	var res struct {
		TraceNo      string `json:"trace_no"`
		ApprovalCode string `json:"approval_code"`
		PANMasked    string `json:"pan_masked"`
		TerminalID   string `json:"terminal_id"`
		ReceiptNo    string `json:"receipt_no"`
		CardType     string `json:"card_type"`
		RRN          string `json:"rrn"`
	}
	set := func(k, v []byte) {
		switch string(k) {
		case "trace_no":
			res.TraceNo = string(v)
		case "approval_code":
			res.ApprovalCode = string(v)
		case "pan_masked":
			res.PANMasked = string(v)
		case "terminal_id":
			res.TerminalID = string(v)
		case "receipt_no":
			res.ReceiptNo = string(v)
		case "card_type":
			res.CardType = string(v)
		case "rrn":
			res.RRN = string(v)
		}
	}
	if !flatJSON(b, set) {
		res.TraceNo, res.ApprovalCode, res.PANMasked, res.TerminalID, res.ReceiptNo, res.CardType, res.RRN = "", "", "", "", "", "", ""
		if json.Unmarshal(b, &res) != nil {
			return
		}
	}
	p.TraceNo, _ = strconv.ParseInt(res.TraceNo, 10, 64)
	p.ReceiptNo, _ = strconv.ParseInt(res.ReceiptNo, 10, 64)
	p.ApprovalCode, p.PANMasked, p.Brand, p.RRN = res.ApprovalCode, res.PANMasked, res.CardType, res.RRN
	if res.TerminalID != "" {
		p.TerminalID = res.TerminalID
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
