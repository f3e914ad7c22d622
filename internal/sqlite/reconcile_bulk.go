package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// Bulk writes of the day's close: a million settlement lines in one
// import, a million matches in one run. One statement per row through
// database/sql costs more than SQLite's own work (the arguments' boxing,
// a cgo call per bind and step); a multi-row INSERT prepared once and
// bound batch by batch pays that per batch. Everything stays inside the
// caller's transaction: whole or nothing.

// bulkInsert inserts rows of cols values each, rows at a time, in
// multi-row INSERTs: head is "INSERT INTO t (a, b, …) VALUES ". args is
// called with a slice to append one row's values to.
type bulkInsert struct {
	tx    *Tx
	head  string
	cols  int
	batch int // rows per statement
	full  *sql.Stmt
	args  []any
	rows  int
}

// newBulk prepares the full-batch statement (SQLite allows 32766 bound
// values; a batch stays well under).
func newBulk(ctx context.Context, tx *Tx, head string, cols, batch int) (*bulkInsert, error) {
	b := &bulkInsert{tx: tx, head: head, cols: cols, batch: batch, args: make([]any, 0, cols*batch)}
	st, err := tx.PrepareContext(ctx, b.sql(batch))
	if err != nil {
		return nil, err
	}
	b.full = st
	return b, nil
}

func (b *bulkInsert) sql(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", b.cols), ", ") + ")"
	var s strings.Builder
	s.Grow(len(b.head) + rows*(len(row)+2))
	s.WriteString(b.head)
	for i := range rows {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(row)
	}
	return s.String()
}

// add appends one row's values; a full batch is written.
func (b *bulkInsert) add(ctx context.Context, values ...any) error {
	b.args = append(b.args, values...)
	b.rows++
	if b.rows < b.batch {
		return nil
	}
	err := stepOnce(b.full.QueryContext(ctx, b.args...))
	b.args, b.rows = b.args[:0], 0
	return err
}

// stepOnce finishes an INSERT run through Query. go-sqlite3 binds a
// query's arguments and takes its first step in one cgo call (the
// values copied into one C buffer), where Exec crosses into C once per
// value: 1,152 calls for a batch of 64 lines of 18 values. An INSERT's
// first step is its whole work; its error comes back from Query.
func stepOnce(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	return rows.Close()
}

// flush writes the rows left (fewer than a batch) and closes.
func (b *bulkInsert) flush(ctx context.Context) error {
	defer b.full.Close()
	if b.rows == 0 {
		return nil
	}
	err := stepOnce(b.tx.QueryContext(ctx, b.sql(b.rows), b.args...))
	b.args, b.rows = b.args[:0], 0
	return err
}

func (b *bulkInsert) close() { b.full.Close() }

// jsonStrings is json.Marshal of a string slice ("[]" for nil), written
// by hand when no string needs escaping (the ids of a run: ASCII
// letters, digits, "|", "-"): the same bytes json.Marshal writes.
func jsonStrings(buf []byte, v []string) []byte {
	buf = append(buf, '[')
	for i, s := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		if plainJSON(s) {
			buf = append(buf, '"')
			buf = append(buf, s...)
			buf = append(buf, '"')
			continue
		}
		q, _ := json.Marshal(s)
		buf = append(buf, q...)
	}
	return append(buf, ']')
}

// plainJSON reports a string json.Marshal writes as it is, in quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// InsertMatches stores a run's matches and the payments they hold, as
// InsertMatch does one by one, in bulk: the ids follow the table's
// largest (the transaction holds the write lock: no other writer takes
// one). A payment held by another active match is refused by the
// database (ErrPaymentMatched, naming it).
func (tx *Tx) InsertMatches(ctx context.Context, runID int64, date string, ms []reconcile.Match) (err error) {
	defer func() { tx.halfDone(err) }()
	var last int64
	if err := tx.GetContext(ctx, &last, `SELECT COALESCE(MAX(id), 0) FROM reconcile_matches`); err != nil {
		return fmt.Errorf("store the matches of %s: %w", date, err)
	}
	var run any
	if runID != 0 {
		run = runID
	}
	now := tx.Now.UTC().Format(time.RFC3339Nano)
	mb, err := newBulk(ctx, tx, `INSERT INTO reconcile_matches
		(id, run_id, date, rule, amount, fee, net, lag_days, offer, payment_ids, settlement_ids, bank_ids, explanation, created_at) VALUES `, 14, 64)
	if err != nil {
		return fmt.Errorf("store the matches of %s: %w", date, err)
	}
	buf := make([]byte, 0, 256)
	js := func(v []string) string {
		buf = jsonStrings(buf[:0], v)
		return string(buf)
	}
	for i, m := range ms {
		if err := mb.add(ctx, last+1+int64(i), run, date, m.Rule, m.Amount, m.Fee, m.Net, m.LagDays, m.Offer,
			js(m.PaymentIDs), js(m.Settlement), js(m.Bank), m.Explanation, now); err != nil {
			mb.close()
			return fmt.Errorf("store the matches of %s: %w", date, err)
		}
	}
	if err := mb.flush(ctx); err != nil {
		return fmt.Errorf("store the matches of %s: %w", date, err)
	}
	// The payments, once their matches are in (the foreign key).
	pb, err := newBulk(ctx, tx, `INSERT INTO reconcile_match_payments (match_id, payment_id) VALUES `, 2, 256)
	if err != nil {
		return fmt.Errorf("store the matches' payments: %w", err)
	}
	type held struct {
		match int64
		id    string
	}
	pending := make([]held, 0, 256) // the batch not written yet, to name a refused payment
	failed := func(err error) error {
		pb.close()
		if !strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("store the matches' payments: %w", err)
		}
		// The batch undid itself: write it row by row to name the payment.
		for _, h := range pending {
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_match_payments (match_id, payment_id) VALUES (?, ?)`, h.match, h.id); err != nil {
				if strings.Contains(err.Error(), "UNIQUE") {
					return &ErrPaymentMatched{PaymentID: h.id}
				}
				return fmt.Errorf("store payment %s of match %d: %w", h.id, h.match, err)
			}
		}
		return fmt.Errorf("store the matches' payments: %w", err)
	}
	for i, m := range ms {
		if m.Offer {
			continue
		}
		id := last + 1 + int64(i)
		for _, p := range m.PaymentIDs {
			if len(pending) == pb.batch {
				pending = pending[:0]
			}
			pending = append(pending, held{id, p})
			if err := pb.add(ctx, id, p); err != nil {
				return failed(err)
			}
		}
	}
	if pb.rows == 0 {
		pending = pending[:0]
	} else {
		pending = pending[len(pending)-pb.rows:]
	}
	if err := pb.flush(ctx); err != nil {
		return failed(err)
	}
	return nil
}
