package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// editFile runs SQL on a database file behind feepos's back, as someone
// with the file and the sqlite3 shell could.
func editFile(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sqlx.Open("sqlite3", path)
	require.NoError(t, err)
	defer db.Close()
	for _, s := range statements {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}

// schemaSQL is the CREATE statement of a trigger or index of the file, to
// put it back exactly after an edit it would refuse.
func schemaSQL(t *testing.T, path, name string) string {
	t.Helper()
	db, err := sqlx.Open("sqlite3", path)
	require.NoError(t, err)
	defer db.Close()
	var sql string
	require.NoError(t, db.Get(&sql, `SELECT sql FROM sqlite_master WHERE name = ?`, name))
	return sql
}

// restoreFixture is a live database with two ledger entries and two signed
// receipts, and a backup of it.
func restoreFixture(t *testing.T) (path, backup string) {
	t.Helper()
	db, _ := newReceiptDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	post(t, db, cardPayment("2026-03-05", 2000, "k2"))
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cashReceipt("HS-2", 20_000))
	backup = filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, db.Backup(context.Background(), backup))
	post(t, db, cardPayment("2026-03-06", 3000, "k3")) // the live one moves on
	path = db.Path()
	require.NoError(t, db.Close())
	return path, backup
}

// A backup changed behind feepos's back is refused, naming the first
// problem, and the database in place is left exactly as it was.
func TestRestoreRefusesTamperedBackup(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, backup string)
		trust   func(t *testing.T) receipts.Trust
		problem string
	}{
		{
			name: "trigger dropped and a ledger line edited",
			tamper: func(t *testing.T, backup string) {
				editFile(t, backup, `DROP TRIGGER ledger_lines_no_update`,
					`UPDATE ledger_lines SET amount = 9999 WHERE entry_id = 1`)
			},
			problem: "the trigger ledger_lines_no_update is missing",
		},
		{
			name: "a ledger line edited, its trigger put back",
			tamper: func(t *testing.T, backup string) {
				trigger := schemaSQL(t, backup, "ledger_lines_no_update")
				editFile(t, backup, `DROP TRIGGER ledger_lines_no_update`,
					`UPDATE ledger_lines SET amount = 9999 WHERE entry_id = 1`, trigger)
			},
			problem: "ledger verify: entry 1: ",
		},
		{
			name: "an index added",
			tamper: func(t *testing.T, backup string) {
				editFile(t, backup, `CREATE INDEX lines_by_amount ON ledger_lines (amount)`)
			},
			problem: "the index lines_by_amount on ledger_lines is not one feepos's migrations create",
		},
		{
			name: "an index changed",
			tamper: func(t *testing.T, backup string) {
				editFile(t, backup, `DROP INDEX ledger_entries_by_key`,
					`CREATE INDEX ledger_entries_by_key ON ledger_entries (idempotency_key)`)
			},
			problem: "the index ledger_entries_by_key differs from the one feepos's migrations create",
		},
		{
			name: "a trigger changed to let updates through",
			tamper: func(t *testing.T, backup string) {
				editFile(t, backup, `DROP TRIGGER receipts_no_update`,
					`CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts WHEN 0 BEGIN SELECT 1; END`)
			},
			problem: "the trigger receipts_no_update differs",
		},
		{
			name: "a receipt edited, its trigger put back",
			tamper: func(t *testing.T, backup string) {
				trigger := schemaSQL(t, backup, "receipts_no_update")
				editFile(t, backup, `DROP TRIGGER receipts_no_update`,
					`UPDATE receipts SET payer_name = 'Người khác' WHERE number = 2`, trigger)
			},
			problem: "receipts verify: receipt 26TAA-00000002: content changed after issue",
		},
		{
			name:   "receipts signed by a key the configuration does not trust",
			tamper: func(*testing.T, string) {},
			trust: func(t *testing.T) receipts.Trust {
				return receipts.TrustCertificates(policeSigner(t).Certificate())
			},
			problem: "receipts verify: receipt 26TAA-00000001: signed by",
		},
		{
			name: "an entry deleted, its trigger put back",
			tamper: func(t *testing.T, backup string) {
				trigger := schemaSQL(t, backup, "ledger_entries_no_delete")
				editFile(t, backup, `DROP TRIGGER ledger_entries_no_delete`, `DELETE FROM ledger_entries WHERE id = 2`, trigger)
			},
			problem: "a row of ledger_lines points to a row of ledger_entries that does not exist",
		},
		{
			name: "a table added",
			tamper: func(t *testing.T, backup string) {
				editFile(t, backup, `CREATE TABLE notes (x TEXT)`)
			},
			problem: "the table notes is not one feepos's migrations create",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path, backup := restoreFixture(t)
			tt.tamper(t, backup)
			trust := twoOrgKeyring(t).Trust()
			if tt.trust != nil {
				trust = tt.trust(t)
			}
			before := stateOfFile(t, path)

			kept, err := sqlite.Restore(ctx, backup, path, trust)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.problem)
			assert.Contains(t, err.Error(), backup, "the backup is named")
			assert.Contains(t, err.Error(), "unchanged")
			var bad *sqlite.ErrCheckFailed
			assert.ErrorAs(t, err, &bad)
			assert.Equal(t, apperr.Invalid, apperr.Code(err))
			assert.Empty(t, kept)

			after := stateOfFile(t, path)
			assert.Equal(t, before.data, after.data, "the database in place is untouched")
			assert.Equal(t, before.modTime, after.modTime)
			entries, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
			require.NoError(t, err)
			for _, e := range entries {
				assert.NotContains(t, e, ".restoring", "the checked copy is removed")
				assert.NotContains(t, e, ".before-restore-", "nothing was moved aside")
			}
			requireVerified(t, openTestDB(t, path), 3)
		})
	}
}

// The untampered backup of the same fixture restores, with its signatures
// checked against the trusted keys.
func TestRestoreChecksAndAcceptsAGoodBackup(t *testing.T) {
	ctx := context.Background()
	path, backup := restoreFixture(t)
	kept, err := sqlite.Restore(ctx, backup, path, twoOrgKeyring(t).Trust())
	require.NoError(t, err)
	assert.NotEmpty(t, kept)
	for _, suffix := range []string{".restoring", ".restoring-wal", ".restoring-shm", "-wal"} {
		_, err := os.Stat(path + suffix)
		assert.True(t, errors.Is(err, os.ErrNotExist), "%s left behind", suffix)
	}
	db := openTestDB(t, path)
	requireVerified(t, db, 2)
	assert.True(t, verifySignatures(t, db).OK)

	// Onto a new machine: the data folder is created.
	fresh := filepath.Join(t.TempDir(), "feepos-data", "feepos.db")
	kept, err = sqlite.Restore(ctx, backup, fresh, twoOrgKeyring(t).Trust())
	require.NoError(t, err)
	assert.Empty(t, kept, "nothing to keep aside")
	fi, err := os.Stat(filepath.Dir(fresh))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	ro, err := sqlite.OpenReadOnly(ctx, fresh)
	require.NoError(t, err)
	defer ro.Close()
	requireVerified(t, ro, 2)
}

// A backup holds everything the database does: it is readable by its owner
// only, whatever the umask.
func TestBackupIsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	dest := filepath.Join(t.TempDir(), "sao-luu", "feepos.db")
	require.NoError(t, db.Backup(context.Background(), dest))
	fi, err := os.Stat(dest)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(filepath.Dir(dest))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "the folder it made too")
}

// A backup is checked before it is put in place: the copy of a database
// whose schema was changed is refused, and nothing is left at dest.
func TestBackupRefusesACopyThatDoesNotCheckOut(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	_, err := db.SQL().Exec(`DROP TRIGGER ledger_entries_no_delete`)
	require.NoError(t, err)
	dest := filepath.Join(t.TempDir(), "b.db")
	err = db.Backup(ctx, dest)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the trigger ledger_entries_no_delete is missing")
	assert.Contains(t, err.Error(), "run feepos ledger verify")
	entries, err := os.ReadDir(filepath.Dir(dest))
	require.NoError(t, err)
	assert.Empty(t, entries, "neither the backup nor its partial copy is left")

	// The same for a changed ledger line.
	db = newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	trigger := ""
	require.NoError(t, db.SQL().Get(&trigger, `SELECT sql FROM sqlite_master WHERE name = 'ledger_lines_no_update'`))
	for _, s := range []string{`DROP TRIGGER ledger_lines_no_update`, `UPDATE ledger_lines SET dossier = 'HS-999'`, trigger} {
		_, err := db.SQL().Exec(s)
		require.NoError(t, err)
	}
	err = db.Backup(ctx, dest)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ledger verify: entry 1")
	_, err = os.Stat(dest)
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

// A backup of a read-only copy: BackupFile never writes to the database.
func TestBackupFileReadsOnly(t *testing.T) {
	ctx := context.Background()
	path := readOnlyFixture(t)
	before := stateOfFile(t, path)
	dest := filepath.Join(t.TempDir(), "b.db")
	require.NoError(t, sqlite.BackupFile(ctx, path, dest))
	after := stateOfFile(t, path)
	assert.Equal(t, before.data, after.data)
	assert.Equal(t, before.modTime, after.modTime)
	db, err := sqlite.OpenReadOnly(ctx, dest)
	require.NoError(t, err)
	defer db.Close()
	requireVerified(t, db, 2)

	err = sqlite.BackupFile(ctx, filepath.Join(t.TempDir(), "typo.db"), filepath.Join(t.TempDir(), "b.db"))
	var missing *sqlite.ErrNoDatabase
	require.ErrorAs(t, err, &missing)
}

// restore names a missing backup as not found.
func TestRestoreFromMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := sqlite.Restore(context.Background(), filepath.Join(dir, "nope.db"), filepath.Join(dir, "feepos.db"), receipts.Trust{})
	var missing *sqlite.ErrNoDatabase
	require.ErrorAs(t, err, &missing)
	assert.True(t, strings.Contains(err.Error(), "--from"), err.Error())
	assert.Equal(t, apperr.NotFound, apperr.Code(err))
}
