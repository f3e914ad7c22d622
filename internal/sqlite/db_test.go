package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)

	// Hold several connections at once so the pool has to open new ones:
	// the pragmas come from the DSN and must hold on each.
	var conns []*sqlx.Conn
	for i := 0; i < 4; i++ {
		c, err := db.SQL().Connx(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i, c := range conns {
		var journal string
		var foreignKeys, synchronous, busy int
		require.NoError(t, c.GetContext(ctx, &journal, `PRAGMA journal_mode`))
		require.NoError(t, c.GetContext(ctx, &foreignKeys, `PRAGMA foreign_keys`))
		require.NoError(t, c.GetContext(ctx, &synchronous, `PRAGMA synchronous`))
		require.NoError(t, c.GetContext(ctx, &busy, `PRAGMA busy_timeout`))
		assert.Equal(t, "wal", journal, "conn %d", i)
		assert.Equal(t, 1, foreignKeys, "conn %d", i)
		assert.Equal(t, 2, synchronous, "conn %d: synchronous=FULL", i)
		assert.Equal(t, int(sqlite.BusyTimeout.Milliseconds()), busy, "conn %d", i)
	}

	// Foreign keys are enforced, not just reported.
	_, err := db.SQL().ExecContext(ctx, `INSERT INTO ledger_lines
		(entry_id, line_no, entry_date, account_code, side, amount, currency) VALUES (999, 1, '2026-03-05', '111', 'D', 1, 'VND')`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "FOREIGN KEY")
}

func TestMigrationsRecorded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db := openTestDB(t, path)

	type rec struct {
		Version   int    `db:"version"`
		Name      string `db:"name"`
		AppliedAt string `db:"applied_at"`
	}
	var first []rec
	require.NoError(t, db.SQL().SelectContext(ctx, &first, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`))
	require.NotEmpty(t, first)
	assert.Equal(t, 1, first[0].Version)
	assert.Equal(t, "0001_ledger.sql", first[0].Name)
	// Versions increase from 1; a number may be missing while it is
	// reserved for a migration of another branch not merged yet.
	for i, r := range first {
		if i > 0 {
			assert.Greater(t, r.Version, first[i-1].Version, "versions increase")
		}
		assert.Equal(t, fmt.Sprintf("%04d_", r.Version), r.Name[:5], "each version is its file's number")
		assert.NotEmpty(t, r.AppliedAt)
	}
	v, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, first[len(first)-1].Version, v)

	for _, table := range []string{"accounts", "ledger_entries", "ledger_lines", "ledger_daily_totals"} {
		var n int
		require.NoError(t, db.SQL().GetContext(ctx, &n, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table))
		assert.Equal(t, 1, n, "table %s", table)
	}

	// Opening again applies nothing twice.
	post(t, db, cardPayment("2026-03-05", 1000, "k"))
	require.NoError(t, db.Close())
	db2 := openTestDB(t, path)
	var again []rec
	require.NoError(t, db2.SQL().SelectContext(ctx, &again, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`))
	assert.Equal(t, first, again)
	assert.Equal(t, int64(1), stateOf(t, db2).Entries)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db := openTestDB(t, path)
	binary, err := db.SchemaVersion(ctx)
	require.NoError(t, err)
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future.sql', '2030-01-01T00:00:00Z')`, binary+41)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	again, err := sqlite.Open(ctx, path)
	if again != nil {
		again.Close()
	}
	require.Error(t, err)
	var newer *sqlite.ErrSchemaNewer
	require.True(t, errors.As(err, &newer), "error %v (%T)", err, err)
	assert.Equal(t, binary+41, newer.DB)
	assert.Equal(t, binary, newer.Binary)
	assert.Equal(t, "conflict", newer.ErrorCode())
}

func TestOpenRefusesNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-db.db")
	require.NoError(t, os.WriteFile(path, []byte("this is a text file, not SQLite, padded to more than one hundred bytes so the header check applies............."), 0o600))
	db, err := sqlite.Open(context.Background(), path)
	if db != nil {
		db.Close()
	}
	require.Error(t, err)
}

func TestTriggersRefuseChanges(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 50_000, "k1"))
	post(t, db, cardPayment("2026-03-05", 20_000, "k2"))
	before := stateOf(t, db)

	tests := []struct {
		name, sql, wantErr string
	}{
		{"update entry description", `UPDATE ledger_entries SET description = 'x' WHERE id = 1`, "immutable"},
		{"update entry hash", `UPDATE ledger_entries SET hash = 'x' WHERE id = 2`, "immutable"},
		{"delete entry", `DELETE FROM ledger_entries WHERE id = 2`, "immutable"},
		{"delete all entries", `DELETE FROM ledger_entries`, "immutable"},
		{"update line amount", `UPDATE ledger_lines SET amount = 1 WHERE entry_id = 1 AND line_no = 1`, "immutable"},
		{"update line account", `UPDATE ledger_lines SET account_code = '111' WHERE entry_id = 1`, "immutable"},
		{"delete line", `DELETE FROM ledger_lines WHERE entry_id = 1 AND line_no = 2`, "immutable"},
		{"lower daily total", `UPDATE ledger_daily_totals SET debit = debit - 1 WHERE debit > 0`, "only grow"},
		{"move daily total to another date", `UPDATE ledger_daily_totals SET entry_date = '2026-03-04'`, "only grow"},
		{"delete daily totals", `DELETE FROM ledger_daily_totals`, "derived from immutable lines"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.SQL().ExecContext(ctx, tc.sql)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Equal(t, before, stateOf(t, db))
		})
	}
	requireVerified(t, db, 2)
}

func TestWithTxIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k0"))
	before := stateOf(t, db)

	errStop := errors.New("receipt printer on fire")
	err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.PostEntry(ctx, cardPayment("2026-03-05", 2000, "k1")); err != nil {
			return err
		}
		if _, err := tx.PostEntry(ctx, cardPayment("2026-03-06", 3000, "k2")); err != nil {
			return err
		}
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	assert.Equal(t, before, stateOf(t, db))

	// An invalid entry after a valid one in the same transaction undoes both.
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.PostEntry(ctx, cardPayment("2026-03-05", 2000, "k1")); err != nil {
			return err
		}
		_, err := tx.PostEntry(ctx, cardPayment("2026-03-05", 0, "k2"))
		return err
	})
	requireCode(t, err, ledger.EInvalid)
	assert.Equal(t, before, stateOf(t, db))

	// The ids continue without a gap after the rolled-back attempts.
	e := post(t, db, cardPayment("2026-03-05", 2000, "k1"))
	assert.Equal(t, int64(2), e.ID)
	requireVerified(t, db, 2)
}
