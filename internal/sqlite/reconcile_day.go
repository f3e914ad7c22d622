package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// What the day's close reads (internal/endofday gathers a reconcile.Day
// from these inside its transaction).

// ReconcileCardPayments returns the card payments approved (or in
// review) from the start of business date from to the end of to that no
// active match holds: paid, refunded later, or in needs_review (InReview).
// A payment reversed on the terminal never reaches the acquirer and is
// left out.
func (tx *Tx) ReconcileCardPayments(ctx context.Context, from, to string) ([]reconcile.Payment, error) {
	return tx.ReconcileCardPaymentsAbout(ctx, from, to, 0)
}

// ReconcileCardPaymentsAbout is ReconcileCardPayments when the caller
// expects about that many payments (the day's settlement lines): the
// million payments of a big day are then read into an array of their
// size, not one grown (and copied) by a quarter at a time.
func (tx *Tx) ReconcileCardPaymentsAbout(ctx context.Context, from, to string, about int) ([]reconcile.Payment, error) {
	start, err := ledger.ParseDate(from)
	if err != nil {
		return nil, err
	}
	end, err := ledger.ParseDate(to)
	if err != nil {
		return nil, err
	}
	lo, hi := StoreTime(start), StoreTime(end.AddDate(0, 0, 1))
	out, err := tx.reconcilePayments(ctx, about, `COALESCE(paid_at, created_at) >= ? AND COALESCE(paid_at, created_at) < ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("read the card payments from %s to %s: %w", from, to, err)
	}
	return out, nil
}

// ReconcileSettlementLineByID returns the settlement line id (its first
// import).
func (tx *Tx) ReconcileSettlementLineByID(ctx context.Context, id string) (reconcile.SettlementLine, bool, error) {
	ls, err := tx.settlementLines(ctx, `l.id = ?`, id)
	if err != nil || len(ls) == 0 {
		return reconcile.SettlementLine{}, false, err
	}
	return ls[0], true, nil
}

// ReconcileSettlementLines returns the settlement lines dated from..to.
// A line imported again in another file (same id) counts once: the first
// import's.
func (tx *Tx) ReconcileSettlementLines(ctx context.Context, from, to string) ([]reconcile.SettlementLine, error) {
	out, err := tx.settlementLines(ctx, `l.settlement_date >= ? AND l.settlement_date <= ?`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read the settlement lines from %s to %s: %w", from, to, err)
	}
	return out, nil
}

// SettlementLineCount counts the settlement lines dated from..to, every
// import's (a line in two files counts twice).
func (tx *Tx) SettlementLineCount(ctx context.Context, from, to string) (int, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM reconcile_settlement_lines WHERE settlement_date >= ? AND settlement_date <= ?`, from, to); err != nil {
		return 0, fmt.Errorf("count the settlement lines from %s to %s: %w", from, to, err)
	}
	return n, nil
}

func (tx *Tx) settlementLines(ctx context.Context, where string, args ...any) ([]reconcile.SettlementLine, error) {
	// A day's million lines: scanned column by column (no reflection),
	// the few distinct values of a column (date, terminal, batch, brand,
	// type) shared, and put in import order here rather than by SQLite's
	// sorter.
	rows, err := tx.QueryContext(ctx, `SELECT f.imported_at, l.source, l.id, l.line, l.settlement_date, l.terminal_id, l.merchant_id, l.batch_no,
		l.trace_no, l.rrn, l.approval_code, l.pan_masked, l.card_brand, l.txn_type, l.txn_time, l.amount, l.fee, l.net, l.currency
		FROM reconcile_settlement_lines l JOIN reconcile_files f ON f.id = l.source
		WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM reconcile_settlement_lines l WHERE `+where, args...); err != nil {
		return nil, err
	}
	ls := make([]reconcile.SettlementLine, 0, n) // sized once: a million lines are not copied as the slice grows
	ats := make([]string, 0, n)                  // each line's file's import time
	var (
		at, source, date, terminal, merchant, batch, brand, typ, txnTime, currency sql.RawBytes
		id, rrn, approval, pan                                                     string
		line                                                                       int
		trace, amount, fee, net                                                    int64
	)
	in := newInterner()
	for rows.Next() {
		if err := rows.Scan(&at, &source, &id, &line, &date, &terminal, &merchant, &batch, &trace, &rrn, &approval, &pan,
			&brand, &typ, &txnTime, &amount, &fee, &net, &currency); err != nil {
			return nil, err
		}
		l := reconcile.SettlementLine{ID: id, Line: line, TraceNo: trace, RRN: rrn, ApprovalCode: approval, PANMasked: pan,
			Amount: amount, Fee: fee, Net: net}
		l.Source = in.get(source)
		l.SettlementDate, l.TerminalID, l.MerchantID, l.BatchNo = in.get(date), in.get(terminal), in.get(merchant), in.get(batch)
		l.CardBrand, l.Type, l.Currency = in.get(brand), reconcile.TxnType(in.get(typ)), in.get(currency)
		if len(txnTime) > 0 {
			l.TxnTime, _ = time.ParseInLocation("2006-01-02T15:04:05", string(txnTime), ledger.Zone)
		}
		ls = append(ls, l)
		ats = append(ats, in.get(at))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Import order: the file's import time, the file, the line. An
	// order of indexes is sorted, then the lines are moved into it in
	// place, each once.
	order := make([]int32, len(ls))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(ats[a], ats[b]); c != 0 {
			return c
		}
		if c := strings.Compare(ls[a].Source, ls[b].Source); c != 0 {
			return c
		}
		return ls[a].Line - ls[b].Line
	})
	permute(ls, order)
	// A line imported again in another file (same id) counts once, the
	// first import's; within one file the ids are unique (the table's
	// constraint), so a single file needs no check.
	if len(ls) == 0 || ls[0].Source == ls[len(ls)-1].Source {
		return ls, nil
	}
	seen := make(map[string]bool, len(ls))
	out := ls[:0]
	for _, l := range ls {
		if !seen[l.ID] {
			seen[l.ID] = true
			out = append(out, l)
		}
	}
	return out, nil
}

// permute puts ls in the order given (ls[i] becomes the old
// ls[order[i]]), in place: each cycle of the permutation is followed
// once. order is used up.
func permute[T any](ls []T, order []int32) {
	for i := range order {
		if order[i] < 0 || int(order[i]) == i {
			continue
		}
		tmp := ls[i]
		j := i
		for {
			k := int(order[j])
			order[j] = -1
			if k == i {
				ls[j] = tmp
				break
			}
			ls[j] = ls[k]
			j = k
		}
	}
}

// interner shares the strings of columns with few distinct values: a
// million lines carry a handful of dates, types and brands.
type interner struct{ m map[string]string }

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < 1<<16 {
		in.m[s] = s
	}
	return s
}

// ReconcileBankEntries returns the bank entries booked from..to that no
// active match of another day holds than date. An entry in two files
// (a camt.054 notification, then the camt.053 statement) counts once.
func (tx *Tx) ReconcileBankEntries(ctx context.Context, from, to string) ([]reconcile.BankEntry, error) {
	var rows []struct {
		Source      string `db:"source"`
		ID          string `db:"id"`
		Line        int    `db:"line"`
		Account     string `db:"account"`
		BookingDate string `db:"booking_date"`
		ValueDate   string `db:"value_date"`
		Amount      int64  `db:"amount"`
		Currency    string `db:"currency"`
		Reversal    bool   `db:"reversal"`
		Reference   string `db:"reference"`
		Text        string `db:"text"`
	}
	err := tx.SelectContext(ctx, &rows, `SELECT e.source, e.id, e.line, e.account, e.booking_date, e.value_date, e.amount, e.currency,
		e.reversal, e.reference, e.text
		FROM reconcile_bank_entries e JOIN reconcile_files f ON f.id = e.source
		WHERE e.booking_date >= ? AND e.booking_date <= ?
		ORDER BY f.imported_at, f.id, e.line`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read the bank entries from %s to %s: %w", from, to, err)
	}
	seen := map[string]bool{}
	var out []reconcile.BankEntry
	for _, r := range rows {
		k := r.Account + "\x00" + r.ID
		if seen[k] {
			continue
		}
		seen[k] = true
		e := reconcile.BankEntry{ID: r.ID, Source: r.Source, Line: r.Line, Account: r.Account, BookingDate: r.BookingDate,
			ValueDate: r.ValueDate, Amount: r.Amount, Currency: r.Currency, Reversal: r.Reversal, Reference: r.Reference, Text: r.Text}
		var ds []struct {
			Amount    int64  `db:"amount"`
			Reference string `db:"reference"`
			Text      string `db:"text"`
		}
		if err := tx.SelectContext(ctx, &ds, `SELECT amount, reference, text FROM reconcile_bank_details
			WHERE source = ? AND account = ? AND entry_id = ? ORDER BY n`, r.Source, r.Account, r.ID); err != nil {
			return nil, fmt.Errorf("read the details of bank entry %s: %w", r.ID, err)
		}
		for _, d := range ds {
			e.Details = append(e.Details, reconcile.BankDetail{Amount: d.Amount, Reference: d.Reference, Text: d.Text})
		}
		out = append(out, e)
	}
	return out, nil
}

// ReconcileBankBalances returns the balances the statements state for
// date, one per account, kind and finality (the latest import's).
func (tx *Tx) ReconcileBankBalances(ctx context.Context, date string) ([]reconcile.BankBalance, error) {
	var rows []struct {
		Account  string `db:"account"`
		Kind     string `db:"kind"`
		Final    bool   `db:"final"`
		Date     string `db:"date"`
		Amount   int64  `db:"amount"`
		Currency string `db:"currency"`
	}
	err := tx.SelectContext(ctx, &rows, `SELECT b.account, b.kind, b.final, b.date, b.amount, b.currency
		FROM reconcile_bank_balances b JOIN reconcile_files f ON f.id = b.source
		WHERE b.date = ? ORDER BY f.imported_at DESC, f.id`, date)
	if err != nil {
		return nil, fmt.Errorf("read the bank balances of %s: %w", date, err)
	}
	seen := map[string]bool{}
	var out []reconcile.BankBalance
	for _, r := range rows {
		k := fmt.Sprint(r.Account, r.Kind, r.Final)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, reconcile.BankBalance{Account: r.Account, Kind: r.Kind, Final: r.Final, Date: r.Date, Amount: r.Amount, Currency: r.Currency})
	}
	return out, nil
}

// ReconcileTerminalTotals returns the terminals' totals of date: per
// terminal, those of its latest import (a corrected slip replaces the
// earlier one).
func (tx *Tx) ReconcileTerminalTotals(ctx context.Context, date string) ([]reconcile.TerminalTotal, error) {
	var rows []struct {
		Source      string `db:"source"`
		TerminalID  string `db:"terminal_id"`
		Brand       string `db:"brand"`
		Count       int    `db:"count"`
		Amount      int64  `db:"amount"`
		ReceiptFrom int64  `db:"receipt_from"`
		ReceiptTo   int64  `db:"receipt_to"`
		Origin      string `db:"origin"`
	}
	err := tx.SelectContext(ctx, &rows, `SELECT t.source, t.terminal_id, t.brand, t.count, t.amount, t.receipt_from, t.receipt_to, t.origin
		FROM reconcile_terminal_totals t JOIN reconcile_files f ON f.id = t.source
		WHERE t.date = ? AND f.id = (SELECT f2.id FROM reconcile_terminal_totals t2 JOIN reconcile_files f2 ON f2.id = t2.source
			WHERE t2.date = t.date AND t2.terminal_id = t.terminal_id ORDER BY f2.imported_at DESC, f2.rowid DESC LIMIT 1)
		ORDER BY t.terminal_id, t.brand`, date)
	if err != nil {
		return nil, fmt.Errorf("read the terminal totals of %s: %w", date, err)
	}
	out := make([]reconcile.TerminalTotal, 0, len(rows))
	for _, r := range rows {
		out = append(out, reconcile.TerminalTotal{TerminalID: r.TerminalID, Date: date, Brand: r.Brand, Count: r.Count, Amount: r.Amount,
			ReceiptFrom: r.ReceiptFrom, ReceiptTo: r.ReceiptTo, Source: r.Origin})
	}
	return out, nil
}

// LedgerBalanceOf is the balance (debit − credit) of the account holding
// role as of the end of date.
func (tx *Tx) LedgerBalanceOf(ctx context.Context, role ledger.Role, date string) (int64, error) {
	code, err := tx.AccountFor(ctx, role)
	if err != nil {
		return 0, err
	}
	var bal sql.NullInt64
	err = tx.GetContext(ctx, &bal, `SELECT SUM(debit) - SUM(credit) FROM ledger_daily_totals WHERE account_code = ? AND entry_date <= ?`, code, date)
	if err != nil {
		return 0, fmt.Errorf("read the balance of account %s on %s: %w", code, date, err)
	}
	return bal.Int64, nil
}

// DailyAmount is one day's figure of the report's chart.
type DailyAmount struct {
	Date   string `db:"date" json:"date"`
	Amount int64  `db:"amount" json:"amount"`
}

// CardCollectedByDay sums the card payments recorded per business date
// from..to (the ledger's card clearing debits).
func (db *DB) CardCollectedByDay(ctx context.Context, from, to string) ([]DailyAmount, error) {
	var out []DailyAmount
	err := db.db.SelectContext(ctx, &out, `SELECT t.entry_date AS date, SUM(t.debit) AS amount
		FROM ledger_daily_totals t JOIN accounts a ON a.code = t.account_code
		WHERE a.role = 'card_clearing' AND t.entry_date >= ? AND t.entry_date <= ? GROUP BY t.entry_date ORDER BY t.entry_date`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read card collections from %s to %s: %w", from, to, err)
	}
	return out, nil
}

// SettledByDay sums the acquirer's SALE lines per settlement date from..to.
func (db *DB) SettledByDay(ctx context.Context, from, to string) ([]DailyAmount, error) {
	var out []DailyAmount
	err := db.db.SelectContext(ctx, &out, `SELECT settlement_date AS date, SUM(CASE txn_type WHEN 'SALE' THEN amount ELSE -amount END) AS amount
		FROM (SELECT DISTINCT id, settlement_date, txn_type, amount FROM reconcile_settlement_lines
		      WHERE settlement_date >= ? AND settlement_date <= ?)
		GROUP BY settlement_date ORDER BY settlement_date`, from, to)
	if err != nil {
		return nil, fmt.Errorf("read settlements from %s to %s: %w", from, to, err)
	}
	return out, nil
}
