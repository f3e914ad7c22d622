package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/feepos/feepos/receipts"
)

// sqlSignedOfDay reads the receipts issued in one business date with their
// signed XML (NULL when unsigned), in series and number order, optionally
// of one organisation. The bounds are compared as sqlDailySummary explains.
const sqlSignedOfDay = `SELECT r.template, r.series, r.number, r.org_code, r.org_tax_code, s.xml
	FROM receipts r LEFT JOIN receipt_signatures s ON s.receipt_id = r.id
	WHERE r.issued_at >= ? AND r.issued_at < ? AND (? = '' OR r.org_code = ?)
	ORDER BY r.template, r.series, r.number`

// SignedReceiptsOfDay is every receipt issued on the business date (YYYY-
// MM-DD, Asia/Ho_Chi_Minh) with its signed XML, of one organisation or of
// all when orgCode is "". An unknown organisation is not found.
func (db *DB) SignedReceiptsOfDay(ctx context.Context, date, orgCode string) ([]receipts.SignedReceipt, error) {
	date, orgCode = strings.TrimSpace(date), strings.TrimSpace(orgCode)
	from, to, err := receipts.DayBounds(date)
	if err != nil {
		return nil, err
	}
	if orgCode != "" {
		if _, err := db.Series(ctx, orgCode); err != nil {
			return nil, err
		}
	}
	var rows []struct {
		Template string         `db:"template"`
		Series   string         `db:"series"`
		Number   int64          `db:"number"`
		OrgCode  string         `db:"org_code"`
		TaxCode  string         `db:"org_tax_code"`
		XML      sql.NullString `db:"xml"`
	}
	if err := db.db.SelectContext(ctx, &rows, sqlSignedOfDay, from.UTC().Format(dayBound), to.UTC().Format(dayBound), orgCode, orgCode); err != nil {
		return nil, fmt.Errorf("receipts of %s: %w", date, err)
	}
	out := make([]receipts.SignedReceipt, len(rows))
	for i, r := range rows {
		out[i] = receipts.SignedReceipt{Ref: receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number},
			OrgCode: r.OrgCode, TaxCode: r.TaxCode}
		if r.XML.Valid {
			out[i].XML = []byte(r.XML.String)
		}
	}
	return out, nil
}

// ClosureXML is the signed closure of a business date; not found when the
// date is not closed.
func (db *DB) ClosureXML(ctx context.Context, date string) ([]byte, error) {
	date = strings.TrimSpace(date)
	if _, _, err := receipts.DayBounds(date); err != nil {
		return nil, err
	}
	var doc string
	err := db.db.GetContext(ctx, &doc, `SELECT xml FROM receipt_closures WHERE business_date = ?`, date)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, receipts.NotFoundf("business date %s is not closed: close it with feepos receipts close --date %s once it is over", date, date)
	case err != nil:
		return nil, fmt.Errorf("read closure of %s: %w", date, err)
	}
	return []byte(doc), nil
}
