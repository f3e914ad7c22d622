package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/feepos/feepos/receipts"
)

// VerifyReceipts walks every series' chain (template and letters, then year
// and number) and reports the first receipt that does not hold: a missing
// number (a deleted receipt), content that no longer matches its hash, a
// broken link (an earlier receipt changed, or receipts reordered), a changed
// number, series, time or id, a broken rule; then a replacement that points
// nowhere or twice at one original (a bad status), and counters that
// disagree with the receipts (a deleted last receipt). All reads share one
// snapshot while the service keeps issuing.
func (db *DB) VerifyReceipts(ctx context.Context) (receipts.VerifyReport, error) {
	conn, err := db.db.Connx(ctx)
	if err != nil {
		return receipts.VerifyReport{}, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return receipts.VerifyReport{}, fmt.Errorf("verify receipts: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	rep := receipts.VerifyReport{OK: true}
	fail := func(ref receipts.Ref, format string, args ...any) (receipts.VerifyReport, error) {
		rep.OK, rep.Bad = false, ref.String()
		rep.Problem = "receipt " + ref.String() + fmt.Sprintf(format, args...)
		return rep, nil
	}

	// Which letters each organisation's series has: a receipt's letters
	// must be its organisation's.
	var series []seriesRow
	if err := conn.SelectContext(ctx, &series, `SELECT org_code, org_name, tax_code, address, letters FROM receipt_series`); err != nil {
		return rep, fmt.Errorf("verify receipts: read series: %w", err)
	}
	lettersOf := map[string]string{}
	for _, s := range series {
		lettersOf[s.OrgCode] = s.Letters
	}

	rows, err := conn.QueryxContext(ctx, `SELECT `+receiptColumns+`,
			l.line_no AS line_no, l.name AS line_name, l.kind AS line_kind, l.fee_code AS line_fee_code, l.amount AS line_amount
		FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id
		ORDER BY r.template, r.letters, r.year, r.number, r.id, l.line_no`)
	if err != nil {
		return rep, fmt.Errorf("verify receipts: %w", err)
	}
	defer rows.Close()

	type yearKey struct {
		template, letters string
		year              int
	}
	type yearEnd struct {
		number int64
		hash   string
	}
	ends := map[yearKey]yearEnd{}

	var (
		cur      *receipts.Receipt
		curRow   receiptRow
		lineNo   int64
		chain    *receipts.ChainHead
		prevHash string
		prevID   int64
		want     int64 // the number the next receipt of the year must have
		year     int
	)
	// finish checks the receipt read so far, once all its lines are in.
	finish := func() string {
		if cur == nil {
			return ""
		}
		if p := cur.CheckSeal(prevHash); p != "" {
			return p
		}
		y, letters, err := receipts.ParseSeries(curRow.Series)
		if err != nil || y != curRow.Year || letters != curRow.Letters {
			return fmt.Sprintf("series symbol %s does not match its stored year %d and letters %s", curRow.Series, curRow.Year, curRow.Letters)
		}
		if l, ok := lettersOf[cur.OrgCode]; !ok || l != curRow.Letters {
			return fmt.Sprintf("organisation %s's series has letters %q, not %s", cur.OrgCode, l, curRow.Letters)
		}
		t, _ := cur.IssuedTime() // CheckSeal validated it
		if receipts.YearOf(t) != curRow.Year {
			return fmt.Sprintf("issued on %s but numbered in the series of %d", t.Format("02/01/2006 15:04:05"), curRow.Year)
		}
		if cur.ID <= prevID {
			return fmt.Sprintf("was stored (id %d) before the receipt numbered before it (id %d): the receipts were reordered", cur.ID, prevID)
		}
		rep.Receipts++
		chain.Receipts++
		chain.Series, chain.Number, chain.Head = cur.Series, cur.Number, cur.Hash
		ends[yearKey{cur.Template, curRow.Letters, curRow.Year}] = yearEnd{cur.Number, cur.Hash}
		prevHash, prevID = cur.Hash, cur.ID
		return ""
	}

	for rows.Next() {
		var r struct {
			receiptRow
			LineNo      sql.NullInt64  `db:"line_no"`
			LineName    sql.NullString `db:"line_name"`
			LineKind    sql.NullString `db:"line_kind"`
			LineFeeCode sql.NullString `db:"line_fee_code"`
			LineAmount  sql.NullInt64  `db:"line_amount"`
		}
		if err := rows.StructScan(&r); err != nil {
			return rep, fmt.Errorf("verify receipts: read row: %w", err)
		}
		if cur == nil || cur.ID != r.ID {
			if p := finish(); p != "" {
				return fail(cur.Ref, ": %s", p)
			}
			ref := receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number}
			if chain == nil || chain.Template != r.Template || chain.Letters != r.Letters {
				rep.Chains = append(rep.Chains, receipts.ChainHead{Template: r.Template, Letters: r.Letters})
				chain = &rep.Chains[len(rep.Chains)-1]
				prevHash, prevID, year, want = receipts.GenesisHash, 0, 0, 1
			}
			if r.Year != year {
				year, want = r.Year, 1 // a new year restarts the numbering
			}
			switch {
			case r.Number > want:
				missing := receipts.Ref{Template: r.Template, Series: r.Series, Number: want}
				return fail(missing, " is missing (numbers jump from %d to %d): a receipt was deleted", want-1, r.Number)
			case r.Number < want:
				return fail(ref, " appears twice: a number is given once")
			}
			want++
			e := r.receipt()
			cur, curRow, lineNo = &e, r.receiptRow, 0
		}
		if !r.LineNo.Valid {
			continue // no lines: Validate reports it
		}
		lineNo++
		if r.LineNo.Int64 != lineNo {
			return fail(cur.Ref, ": line %d is missing: a line was deleted", lineNo)
		}
		cur.Lines = append(cur.Lines, receipts.Line{Name: r.LineName.String, Kind: receipts.FeeKind(r.LineKind.String),
			FeeCode: r.LineFeeCode.String, Amount: r.LineAmount.Int64})
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify receipts: %w", err)
	}
	rows.Close()
	if p := finish(); p != "" {
		return fail(cur.Ref, ": %s", p)
	}

	// Status: every replacement points at an earlier receipt of its own
	// series, and no receipt is replaced twice.
	var links []struct {
		ID          int64          `db:"id"`
		Template    string         `db:"template"`
		Series      string         `db:"series"`
		Number      int64          `db:"number"`
		Letters     string         `db:"letters"`
		RTemplate   string         `db:"replaces_template"`
		RSeries     string         `db:"replaces_series"`
		RNumber     int64          `db:"replaces_number"`
		OrigID      sql.NullInt64  `db:"orig_id"`
		OrigLetters sql.NullString `db:"orig_letters"`
	}
	if err := conn.SelectContext(ctx, &links, `SELECT r.id, r.template, r.series, r.number, r.letters,
			r.replaces_template, r.replaces_series, r.replaces_number, o.id AS orig_id, o.letters AS orig_letters
		FROM receipts r LEFT JOIN receipts o
			ON o.template = r.replaces_template AND o.series = r.replaces_series AND o.number = r.replaces_number
		WHERE r.replaces_number IS NOT NULL ORDER BY r.id`); err != nil {
		return rep, fmt.Errorf("verify receipts: read replacements: %w", err)
	}
	replacedBy := map[receipts.Ref]receipts.Ref{}
	for _, l := range links {
		ref := receipts.Ref{Template: l.Template, Series: l.Series, Number: l.Number}
		orig := receipts.Ref{Template: l.RTemplate, Series: l.RSeries, Number: l.RNumber}
		switch {
		case !l.OrigID.Valid:
			return fail(ref, ": bad status: it replaces %s, which does not exist", orig)
		case l.OrigLetters.String != l.Letters:
			return fail(ref, ": bad status: it replaces %s of another organisation's series", orig)
		case l.OrigID.Int64 >= l.ID:
			return fail(ref, ": bad status: it replaces %s, which was issued after it", orig)
		}
		if first, dup := replacedBy[orig]; dup {
			return fail(ref, ": bad status: it replaces %s, which %s already replaces (a receipt is replaced once)", orig, first)
		}
		replacedBy[orig] = ref
	}

	// Counters: each year's counter holds the last receipt's number and
	// hash. A deleted last receipt shows here and nowhere else.
	var counters []struct {
		Template string `db:"template"`
		Letters  string `db:"letters"`
		Year     int    `db:"year"`
		Number   int64  `db:"last_number"`
		Hash     string `db:"last_hash"`
	}
	if err := conn.SelectContext(ctx, &counters, `SELECT template, letters, year, last_number, last_hash FROM receipt_counters
		ORDER BY template, letters, year`); err != nil {
		return rep, fmt.Errorf("verify receipts: read counters: %w", err)
	}
	for _, c := range counters {
		k := yearKey{c.Template, c.Letters, c.Year}
		end, ok := ends[k]
		symbol := receipts.SeriesSymbol(c.Year, c.Letters)
		switch {
		case !ok || end.number < c.Number:
			missing := receipts.Ref{Template: c.Template, Series: symbol, Number: end.number + 1}
			return fail(missing, " is missing: series %s gave numbers up to %d but the last stored is %d (the last receipts were deleted)",
				symbol, c.Number, end.number)
		case end.number > c.Number:
			extra := receipts.Ref{Template: c.Template, Series: symbol, Number: c.Number + 1}
			return fail(extra, ": was never given by the series counter (it stopped at %d): the receipt was added behind feepos's back", c.Number)
		case end.hash != c.Hash:
			last := receipts.Ref{Template: c.Template, Series: symbol, Number: end.number}
			return fail(last, ": its hash differs from the one recorded when it was issued: the receipt or an earlier one was rewritten")
		}
		delete(ends, k)
	}
	for k, end := range ends {
		ref := receipts.Ref{Template: k.template, Series: receipts.SeriesSymbol(k.year, k.letters), Number: end.number}
		return fail(ref, ": its series has no counter for %d: the counter was deleted", k.year)
	}
	return rep, nil
}
