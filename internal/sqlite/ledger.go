package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feepos/feepos/ledger"
)

var _ ledger.Service = (*DB)(nil)

// The statements of the posting path, prepared once (stmt.go).
const (
	sqlKeyLookup       = `SELECT id FROM ledger_entries WHERE idempotency_key = ?`
	sqlAccountCurrency = `SELECT currency FROM accounts WHERE code = ?`
	sqlHead            = `SELECT id, hash FROM ledger_entries ORDER BY id DESC LIMIT 1`
	sqlInsertEntry     = `INSERT INTO ledger_entries
		(id, entry_date, description, idempotency_key, reverses, created_at, content_hash, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertLine = `INSERT INTO ledger_lines
		(entry_id, line_no, entry_date, account_code, side, amount, currency, agency, fee_code, terminal, counter, cashier, dossier)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlAddDailyTotals = `INSERT INTO ledger_daily_totals (account_code, currency, entry_date, debit, credit)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit`
)

// Post records an entry durably: when it returns, the entry is on disk.
// Concurrent calls share commits (groupcommit.go).
func (db *DB) Post(ctx context.Context, e ledger.NewEntry) (ledger.Entry, error) {
	out, _, err := db.PostCreated(ctx, e)
	return out, err
}

// PostCreated is Post, and also says whether the entry was written now:
// created is false when the idempotency key was used before for the same
// content, and that earlier entry is returned, nothing written.
func (db *DB) PostCreated(ctx context.Context, e ledger.NewEntry) (_ ledger.Entry, created bool, _ error) {
	if e.Reverses != 0 {
		return ledger.Entry{}, false, ledger.Invalidf("to reverse entry %d use Reverse, which builds the mirror lines", e.Reverses)
	}
	out, err := inGroupValue(ctx, db, func(ctx context.Context, tx *Tx) (ledger.Entry, error) {
		var err error
		var out ledger.Entry
		out, created, err = tx.postEntry(ctx, e)
		return out, err
	})
	return out, created && err == nil, err
}

// Reverse posts the reversal of entry id durably.
func (db *DB) Reverse(ctx context.Context, id int64, date, description, key string) (ledger.Entry, error) {
	out, _, err := db.ReverseCreated(ctx, id, date, description, key)
	return out, err
}

// ReverseCreated is Reverse, and also says whether the reversal was written
// now: created is false when key was used before for this reversal, which
// is returned.
func (db *DB) ReverseCreated(ctx context.Context, id int64, date, description, key string) (_ ledger.Entry, created bool, _ error) {
	out, err := inGroupValue(ctx, db, func(ctx context.Context, tx *Tx) (ledger.Entry, error) {
		var err error
		var out ledger.Entry
		out, created, err = tx.reverseEntry(ctx, id, date, description, key)
		return out, err
	})
	return out, created && err == nil, err
}

// ReverseEntry posts, inside tx, the entry that cancels entry id.
func (tx *Tx) ReverseEntry(ctx context.Context, id int64, date, description, key string) (ledger.Entry, error) {
	out, _, err := tx.reverseEntry(ctx, id, date, description, key)
	return out, err
}

func (tx *Tx) reverseEntry(ctx context.Context, id int64, date, description, key string) (ledger.Entry, bool, error) {
	if date == "" {
		date = ledger.BusinessDate(tx.Now)
	}
	if key != "" {
		// A repeated reversal request with its key returns the first reversal
		// before the "already reversed" rule would refuse it.
		prev, err := tx.entryByKey(ctx, key)
		if err != nil {
			return ledger.Entry{}, false, err
		}
		if prev != nil {
			if prev.Reverses != id || (date != prev.Date) || (description != "" && description != prev.Description) {
				return ledger.Entry{}, false, ledger.Conflictf("idempotency key %q was already used for entry %d, which is not this reversal of entry %d: use a new key", key, prev.ID, id)
			}
			return *prev, false, nil
		}
	}
	orig, err := entryByID(ctx, tx, id)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	// postEntry checks the reversal rules (checkReversal).
	return tx.postEntry(ctx, ledger.ReversalOf(orig, date, description, key))
}

// PostEntry validates and records e inside tx, so the caller can store a
// payment, a receipt and its ledger entry in one transaction. An error
// after part of the entry was written makes tx refuse to commit
// (Tx.halfDone): return the error from WithTx's fn.
func (tx *Tx) PostEntry(ctx context.Context, e ledger.NewEntry) (ledger.Entry, error) {
	out, _, err := tx.postEntry(ctx, e)
	return out, err
}

// postEntry is PostEntry, and says whether the entry was written now
// (false: the earlier entry of the same idempotency key and content).
func (tx *Tx) postEntry(ctx context.Context, e ledger.NewEntry) (ledger.Entry, bool, error) {
	e = e.Normalize()
	if err := e.Validate(); err != nil {
		return ledger.Entry{}, false, err
	}
	if e.IdempotencyKey != "" {
		prev, err := tx.entryByKey(ctx, e.IdempotencyKey)
		if err != nil {
			return ledger.Entry{}, false, err
		}
		if prev != nil {
			if prev.ContentHash != e.ContentHash() {
				return ledger.Entry{}, false, ledger.Conflictf("idempotency key %q was already used for entry %d with other content: use a new key for a new entry", e.IdempotencyKey, prev.ID)
			}
			return *prev, false, nil
		}
	}
	out, err := tx.writeEntry(ctx, e)
	return out, err == nil, err
}

// writeEntry checks and writes e, normalized and validated, whose
// idempotency key (if any) is unused.
func (tx *Tx) writeEntry(ctx context.Context, e ledger.NewEntry) (_ ledger.Entry, err error) {
	wrote := false
	defer func() {
		if wrote {
			tx.halfDone(err)
		}
	}()
	// After the key lookup (postEntry): a repeated request returns what it
	// got the first time, even once its date has left the window.
	window := ledger.PostingWindow(tx.Now)
	if err := window.CheckEntryDate(e.Date); err != nil {
		return ledger.Entry{}, err
	}
	if e.Reverses != 0 {
		if err := tx.checkReversal(ctx, e, window); err != nil {
			return ledger.Entry{}, err
		}
	}
	if err := tx.checkAccounts(ctx, e.Lines); err != nil {
		return ledger.Entry{}, err
	}

	var head struct {
		ID   int64  `db:"id"`
		Hash string `db:"hash"`
	}
	headStmt, err := tx.stmt(ctx, sqlHead)
	if err != nil {
		return ledger.Entry{}, err
	}
	err = headStmt.GetContext(ctx, &head)
	if errors.Is(err, sql.ErrNoRows) {
		head.Hash = ledger.GenesisHash
	} else if err != nil {
		return ledger.Entry{}, fmt.Errorf("read ledger head: %w", err)
	}

	out := ledger.Entry{ID: head.ID + 1, NewEntry: e, CreatedAt: tx.Now.Format(time.RFC3339Nano)}
	out.Seal(head.Hash)

	var key, reverses any
	if e.IdempotencyKey != "" {
		key = e.IdempotencyKey
	}
	if e.Reverses != 0 {
		reverses = e.Reverses
	}
	insertEntry, err := tx.stmt(ctx, sqlInsertEntry)
	if err != nil {
		return ledger.Entry{}, err
	}
	if _, err := insertEntry.ExecContext(ctx,
		out.ID, e.Date, e.Description, key, reverses, out.CreatedAt, out.ContentHash, out.PrevHash, out.Hash); err != nil {
		if strings.Contains(err.Error(), "ledger_entries.reverses") {
			return ledger.Entry{}, ledger.Conflictf("entry %d was already reversed: an entry is reversed once", e.Reverses)
		}
		return ledger.Entry{}, fmt.Errorf("store entry: %w", err)
	}
	wrote = true
	insertLine, err := tx.stmt(ctx, sqlInsertLine)
	if err != nil {
		return ledger.Entry{}, err
	}
	type totalKey struct{ account, currency string }
	type sums struct{ debit, credit int64 }
	var order []totalKey
	totals := map[totalKey]*sums{}
	for i, l := range e.Lines {
		if _, err := insertLine.ExecContext(ctx, out.ID, i+1, e.Date, l.Account, string(l.Side), l.Amount, l.Currency,
			l.Agency, l.FeeCode, l.Terminal, l.Counter, l.Cashier, l.Dossier); err != nil {
			return ledger.Entry{}, fmt.Errorf("store entry line %d: %w", i+1, err)
		}
		k := totalKey{l.Account, l.Currency}
		t := totals[k]
		if t == nil {
			t = &sums{}
			totals[k] = t
			order = append(order, k)
		}
		if l.Side == ledger.Debit {
			t.debit += l.Amount
		} else {
			t.credit += l.Amount
		}
	}
	addTotals, err := tx.stmt(ctx, sqlAddDailyTotals)
	if err != nil {
		return ledger.Entry{}, err
	}
	for _, k := range order {
		t := totals[k]
		if _, err := addTotals.ExecContext(ctx, k.account, k.currency, e.Date, t.debit, t.credit); err != nil {
			return ledger.Entry{}, fmt.Errorf("update daily totals: %w", err)
		}
	}
	return out, nil
}

// checkReversal holds the reversal rules for any caller of PostEntry: the
// original exists, is not itself a reversal, is not reversed yet, e is not
// dated before it, and e's lines are its lines with the sides swapped.
func (tx *Tx) checkReversal(ctx context.Context, e ledger.NewEntry, window ledger.DateWindow) error {
	orig, err := entryByID(ctx, tx, e.Reverses)
	if err != nil {
		return err
	}
	if orig.Reverses != 0 {
		return ledger.Conflictf("entry %d is itself the reversal of entry %d: post a new entry instead of reversing a reversal", orig.ID, orig.Reverses)
	}
	if orig.ReversedBy != 0 {
		return ledger.Conflictf("entry %d was already reversed by entry %d: an entry is reversed once", orig.ID, orig.ReversedBy)
	}
	if err := window.CheckReversalDate(orig.ID, orig.Date, e.Date); err != nil {
		return err
	}
	mirror := ledger.ReversalOf(orig, e.Date, e.Description, e.IdempotencyKey).Normalize()
	if mirror.ContentHash() != e.ContentHash() {
		return ledger.Invalidf("entry says it reverses entry %d but its lines are not that entry's lines with debit and credit swapped: use Reverse", orig.ID)
	}
	return nil
}

// checkAccounts refuses a line to an account that is not in the chart, or
// in a currency the account is not kept in.
func (tx *Tx) checkAccounts(ctx context.Context, lines []ledger.Line) error {
	lookup, err := tx.stmt(ctx, sqlAccountCurrency)
	if err != nil {
		return err
	}
	currencyOf := map[string]string{}
	for i, l := range lines {
		currency, checked := currencyOf[l.Account]
		if !checked {
			err := lookup.GetContext(ctx, &currency, l.Account)
			if errors.Is(err, sql.ErrNoRows) {
				return ledger.Invalidf("line %d posts to account %s, which is not in the chart of accounts: check the code or add the account to the chart", i+1, l.Account)
			} else if err != nil {
				return fmt.Errorf("check account %s: %w", l.Account, err)
			}
			currencyOf[l.Account] = currency
		}
		if l.Currency != currency {
			return tx.currencyMismatch(ctx, i+1, l, currency)
		}
	}
	return nil
}

// currencyMismatch says why line n cannot post l to an account kept in
// accountCurrency: the chart has no account in l's currency at all, or
// the line names the wrong account.
func (tx *Tx) currencyMismatch(ctx context.Context, n int, l ledger.Line, accountCurrency string) error {
	var currencies []string
	if err := tx.SelectContext(ctx, &currencies, `SELECT DISTINCT currency FROM accounts ORDER BY currency`); err != nil {
		return fmt.Errorf("read the chart's currencies: %w", err)
	}
	if !slices.Contains(currencies, l.Currency) {
		return ledger.Invalidf("line %d is in %s, but the chart of accounts has no account in %s (its accounts are kept in %s): post the amount in %s, or add accounts with currency = %q to the chart",
			n, l.Currency, l.Currency, strings.Join(currencies, ", "), ledger.DefaultCurrency, l.Currency)
	}
	return ledger.Invalidf("line %d posts %s to account %s, which is kept in %s: post %s amounts to an account kept in %s",
		n, l.Currency, l.Account, accountCurrency, l.Currency, l.Currency)
}

// entryRow is how an entry is read back.
type entryRow struct {
	ID          int64          `db:"id"`
	Date        string         `db:"entry_date"`
	Description string         `db:"description"`
	Key         sql.NullString `db:"idempotency_key"`
	Reverses    sql.NullInt64  `db:"reverses"`
	ReversedBy  sql.NullInt64  `db:"reversed_by"`
	CreatedAt   string         `db:"created_at"`
	ContentHash string         `db:"content_hash"`
	PrevHash    string         `db:"prev_hash"`
	Hash        string         `db:"hash"`
}

func (r entryRow) entry() ledger.Entry {
	return ledger.Entry{
		ID: r.ID,
		NewEntry: ledger.NewEntry{Date: r.Date, Description: r.Description,
			IdempotencyKey: r.Key.String, Reverses: r.Reverses.Int64},
		ReversedBy: r.ReversedBy.Int64, CreatedAt: r.CreatedAt,
		ContentHash: r.ContentHash, PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

const entryColumns = `e.id, e.entry_date, e.description, e.idempotency_key, e.reverses,
	(SELECT r.id FROM ledger_entries r WHERE r.reverses = e.id) AS reversed_by,
	e.created_at, e.content_hash, e.prev_hash, e.hash`

const lineColumns = `entry_id, account_code, side, amount, currency, agency, fee_code, terminal, counter, cashier, dossier`

type lineRow struct {
	EntryID int64 `db:"entry_id"`
	ledger.Line
}

func loadEntries(ctx context.Context, q querier, where string, args ...any) ([]ledger.Entry, error) {
	var rows []entryRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+entryColumns+` FROM ledger_entries e WHERE `+where+` ORDER BY e.id`, args...); err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var lines []lineRow
	if err := q.SelectContext(ctx, &lines, `SELECT `+lineColumns+` FROM ledger_lines
		WHERE entry_id IN (SELECT e.id FROM ledger_entries e WHERE `+where+`) ORDER BY entry_id, line_no`, args...); err != nil {
		return nil, fmt.Errorf("read entry lines: %w", err)
	}
	out := make([]ledger.Entry, len(rows))
	byID := make(map[int64]int, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
		byID[r.ID] = i
	}
	for _, l := range lines {
		if i, ok := byID[l.EntryID]; ok {
			out[i].Lines = append(out[i].Lines, l.Line)
		}
	}
	return out, nil
}

func entryByID(ctx context.Context, q querier, id int64) (ledger.Entry, error) {
	es, err := loadEntries(ctx, q, `e.id = ?`, id)
	if err != nil {
		return ledger.Entry{}, err
	}
	if len(es) == 0 {
		return ledger.Entry{}, ledger.NotFoundf("entry %d does not exist", id)
	}
	return es[0], nil
}

func (tx *Tx) entryByKey(ctx context.Context, key string) (*ledger.Entry, error) {
	// Most keys are new: a cheap prepared lookup first, the full read only
	// for a repeat.
	lookup, err := tx.stmt(ctx, sqlKeyLookup)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := lookup.GetContext(ctx, &id, key); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("look up idempotency key: %w", err)
	}
	es, err := loadEntries(ctx, tx, `e.id = ?`, id)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

// Entry reads one entry with its lines.
func (db *DB) Entry(ctx context.Context, id int64) (ledger.Entry, error) {
	return entryByID(ctx, db.db, id)
}

// Journal lists the entries of one business date in posting order.
func (db *DB) Journal(ctx context.Context, date string) ([]ledger.Entry, error) {
	if _, err := ledger.ParseDate(date); err != nil {
		return nil, err
	}
	return loadEntries(ctx, db.db, `e.entry_date = ?`, date)
}
