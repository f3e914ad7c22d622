package endofday_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
)

// A run after an import in the same command takes the file's lines from
// memory when they are all the day's lines: the engine must see exactly
// the day a run reading the store sees (same lines, order, currency,
// times), and give the same report. When the store holds other lines of
// the day (another file), the run reads the store.
func TestARunAfterItsImportSeesTheDayTheStoreHolds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		earlier []byte // another file of the day, imported before
	}{
		{name: "the only file of the day"},
		{name: "a second file of the day", earlier: csvOf(line{"2026-03-02", "8", 104, 90_000, ""}, line{"2026-03-02", "7", 101, 150_000, ""})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			var days []reconcile.Day
			c := endofday.New(r.db, endofday.Options{Engine: func(d reconcile.Day) reconcile.Result {
				days = append(days, d)
				return reconcile.Run(d)
			}})
			r.at(vn("2026-03-02", "09:00"))
			r.card(101, 150_000)
			r.card(102, 2_500_000)
			r.card(103, 75_000)
			r.card(104, 90_000)
			r.at(vn("2026-03-03", "08:00"))
			if tc.earlier != nil {
				r.importCSV("earlier.csv", tc.earlier)
			}
			// Lines of two dates, out of trace order, an amount off, a
			// line the ledger lacks, and a payment the file lacks.
			data := csvOf(line{"2026-03-02", "7", 102, 2_500_000, ""}, line{"2026-03-03", "9", 301, 40_000, ""},
				line{"2026-03-02", "7", 101, 150_000, ""}, line{"2026-03-02", "7", 103, 76_000, ""}, line{"2026-03-02", "7", 999, 10_000, ""})
			imp, err := c.Import(r.ctx, accountant, endofday.File{Name: "s.csv", Data: data, Format: "csv"})
			require.NoError(t, err)

			fromMemory, err := c.RunAfterImport(r.ctx, accountant, "2026-03-02", true, []*endofday.ImportResult{&imp})
			require.NoError(t, err)
			fromStore, err := c.Run(r.ctx, accountant, "2026-03-02", true)
			require.NoError(t, err)

			require.Len(t, days, 2)
			assert.Equal(t, days[1].Settlement, days[0].Settlement, "the same lines, in the same order, with the same values")
			assert.Equal(t, days[1].Payments, days[0].Payments)
			want := 4
			if tc.earlier != nil {
				want = 5 // 101 is in both files: counted once
			}
			assert.Len(t, days[0].Settlement, want)
			a, err := json.Marshal(fromMemory)
			require.NoError(t, err)
			b, err := json.Marshal(fromStore)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(a))
			assert.GreaterOrEqual(t, fromStore.Report.Summary.MatchedCount, 2)
			assert.NotEmpty(t, fromStore.Report.Exceptions)

			// The lines were handed over: a second run reads the store.
			again, err := c.RunAfterImport(r.ctx, accountant, "2026-03-02", false, []*endofday.ImportResult{&imp})
			require.NoError(t, err)
			assert.Equal(t, fromStore.Report.Summary, again.Report.Summary)
		})
	}
}

// A run's matches are stored in bulk (batches of 256 payments, then the
// rest): a payment another active match holds is refused by the unique
// index in either, named, and nothing of the transaction stays.
func TestBulkMatchesRefuseAPaymentHeldElsewhere(t *testing.T) {
	r := newRig(t)
	r.at(vn("2026-03-02", "09:00"))
	var ids []string
	for i := range 260 {
		ids = append(ids, r.card(1000+i, 10_000).ID)
	}
	for _, held := range []string{ids[100], ids[258]} { // in a full batch; in the last, short one
		t.Run(held, func(t *testing.T) {
			err := r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
				if _, err := tx.InsertMatch(r.ctx, 0, "2026-03-02", reconcile.Match{Rule: "manual", PaymentIDs: []string{held}, Amount: 10_000}); err != nil {
					return err
				}
				ms := make([]reconcile.Match, len(ids))
				for i, id := range ids {
					ms[i] = reconcile.Match{Rule: "terminal_trace_date", PaymentIDs: []string{id}, Settlement: []string{"L" + id}, Amount: 10_000}
				}
				return tx.InsertMatches(r.ctx, 0, "2026-03-02", ms)
			})
			var pm *sqlite.ErrPaymentMatched
			require.ErrorAs(t, err, &pm)
			assert.Equal(t, held, pm.PaymentID)
			assert.Equal(t, 0, r.count("reconcile_matches"))
			assert.Equal(t, 0, r.count("reconcile_match_payments"))
		})
	}
	// Without the conflict, all of them are stored.
	require.NoError(t, r.db.WithTx(r.ctx, func(tx *sqlite.Tx) error {
		ms := make([]reconcile.Match, len(ids))
		for i, id := range ids {
			ms[i] = reconcile.Match{Rule: "terminal_trace_date", PaymentIDs: []string{id}, Amount: 10_000}
		}
		return tx.InsertMatches(r.ctx, 0, "2026-03-02", ms)
	}))
	assert.Equal(t, 260, r.count("reconcile_match_payments WHERE released_at IS NULL"))
}
