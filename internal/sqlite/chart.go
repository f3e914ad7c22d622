package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/feepos/feepos/ledger"
)

// SyncChart makes the accounts table follow chart, in one transaction:
// names, types and roles are updated, new accounts added. An account that
// left the chart keeps its row (old lines point at it) but loses its role.
// Changing the type or the currency of an account that already has lines
// is refused: it would silently flip the meaning of its balance, or mix two
// currencies in it.
func (db *DB) SyncChart(ctx context.Context, chart ledger.Chart) error {
	if err := chart.Validate(); err != nil {
		return err
	}
	return db.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET role = NULL`); err != nil {
			return fmt.Errorf("sync chart: %w", err)
		}
		for _, a := range chart.Accounts() {
			var old struct {
				Type     string `db:"type"`
				Currency string `db:"currency"`
				Lines    int    `db:"lines"`
			}
			err := tx.GetContext(ctx, &old, `SELECT type, currency, (SELECT COUNT(*) FROM ledger_daily_totals WHERE account_code = code) AS lines
				FROM accounts WHERE code = ?`, a.Code)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sync chart, account %s: %w", a.Code, err)
			}
			if err == nil && old.Type != string(a.Type) && old.Lines > 0 {
				return ledger.Conflictf("account %s is %s in the database and has postings; the chart says %s: give the new meaning a new account code", a.Code, old.Type, a.Type)
			}
			if err == nil && old.Currency != a.Currency && old.Lines > 0 {
				return ledger.Conflictf("account %s is kept in %s in the database and has postings; the chart says %s: give the %s account a new account code", a.Code, old.Currency, a.Currency, a.Currency)
			}
			var role any
			if a.Role != "" {
				role = string(a.Role)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (code, name, type, role, currency) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, role = excluded.role, currency = excluded.currency`,
				a.Code, a.Name, string(a.Type), role, a.Currency); err != nil {
				return fmt.Errorf("sync chart, account %s: %w", a.Code, err)
			}
		}
		return nil
	})
}

// Accounts lists the accounts in the database, by code.
func (db *DB) Accounts(ctx context.Context) ([]ledger.Account, error) {
	var out []ledger.Account
	err := db.db.SelectContext(ctx, &out, `SELECT code, name, type, COALESCE(role, '') AS role, currency FROM accounts ORDER BY code`)
	return out, err
}

// AccountFor returns the code of the account that holds role r.
func (tx *Tx) AccountFor(ctx context.Context, r ledger.Role) (string, error) {
	var code string
	err := tx.GetContext(ctx, &code, `SELECT code FROM accounts WHERE role = ?`, string(r))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", ledger.NotFoundf("no account has role %s: add it to the chart of accounts", r)
	case err != nil:
		return "", fmt.Errorf("look up the account of role %s: %w", r, err)
	}
	return code, nil
}
