package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// The cashier's queue (the web page /cashier): the payment requests
// waiting to be paid, newest first, found by dossier code or payer name.
// Both queries walk the index payment_requests_by_status (status, id) of
// the pending requests only, so their cost follows the length of the
// queue, not of the history (10,000s of paid requests are never read).

// CashierQueueFilter selects the pending requests of the queue.
type CashierQueueFilter struct {
	// Search: a part of the dossier code or of the payer's name ("":
	// every pending request). Matched case-insensitively for ASCII
	// letters (SQLite's LIKE), as typed for the other letters.
	Search string
	After  string // the id the previous page ended with
	Limit  int
}

// CashierQueue lists pending requests, newest first.
func (db *DB) CashierQueue(ctx context.Context, f CashierQueueFilter) ([]PaymentRequestRow, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	like := ""
	if s := strings.TrimSpace(f.Search); s != "" {
		like = "%" + escapeLike(s) + "%"
	}
	var ids []string
	err := db.db.SelectContext(ctx, &ids, `SELECT id FROM payment_requests
		WHERE status = 'pending' AND (? = '' OR id < ?)
		AND (? = '' OR dossier_code LIKE ? ESCAPE '\' OR json_extract(payer, '$.name') LIKE ? ESCAPE '\')
		ORDER BY id DESC LIMIT ?`, f.After, f.After, like, like, like, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list the cashier's queue: %w", err)
	}
	out := make([]PaymentRequestRow, 0, len(ids))
	for _, id := range ids {
		r, err := paymentRequest(ctx, db.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// OpenCash is the cash a cashier took since their last shift close: how
// many paid cash payments and their sum (the shift close's "expected",
// as payments.Service.CloseShift computes it).
func (db *DB) OpenCash(ctx context.Context, cashierID string) (count int, total int64, err error) {
	var row struct {
		N   int   `db:"n"`
		Sum int64 `db:"total"`
	}
	err = db.db.GetContext(ctx, &row, `SELECT count(*) AS n, coalesce(sum(amount), 0) AS total FROM payments
		WHERE method = 'cash' AND shift_id IS NULL AND cashier_id = ? AND status = 'paid'`, cashierID)
	if err != nil {
		return 0, 0, fmt.Errorf("sum the open cash of %s: %w", cashierID, err)
	}
	return row.N, row.Sum, nil
}
