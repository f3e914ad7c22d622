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

// Version 13 rebuilds payments to take the status voided: the rows, their
// receipt links and the triggers are kept.
func TestMigrationPaymentVoided(t *testing.T) {
	ctx := context.Background()
	db := migrationDB(t)
	upTo12 := fstest.MapFS{}
	names, err := fs.Glob(migrationFiles, "*.sql")
	require.NoError(t, err)
	for _, n := range names {
		if n < "0013" {
			b, err := fs.ReadFile(migrationFiles, n)
			require.NoError(t, err)
			upTo12[n] = &fstest.MapFile{Data: b}
		}
	}
	require.NoError(t, migrate(ctx, db, upTo12))
	_, err = db.Exec(`PRAGMA foreign_keys = ON`)
	require.NoError(t, err)
	for _, q := range []string{
		`INSERT INTO payment_requests (id, client_id, idempotency_key, body_hash, dossier_code, payer, total, status, created_at, updated_at)
			VALUES ('PR1', 'c', 'k', 'h', 'D1', '{}', 1000, 'paid', 't', 't')`,
		`INSERT INTO payments (id, request_id, method, status, amount, created_at, ledger_entry_id) VALUES ('PM1', 'PR1', 'card', 'paid', 1000, 't', 7)`,
		`INSERT INTO payment_receipts (payment_id, template, series, number, org_code, total) VALUES ('PM1', '1', 'C26TAA', 1, 'O', 1000)`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	_, err = db.Exec(`UPDATE payments SET status = 'voided' WHERE id = 'PM1'`)
	require.ErrorContains(t, err, "CHECK constraint failed", "version 12 does not know voided")

	require.NoError(t, migrate(ctx, db, migrationFiles))
	var st string
	var entry int64
	require.NoError(t, db.QueryRow(`SELECT status, ledger_entry_id FROM payments WHERE id = 'PM1'`).Scan(&st, &entry))
	assert.Equal(t, "paid", st)
	assert.Equal(t, int64(7), entry)
	_, err = db.Exec(`UPDATE payments SET status = 'voided' WHERE id = 'PM1'`)
	require.NoError(t, err)
	_, err = db.Exec(`DELETE FROM payments WHERE id = 'PM1'`)
	assert.ErrorContains(t, err, "a payment is never deleted")
	_, err = db.Exec(`INSERT INTO payments (id, request_id, method, status, amount, created_at) VALUES ('PM2', 'PR1', 'card', 'paid', 1000, 't')`)
	require.NoError(t, err, "the voided payment is not live")
	_, err = db.Exec(`INSERT INTO payments (id, request_id, method, status, amount, created_at) VALUES ('PM3', 'PR1', 'card', 'processing', 1000, 't')`)
	assert.ErrorContains(t, err, "UNIQUE constraint failed: payments.request_id", "one live payment per request, still")
	var fk int
	require.NoError(t, db.Get(&fk, `SELECT COUNT(*) FROM pragma_foreign_key_check`))
	assert.Zero(t, fk)
}
