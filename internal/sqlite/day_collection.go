package sqlite

import (
	"context"
	"fmt"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// The accountant's day at a glance (the web page /accountant): what the
// counters collected on one business date, by method, organisation,
// agency and procedure. Read-only; the day is [00:00, 24:00) in
// Asia/Ho_Chi_Minh on payments.paid_at (stored as attempt times, which
// sort as text). A payment counts when it is paid now: one reversed or
// voided took no money; one refunded on a later day was collected that
// day but is not counted here (the ledger's journal shows both).

// CollectedRow is one group of the day's collection.
type CollectedRow struct {
	Key    string `db:"key" json:"key"`
	Name   string `db:"name" json:"name"`
	Count  int    `db:"n" json:"count"`       // payments (a payment of several organisations counts in each)
	Amount int64  `db:"amount" json:"amount"` // whole đồng
}

// DayCollection is one business date's collection.
type DayCollection struct {
	Date        string         `json:"date"`
	Count       int            `json:"count"`
	Amount      int64          `json:"amount"`
	ByMethod    []CollectedRow `json:"by_method"`
	ByOrg       []CollectedRow `json:"by_org"`
	ByAgency    []CollectedRow `json:"by_agency"`
	ByProcedure []CollectedRow `json:"by_procedure"`
	// NeedsReview counts the payments waiting for a person, whatever
	// their date.
	NeedsReview int `json:"needs_review"`
}

// sqlDayPayments selects the day's paid payments (bounds: lo, hi).
const sqlDayPayments = `SELECT id, request_id, method, amount FROM payments
	WHERE status = 'paid' AND paid_at >= ? AND paid_at < ?`

// DayCollection reads the collection of date (YYYY-MM-DD).
func (db *DB) DayCollection(ctx context.Context, date string) (DayCollection, error) {
	day, err := ledger.ParseDate(date)
	if err != nil {
		return DayCollection{}, err
	}
	lo, hi := StoreTime(day), StoreTime(day.AddDate(0, 0, 1))
	out := DayCollection{Date: date}
	q := db.db
	if err := q.SelectContext(ctx, &out.ByMethod, `SELECT method AS key, method AS name, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS amount
		FROM (`+sqlDayPayments+`) GROUP BY method ORDER BY amount DESC, key`, lo, hi); err != nil {
		return out, fmt.Errorf("read the collection of %s by method: %w", date, err)
	}
	for _, r := range out.ByMethod {
		out.Count += r.Count
		out.Amount += r.Amount
	}
	items := `WITH p AS (` + sqlDayPayments + `)
		SELECT %s AS key, %s AS name, COUNT(DISTINCT p.id) AS n, COALESCE(SUM(i.amount), 0) AS amount
		FROM p JOIN payment_request_items i ON i.request_id = p.request_id
		LEFT JOIN fees f ON f.code = i.fee_code
		LEFT JOIN procedures pr ON pr.code = f.procedure_code
		LEFT JOIN receipt_series so ON so.org_code = i.org_code
		LEFT JOIN receipt_series sa ON sa.org_code = i.agency_code
		GROUP BY 1 ORDER BY amount DESC, key`
	for _, g := range []struct {
		dst       *[]CollectedRow
		key, name string
		what      string
	}{
		{&out.ByOrg, "i.org_code", "COALESCE(MAX(so.org_name), i.org_code)", "organisation"},
		{&out.ByAgency, "i.agency_code", "COALESCE(MAX(sa.org_name), i.agency_code)", "agency"},
		{&out.ByProcedure, "COALESCE(f.procedure_code, '')", "COALESCE(MAX(pr.name), '')", "procedure"},
	} {
		if err := q.SelectContext(ctx, g.dst, fmt.Sprintf(items, g.key, g.name), lo, hi); err != nil {
			return out, fmt.Errorf("read the collection of %s by %s: %w", date, g.what, err)
		}
	}
	if err := q.GetContext(ctx, &out.NeedsReview, `SELECT COUNT(*) FROM payments WHERE status = 'needs_review'`); err != nil {
		return out, fmt.Errorf("count the payments in review: %w", err)
	}
	return out, nil
}

// JournalPage reads up to limit entries of date with an id above after,
// in id order, with their lines, and how many entries the date has.
func (db *DB) JournalPage(ctx context.Context, date string, after int64, limit int) ([]ledger.Entry, int, error) {
	if _, err := ledger.ParseDate(date); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.GetContext(ctx, &total, `SELECT COUNT(*) FROM ledger_entries WHERE entry_date = ?`, date); err != nil {
		return nil, 0, fmt.Errorf("count the entries of %s: %w", date, err)
	}
	es, err := loadEntries(ctx, db.db, `e.id IN (SELECT id FROM ledger_entries WHERE entry_date = ? AND id > ? ORDER BY id LIMIT ?)`, date, after, limit)
	return es, total, err
}

// CountPaymentsInReview counts the payments waiting for a person
// (needs_review), by the partial index payments_processing.
func (db *DB) CountPaymentsInReview(ctx context.Context) (int, error) {
	var n int
	if err := db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM payments WHERE status = 'needs_review'`); err != nil {
		return 0, fmt.Errorf("count the payments in review: %w", err)
	}
	return n, nil
}

// SeriesList lists the organisations' receipt series, by code.
func (db *DB) SeriesList(ctx context.Context) ([]receipts.Series, error) {
	var rows []seriesRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT org_code, org_name, tax_code, address, letters FROM receipt_series ORDER BY org_code`); err != nil {
		return nil, fmt.Errorf("list the receipt series: %w", err)
	}
	out := make([]receipts.Series, len(rows))
	for i, r := range rows {
		out[i] = receipts.Series(r)
	}
	return out, nil
}
