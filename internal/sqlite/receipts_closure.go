package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// Signed daily closures (docs/RECEIPTS.md, "Daily closure"): per business
// date and series, the receipts issued, their total and the chain head at
// the end of the day, signed once the day is over. VerifyReceiptSignatures
// (receipt_signatures.go) recomputes them with computeClosure.

// CloseDay signs and stores the closure of a business date (YYYY-MM-DD in
// Asia/Ho_Chi_Minh) that is over: per series, the receipts issued that day,
// their total, and the chain head at the end of the day. A date is closed
// once, and only from the day the first series was created on: a closure
// is kept for good, and one of a day when feepos issued nothing (1900-01-01)
// would say so for ever.
func (db *DB) CloseDay(ctx context.Context, date string, s receipts.Signer) (receipts.Closure, []byte, error) {
	var (
		c   receipts.Closure
		doc []byte
	)
	err := db.WithTx(ctx, func(tx *Tx) error {
		var err error
		c, doc, err = tx.CloseDay(ctx, date, s)
		return err
	})
	if err != nil {
		return receipts.Closure{}, nil, err
	}
	return c, doc, nil
}

// CloseDay closes a business date inside tx.
func (tx *Tx) CloseDay(ctx context.Context, date string, s receipts.Signer) (receipts.Closure, []byte, error) {
	if s == nil {
		return receipts.Closure{}, nil, errors.New("close day: no signer (configure [receipts] in the config file, or use --demo)")
	}
	_, end, err := receipts.DayBounds(date)
	if err != nil {
		return receipts.Closure{}, nil, err
	}
	if tx.Now.Before(end) {
		return receipts.Closure{}, nil, receipts.Invalidf("business date %s is not over yet (it ends at 00:00 on %s in Vietnam): close it after that",
			date, end.Format("02/01/2006"))
	}
	first, err := firstReceiptDay(ctx, tx)
	if err != nil {
		return receipts.Closure{}, nil, err
	}
	if first == "" {
		return receipts.Closure{}, nil, receipts.Invalidf("business date %s: no receipt series exists yet, so there is nothing to close: a closure signs the receipts of a day that had a series", date)
	}
	if date < first {
		lastOver := tx.Now.In(receipts.Zone).AddDate(0, 0, -1).Format(ledger.DateLayout)
		if first > lastOver {
			return receipts.Closure{}, nil, receipts.Invalidf("business date %s is before %s, the first day with a receipt series: there is nothing to close on it; %s can be closed once it is over",
				date, first, first)
		}
		return receipts.Closure{}, nil, receipts.Invalidf("business date %s is before %s, the first day with a receipt series: there is nothing to close on it; close a date from %s to %s",
			date, first, first, lastOver)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM receipt_closures WHERE business_date = ?`, date); err != nil {
		return receipts.Closure{}, nil, fmt.Errorf("read closures: %w", err)
	}
	if n > 0 {
		return receipts.Closure{}, nil, receipts.Conflictf("business date %s is already closed: a closure is signed once", date)
	}
	c, err := computeClosure(ctx, tx, date, tx.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return receipts.Closure{}, nil, err
	}
	unsigned, err := receipts.ClosureXML(c)
	if err != nil {
		return receipts.Closure{}, nil, err
	}
	signed, err := s.SignXML(unsigned)
	if err != nil {
		return receipts.Closure{}, nil, fmt.Errorf("closure of %s: %w", date, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_closures (business_date, closed_at, receipts, total, cert_fingerprint, xml)
		VALUES (?, ?, ?, ?, ?, ?)`, date, c.ClosedAt, c.Count, c.Total, receipts.CertFingerprint(s.Certificate()), string(signed)); err != nil {
		return receipts.Closure{}, nil, fmt.Errorf("store closure of %s: %w", date, err)
	}
	return c, signed, nil
}

// firstReceiptDay is the first business date on which a receipt could have
// been issued: the day the first series was created, or the first
// receipt's day if a clock set back made it earlier. Empty when there is
// no series. A closure before it would sign, for good, a day that had
// nothing to close.
func firstReceiptDay(ctx context.Context, q querier) (string, error) {
	var times []string
	// created_at and issued_at are UTC RFC 3339 with a variable fraction:
	// as text "…:00.5Z" sorts before "…:00Z", but both are in one second,
	// so MIN finds the right day. The first receipt by id is the first
	// issued.
	if err := q.SelectContext(ctx, &times, `SELECT t FROM (
			SELECT MIN(created_at) AS t FROM receipt_series
			UNION ALL
			SELECT issued_at FROM (SELECT issued_at FROM receipts ORDER BY id LIMIT 1)
		) WHERE t IS NOT NULL`); err != nil {
		return "", fmt.Errorf("read the first receipt series: %w", err)
	}
	first := ""
	for _, s := range times {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", fmt.Errorf("first receipt series: time %q is not RFC 3339", s)
		}
		if d := t.In(receipts.Zone).Format(ledger.DateLayout); first == "" || d < first {
			first = d
		}
	}
	return first, nil
}

// computeClosure sums the receipts issued on date and finds each series'
// head at the end of it, from the receipts as stored.
func computeClosure(ctx context.Context, q querier, date, closedAt string) (receipts.Closure, error) {
	start, end, err := receipts.DayBounds(date)
	if err != nil {
		return receipts.Closure{}, err
	}
	var rows []struct {
		Template string `db:"template"`
		Letters  string `db:"letters"`
		Series   string `db:"series"`
		Number   int64  `db:"number"`
		IssuedAt string `db:"issued_at"`
		Total    int64  `db:"total"`
		Hash     string `db:"hash"`
		OrgCode  string `db:"org_code"`
		TaxCode  string `db:"org_tax_code"`
	}
	// issued_at is UTC RFC 3339 with a variable fraction, so the string
	// bound is one second late (a superset) and the times are compared
	// parsed.
	bound := end.Add(time.Second).UTC().Format(time.RFC3339)
	if err := q.SelectContext(ctx, &rows, `SELECT template, letters, series, number, issued_at, total, hash, org_code, org_tax_code
		FROM receipts WHERE issued_at < ? ORDER BY template, letters, year, number`, bound); err != nil {
		return receipts.Closure{}, fmt.Errorf("closure of %s: read receipts: %w", date, err)
	}
	c := receipts.Closure{BusinessDate: date, ClosedAt: closedAt}
	var cur *receipts.ClosureSeries
	for _, r := range rows {
		t, err := time.Parse(time.RFC3339Nano, r.IssuedAt)
		if err != nil {
			return receipts.Closure{}, fmt.Errorf("closure of %s: receipt %s-%08d: time of issue %q is not RFC 3339", date, r.Series, r.Number, r.IssuedAt)
		}
		if !t.Before(end) {
			continue
		}
		if cur == nil || cur.Template != r.Template || cur.Letters != r.Letters {
			c.Series = append(c.Series, receipts.ClosureSeries{Template: r.Template, Letters: r.Letters})
			cur = &c.Series[len(c.Series)-1]
		}
		cur.OrgCode, cur.TaxCode = r.OrgCode, r.TaxCode
		cur.HeadSeries, cur.HeadNumber, cur.Head = r.Series, r.Number, r.Hash
		if !t.Before(start) {
			if cur.Count == 0 {
				cur.FirstNumber = r.Number
			}
			cur.Count++
			cur.Total += r.Total
			cur.LastNumber = r.Number
			c.Count++
			c.Total += r.Total
		}
	}
	return c, nil
}
