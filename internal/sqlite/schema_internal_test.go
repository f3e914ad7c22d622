package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// olderDatabase makes, at path, a database that the previous feepos wrote:
// every migration but this binary's last, the default chart and one entry.
// The data is written by this binary into a full database, then copied
// column by column into the older schema, so the helper does not depend on
// what the last migration changed.
func olderDatabase(t *testing.T, path string) (last migration) {
	t.Helper()
	ctx := context.Background()
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	require.Greater(t, len(ms), 1)

	full := filepath.Join(t.TempDir(), "full.db")
	fdb, err := Open(ctx, full)
	require.NoError(t, err)
	require.NoError(t, fdb.SyncChart(ctx, ledger.DefaultChart()))
	_, err = fdb.Post(ctx, ledger.NewEntry{Date: ledger.BusinessDate(fdb.Now()), Description: "Thu lệ phí", IdempotencyKey: "k1",
		Lines: []ledger.Line{{Account: "111", Side: ledger.Debit, Amount: 1000}, {Account: "3373", Side: ledger.Credit, Amount: 1000}}})
	require.NoError(t, err)
	require.NoError(t, fdb.Close())

	older := fstest.MapFS{}
	for _, m := range ms[:len(ms)-1] {
		older[m.name] = &fstest.MapFile{Data: []byte(m.sql)}
	}
	sdb, err := sqlx.Open(driverName, dsn(path))
	require.NoError(t, err)
	defer sdb.Close()
	require.NoError(t, migrate(ctx, sdb, older))
	conn, err := sdb.Connx(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `ATTACH DATABASE ? AS full`, full)
	require.NoError(t, err)
	var tables []string
	require.NoError(t, conn.SelectContext(ctx, &tables, `SELECT name FROM main.sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY rowid`))
	for _, tbl := range tables {
		// A table its migration filled (fixed tables such as the legal
		// attempt state changes, guarded by triggers) is already complete.
		var seeded int
		require.NoError(t, conn.GetContext(ctx, &seeded, fmt.Sprintf(`SELECT COUNT(*) FROM main."%s"`, tbl)))
		if seeded > 0 {
			continue
		}
		var cols []string
		require.NoError(t, conn.SelectContext(ctx, &cols, `SELECT name FROM pragma_table_info(?, 'main')
			WHERE name IN (SELECT name FROM pragma_table_info(?, 'full'))`, tbl, tbl))
		list := `"` + strings.Join(cols, `", "`) + `"`
		_, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO main."%s" (%s) SELECT %s FROM full."%s"`, tbl, list, list, tbl))
		require.NoError(t, err, tbl)
	}
	return ms[len(ms)-1]
}

// Reports never migrate: a database at an older schema is refused, naming
// the migration it lacks and how to upgrade, and left unchanged.
func TestOpenReadOnlyRefusesAnOlderSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	last := olderDatabase(t, path)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	_, err = OpenReadOnly(ctx, path)
	var older *ErrSchemaOlder
	require.ErrorAs(t, err, &older)
	assert.Equal(t, []string{last.name}, older.Missing)
	ms, lerr := loadMigrations(migrationFiles)
	require.NoError(t, lerr)
	assert.Equal(t, ms[len(ms)-2].version, older.DB, "the version before the last (numbers may be reserved for other branches)")
	assert.Contains(t, err.Error(), "feepos --db "+path+" migrate")
	assert.Equal(t, "conflict", older.ErrorCode())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing was migrated")

	// A backup of it may be made first, and is still at the older version.
	dest := filepath.Join(t.TempDir(), "before-upgrade.db")
	require.NoError(t, BackupFile(ctx, path, dest))
	after, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the backup did not migrate the database")

	// A command that writes migrates it; then reports open it.
	db, err := OpenExisting(ctx, path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	db, err = OpenReadOnly(ctx, path)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// The older backup restores: checked at its own version, then
	// migrated, so reports can read the restored database.
	_, err = Restore(ctx, dest, path, receipts.Trust{})
	require.NoError(t, err)
	db, err = OpenReadOnly(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK)
	assert.EqualValues(t, 1, rep.Entries)
}

// The expected schema at the file's own version: an older database whose
// schema is intact passes, and a table of a later migration found in it
// is named.
func TestSchemaProblemAtTheFilesVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	olderDatabase(t, path)
	current, err := checkStructure(ctx, path, path)
	require.NoError(t, err)
	assert.False(t, current)

	sdb, err := sqlx.Open(driverName, dsn(path))
	require.NoError(t, err)
	defer sdb.Close()
	applied, err := appliedVersions(ctx, sdb, path)
	require.NoError(t, err)
	problem, err := schemaProblem(ctx, sdb, applied)
	require.NoError(t, err)
	assert.Empty(t, problem)
	all := map[int]bool{}
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	for _, m := range ms {
		all[m.version] = true
	}
	problem, err = schemaProblem(ctx, sdb, all)
	require.NoError(t, err)
	assert.NotEmpty(t, problem, "the last migration's objects are missing")
}

// A database written by a newer feepos is refused by every open, never
// migrated backwards or read with a schema this binary does not know.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db, err := Open(ctx, path)
	require.NoError(t, err)
	_, err = db.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', '2027-01-01T00:00:00Z')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	for name, open := range map[string]func(context.Context, string) (*DB, error){"OpenExisting": OpenExisting, "OpenReadOnly": OpenReadOnly} {
		_, err := open(ctx, path)
		var newer *ErrSchemaNewer
		require.ErrorAs(t, err, &newer, name)
	}
	_, err = Restore(ctx, path, filepath.Join(t.TempDir(), "feepos.db"), receipts.Trust{})
	var newer *ErrSchemaNewer
	require.ErrorAs(t, err, &newer)
}
