package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/terminals"
)

// Reads of the administrator's web pages (docs/WEB.md "Admin"): bounded,
// indexed queries, so the pages stay fast on a year's data.

// RecentAttempts is terminal's newest attempts (at most limit, newest
// first) with their history and evidence, the wire tap kept with each
// among it (index terminal_attempts_by_terminal).
func (db *DB) RecentAttempts(ctx context.Context, terminal string, limit int) ([]terminals.AttemptRecord, error) {
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	var rows []attemptRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+attemptColumns+` FROM terminal_attempts a
		WHERE a.terminal = ? ORDER BY a.started_at DESC, a.id DESC LIMIT ?`, terminal, limit); err != nil {
		return nil, fmt.Errorf("read the recent attempts of terminal %s: %w", terminal, err)
	}
	out := make([]terminals.AttemptRecord, 0, len(rows))
	for _, r := range rows {
		rec, err := db.attemptRecord(ctx, db.db, r)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// FeeQuery is one page of the fee catalogue: fees whose code, name,
// procedure, organisation or agency contains Search (any case), by code.
type FeeQuery struct {
	Search string
	Offset int
	Limit  int // default and at most 200
}

// FeesPage is one page of the catalogue (inactive fees too) and how many
// fees match in all.
func (db *DB) FeesPage(ctx context.Context, q FeeQuery) (fees []catalogue.Fee, total int, err error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 200
	}
	where, args := "", []any{}
	if s := strings.TrimSpace(q.Search); s != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
		where = ` WHERE code LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR procedure_code LIKE ? ESCAPE '\'
			OR org_code LIKE ? ESCAPE '\' OR agency_code LIKE ? ESCAPE '\'`
		args = append(args, like, like, like, like, like)
	}
	if err := db.db.GetContext(ctx, &total, `SELECT COUNT(*) FROM fees`+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count the fees: %w", err)
	}
	var rows []feeRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+feeColumns+` FROM fees`+where+` ORDER BY code LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("read the fees: %w", err)
	}
	for _, r := range rows {
		fees = append(fees, r.fee())
	}
	return fees, total, nil
}

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
