package sqlite

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The posting and issuing paths run the same few statements thousands of
// times a day. The driver would prepare each one anew on every call;
// preparing once per connection takes a third off the time of a posting
// (docs/BENCHMARKS.md). The statements are the sql… constants of ledger.go,
// receipts.go and receipt_signatures.go.

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
