package sqlite

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The posting path runs the same few statements thousands of times a day.
// The driver would prepare each one anew on every call; preparing once per
// connection takes a third off the time of a posting (docs/BENCHMARKS.md).
const (
	sqlKeyLookup    = `SELECT id FROM ledger_entries WHERE idempotency_key = ?`
	sqlAccountCount = `SELECT COUNT(*) FROM accounts WHERE code = ?`
	sqlHead         = `SELECT id, hash FROM ledger_entries ORDER BY id DESC LIMIT 1`
	sqlInsertEntry  = `INSERT INTO ledger_entries
		(id, entry_date, description, idempotency_key, reverses, created_at, content_hash, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertLine = `INSERT INTO ledger_lines
		(entry_id, line_no, entry_date, account_code, side, amount, currency, agency, fee_code, terminal, counter, cashier, dossier)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlAddDailyTotals = `INSERT INTO ledger_daily_totals (account_code, currency, entry_date, debit, credit)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit`
)

// stmt returns query prepared on the database, bound to this transaction.
// database/sql keeps one prepared copy per connection and reuses it.
func (tx *Tx) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	tx.db.stmtMu.Lock()
	s, ok := tx.db.stmts[query]
	if !ok {
		var err error
		if s, err = tx.db.db.PreparexContext(ctx, query); err != nil {
			tx.db.stmtMu.Unlock()
			return nil, fmt.Errorf("prepare statement: %w", err)
		}
		tx.db.stmts[query] = s
	}
	tx.db.stmtMu.Unlock()
	return tx.Tx.StmtxContext(ctx, s), nil
}
