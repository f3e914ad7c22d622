package endofday_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
	"github.com/feepos/feepos/reconcile/importers"
)

func TestImportWholeOrNothingAndSameFileIsANoOp(t *testing.T) {
	r := newRig(t)
	good := csvOf(line{"2026-03-02", "1", 101, 150_000, ""}, line{"2026-03-02", "1", 102, 2_500_000, ""})
	res := r.importCSV("ngay-02.csv", good)
	assert.False(t, res.Already)
	assert.Equal(t, 2, res.File.Rows)
	assert.Equal(t, []string{"2026-03-02"}, res.Dates)

	again := r.importCSV("copy-of-ngay-02.csv", good)
	assert.True(t, again.Already, "the same bytes again are a no-op")
	assert.Equal(t, "ngay-02.csv", again.File.Name, "the earlier import is named")
	assert.Contains(t, again.AlreadyText(), "already imported on")
	assert.Equal(t, 1, r.count("reconcile_files"))
	assert.Equal(t, 2, r.count("reconcile_settlement_lines"))

	// Two bad rows among good ones: nothing of the file is written, and
	// both bad rows are listed.
	bad := strings.Replace(string(csvOf(line{"2026-03-03", "2", 201, 10_000, ""}, line{"2026-03-03", "2", 202, 20_000, ""}, line{"2026-03-03", "2", 203, 30_000, ""})),
		",20000,", ",20.5x,", 1)
	bad = strings.Replace(bad, "2026-03-03,T0000001,MID1,2,203", "2026-13-45,T0000001,MID1,2,203", 1)
	_, err := r.c.Import(r.ctx, accountant, endofday.File{Name: "bad.csv", Data: []byte(bad), Format: "csv"})
	var fe *importers.FileError
	require.ErrorAs(t, err, &fe)
	assert.GreaterOrEqual(t, len(fe.Rows), 2, fe.Error())
	assert.Equal(t, 1, r.count("reconcile_files"))
	assert.Equal(t, 2, r.count("reconcile_settlement_lines"))

	// The audit log has the one import.
	log, err := r.db.AuditLog(r.ctx, sqlite.AuditFilter{Action: "reconcile.import"})
	require.NoError(t, err)
	assert.Len(t, log, 1)
}

func TestAPaymentBelongsToOneMatch(t *testing.T) {
	r := newRig(t)
	p := r.card(101, 150_000)
	err := r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.InsertMatch(r.ctx, 0, "2026-03-02", reconcile.Match{Rule: "manual", PaymentIDs: []string{p.ID}, Amount: 150_000}); err != nil {
			return err
		}
		_, err := tx.InsertMatch(r.ctx, 0, "2026-03-02", reconcile.Match{Rule: "manual", PaymentIDs: []string{p.ID}, Amount: 150_000})
		return err
	})
	var pm *sqlite.ErrPaymentMatched
	require.ErrorAs(t, err, &pm)
	assert.Equal(t, p.ID, pm.PaymentID)
	assert.Equal(t, 0, r.count("reconcile_matches"), "the transaction stored nothing")

	// The database itself refuses it, whatever the code above does.
	require.NoError(t, r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		_, err := tx.InsertMatch(r.ctx, 0, "2026-03-02", reconcile.Match{Rule: "manual", PaymentIDs: []string{p.ID}, Amount: 150_000})
		return err
	}))
	_, err = r.db.SQL().ExecContext(r.ctx, `INSERT INTO reconcile_matches (date, rule, amount, created_at) VALUES ('2026-03-02', 'x', 1, 'now')`)
	require.NoError(t, err)
	_, err = r.db.SQL().ExecContext(r.ctx, `INSERT INTO reconcile_match_payments (match_id, payment_id) VALUES (2, ?)`, p.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UNIQUE")
	// Once released, the payment may be matched again.
	_, err = r.db.SQL().ExecContext(r.ctx, `UPDATE reconcile_match_payments SET released_at = 'now' WHERE match_id = 1`)
	require.NoError(t, err)
	_, err = r.db.SQL().ExecContext(r.ctx, `INSERT INTO reconcile_match_payments (match_id, payment_id) VALUES (2, ?)`, p.ID)
	require.NoError(t, err)
	// A released link never comes back.
	_, err = r.db.SQL().ExecContext(r.ctx, `UPDATE reconcile_match_payments SET released_at = NULL WHERE match_id = 1`)
	require.Error(t, err)
}

func TestRerunningADayPostsNothingTwice(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	r.card(101, 150_000)
	r.card(102, 2_500_000)
	r.importCSV("s.csv", csvOf(line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 102, 2_500_000, ""}))
	r.at(vn("2026-03-03", "08:00"))

	dry, err := r.c.Run(r.ctx, accountant, "2026-03-02", true)
	require.NoError(t, err)
	assert.True(t, dry.DryRun)
	assert.Len(t, dry.Postings, 1)
	assert.Equal(t, 0, r.count("reconcile_runs"), "a dry run stores nothing")
	assert.Equal(t, 0, r.count("reconcile_postings"))

	first, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	require.Len(t, first.Postings, 1)
	assert.True(t, first.Postings[0].Created)
	assert.Equal(t, int64(2_650_000), first.Postings[0].Gross)
	assert.Equal(t, 2, first.Report.Summary.MatchedCount)
	assert.Empty(t, first.Report.Exceptions)
	entries := r.count("ledger_entries")

	second, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	require.Len(t, second.Postings, 1)
	assert.False(t, second.Postings[0].Created, "the re-run finds the posting made")
	assert.Equal(t, first.Postings[0].EntryID, second.Postings[0].EntryID)
	assert.Equal(t, entries, r.count("ledger_entries"), "nothing posted twice")
	assert.Equal(t, 2, second.Report.Summary.MatchedCount, "the re-run matches afresh")
	assert.Equal(t, 2, r.count("reconcile_match_payments WHERE released_at IS NULL"))

	// Card clearing is settled to zero; the bank got the net, the
	// charges the fee.
	tb, err := r.db.TrialBalance(r.ctx, "")
	require.NoError(t, err)
	assert.True(t, tb.Balanced())
	bal := map[string]int64{}
	for _, a := range tb.Rows {
		bal[a.Account] = a.Balance
	}
	assert.Equal(t, int64(0), bal["113"])
	assert.Equal(t, int64(2_650_000-29_150), bal["112"])
	assert.Equal(t, int64(29_150), bal["614"])

	// The report of the day is the last run's.
	run, ok, err := r.db.LatestReconcileRun(r.ctx, "2026-03-02")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, second.RunID, run.ID)
	require.Len(t, run.Report.Sources, 1)
	assert.Equal(t, "s.csv", run.Report.Sources[0].File)
}

// The stored report holds no matches (they are the run's rows): the
// report read back is the run's, matches included, in the engine's order;
// a report stored whole (before) is read as it was.
func TestTheReportReadBackIsTheRunsWithItsMatchesFromTheRows(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	r.card(101, 150_000)
	r.card(102, 2_500_000)
	r.card(103, 70_000)
	r.importCSV("s.csv", csvOf(line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 102, 2_500_000, ""},
		line{"2026-03-02", "7", 103, 71_000, ""}, line{"2026-03-02", "7", 104, 9_000, ""}))
	r.at(vn("2026-03-03", "08:00"))

	_, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	second, err := r.c.Run(r.ctx, accountant, "2026-03-02", false) // the first run's matches released
	require.NoError(t, err)
	require.NotEmpty(t, second.Report.Matches)
	require.NotEmpty(t, second.Report.Exceptions)

	var stored string
	require.NoError(t, r.db.SQL().GetContext(r.ctx, &stored, "SELECT report FROM reconcile_runs WHERE id = ?", second.RunID))
	assert.Contains(t, stored, `"matches":null`, "the matches are rows, not stored twice")

	rep, err := r.c.Report(r.ctx, "2026-03-02")
	require.NoError(t, err)
	assert.Equal(t, second.Report, rep)
	want, _ := json.Marshal(second.Report)
	got, _ := json.Marshal(rep)
	assert.JSONEq(t, string(want), string(got))

	// A report stored whole before keeps its matches.
	old := `{"date":"2026-03-05","sources":[],"summary":{"ledger_count":0,"ledger_amount":0,"settlement_count":0,"settlement_amount":0,"matched_count":0,"matched_amount":0,"fee_amount":0,"net_amount":0,"exception_count":0},` +
		`"matches":[{"rule":"terminal_trace_date","payment_ids":["P1"],"amount":5}],"exceptions":[]}`
	_, err = r.db.SQL().ExecContext(r.ctx, `INSERT INTO reconcile_runs (date, run_at, actor, report) VALUES ('2026-03-05', '2026-03-06T01:00:00Z', 'x', ?)`, old)
	require.NoError(t, err)
	rep, err = r.c.Report(r.ctx, "2026-03-05")
	require.NoError(t, err)
	assert.Equal(t, []reconcile.Match{{Rule: "terminal_trace_date", PaymentIDs: []string{"P1"}, Amount: 5}}, rep.Matches)
}

func TestExceptionsCarryOverAndResolveIsAuditedAndReversible(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	p1 := r.card(101, 150_000)
	// The acquirer shows a line the ledger does not have (trace 999).
	r.importCSV("d2.csv", csvOf(line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 999, 80_000, ""}))
	r.at(vn("2026-03-03", "08:00"))
	day1, err := r.c.Run(r.ctx, accountant, "2026-03-02", false)
	require.NoError(t, err)
	require.Len(t, day1.Report.Exceptions, 1, "%+v", day1.Report.Exceptions)
	assert.Equal(t, reconcile.MissingInLedger, day1.Report.Exceptions[0].Kind)
	exID := day1.ExceptionIDs[0]
	_ = p1

	// Day two: nothing new; the exception is carried over with its age.
	r.at(vn("2026-03-03", "09:00"))
	p2 := r.card(301, 40_000)
	r.importCSV("d3.csv", csvOf(line{"2026-03-03", "8", 301, 40_000, ""}))
	r.at(vn("2026-03-04", "08:00"))
	day2, err := r.c.Run(r.ctx, accountant, "2026-03-03", false)
	require.NoError(t, err)
	require.Len(t, day2.Report.Exceptions, 1, "%+v", day2.Report.Exceptions)
	c := day2.Report.Exceptions[0]
	assert.Equal(t, reconcile.CarriedOver, c.Kind)
	assert.Equal(t, "2026-03-02", c.Since)
	assert.Equal(t, 1, c.AgeDays)
	assert.Equal(t, exID, day2.ExceptionIDs[0], "the same exception, not a new one")
	open, err := r.c.Exceptions(r.ctx, true)
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, "2026-03-02", open[0].FirstSeen)
	assert.Equal(t, "2026-03-03", open[0].LastSeen)

	// A write-off closes it; an unmatch opens it again: both audited.
	_, err = r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionWriteOff})
	require.Error(t, err, "a reason is required")
	e, err := r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionWriteOff, Reason: "ngân hàng xác nhận giao dịch thử"})
	require.NoError(t, err)
	assert.False(t, e.Open)
	_, err = r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionWriteOff, Reason: "again"})
	require.Error(t, err, "resolved already")
	e, err = r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionUnmatch, Reason: "nhầm, chưa có xác nhận"})
	require.NoError(t, err)
	assert.True(t, e.Open)
	require.Len(t, e.History, 2)
	assert.Equal(t, e.History[0].ID, e.History[1].Undoes)

	// A manual match holds the payment: the same payment in a second
	// match is refused by the database.
	e, err = r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionMatch, PaymentID: p1.ID, Reason: "trùng với giao dịch 101"})
	require.Error(t, err, "p1 is held by the engine's match")
	var pm *sqlite.ErrPaymentMatched
	assert.True(t, errors.As(err, &pm), err)
	_ = p2

	log, err := r.db.AuditLog(r.ctx, sqlite.AuditFilter{Action: "reconcile.resolve"})
	require.NoError(t, err)
	require.Len(t, log, 2)
	assert.Equal(t, "nhầm, chưa có xác nhận", log[0].Reason)
	assert.Equal(t, "ngân hàng xác nhận giao dịch thử", log[1].Reason)
	assert.Equal(t, accountant.ID, log[0].Actor.ID)

	// Written off for good: day three no longer carries it.
	_, err = r.c.Resolve(r.ctx, accountant, exID, endofday.ResolveInput{Action: endofday.ActionWriteOff, Reason: "ngân hàng xác nhận"})
	require.NoError(t, err)
	r.at(vn("2026-03-05", "08:00"))
	day3, err := r.c.Run(r.ctx, accountant, "2026-03-04", false)
	require.NoError(t, err)
	assert.Empty(t, day3.Report.Exceptions)
}
