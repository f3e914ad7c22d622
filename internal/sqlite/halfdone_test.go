package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// A write that fails after its first statement (here a trigger refuses a
// line, as a full disk or an I/O error would) leaves a half-done write in
// the transaction. A caller that ignores the error and commits stores
// nothing: Commit refuses, and the receipt number is given back.
func TestHalfDoneWriteIsNeverCommitted(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	for _, q := range []string{
		`CREATE TRIGGER boom_ledger BEFORE INSERT ON ledger_lines WHEN NEW.dossier = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
		`CREATE TRIGGER boom_receipt BEFORE INSERT ON receipt_lines WHEN NEW.name = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
	} {
		_, err := db.SQL().Exec(q)
		require.NoError(t, err)
	}

	entry := cardPayment("2026-07-01", 5_000, "HS-BOOM")
	entry.Lines[1].Dossier = "BOOM" // the entry row goes in, this line does not
	err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, perr := tx.PostEntry(ctx, entry)
		require.ErrorContains(t, perr, "boom")
		return nil // the caller goes on as if nothing happened
	})
	require.ErrorContains(t, err, "nothing was stored: a write of this transaction failed half-way")

	bad := cashReceipt("HS-BOOM", 1_000)
	bad.Lines[0].Name = "BOOM" // counter stepped and receipt stored, its line refused
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, ierr := tx.IssueReceipt(ctx, bad)
		require.ErrorContains(t, ierr, "boom")
		return nil
	})
	require.ErrorContains(t, err, "nothing was stored")

	var n int
	require.NoError(t, db.SQL().Get(&n, `SELECT COUNT(*) FROM ledger_entries`))
	assert.Zero(t, n, "no entry without its lines")
	require.NoError(t, db.SQL().Get(&n, `SELECT COUNT(*) FROM receipts`))
	assert.Zero(t, n)
	r := issue(t, db, cashReceipt("HS-1", 1_000))
	assert.EqualValues(t, 1, r.Number, "the number was given back")
	requireReceiptsVerified(t, db, 1)
	requireVerified(t, db, 0)
}
