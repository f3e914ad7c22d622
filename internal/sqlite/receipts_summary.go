package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/feepos/feepos/receipts"
)

// sqlDailySummary reads every fee line of the receipts one organisation
// issued in one business date, in number order, with what the summary needs
// of the relations: the date of the receipt a row replaces (the adjustment
// period) and the receipt replacing it if that was issued before the end of
// the day (its status at the end of the day).
//
// The day is [00:00, 24:00) in Asia/Ho_Chi_Minh, compared on issued_at as
// stored (UTC RFC 3339, always ending in "Z", fraction only when non-zero).
// The bounds are written WITHOUT the "Z" and without a fraction:
// "2026-06-30T17:00:00" sorts before "2026-06-30T17:00:00Z" and
// "2026-06-30T17:00:00.5Z" and after every earlier second, so the text
// comparison is the time comparison ("…00.5Z" < "…00Z" as text, which is
// why a bound ending in "Z" would be wrong).
//
// The plan: receipts_org_issued (org_code, issued_at), migration 0004,
// reads only the day's receipts (receipts_chain would scan the series' whole
// year: ~160 ms for a day late in a year of 300,000 receipts, against a few
// ms); receipt_lines by its primary key; the original by UNIQUE (template,
// series, number); the replacement by receipts_replaces. The day's rows are
// then sorted by number (one series per organisation and year).
const sqlDailySummary = `SELECT r.id, r.template, r.series, r.number, r.issued_at,
		r.org_code, r.org_name, r.org_tax_code, r.org_address, r.dossier_code,
		r.replaces_template, r.replaces_series, r.replaces_number, o.issued_at,
		x.template, x.series, x.number,
		l.name, l.kind, l.fee_code, l.amount
	FROM receipts r
	JOIN receipt_lines l ON l.receipt_id = r.id
	LEFT JOIN receipts o ON o.template = r.replaces_template AND o.series = r.replaces_series AND o.number = r.replaces_number
	LEFT JOIN receipts x ON x.replaces_template = r.template AND x.replaces_series = r.series
		AND x.replaces_number = r.number AND x.issued_at < ?
	WHERE r.org_code = ? AND r.issued_at >= ? AND r.issued_at < ? AND r.id > ?
	ORDER BY r.template, r.series, r.number, l.line_no`

// dayBound is a time bound compared with issued_at text: see sqlDailySummary.
const dayBound = "2006-01-02T15:04:05"

// DailySummary builds the 01/TH-BLĐT summary of one organisation for one
// business date (YYYY-MM-DD, Asia/Ho_Chi_Minh): every receipt issued from
// 00:00 to 24:00 Vietnam time, one row per fee line, in series and number
// order, with each receipt's status at the end of that day. All reads share
// one snapshot while the service keeps issuing. A day without receipts gives
// a summary without rows; an organisation without a series is not found.
func (db *DB) DailySummary(ctx context.Context, orgCode, date string) (receipts.DailySummary, error) {
	s, _, err := db.DailySummaryAfter(ctx, orgCode, date, 0)
	return s, err
}

// DailySummaryAfter is DailySummary of the receipts whose row id is above
// afterID only: an amendment lists the receipts issued after the filing
// before it (ThroughReceiptID). through is the newest row id it lists,
// afterID when it lists none.
func (db *DB) DailySummaryAfter(ctx context.Context, orgCode, date string, afterID int64) (_ receipts.DailySummary, through int64, _ error) {
	through = afterID
	s, err := db.dailySummary(ctx, orgCode, date, afterID, &through)
	return s, through, err
}

func (db *DB) dailySummary(ctx context.Context, orgCode, date string, afterID int64, through *int64) (receipts.DailySummary, error) {
	orgCode = strings.TrimSpace(orgCode)
	date = strings.TrimSpace(date)
	from, to, err := receipts.ParseSummaryDate(date)
	if err != nil {
		return receipts.DailySummary{}, err
	}

	conn, err := db.db.Connx(ctx)
	if err != nil {
		return receipts.DailySummary{}, fmt.Errorf("daily summary: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return receipts.DailySummary{}, fmt.Errorf("daily summary: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	var sr seriesRow
	err = conn.GetContext(ctx, &sr, sqlSeriesByOrg, orgCode)
	series, err := seriesResult(sr, err, orgCode)
	if err != nil {
		return receipts.DailySummary{}, err
	}

	fromS, toS := from.UTC().Format(dayBound), to.UTC().Format(dayBound)
	rows, err := conn.QueryContext(ctx, sqlDailySummary, toS, orgCode, fromS, toS, afterID)
	if err != nil {
		return receipts.DailySummary{}, fmt.Errorf("daily summary of %s on %s: %w", orgCode, date, err)
	}
	defer rows.Close()

	var (
		out  []receipts.SummaryReceipt
		cur  *receipts.SummaryReceipt
		line struct {
			name, kind, feeCode string
			amount              int64
		}
		ref                  receipts.Ref
		issuedAt             string
		org                  receipts.Organisation
		dossier              string
		rpTemplate, rpSeries sql.NullString
		rpNumber             sql.NullInt64
		origIssued           sql.NullString
		rbTemplate, rbSeries sql.NullString
		rbNumber             sql.NullInt64
	)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &ref.Template, &ref.Series, &ref.Number, &issuedAt,
			&org.Code, &org.Name, &org.TaxCode, &org.Address, &dossier,
			&rpTemplate, &rpSeries, &rpNumber, &origIssued,
			&rbTemplate, &rbSeries, &rbNumber,
			&line.name, &line.kind, &line.feeCode, &line.amount); err != nil {
			return receipts.DailySummary{}, fmt.Errorf("daily summary of %s on %s: %w", orgCode, date, err)
		}
		if id > *through {
			*through = id
		}
		if cur == nil || cur.Receipt.Ref != ref {
			out = append(out, receipts.SummaryReceipt{})
			cur = &out[len(out)-1]
			r := &cur.Receipt
			r.Ref, r.IssuedAt, r.Org, r.OrgCode, r.DossierCode = ref, issuedAt, org, org.Code, dossier
			r.Currency, r.Status = receipts.Currency, receipts.Valid
			if rpNumber.Valid {
				r.Replaces = &receipts.Ref{Template: rpTemplate.String, Series: rpSeries.String, Number: rpNumber.Int64}
				if origIssued.Valid {
					if t, err := (receipts.Receipt{IssuedAt: origIssued.String}).IssuedTime(); err == nil {
						cur.ReplacesDate = receipts.SummaryDate(t)
					}
				}
			}
			if rbNumber.Valid {
				r.Status = receipts.Replaced
				r.ReplacedBy = &receipts.Ref{Template: rbTemplate.String, Series: rbSeries.String, Number: rbNumber.Int64}
			}
		}
		cur.Receipt.Lines = append(cur.Receipt.Lines, receipts.Line{Name: line.name, Kind: receipts.FeeKind(line.kind), FeeCode: line.feeCode, Amount: line.amount})
	}
	if err := rows.Err(); err != nil {
		return receipts.DailySummary{}, fmt.Errorf("daily summary of %s on %s: %w", orgCode, date, err)
	}
	return receipts.NewDailySummary(date, series.Organisation(), out)
}
