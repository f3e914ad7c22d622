package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/receipts"
)

// Issue times in series order (issue 13, item 5). A receipt's number says
// it came after the one before it; its printed time must not say the
// opposite. A clock set back (by hand, a bad NTP answer, a dead RTC battery)
// would print an earlier time on a later number: the receipt is refused at
// issue instead, with what to do, and `receipts verify` lists any pair
// already stored (issued before this check existed, or by another writer).

const sqlLastIssuedAt = `SELECT issued_at FROM receipts WHERE template = ? AND letters = ? AND year = ? AND number = ?`

// checkIssueTime refuses, inside the issuing transaction, a time of issue
// earlier than that of the last receipt of the series (year and number of
// its counter head). A missing last receipt is verify's business, not this.
func (tx *Tx) checkIssueTime(ctx context.Context, letters string, year int, number int64, issuedAt time.Time) error {
	s, err := tx.stmt(ctx, sqlLastIssuedAt)
	if err != nil {
		return err
	}
	var last string
	err = s.GetContext(ctx, &last, receipts.Template, letters, year, number)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read the time of the last receipt of series %s: %w", letters, err)
	}
	lastAt, err := time.Parse(time.RFC3339Nano, last)
	if err != nil || !issuedAt.Before(lastAt) {
		return nil // an unreadable stored time is verify's to report
	}
	ref := receipts.Ref{Template: receipts.Template, Series: receipts.SeriesSymbol(year, letters), Number: number}
	return receipts.Conflictf("receipt not issued: the clock says %s, earlier than the time of %s, the last receipt of its series (%s): "+
		"the machine's clock was set back; check the server's date, time and time zone (and its time synchronisation), then issue again",
		issuedAt.In(receipts.Zone).Format("02/01/2006 15:04:05"), ref, lastAt.In(receipts.Zone).Format("02/01/2006 15:04:05"))
}

// issueTimePairs lists, in chain order, each receipt timed earlier than the
// receipt before it in its series (template and letters, across years).
func issueTimePairs(ctx context.Context, q querier) ([]receipts.TimeOrderPair, error) {
	var rows []struct {
		Template string `db:"template"`
		Letters  string `db:"letters"`
		Series   string `db:"series"`
		Number   int64  `db:"number"`
		IssuedAt string `db:"issued_at"`
	}
	if err := q.SelectContext(ctx, &rows, `SELECT template, letters, series, number, issued_at FROM receipts
		ORDER BY template, letters, year, number`); err != nil {
		return nil, fmt.Errorf("verify receipts: read times of issue: %w", err)
	}
	var out []receipts.TimeOrderPair
	var prevAt time.Time
	for i, r := range rows {
		at, err := time.Parse(time.RFC3339Nano, r.IssuedAt)
		if err != nil {
			continue // the chain walk reports a time that does not parse
		}
		p := i - 1
		if p >= 0 && rows[p].Template == r.Template && rows[p].Letters == r.Letters && at.Before(prevAt) {
			out = append(out, receipts.TimeOrderPair{
				Earlier:   receipts.Ref{Template: rows[p].Template, Series: rows[p].Series, Number: rows[p].Number},
				Later:     receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number},
				EarlierAt: rows[p].IssuedAt, LaterAt: r.IssuedAt,
			})
		}
		prevAt = at
	}
	return out, nil
}
