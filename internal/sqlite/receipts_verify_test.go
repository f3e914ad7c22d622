package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// dropReceiptTriggers does what someone with the file and the sqlite3 shell
// could do: remove the receipts' triggers, then edit rows.
func dropReceiptTriggers(t *testing.T, db *sqlite.DB) {
	t.Helper()
	var names []string
	require.NoError(t, db.SQL().Select(&names, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'receipt%'`))
	require.NotEmpty(t, names)
	for _, n := range names {
		_, err := db.SQL().Exec(`DROP TRIGGER ` + n)
		require.NoError(t, err)
	}
}

// tamperDB has five receipts in 26TAA (the third replaces the first) and
// two in 26TAB.
func tamperDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, _ := newReceiptDB(t)
	issue(t, db, cashReceipt("HS-1", 10_000))
	issue(t, db, cardReceiptFor(districtSeries.OrgCode, "HS-2", 20_000, 5_000))
	fix := cashReceipt("HS-1", 12_000)
	fix.Replaces = &receipts.Ref{Series: "26TAA", Number: 1}
	issue(t, db, fix)
	issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-2", 7_000))
	issue(t, db, cashReceipt("HS-4", 40_000))
	issue(t, db, cashReceipt("HS-5", 50_000))
	issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-6", 8_000))
	requireReceiptsVerified(t, db, 7)
	return db
}

func TestVerifyReceiptsDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		bad     string // the receipt named
		problem string // substring of the report
	}{
		{
			name:    "amount of a line",
			sql:     []string{`UPDATE receipt_lines SET amount = 9000 WHERE receipt_id = 2 AND line_no = 2`},
			bad:     "26TAA-00000002",
			problem: "receipt 26TAA-00000002: content changed after issue",
		},
		{
			name: "amount and total together",
			sql: []string{
				`UPDATE receipt_lines SET amount = 1000 WHERE receipt_id = 1`,
				`UPDATE receipts SET total = 1000 WHERE id = 1`,
			},
			bad:     "26TAA-00000001",
			problem: "content changed after issue",
		},
		{"payer name", []string{`UPDATE receipts SET payer_name = 'Lê Văn Cường' WHERE id = 5`}, "26TAA-00000004", "content changed after issue"},
		{"tax code", []string{`UPDATE receipts SET org_tax_code = '0300000000' WHERE id = 4`}, "26TAB-00000001", "content changed after issue"},
		{"masked card number", []string{`UPDATE receipts SET card_pan_masked = '4111111111111111' WHERE id = 2`}, "26TAA-00000002", "content changed after issue"},
		{"fee added", []string{`INSERT INTO receipt_lines VALUES (2, 3, 'Phí', 'phi', 'P', 1)`}, "26TAA-00000002", "content changed after issue"},
		{"line deleted", []string{`DELETE FROM receipt_lines WHERE receipt_id = 2 AND line_no = 1`}, "26TAA-00000002", "line 1 is missing"},
		{"time of issue", []string{`UPDATE receipts SET issued_at = '2026-07-01T01:00:00Z' WHERE id = 5`}, "26TAA-00000004", "chain hash does not match"},
		{
			name: "middle receipt deleted",
			sql: []string{
				`DELETE FROM receipt_lines WHERE receipt_id = 2`,
				`DELETE FROM receipts WHERE id = 2`,
			},
			bad:     "26TAA-00000002",
			problem: "receipt 26TAA-00000002 is missing (numbers jump from 1 to 3)",
		},
		{
			name: "last receipt deleted",
			sql: []string{
				`DELETE FROM receipt_lines WHERE receipt_id = 6`,
				`DELETE FROM receipts WHERE id = 6`,
			},
			bad:     "26TAA-00000005",
			problem: "receipt 26TAA-00000005 is missing: series 26TAA gave numbers up to 5 but the last stored is 4",
		},
		{
			name: "last receipt deleted and its counter stepped back",
			sql: []string{
				`DELETE FROM receipt_lines WHERE receipt_id = 7`,
				`DELETE FROM receipts WHERE id = 7`,
				`UPDATE receipt_counters SET last_number = 1 WHERE letters = 'AB'`,
			},
			bad:     "26TAB-00000001",
			problem: "hash differs from the one recorded",
		},
		{
			name: "two numbers swapped",
			sql: []string{
				`UPDATE receipts SET number = 99 WHERE id = 2`,
				`UPDATE receipts SET number = 2 WHERE id = 5`,
				`UPDATE receipts SET number = 4 WHERE id = 2`,
			},
			bad:     "26TAA-00000002",
			problem: "receipt 26TAA-00000002: link to the previous receipt is broken",
		},
		{
			name: "receipt moved to another series",
			sql: []string{
				`UPDATE receipts SET series = '26TAB', letters = 'AB', number = 3 WHERE id = 6`,
				`UPDATE receipt_counters SET last_number = 4 WHERE letters = 'AA'`,
				`UPDATE receipt_counters SET last_number = 3 WHERE letters = 'AB'`,
			},
			bad:     "26TAB-00000003",
			problem: "receipt 26TAB-00000003:",
		},
		{
			name: "replacement unlinked",
			sql: []string{
				`UPDATE receipts SET replaces_template = NULL, replaces_series = NULL, replaces_number = NULL WHERE id = 3`,
			},
			bad:     "26TAA-00000003",
			problem: "content changed after issue",
		},
		{"prev hash", []string{`UPDATE receipts SET prev_hash = '` + receipts.GenesisHash + `' WHERE id = 5`}, "26TAA-00000004", "link to the previous receipt is broken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := tamperDB(t)
			dropReceiptTriggers(t, db)
			requireReceiptsVerified(t, db, 7) // dropping triggers alone changes no data
			for _, q := range tc.sql {
				_, err := db.SQL().ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			rep, err := db.VerifyReceipts(ctx)
			require.NoError(t, err)
			assert.False(t, rep.OK)
			assert.Equal(t, tc.bad, rep.Bad, rep.Problem)
			assert.Contains(t, rep.Problem, tc.problem)
		})
	}
}

// Someone who also recomputes every hash after a change still leaves a bad
// status behind: a replacement pointing at a receipt that does not exist,
// or a second replacement of one original.
func TestVerifyReceiptsDetectsBadStatus(t *testing.T) {
	tests := []struct {
		name    string
		id      int64 // receipt rewritten
		replace *receipts.Ref
		bad     string
		problem string
	}{
		{"replaces nothing that exists", 5, &receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 99}, "26TAA-00000004", "bad status: it replaces 26TAA-00000099, which does not exist"},
		{"second replacement of one original", 5, &receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 1}, "26TAA-00000004", "which 26TAA-00000003 already replaces"},
		{"replaces a later receipt", 2, &receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 5}, "26TAA-00000002", "which was issued after it"},
		{"replaces another organisation's receipt", 5, &receipts.Ref{Template: "EBL01", Series: "26TAB", Number: 1}, "26TAA-00000004", "another organisation's series"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := tamperDB(t)
			dropReceiptTriggers(t, db)
			_, err := db.SQL().ExecContext(ctx, `DROP INDEX receipts_replaces`)
			require.NoError(t, err)
			// The pragma holds per connection: the forged update runs on
			// the connection it was set on.
			conn, err := db.SQL().Connx(ctx)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, `UPDATE receipts SET replaces_template = ?, replaces_series = ?, replaces_number = ? WHERE id = ?`,
				tc.replace.Template, tc.replace.Series, tc.replace.Number, tc.id)
			require.NoError(t, err)
			_, err = conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`)
			require.NoError(t, err)
			require.NoError(t, conn.Close())
			reseal(t, db)

			rep, err := db.VerifyReceipts(ctx)
			require.NoError(t, err)
			assert.False(t, rep.OK)
			assert.Equal(t, tc.bad, rep.Bad, rep.Problem)
			assert.Contains(t, rep.Problem, tc.problem)
		})
	}
}

// reseal recomputes every hash and counter, as a forger with the code would.
func reseal(t *testing.T, db *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	var refs []struct {
		Template string `db:"template"`
		Series   string `db:"series"`
		Number   int64  `db:"number"`
		Letters  string `db:"letters"`
		Year     int    `db:"year"`
	}
	require.NoError(t, db.SQL().SelectContext(ctx, &refs, `SELECT template, series, number, letters, year FROM receipts ORDER BY template, letters, year, number`))
	prev := map[string]string{}
	for _, ref := range refs {
		r, err := db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
		require.NoError(t, err)
		p, ok := prev[ref.Letters]
		if !ok {
			p = receipts.GenesisHash
		}
		r.Seal(p)
		prev[ref.Letters] = r.Hash
		_, err = db.SQL().ExecContext(ctx, `UPDATE receipts SET content_hash = ?, prev_hash = ?, hash = ? WHERE id = ?`, r.ContentHash, r.PrevHash, r.Hash, r.ID)
		require.NoError(t, err)
		_, err = db.SQL().ExecContext(ctx, `UPDATE receipt_counters SET last_hash = ? WHERE letters = ? AND year = ? AND last_number = ?`, r.Hash, ref.Letters, ref.Year, ref.Number)
		require.NoError(t, err)
	}
}
