package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// Only Open creates a database: the others refuse a missing file as not
// found, and create neither the file nor its folder.
func TestOnlyOpenCreatesADatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "typo", "feepos.db")
	for name, open := range map[string]func(context.Context, string) (*sqlite.DB, error){
		"OpenExisting": sqlite.OpenExisting, "OpenReadOnly": sqlite.OpenReadOnly,
	} {
		_, err := open(ctx, path)
		var missing *sqlite.ErrNoDatabase
		require.ErrorAs(t, err, &missing, name)
		assert.Equal(t, apperr.NotFound, apperr.Code(err), name)
		assert.Contains(t, err.Error(), path, name)
		_, err = os.Stat(filepath.Join(dir, "typo"))
		assert.True(t, errors.Is(err, os.ErrNotExist), "%s created the folder", name)
	}

	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	for name, open := range map[string]func(context.Context, string) (*sqlite.DB, error){
		"OpenExisting": sqlite.OpenExisting, "OpenReadOnly": sqlite.OpenReadOnly,
	} {
		db, err := open(ctx, path)
		require.NoError(t, err, name)
		require.NoError(t, db.Close())
	}
}

// fileState is what a write would change of a database file.
type fileState struct {
	data    []byte
	modTime time.Time
}

func stateOfFile(t *testing.T, path string) fileState {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fileState{data, fi.ModTime()}
}

// readOnlyFixture is a closed database with ledger entries and receipts,
// its -wal checkpointed away.
func readOnlyFixture(t *testing.T) string {
	t.Helper()
	db, _ := newReceiptDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	post(t, db, cardPayment("2026-03-06", 2000, "k2"))
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	path := db.Path()
	require.NoError(t, db.Close())
	_, err := os.Stat(path + "-wal")
	require.True(t, errors.Is(err, os.ErrNotExist), "closing removed the -wal")
	return path
}

// A database opened read-only is opened so by SQLite itself: no statement
// can write, whoever runs it (root included, whom file modes do not stop),
// and every report and check runs without changing the file.
func TestOpenReadOnlyNeverWrites(t *testing.T) {
	ctx := context.Background()
	path := readOnlyFixture(t)
	before := stateOfFile(t, path)

	db, err := sqlite.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 2, rep.Entries)
	srep, err := db.VerifyReceiptSignatures(ctx, twoOrgKeyring(t).Trust())
	require.NoError(t, err)
	assert.True(t, srep.OK, "%+v", srep)
	tb, err := db.TrialBalance(ctx, "")
	require.NoError(t, err)
	assert.True(t, tb.Balanced())
	_, err = db.Journal(ctx, "2026-03-05")
	require.NoError(t, err)
	_, err = db.Balances(ctx, ledger.BalanceQuery{GroupBy: []ledger.Dimension{ledger.DimAgency}})
	require.NoError(t, err)
	_, err = db.Accounts(ctx)
	require.NoError(t, err)

	// A write is refused by SQLite: the file is opened with
	// SQLITE_OPEN_READONLY.
	conn, err := db.SQL().Connx(ctx)
	require.NoError(t, err)
	for _, stmt := range []string{
		`UPDATE accounts SET name = 'x'`,
		`CREATE TABLE intruder (x INTEGER)`,
	} {
		_, err = conn.ExecContext(ctx, stmt)
		var se sqlite3.Error
		if assert.ErrorAs(t, err, &se, stmt) {
			assert.Equal(t, sqlite3.ErrReadonly, se.Code, "%s: %v", stmt, err)
		}
	}
	require.NoError(t, conn.Close())
	_, err = db.Post(ctx, cardPayment("2026-03-07", 3000, "k3"))
	require.Error(t, err, "a write method fails on a read-only database")
	require.NoError(t, db.Close())

	after := stateOfFile(t, path)
	assert.Equal(t, before.data, after.data, "the file's bytes did not change")
	assert.Equal(t, before.modTime, after.modTime, "the file was not written")
	if fi, err := os.Stat(path + "-wal"); err == nil {
		assert.Zero(t, fi.Size(), "nothing was written to a -wal either")
	}
	_, err = os.Stat(path + "-journal")
	assert.True(t, errors.Is(err, os.ErrNotExist), "no rollback journal")
}

// Reading a database another process writes: a read-only connection
// shares its -wal and -shm and sees every committed write.
func TestOpenReadOnlySeesTheWritersWAL(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))
	ro, err := sqlite.OpenReadOnly(ctx, db.Path())
	require.NoError(t, err)
	defer ro.Close()
	requireVerified(t, ro, 1)
	post(t, db, cardPayment("2026-03-05", 2000, "k2"))
	requireVerified(t, ro, 2)
}

// A writing command on a read-only database says so, naming the
// database; it never blames readability.
func TestOpenExistingOnReadOnlyDatabase(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to a 0444 file: cmd/feepos's TestReadOnlyCopyAsAnAuditor runs this as an unprivileged user")
	}
	ctx := context.Background()
	path := readOnlyFixture(t)
	require.NoError(t, os.Chmod(path, 0o444))
	_, err := sqlite.OpenExisting(ctx, path)
	var ro *sqlite.ErrReadOnly
	require.ErrorAs(t, err, &ro)
	assert.Equal(t, apperr.Forbidden, apperr.Code(err))
	assert.NotContains(t, err.Error(), "readable")

	db, err := sqlite.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	requireVerified(t, db, 2)
	require.NoError(t, db.Close())
}

// Something that is not a SQLite database is named as such.
func TestOpenReadOnlyRefusesNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	require.NoError(t, os.WriteFile(path, []byte("Sổ tay ghi chép, không phải cơ sở dữ liệu.............................................................."), 0o600))
	for name, open := range map[string]func(context.Context, string) (*sqlite.DB, error){
		"OpenExisting": sqlite.OpenExisting, "OpenReadOnly": sqlite.OpenReadOnly,
	} {
		_, err := open(context.Background(), path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "is not a SQLite database", name)
		assert.Equal(t, apperr.Invalid, apperr.Code(err), name)
	}
	_, err := sqlite.OpenReadOnly(context.Background(), t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a folder")
	assert.Equal(t, apperr.Invalid, apperr.Code(err))
}
