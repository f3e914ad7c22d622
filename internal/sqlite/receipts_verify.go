package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

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
//
// Each chain's head in the report (ChainHead, with the row id) is where
// VerifyReceiptsAfter can resume.
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

	w, err := newChainWalk(ctx, conn)
	if err != nil {
		return receipts.VerifyReport{}, err
	}
	rep := &w.rep
	fail := w.fail

	rows, err := conn.QueryxContext(ctx, `SELECT `+receiptColumns+`, `+verifyLineColumns+`
		FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id
		ORDER BY r.template, r.letters, r.year, r.number, r.id, l.line_no`)
	if err != nil {
		return *rep, fmt.Errorf("verify receipts: %w", err)
	}
	defer rows.Close()
	if done, err := w.walk(rows, nil); done || err != nil {
		return *rep, err
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
		return *rep, fmt.Errorf("verify receipts: read replacements: %w", err)
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
		return *rep, fmt.Errorf("verify receipts: read counters: %w", err)
	}
	ends := w.ends
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
	rep.TimeOrder, err = issueTimePairs(ctx, conn) // receipts_timeorder.go
	return *rep, err
}

// VerifyReceiptsAfter goes on from where an earlier walk (VerifyReceipts,
// or an earlier VerifyReceiptsAfter) stopped: for each head, it checks the
// receipts of the head's chain after it, in chain order, up to and
// including upTo when upTo names a receipt of that chain (to the chain's
// end otherwise), with the same checks as the full walk: numbering with
// its restart each year, each receipt's seal against the previous hash, id
// order, series, letters and organisation. A head with no Series is the
// chain's genesis (a chain with no receipt when the walk ran).
//
// It reads only the receipts issued since the head (the receipts_chain
// index), so it answers quickly where the full walk takes seconds; what it
// does not do is what needs every receipt: replacements and counters (a
// deleted last receipt), and receipts before the head, changed after it
// was checked. The full walk, repeated, covers those.
//
// The report's Chains are the heads moved forward (in the order given);
// when a receipt fails, OK is false and Bad names it, as VerifyReceipts.
func (db *DB) VerifyReceiptsAfter(ctx context.Context, heads []receipts.ChainHead, upTo receipts.Ref) (receipts.VerifyReport, error) {
	conn, err := db.db.Connx(ctx)
	if err != nil {
		return receipts.VerifyReport{}, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return receipts.VerifyReport{}, fmt.Errorf("verify receipts after: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	w, err := newChainWalk(ctx, conn)
	if err != nil {
		return receipts.VerifyReport{}, err
	}
	upToYear, upToLetters, upToErr := receipts.ParseSeries(upTo.Series)
	for _, h := range heads {
		year := 0
		if h.Series != "" {
			y, letters, err := receipts.ParseSeries(h.Series)
			if err != nil || letters != h.Letters {
				return w.rep, fmt.Errorf("verify receipts after: head %s of chain %s %s is not a series symbol of its letters", h.Series, h.Template, h.Letters)
			}
			year = y
		}
		// Past the head, and no further than upTo in its chain.
		endYear, endNumber := 1<<30, int64(1)<<62
		if upToErr == nil && upTo.Template == h.Template && upToLetters == h.Letters {
			endYear, endNumber = upToYear, upTo.Number
		}
		rows, err := conn.QueryxContext(ctx, `SELECT `+receiptColumns+`, `+verifyLineColumns+`
			FROM receipts r LEFT JOIN receipt_lines l ON l.receipt_id = r.id
			WHERE r.template = ? AND r.letters = ? AND (r.year, r.number) > (?, ?) AND (r.year, r.number) <= (?, ?)
			ORDER BY r.template, r.letters, r.year, r.number, r.id, l.line_no`,
			h.Template, h.Letters, year, h.Number, endYear, endNumber)
		if err != nil {
			return w.rep, fmt.Errorf("verify receipts after: %w", err)
		}
		from := h
		done, err := w.walk(rows, &from)
		rows.Close()
		if done || err != nil {
			return w.rep, err
		}
		if len(w.rep.Chains) == 0 || w.rep.Chains[len(w.rep.Chains)-1].Template != h.Template ||
			w.rep.Chains[len(w.rep.Chains)-1].Letters != h.Letters {
			w.rep.Chains = append(w.rep.Chains, h) // nothing after the head
		}
	}
	return w.rep, nil
}

// verifyLineColumns are a receipt's lines as the walks read them, joined
// to the receipt (one row per line).
const verifyLineColumns = `l.line_no AS line_no, l.name AS line_name, l.kind AS line_kind, l.fee_code AS line_fee_code, l.amount AS line_amount`

type yearKey struct {
	template, letters string
	year              int
}

type yearEnd struct {
	number int64
	hash   string
}

// chainWalk checks receipts read in chain order, one row per receipt line:
// the checks the full walk and the incremental one share.
type chainWalk struct {
	rep       receipts.VerifyReport
	lettersOf map[string]string   // org code → its series' letters
	ends      map[yearKey]yearEnd // each year's last receipt, for the counters
	chain     *receipts.ChainHead // the chain being walked, in rep.Chains

	cur      *receipts.Receipt
	curRow   receiptRow
	lineNo   int64
	prevHash string
	prevID   int64
	want     int64 // the number the next receipt of the year must have
	year     int
}

// newChainWalk reads which letters each organisation's series has: a
// receipt's letters must be its organisation's.
func newChainWalk(ctx context.Context, conn *sqlx.Conn) (*chainWalk, error) {
	var series []seriesRow
	if err := conn.SelectContext(ctx, &series, `SELECT org_code, org_name, tax_code, address, letters FROM receipt_series`); err != nil {
		return nil, fmt.Errorf("verify receipts: read series: %w", err)
	}
	w := &chainWalk{rep: receipts.VerifyReport{OK: true}, lettersOf: map[string]string{}, ends: map[yearKey]yearEnd{}}
	for _, s := range series {
		w.lettersOf[s.OrgCode] = s.Letters
	}
	return w, nil
}

// fail records the first receipt that does not hold.
func (w *chainWalk) fail(ref receipts.Ref, format string, args ...any) (receipts.VerifyReport, error) {
	w.rep.OK, w.rep.Bad = false, ref.String()
	w.rep.Problem = "receipt " + ref.String() + fmt.Sprintf(format, args...)
	return w.rep, nil
}

// walk checks rows (ordered by chain, year, number, id, line). A chain
// starts at its genesis, or at from (one chain's rows, resuming after a
// head already checked). done is true when a receipt failed: w.rep says
// which.
func (w *chainWalk) walk(rows *sqlx.Rows, from *receipts.ChainHead) (done bool, err error) {
	defer rows.Close()
	w.cur = nil
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
			return false, fmt.Errorf("verify receipts: read row: %w", err)
		}
		if w.cur == nil || w.cur.ID != r.ID {
			if p := w.finish(); p != "" {
				w.fail(w.cur.Ref, ": %s", p)
				return true, nil
			}
			ref := receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number}
			if w.chain == nil || w.chain.Template != r.Template || w.chain.Letters != r.Letters {
				w.startChain(r.Template, r.Letters, from)
			}
			if r.Year != w.year {
				w.year, w.want = r.Year, 1 // a new year restarts the numbering
			}
			switch {
			case r.Number > w.want:
				missing := receipts.Ref{Template: r.Template, Series: r.Series, Number: w.want}
				w.fail(missing, " is missing (numbers jump from %d to %d): a receipt was deleted", w.want-1, r.Number)
				return true, nil
			case r.Number < w.want:
				w.fail(ref, " appears twice: a number is given once")
				return true, nil
			}
			w.want++
			e := r.receipt()
			w.cur, w.curRow, w.lineNo = &e, r.receiptRow, 0
		}
		if !r.LineNo.Valid {
			continue // no lines: Validate reports it
		}
		w.lineNo++
		if r.LineNo.Int64 != w.lineNo {
			w.fail(w.cur.Ref, ": line %d is missing: a line was deleted", w.lineNo)
			return true, nil
		}
		w.cur.Lines = append(w.cur.Lines, receipts.Line{Name: r.LineName.String, Kind: receipts.FeeKind(r.LineKind.String),
			FeeCode: r.LineFeeCode.String, Amount: r.LineAmount.Int64})
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("verify receipts: %w", err)
	}
	if p := w.finish(); p != "" {
		w.fail(w.cur.Ref, ": %s", p)
		return true, nil
	}
	w.cur = nil
	return false, nil
}

// startChain begins a chain in the report: at its genesis, or at from
// when from is that chain's head.
func (w *chainWalk) startChain(template, letters string, from *receipts.ChainHead) {
	head := receipts.ChainHead{Template: template, Letters: letters}
	w.prevHash, w.prevID, w.year, w.want = receipts.GenesisHash, 0, 0, 1
	if from != nil && from.Template == template && from.Letters == letters && from.Series != "" {
		head = *from
		head.Receipts = 0
		year, _, _ := receipts.ParseSeries(from.Series) // VerifyReceiptsAfter checked it
		w.prevHash, w.prevID, w.year, w.want = from.Head, from.ID, year, from.Number+1
	}
	w.rep.Chains = append(w.rep.Chains, head)
	w.chain = &w.rep.Chains[len(w.rep.Chains)-1]
}

// finish checks the receipt read so far, once all its lines are in, and
// moves the chain's head to it.
func (w *chainWalk) finish() string {
	cur, curRow := w.cur, w.curRow
	if cur == nil {
		return ""
	}
	if p := cur.CheckSeal(w.prevHash); p != "" {
		return p
	}
	y, letters, err := receipts.ParseSeries(curRow.Series)
	if err != nil || y != curRow.Year || letters != curRow.Letters {
		return fmt.Sprintf("series symbol %s does not match its stored year %d and letters %s", curRow.Series, curRow.Year, curRow.Letters)
	}
	if l, ok := w.lettersOf[cur.OrgCode]; !ok || l != curRow.Letters {
		return fmt.Sprintf("organisation %s's series has letters %q, not %s", cur.OrgCode, l, curRow.Letters)
	}
	t, _ := cur.IssuedTime() // CheckSeal validated it
	if receipts.YearOf(t) != curRow.Year {
		return fmt.Sprintf("issued on %s but numbered in the series of %d", t.Format("02/01/2006 15:04:05"), curRow.Year)
	}
	if cur.ID <= w.prevID {
		return fmt.Sprintf("was stored (id %d) before the receipt numbered before it (id %d): the receipts were reordered", cur.ID, w.prevID)
	}
	w.rep.Receipts++
	w.chain.Receipts++
	w.chain.Series, w.chain.Number, w.chain.Head, w.chain.ID = cur.Series, cur.Number, cur.Hash, cur.ID
	w.ends[yearKey{cur.Template, curRow.Letters, curRow.Year}] = yearEnd{cur.Number, cur.Hash}
	w.prevHash, w.prevID = cur.Hash, cur.ID
	return ""
}

// ReceiptsVersion changes when a receipt is added or removed, or the
// schema changes (editing a receipt behind feepos's back means dropping
// its immutability triggers first). The background chain walk runs again
// when it changes. An edit that leaves all three alone (the file's bytes
// changed directly) waits for the walk's maximum age.
type ReceiptsVersion struct {
	Count, MaxID, Schema int64
}

// ReceiptsVersion reads the receipts' version: cheap, unlike a walk.
func (db *DB) ReceiptsVersion(ctx context.Context) (ReceiptsVersion, error) {
	var v ReceiptsVersion
	if err := db.db.QueryRowxContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM receipts`).Scan(&v.Count, &v.MaxID); err != nil {
		return v, fmt.Errorf("read receipts version: %w", err)
	}
	if err := db.db.QueryRowxContext(ctx, `PRAGMA schema_version`).Scan(&v.Schema); err != nil {
		return v, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
