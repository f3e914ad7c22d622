package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// The imported facts of the day's close (migration 0014,
// docs/RECONCILE.md): files, their settlement lines, bank entries
// and balances, and terminal totals. internal/endofday writes them, one
// file per transaction.

// File kinds.
const (
	FileSettlement = "settlement"
	FileBank       = "bank"
	FileTotals     = "totals"
)

// ImportedFile is a file as imported.
type ImportedFile struct {
	ID         string    `db:"id" json:"sha256"` // SHA-256 hex of the bytes
	Name       string    `db:"name" json:"file"`
	Format     string    `db:"format" json:"format"`
	Profile    string    `db:"profile" json:"profile,omitempty"`
	Kind       string    `db:"kind" json:"kind"`
	Rows       int       `db:"rows" json:"rows"`
	ImportedAt time.Time `db:"-" json:"imported_at"`
	Actor      string    `db:"actor" json:"actor"`
}

type importedFileRow struct {
	ImportedFile
	At string `db:"imported_at"`
}

const importedFileColumns = `id, name, format, profile, kind, rows, imported_at, actor`

func importedFile(ctx context.Context, q querier, id string) (ImportedFile, bool, error) {
	var r importedFileRow
	err := q.GetContext(ctx, &r, `SELECT `+importedFileColumns+` FROM reconcile_files WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ImportedFile{}, false, nil
	}
	if err != nil {
		return ImportedFile{}, false, fmt.Errorf("read imported file %s: %w", id, err)
	}
	r.ImportedAt, _ = time.Parse(time.RFC3339Nano, r.At)
	return r.ImportedFile, true, nil
}

// ImportedFile reads the file of that SHA-256, if it was imported.
func (tx *Tx) ImportedFile(ctx context.Context, id string) (ImportedFile, bool, error) {
	return importedFile(ctx, tx, id)
}

// ImportedFile reads the file of that SHA-256, if it was imported.
func (db *DB) ImportedFile(ctx context.Context, id string) (ImportedFile, bool, error) {
	return importedFile(ctx, db.db, id)
}

// ImportedFiles lists the files of the given ids, in import order.
func (tx *Tx) ImportedFiles(ctx context.Context, ids []string) ([]ImportedFile, error) {
	var out []ImportedFile
	for _, id := range ids {
		f, ok, err := tx.ImportedFile(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// InsertImportedFile records a file; its rows follow in the same
// transaction.
func (tx *Tx) InsertImportedFile(ctx context.Context, f ImportedFile) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO reconcile_files (`+importedFileColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Name, f.Format, f.Profile, f.Kind, f.Rows, tx.Now.UTC().Format(time.RFC3339Nano), f.Actor)
	if err != nil {
		return fmt.Errorf("record imported file %s: %w", f.Name, err)
	}
	return nil
}

// InsertSettlementLines stores a settlement file's lines, in bulk
// (multi-row INSERTs, reconcile_bulk.go).
func (tx *Tx) InsertSettlementLines(ctx context.Context, source string, lines []reconcile.SettlementLine) (err error) {
	defer func() { tx.halfDone(err) }()
	b, err := newBulk(ctx, tx, `INSERT INTO reconcile_settlement_lines
		(source, id, line, settlement_date, terminal_id, merchant_id, batch_no, trace_no, rrn, approval_code, pan_masked,
		 card_brand, txn_type, txn_time, amount, fee, net, currency) VALUES `, 18, 64)
	if err != nil {
		return fmt.Errorf("prepare settlement lines: %w", err)
	}
	// In the order of their ids: the two indexes on the id (the file's
	// unique lines, the lookup by id) then grow at their end instead of
	// at random pages — a million random inserts would spill the page
	// cache over and over. The line number stays in its column; readers
	// order by it.
	order := make([]int32, len(lines))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(lines[a].ID, lines[b].ID) })
	var tb [32]byte
	for _, i := range order {
		l := lines[i]
		txnTime := ""
		if !l.TxnTime.IsZero() {
			txnTime = string(l.TxnTime.AppendFormat(tb[:0], "2006-01-02T15:04:05"))
		}
		cur := l.Currency
		if cur == "" {
			cur = "VND"
		}
		if err := b.add(ctx, source, l.ID, l.Line, l.SettlementDate, l.TerminalID, l.MerchantID, l.BatchNo, l.TraceNo,
			l.RRN, l.ApprovalCode, l.PANMasked, l.CardBrand, string(l.Type), txnTime, l.Amount, l.Fee, l.Net, cur); err != nil {
			b.close()
			return fmt.Errorf("store %d settlement lines (the last, line %d, %s): %w", b.batch, l.Line, l.ID, err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("store the last %d settlement lines: %w", len(lines)%b.batch, err)
	}
	return nil
}

// InsertStatements stores a bank file's statements: entries, their
// details and the balances.
func (tx *Tx) InsertStatements(ctx context.Context, source string, sts []reconcile.Statement) (err error) {
	defer func() { tx.halfDone(err) }()
	for _, s := range sts {
		for _, e := range s.Entries {
			account := e.Account
			if account == "" {
				account = s.Account
			}
			cur := e.Currency
			if cur == "" {
				cur = "VND"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_bank_entries
				(source, id, line, account, booking_date, value_date, amount, currency, reversal, reference, text)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, source, e.ID, e.Line, account, e.BookingDate, e.ValueDate,
				e.Amount, cur, e.Reversal, e.Reference, e.Text); err != nil {
				return fmt.Errorf("store bank entry %s (line %d): %w", e.ID, e.Line, err)
			}
			for i, d := range e.Details {
				if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_bank_details (source, account, entry_id, n, amount, reference, text)
					VALUES (?, ?, ?, ?, ?, ?, ?)`, source, account, e.ID, i+1, d.Amount, d.Reference, d.Text); err != nil {
					return fmt.Errorf("store bank entry %s detail %d: %w", e.ID, i+1, err)
				}
			}
		}
		for _, b := range s.Balances {
			account := b.Account
			if account == "" {
				account = s.Account
			}
			cur := b.Currency
			if cur == "" {
				cur = "VND"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_bank_balances (source, account, kind, final, date, amount, currency)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, source, account, b.Kind, b.Final, b.Date, b.Amount, cur); err != nil {
				return fmt.Errorf("store bank balance %s %s of %s: %w", b.Kind, b.Date, account, err)
			}
		}
	}
	return nil
}

// InsertTerminalTotals stores a terminal's end-of-day totals.
func (tx *Tx) InsertTerminalTotals(ctx context.Context, source string, ts []reconcile.TerminalTotal) (err error) {
	defer func() { tx.halfDone(err) }()
	for _, t := range ts {
		origin := t.Source
		if origin == "" {
			origin = "slip"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reconcile_terminal_totals
			(source, terminal_id, date, brand, count, amount, receipt_from, receipt_to, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			source, t.TerminalID, t.Date, t.Brand, t.Count, t.Amount, t.ReceiptFrom, t.ReceiptTo, origin); err != nil {
			return fmt.Errorf("store the totals of terminal %s on %s: %w", t.TerminalID, t.Date, err)
		}
	}
	return nil
}
