package sqlite

import (
	"context"
	"fmt"
)

// Every series' numbering, for the admin's receipts page (docs/WEB.md
// "Admin").

// SeriesCounter is one receipt series' numbering in one year: the
// organisation's series, its template, the last number given and how
// many receipts it holds.
type SeriesCounter struct {
	OrgCode    string `db:"org_code"`
	OrgName    string `db:"org_name"`
	TaxCode    string `db:"tax_code"`
	Letters    string `db:"letters"`
	Template   string `db:"template"` // "" for a series with no receipt yet
	Year       int    `db:"year"`
	LastNumber int64  `db:"last_number"`
	Count      int64  `db:"count"`
}

// Series is the symbol of the series in its year, e.g. "26TAA" ("" with
// no receipt yet).
func (c SeriesCounter) Series() string {
	if c.Year == 0 {
		return ""
	}
	return fmt.Sprintf("%02dT%s", c.Year%100, c.Letters)
}

// SeriesCounters lists every organisation's series with each of its
// (template, year) counters, newest year first; an organisation with no
// receipt yet has one line with no template. The counts are read from
// the index receipts_chain.
func (db *DB) SeriesCounters(ctx context.Context) ([]SeriesCounter, error) {
	var out []SeriesCounter
	if err := db.db.SelectContext(ctx, &out, `SELECT s.org_code, s.org_name, s.tax_code, s.letters,
		COALESCE(c.template, '') AS template, COALESCE(c.year, 0) AS year, COALESCE(c.last_number, 0) AS last_number,
		CASE WHEN c.template IS NULL THEN 0 ELSE
			(SELECT COUNT(*) FROM receipts r WHERE r.template = c.template AND r.letters = c.letters AND r.year = c.year) END AS count
		FROM receipt_series s LEFT JOIN receipt_counters c ON c.letters = s.letters
		ORDER BY s.org_code, c.year DESC, c.template`); err != nil {
		return nil, fmt.Errorf("read the receipt series: %w", err)
	}
	return out, nil
}
