package sqlite

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The cashier's queue (the web page /cashier): the payment requests
// waiting to be paid, newest first, found by dossier code or payer name.
// Both queries walk the index payment_requests_by_status (status, id) of
// the pending requests only, so their cost follows the length of the
// queue, not of the history (10,000s of paid requests are never read).

// CashierQueueFilter selects the pending requests of the queue.
type CashierQueueFilter struct {
	// Search: a part of the dossier code or of the payer's name ("":
	// every pending request). Case-insensitive for ASCII letters
	// (SQLite's LIKE); for the others, as typed, in lower case, with
	// capital initials or in capitals (searchPatterns). Diacritics count:
	// "binh" does not find "Bình".
	Search string
	After  string // the id the previous page ended with
	Limit  int
}

// CashierQueue lists pending requests, newest first.
func (db *DB) CashierQueue(ctx context.Context, f CashierQueueFilter) ([]PaymentRequestRow, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := `SELECT id FROM payment_requests WHERE status = 'pending' AND (? = '' OR id < ?)`
	args := []any{f.After, f.After}
	if pats := searchPatterns(f.Search); len(pats) > 0 {
		var or []string
		for _, p := range pats {
			or = append(or, `dossier_code LIKE ? ESCAPE '\'`, `json_extract(payer, '$.name') LIKE ? ESCAPE '\'`)
			args = append(args, p, p)
		}
		q += ` AND (` + strings.Join(or, ` OR `) + `)`
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	var ids []string
	if err := db.db.SelectContext(ctx, &ids, q, args...); err != nil {
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

// searchPatterns are the LIKE patterns of a search: SQLite's LIKE folds
// only ASCII letters, so a name typed "bình" is also looked for as "Bình"
// (names are written with capitals) and "BÌNH".
func searchPatterns(search string) []string {
	s := strings.TrimSpace(search)
	if s == "" {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range []string{s, strings.ToLower(s), titleWords(s), strings.ToUpper(s)} {
		if !seen[v] {
			seen[v] = true
			out = append(out, "%"+escapeLike(v)+"%")
		}
	}
	return out
}

// titleWords capitalises each word's first letter: "lê thị" → "Lê Thị".
func titleWords(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	return strings.Join(words, " ")
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
