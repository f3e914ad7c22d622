package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// Runs, matches and postings of the day's close (migration 0014).

// ErrPaymentMatched is a payment that an active match already holds
// (the unique index reconcile_one_match_per_payment refused it).
type ErrPaymentMatched struct{ PaymentID string }

func (e *ErrPaymentMatched) Error() string {
	return fmt.Sprintf("payment %s already belongs to a match: unmatch that one first (feepos reconcile resolve … --unmatch)", e.PaymentID)
}

// ErrorCode marks it as a conflict.
func (e *ErrPaymentMatched) ErrorCode() string { return "conflict" }

// InsertReconcileRun stores a run's report and returns its id. The
// report is stored without its matches ("matches": null): they are the
// run's reconcile_matches rows (InsertMatches), read back by
// LatestReconcileRun, so a million-match day is not written twice.
func (tx *Tx) InsertReconcileRun(ctx context.Context, date, actor string, report reconcile.Report) (int64, error) {
	report.Matches = nil
	b, err := json.Marshal(report)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO reconcile_runs (date, run_at, actor, report) VALUES (?, ?, ?, ?)`,
		date, tx.Now.UTC().Format(time.RFC3339Nano), actor, string(b))
	if err != nil {
		return 0, fmt.Errorf("store the run of %s: %w", date, err)
	}
	return res.LastInsertId()
}

// ReconcileRun is a stored run.
type ReconcileRun struct {
	ID     int64            `json:"id"`
	Date   string           `json:"date"`
	RunAt  time.Time        `json:"run_at"`
	Actor  string           `json:"actor"`
	Report reconcile.Report `json:"report"`
}

// LatestReconcileRun returns the last committed run of date.
func (db *DB) LatestReconcileRun(ctx context.Context, date string) (ReconcileRun, bool, error) {
	var r struct {
		ID     int64  `db:"id"`
		Date   string `db:"date"`
		RunAt  string `db:"run_at"`
		Actor  string `db:"actor"`
		Report string `db:"report"`
	}
	err := db.db.GetContext(ctx, &r, `SELECT id, date, run_at, actor, report FROM reconcile_runs WHERE date = ? ORDER BY id DESC LIMIT 1`, date)
	if errors.Is(err, sql.ErrNoRows) {
		return ReconcileRun{}, false, nil
	}
	if err != nil {
		return ReconcileRun{}, false, fmt.Errorf("read the run of %s: %w", date, err)
	}
	out := ReconcileRun{ID: r.ID, Date: r.Date, Actor: r.Actor}
	out.RunAt, _ = time.Parse(time.RFC3339Nano, r.RunAt)
	if err := json.Unmarshal([]byte(r.Report), &out.Report); err != nil {
		return ReconcileRun{}, false, fmt.Errorf("run %d: report: %w", r.ID, err)
	}
	if out.Report.Matches == nil { // stored without them: the run's rows
		if out.Report.Matches, err = db.runMatches(ctx, r.ID, r.Date); err != nil {
			return ReconcileRun{}, false, err
		}
	}
	return out, true, nil
}

// runMatches reads the matches run runID made, released or not, in the
// order the engine made them (their ids), as the report held them.
func (db *DB) runMatches(ctx context.Context, runID int64, date string) ([]reconcile.Match, error) {
	var n int
	if err := db.db.GetContext(ctx, &n, `SELECT count(*) FROM reconcile_matches WHERE date = ? AND run_id = ?`, date, runID); err != nil {
		return nil, fmt.Errorf("read the matches of run %d: %w", runID, err)
	}
	out := make([]reconcile.Match, 0, n)
	rows, err := db.db.QueryContext(ctx, `SELECT rule, amount, fee, net, lag_days, offer, payment_ids, settlement_ids, bank_ids, explanation
		FROM reconcile_matches WHERE date = ? AND run_id = ? ORDER BY id`, date, runID)
	if err != nil {
		return nil, fmt.Errorf("read the matches of run %d: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m reconcile.Match
		var pay, set, bank string
		if err := rows.Scan(&m.Rule, &m.Amount, &m.Fee, &m.Net, &m.LagDays, &m.Offer, &pay, &set, &bank, &m.Explanation); err != nil {
			return nil, fmt.Errorf("read the matches of run %d: %w", runID, err)
		}
		for _, f := range []struct {
			js  string
			dst *[]string
		}{{pay, &m.PaymentIDs}, {set, &m.Settlement}, {bank, &m.Bank}} {
			if *f.dst, err = parseStrings(f.js); err != nil {
				return nil, fmt.Errorf("run %d: a match's ids %q: %w", runID, f.js, err)
			}
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the matches of run %d: %w", runID, err)
	}
	return out, nil
}

// parseStrings reads a JSON array of strings as InsertMatches wrote it;
// empty is nil, as the report's omitempty fields decode. Arrays of plain
// strings (no escapes: ids are) are split without encoding/json.
func parseStrings(js string) ([]string, error) {
	if js == "[]" {
		return nil, nil
	}
	if len(js) >= 4 && strings.HasPrefix(js, `["`) && strings.HasSuffix(js, `"]`) && !strings.Contains(js, `\`) {
		// Without a backslash no string holds a quote: "," only separates.
		return strings.Split(js[2:len(js)-2], `","`), nil
	}
	var out []string
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// ReleaseRunMatches releases the matches the engine made for date (not a
// person's), so a re-run of the day matches afresh.
func (tx *Tx) ReleaseRunMatches(ctx context.Context, date string) error {
	now := tx.Now.UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `UPDATE reconcile_match_payments SET released_at = ?
		WHERE released_at IS NULL AND match_id IN (SELECT id FROM reconcile_matches WHERE date = ? AND run_id IS NOT NULL AND released_at IS NULL)`,
		now, date); err != nil {
		return fmt.Errorf("release the matches of %s: %w", date, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reconcile_matches SET released_at = ? WHERE date = ? AND run_id IS NOT NULL AND released_at IS NULL`,
		now, date); err != nil {
		return fmt.Errorf("release the matches of %s: %w", date, err)
	}
	return nil
}

// InsertMatch stores a match (runID 0: a person's) and the payments it
// holds; an offer holds none. A payment held by another active match is
// refused by the database (ErrPaymentMatched).
func (tx *Tx) InsertMatch(ctx context.Context, runID int64, date string, m reconcile.Match) (int64, error) {
	js := func(v []string) string {
		if v == nil {
			v = []string{}
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var run any
	if runID != 0 {
		run = runID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO reconcile_matches
		(run_id, date, rule, amount, fee, net, lag_days, offer, payment_ids, settlement_ids, bank_ids, explanation, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, run, date, m.Rule, m.Amount, m.Fee, m.Net, m.LagDays, m.Offer,
		js(m.PaymentIDs), js(m.Settlement), js(m.Bank), m.Explanation, tx.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0, fmt.Errorf("store a match (%s): %w", m.Rule, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if m.Offer {
		return id, nil
	}
	for _, p := range m.PaymentIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_match_payments (match_id, payment_id) VALUES (?, ?)`, id, p); err != nil {
			tx.halfDone(err)
			if strings.Contains(err.Error(), "UNIQUE") {
				return 0, &ErrPaymentMatched{PaymentID: p}
			}
			return 0, fmt.Errorf("store payment %s of match %d: %w", p, id, err)
		}
	}
	return id, nil
}

// ReleaseMatch releases one match and its payments.
func (tx *Tx) ReleaseMatch(ctx context.Context, id int64) error {
	now := tx.Now.UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `UPDATE reconcile_match_payments SET released_at = ? WHERE match_id = ? AND released_at IS NULL`, now, id); err != nil {
		return fmt.Errorf("release match %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reconcile_matches SET released_at = ? WHERE id = ? AND released_at IS NULL`, now, id); err != nil {
		return fmt.Errorf("release match %d: %w", id, err)
	}
	return nil
}

// StoredMatch is a match as stored.
type StoredMatch struct {
	ID    int64  `json:"id"`
	RunID int64  `json:"run_id,omitempty"`
	Date  string `json:"date"`
	reconcile.Match
	Released bool `json:"released,omitempty"`
}

type matchRow struct {
	ID          int64         `db:"id"`
	RunID       sql.NullInt64 `db:"run_id"`
	Date        string        `db:"date"`
	Rule        string        `db:"rule"`
	Amount      int64         `db:"amount"`
	Fee         int64         `db:"fee"`
	Net         int64         `db:"net"`
	LagDays     int           `db:"lag_days"`
	Offer       bool          `db:"offer"`
	PaymentIDs  string        `db:"payment_ids"`
	Settlement  string        `db:"settlement_ids"`
	Bank        string        `db:"bank_ids"`
	Explanation string        `db:"explanation"`
	Released    sql.NullString
}

// ActiveOffers lists the offers (payments in review the acquirer shows
// settled) of unreleased runs that hold paymentID.
func (tx *Tx) ActiveOffers(ctx context.Context, paymentID string) ([]StoredMatch, error) {
	var rows []matchRow
	err := tx.SelectContext(ctx, &rows, `SELECT id, run_id, date, rule, amount, fee, net, lag_days, offer, payment_ids, settlement_ids, bank_ids, explanation
		FROM reconcile_matches m WHERE offer = 1 AND released_at IS NULL
		  AND EXISTS (SELECT 1 FROM json_each(m.payment_ids) WHERE value = ?) ORDER BY id`, paymentID)
	if err != nil {
		return nil, fmt.Errorf("read the offers of payment %s: %w", paymentID, err)
	}
	out := make([]StoredMatch, 0, len(rows))
	for _, r := range rows {
		m := StoredMatch{ID: r.ID, RunID: r.RunID.Int64, Date: r.Date, Match: reconcile.Match{Rule: r.Rule, Amount: r.Amount, Fee: r.Fee,
			Net: r.Net, LagDays: r.LagDays, Offer: r.Offer, Explanation: r.Explanation}}
		_ = json.Unmarshal([]byte(r.PaymentIDs), &m.PaymentIDs)
		_ = json.Unmarshal([]byte(r.Settlement), &m.Settlement)
		_ = json.Unmarshal([]byte(r.Bank), &m.Bank)
		out = append(out, m)
	}
	return out, nil
}

// ActiveMatchOf returns the id of the active match holding paymentID (0:
// none).
func (tx *Tx) ActiveMatchOf(ctx context.Context, paymentID string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT match_id FROM reconcile_match_payments WHERE payment_id = ? AND released_at IS NULL`, paymentID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// SettlementLineMatched reports whether an active match holds the
// settlement line id.
func (tx *Tx) SettlementLineMatched(ctx context.Context, id string) (bool, error) {
	var n int
	err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM reconcile_matches m WHERE released_at IS NULL AND offer = 0
		AND EXISTS (SELECT 1 FROM json_each(m.settlement_ids) WHERE value = ?)`, id)
	return n > 0, err
}

// InsertSettlementPosting records the ledger entry of a settled batch;
// the same key again (a re-run) is ignored.
func (tx *Tx) InsertSettlementPosting(ctx context.Context, runID int64, date string, entryID int64, p reconcile.Posting) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO reconcile_postings (key, run_id, date, entry_id, terminal_id, batch_no, gross, fee, net)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`, p.Key, runID, date, entryID, p.TerminalID, p.BatchNo, p.Gross, p.Fee, p.Net)
	if err != nil {
		return fmt.Errorf("record the posting %s: %w", p.Key, err)
	}
	return nil
}

// PostingExists reports whether the settlement posting key was made.
func (tx *Tx) PostingExists(ctx context.Context, key string) (bool, error) {
	var n int
	err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM reconcile_postings WHERE key = ?`, key)
	return n > 0, err
}

// ActiveMatchedIDs returns the settlement lines and bank entries active
// matches hold (offers hold nothing).
func (tx *Tx) ActiveMatchedIDs(ctx context.Context) (lines, bank map[string]bool, err error) {
	lines, bank = map[string]bool{}, map[string]bool{}
	var ls, bs []string
	if err := tx.SelectContext(ctx, &ls, `SELECT DISTINCT j.value FROM reconcile_matches m, json_each(m.settlement_ids) j
		WHERE m.released_at IS NULL AND m.offer = 0`); err != nil {
		return nil, nil, fmt.Errorf("read the matched settlement lines: %w", err)
	}
	if err := tx.SelectContext(ctx, &bs, `SELECT DISTINCT j.value FROM reconcile_matches m, json_each(m.bank_ids) j
		WHERE m.released_at IS NULL AND m.offer = 0`); err != nil {
		return nil, nil, fmt.Errorf("read the matched bank entries: %w", err)
	}
	for _, l := range ls {
		lines[l] = true
	}
	for _, b := range bs {
		bank[b] = true
	}
	return lines, bank, nil
}

// TerminalTotalSources lists the imports that hold terminal totals of date.
func (tx *Tx) TerminalTotalSources(ctx context.Context, date string) ([]string, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, `SELECT DISTINCT t.source FROM reconcile_terminal_totals t JOIN reconcile_files f ON f.id = t.source
		WHERE t.date = ? ORDER BY f.imported_at`, date)
	return ids, err
}
