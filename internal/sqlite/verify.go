package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/feepos/feepos/ledger"
)

// Verify walks the ledger in id order and reports the first entry that does
// not hold: a missing id, content that no longer matches its hash, a broken
// link to the entry before, a broken rule, or daily totals that differ from
// the lines. It reads in one statement, so it sees one consistent snapshot
// while the service keeps posting.
func (db *DB) Verify(ctx context.Context) (ledger.VerifyReport, error) {
	conn, err := db.db.Connx(ctx)
	if err != nil {
		return ledger.VerifyReport{}, err
	}
	defer conn.Close()
	// A read transaction pins one snapshot for both queries below.
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return ledger.VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	rows, err := conn.QueryxContext(ctx, `SELECT e.id, e.entry_date, e.description, e.idempotency_key, e.reverses,
			e.created_at, e.content_hash, e.prev_hash, e.hash,
			l.line_no, l.entry_date, l.account_code, l.side, l.amount, l.currency,
			l.agency, l.fee_code, l.terminal, l.counter, l.cashier, l.dossier
		FROM ledger_entries e LEFT JOIN ledger_lines l ON l.entry_id = e.id
		ORDER BY e.id, l.line_no`)
	if err != nil {
		return ledger.VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()

	rep := ledger.VerifyReport{OK: true, Head: ledger.GenesisHash}
	type dayKey struct{ account, currency, date string }
	type sums struct{ debit, credit int64 }
	days := map[dayKey]*sums{}
	fail := func(id int64, format string, args ...any) (ledger.VerifyReport, error) {
		rep.OK, rep.BadID, rep.Problem = false, id, fmt.Sprintf("entry %d: ", id)+fmt.Sprintf(format, args...)
		return rep, nil
	}

	var cur *ledger.Entry
	var lineNo int
	finish := func() string {
		if cur == nil {
			return ""
		}
		if p := cur.CheckSeal(rep.Head); p != "" {
			return p
		}
		rep.Entries++
		rep.Head = cur.Hash
		return ""
	}
	for rows.Next() {
		var r entryRow
		var l struct {
			No                                      sql.NullInt64
			Date, Account, Side, Currency           sql.NullString
			Amount                                  sql.NullInt64
			Agency, Fee, Terminal, Counter, Cashier sql.NullString
			Dossier                                 sql.NullString
		}
		if err := rows.Scan(&r.ID, &r.Date, &r.Description, &r.Key, &r.Reverses, &r.CreatedAt, &r.ContentHash, &r.PrevHash, &r.Hash,
			&l.No, &l.Date, &l.Account, &l.Side, &l.Amount, &l.Currency,
			&l.Agency, &l.Fee, &l.Terminal, &l.Counter, &l.Cashier, &l.Dossier); err != nil {
			return rep, fmt.Errorf("verify: read row: %w", err)
		}
		if cur == nil || cur.ID != r.ID {
			if p := finish(); p != "" {
				return fail(cur.ID, "%s", p)
			}
			if want := rep.Entries + 1; r.ID != want {
				return fail(want, "is missing (ids jump from %d to %d): an entry was deleted", want-1, r.ID)
			}
			e := r.entry()
			cur, lineNo = &e, 0
		}
		if !l.No.Valid {
			continue // no lines: CheckSeal reports it
		}
		lineNo++
		if l.No.Int64 != int64(lineNo) {
			return fail(r.ID, "line %d is missing: a line was deleted", lineNo)
		}
		if l.Date.String != r.Date {
			return fail(r.ID, "line %d is dated %s but the entry %s", lineNo, l.Date.String, r.Date)
		}
		line := ledger.Line{Account: l.Account.String, Side: ledger.Side(l.Side.String), Amount: l.Amount.Int64, Currency: l.Currency.String,
			Dimensions: ledger.Dimensions{Agency: l.Agency.String, FeeCode: l.Fee.String, Terminal: l.Terminal.String,
				Counter: l.Counter.String, Cashier: l.Cashier.String, Dossier: l.Dossier.String}}
		cur.Lines = append(cur.Lines, line)
		k := dayKey{line.Account, line.Currency, r.Date}
		s := days[k]
		if s == nil {
			s = &sums{}
			days[k] = s
		}
		if line.Side == ledger.Debit {
			s.debit += line.Amount
		} else {
			s.credit += line.Amount
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if p := finish(); p != "" {
		return fail(cur.ID, "%s", p)
	}

	var totals []struct {
		Account  string `db:"account_code"`
		Currency string `db:"currency"`
		Date     string `db:"entry_date"`
		Debit    int64  `db:"debit"`
		Credit   int64  `db:"credit"`
	}
	if err := conn.SelectContext(ctx, &totals, `SELECT account_code, currency, entry_date, debit, credit FROM ledger_daily_totals`); err != nil {
		return rep, fmt.Errorf("verify daily totals: %w", err)
	}
	for _, t := range totals {
		k := dayKey{t.Account, t.Currency, t.Date}
		s := days[k]
		if s == nil || s.debit != t.Debit || s.credit != t.Credit {
			rep.OK = false
			rep.Problem = fmt.Sprintf("daily totals of account %s in %s on %s do not match its lines: the totals table was changed; rebuild it from the lines", t.Account, t.Currency, t.Date)
			return rep, nil
		}
		delete(days, k)
	}
	for k := range days {
		rep.OK = false
		rep.Problem = fmt.Sprintf("daily totals of account %s in %s on %s are missing", k.account, k.currency, k.date)
		return rep, nil
	}
	return rep, nil
}
