package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/feepos/feepos/ledger"
)

// asOfLimit is the last entry_date an as-of query reads: asOf, or every
// date when it is empty.
func asOfLimit(asOf string) (string, error) {
	if asOf == "" {
		return "9999-12-31", nil
	}
	if _, err := ledger.ParseDate(asOf); err != nil {
		return "", err
	}
	return asOf, nil
}

// TrialBalance sums every account per currency up to and including asOf
// (empty: all dates). It reads the daily totals, not the lines, so its cost
// grows with accounts × days, not with entries.
func (db *DB) TrialBalance(ctx context.Context, asOf string) (ledger.TrialBalance, error) {
	limit, err := asOfLimit(asOf)
	if err != nil {
		return ledger.TrialBalance{}, err
	}
	var rows []ledger.TrialBalanceRow
	err = db.db.SelectContext(ctx, &rows, `SELECT t.account_code AS account, a.name, a.type, t.currency,
			SUM(t.debit) AS debit, SUM(t.credit) AS credit, SUM(t.debit) - SUM(t.credit) AS balance
		FROM ledger_daily_totals t JOIN accounts a ON a.code = t.account_code
		WHERE t.entry_date <= ?
		GROUP BY t.account_code, t.currency
		ORDER BY t.account_code, t.currency`, limit)
	if err != nil {
		return ledger.TrialBalance{}, fmt.Errorf("trial balance: %w", err)
	}
	tb := ledger.TrialBalance{AsOf: asOf, Rows: rows}
	totals := map[string]int{}
	for _, r := range rows {
		i, ok := totals[r.Currency]
		if !ok {
			i = len(tb.Totals)
			totals[r.Currency] = i
			tb.Totals = append(tb.Totals, ledger.CurrencyTotal{Currency: r.Currency})
		}
		tb.Totals[i].Debit += r.Debit
		tb.Totals[i].Credit += r.Credit
		tb.Totals[i].Balance += r.Balance
	}
	if tb.Rows == nil {
		tb.Rows = []ledger.TrialBalanceRow{}
	}
	return tb, nil
}

// Balances sums lines per account and currency, grouped by the asked
// dimensions.
func (db *DB) Balances(ctx context.Context, q ledger.BalanceQuery) ([]ledger.Balance, error) {
	limit, err := asOfLimit(q.AsOf)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, d := range q.GroupBy {
		if !slices.Contains(ledger.AllDimensions, d) {
			return nil, ledger.Invalidf("cannot group by %q: use one of agency, fee_code, terminal, counter, cashier, dossier", d)
		}
		cols = append(cols, string(d)) // whitelisted above: safe in SQL
	}
	group := "account_code, currency"
	if len(cols) > 0 {
		group += ", " + strings.Join(cols, ", ")
	}
	where, args := "entry_date <= ?", []any{limit}
	if q.Account != "" {
		// An unknown account is not an empty one: say so.
		var n int
		if err := db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM accounts WHERE code = ?`, q.Account); err != nil {
			return nil, fmt.Errorf("balances: %w", err)
		}
		if n == 0 {
			return nil, ledger.NotFoundf("account %q is not in the chart of accounts", q.Account)
		}
		where += " AND account_code = ?"
		args = append(args, q.Account)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+group+`,
			COALESCE(SUM(CASE side WHEN 'D' THEN amount END), 0),
			COALESCE(SUM(CASE side WHEN 'C' THEN amount END), 0)
		FROM ledger_lines WHERE `+where+` GROUP BY `+group+` ORDER BY `+group, args...)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	var out []ledger.Balance
	for rows.Next() {
		var b ledger.Balance
		vals := make([]string, len(cols))
		dest := []any{&b.Account, &b.Currency}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		dest = append(dest, &b.Debit, &b.Credit)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("balances: %w", err)
		}
		if len(cols) > 0 {
			b.Dims = make(map[ledger.Dimension]string, len(cols))
			for i, c := range q.GroupBy {
				b.Dims[c] = vals[i]
			}
		}
		b.Balance = b.Debit - b.Credit
		out = append(out, b)
	}
	return out, rows.Err()
}
