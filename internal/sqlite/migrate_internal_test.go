package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func migrationDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open(driverName, dsn(filepath.Join(t.TempDir(), "m.db")))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func versions(t *testing.T, db *sqlx.DB) []int {
	t.Helper()
	var vs []int
	require.NoError(t, db.Select(&vs, `SELECT version FROM schema_migrations ORDER BY version`))
	return vs
}

// A migration numbered below one already applied (it came from another
// branch) is still applied, once.
func TestMigrateAppliesAGapLater(t *testing.T) {
	ctx := context.Background()
	db := migrationDB(t)
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0003_c.sql": {Data: []byte(`CREATE TABLE c (x INTEGER);`)},
	}
	require.NoError(t, migrate(ctx, db, fsys))
	assert.Equal(t, []int{1, 3}, versions(t, db))

	fsys["0002_b.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE b (x INTEGER);`)}
	require.NoError(t, migrate(ctx, db, fsys))
	assert.Equal(t, []int{1, 2, 3}, versions(t, db))
	var n int
	require.NoError(t, db.Get(&n, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'`))
	assert.Equal(t, 1, n)

	require.NoError(t, migrate(ctx, db, fsys), "a second run changes nothing")
	assert.Equal(t, []int{1, 2, 3}, versions(t, db))
}

// A failing migration leaves the schema at the previous version, with
// nothing of the failed script applied.
func TestMigrateFailureIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := migrationDB(t)
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); INSERT INTO no_such_table VALUES (1);`)},
	}
	err := migrate(ctx, db, fsys)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0002_b.sql failed, database left at the previous version")
	assert.Equal(t, []int{1}, versions(t, db))
	var n int
	require.NoError(t, db.Get(&n, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'`))
	assert.Equal(t, 0, n)
}

// Accounts made before version 6 are kept in VND.
func TestMigrationAccountCurrency(t *testing.T) {
	ctx := context.Background()
	db := migrationDB(t)
	upTo5 := fstest.MapFS{}
	names, err := fs.Glob(migrationFiles, "*.sql")
	require.NoError(t, err)
	for _, n := range names {
		if n < "0006" {
			b, err := fs.ReadFile(migrationFiles, n)
			require.NoError(t, err)
			upTo5[n] = &fstest.MapFile{Data: b}
		}
	}
	require.NoError(t, migrate(ctx, db, upTo5))
	_, err = db.Exec(`INSERT INTO accounts (code, name, type, role) VALUES ('111', 'Tiền mặt', 'asset', 'cash_drawer')`)
	require.NoError(t, err)

	require.NoError(t, migrate(ctx, db, migrationFiles))
	var currency string
	require.NoError(t, db.Get(&currency, `SELECT currency FROM accounts WHERE code = '111'`))
	assert.Equal(t, "VND", currency)
	_, err = db.Exec(`INSERT INTO accounts (code, name, type, currency) VALUES ('112.X', 'x', 'asset', 'DOLLAR')`)
	assert.ErrorContains(t, err, "CHECK constraint failed")
}
