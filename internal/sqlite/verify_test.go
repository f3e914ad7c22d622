package sqlite_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// dropImmutabilityTriggers does what someone with the file and the sqlite3
// shell could do: remove the triggers, then edit rows.
func dropImmutabilityTriggers(t *testing.T, db *sqlite.DB) {
	t.Helper()
	var names []string
	require.NoError(t, db.SQL().Select(&names, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'ledger%' ORDER BY name`))
	require.Len(t, names, 6, "triggers: %v", names)
	for _, n := range names {
		_, err := db.SQL().Exec(`DROP TRIGGER ` + n)
		require.NoError(t, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		forge   int64  // rewrite this entry with recomputed hashes instead of sql
		badID   int64  // 0: the problem is not tied to one entry
		problem string // substring of the report
	}{
		{
			name:    "amount of one line",
			sql:     []string{`UPDATE ledger_lines SET amount = amount + 1 WHERE entry_id = 3 AND line_no = 1`},
			badID:   3,
			problem: "entry 3:",
		},
		{
			name: "amounts of both lines, still balanced, daily totals adjusted too",
			sql: []string{
				`UPDATE ledger_lines SET amount = amount - 1000 WHERE entry_id = 3`,
				`UPDATE ledger_daily_totals SET debit = debit - 1000 WHERE account_code = '113'`,
				`UPDATE ledger_daily_totals SET credit = credit - 1000 WHERE account_code = '3373'`,
			},
			badID:   3,
			problem: "content does not match",
		},
		{
			name: "middle entry deleted with its lines",
			sql: []string{
				`DELETE FROM ledger_lines WHERE entry_id = 3`,
				`DELETE FROM ledger_entries WHERE id = 3`,
			},
			badID:   3,
			problem: "entry 3: is missing",
		},
		{
			name:    "description changed",
			sql:     []string{`UPDATE ledger_entries SET description = 'Thu phí' WHERE id = 4`},
			badID:   4,
			problem: "content does not match",
		},
		{
			name:    "daily totals changed",
			sql:     []string{`UPDATE ledger_daily_totals SET debit = debit + 1 WHERE account_code = '113'`},
			problem: "daily totals of account 113",
		},
		{
			name:    "daily totals deleted",
			sql:     []string{`DELETE FROM ledger_daily_totals WHERE account_code = '3373'`},
			problem: "daily totals of account 3373",
		},
		{
			name:    "one line deleted",
			sql:     []string{`DELETE FROM ledger_lines WHERE entry_id = 2 AND line_no = 1`},
			badID:   2,
			problem: "line 1 is missing",
		},
		{
			name:    "line moved to another date",
			sql:     []string{`UPDATE ledger_lines SET entry_date = '2026-03-01' WHERE entry_id = 2 AND line_no = 2`},
			badID:   2,
			problem: "line 2 is dated",
		},
		{
			name:    "entry moved to another date",
			sql:     []string{`UPDATE ledger_entries SET entry_date = '2026-03-01' WHERE id = 2`},
			badID:   2,
			problem: "entry 2:",
		},
		{
			name:    "idempotency key changed",
			sql:     []string{`UPDATE ledger_entries SET idempotency_key = 'pay-x' WHERE id = 2`},
			badID:   2,
			problem: "chain hash does not match",
		},
		{
			name:    "created_at changed",
			sql:     []string{`UPDATE ledger_entries SET created_at = '2020-01-01T00:00:00Z' WHERE id = 5`},
			badID:   5,
			problem: "chain hash does not match",
		},
		{
			// The careful forger rewrites an entry together with its content
			// hash and chain hash: the entry checks out, the next one's link
			// does not.
			name:    "entry rewritten with recomputed hashes",
			forge:   2,
			badID:   3,
			problem: "previous-hash link",
		},
		{
			// The chain alone cannot tell a cut-off tail; the daily totals,
			// kept beside it, still count the lines.
			name: "last entry deleted with its lines",
			sql: []string{
				`DELETE FROM ledger_lines WHERE entry_id = 5`,
				`DELETE FROM ledger_entries WHERE id = 5`,
			},
			problem: "daily totals of account",
		},
		{
			name:    "an entry with no lines left",
			sql:     []string{`DELETE FROM ledger_lines WHERE entry_id = 5`},
			badID:   5,
			problem: "entry 5:",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := newTestDB(t)
			var posted []ledger.Entry
			for i := 0; i < 5; i++ {
				posted = append(posted, post(t, db, cardPayment("2026-03-05", int64(10_000*(i+1)), "pay-"+string(rune('a'+i)))))
			}
			requireVerified(t, db, 5)
			dropImmutabilityTriggers(t, db)
			requireVerified(t, db, 5) // dropping triggers alone changes no data

			stmts := tc.sql
			if tc.forge > 0 {
				stmts = []string{rewriteWithHashes(t, posted[tc.forge-1])}
			}
			for _, stmt := range stmts {
				res, err := db.SQL().ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
				n, _ := res.RowsAffected()
				require.NotZero(t, n, "tampering changed nothing: %s", stmt)
			}
			rep, err := db.Verify(ctx)
			require.NoError(t, err)
			assert.False(t, rep.OK, "report: %+v", rep)
			assert.Equal(t, tc.badID, rep.BadID, "report: %+v", rep)
			assert.Contains(t, rep.Problem, tc.problem)
			if tc.badID > 0 {
				assert.Equal(t, tc.badID-1, rep.Entries, "entries before the bad one are counted as good")
				if tc.forge == 0 {
					assert.Equal(t, posted[tc.badID-2].Hash, rep.Head, "head is the last good entry")
				}
			}
		})
	}
}

// rewriteWithHashes changes entry e's description and recomputes both of
// its hashes so that the entry on its own checks out.
func rewriteWithHashes(t *testing.T, e ledger.Entry) string {
	t.Helper()
	forged := e
	forged.Description = "Thu phí"
	forged.Seal(e.PrevHash)
	require.Equal(t, "", forged.CheckSeal(e.PrevHash))
	require.NotEqual(t, e.Hash, forged.Hash)
	return `UPDATE ledger_entries SET description = '` + forged.Description + `', content_hash = '` + forged.ContentHash +
		`', hash = '` + forged.Hash + `' WHERE id = ` + strconv.FormatInt(e.ID, 10)
}

func TestVerifyEmptyLedger(t *testing.T) {
	db := newTestDB(t)
	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK)
	assert.Zero(t, rep.Entries)
	assert.Equal(t, ledger.GenesisHash, rep.Head)
}
