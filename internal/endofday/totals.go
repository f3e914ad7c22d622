package endofday

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/reconcile"
)

// Totals origins.
const (
	FromTerminal = "terminal" // captured from the terminal's end of day
	FromSlip     = "slip"     // typed from the printed slip
)

// EnterTotals stores a terminal's end-of-day totals of one date, per
// brand (Brand "" for all brands), as an import of their own: the same
// totals again are a no-op; other totals for the same terminal and date
// replace them for the next run (the earlier stay on record).
func (c *Closer) EnterTotals(ctx context.Context, actor auth.Actor, origin string, totals []reconcile.TerminalTotal) (ImportResult, error) {
	if len(totals) == 0 {
		return ImportResult{}, fmt.Errorf("no totals given")
	}
	if origin != FromTerminal && origin != FromSlip {
		return ImportResult{}, fmt.Errorf("totals origin %q: use %s or %s", origin, FromTerminal, FromSlip)
	}
	t0 := totals[0]
	for i := range totals {
		t := &totals[i]
		t.Source = origin
		if t.TerminalID == "" {
			return ImportResult{}, invalidf("the terminal is required: the terminal id printed on the slip, e.g. --terminal T1")
		}
		if t.TerminalID != t0.TerminalID || t.Date != t0.Date {
			return ImportResult{}, invalidf("one terminal and one date at a time")
		}
		if _, err := ledger.ParseDate(t.Date); err != nil {
			return ImportResult{}, err
		}
		if t.Count < 0 || t.Amount < 0 {
			return ImportResult{}, invalidf("the count and the amount cannot be negative")
		}
		if t.ReceiptFrom > t.ReceiptTo {
			return ImportResult{}, invalidf("the receipt range %d-%d is reversed: write FROM-TO", t.ReceiptFrom, t.ReceiptTo)
		}
	}
	sort.Slice(totals, func(i, j int) bool { return totals[i].Brand < totals[j].Brand })
	canon, _ := json.Marshal(totals)
	sum := sha256.Sum256(append([]byte("feepos terminal totals\n"), canon...))
	id := hex.EncodeToString(sum[:])
	name := fmt.Sprintf("%s %s %s", origin, t0.TerminalID, t0.Date)
	var out ImportResult
	err := c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if prev, ok, err := tx.ImportedFile(ctx, id); err != nil || ok {
			out = ImportResult{File: prev, Already: ok}
			return err
		}
		rec := sqlite.ImportedFile{ID: id, Name: name, Format: origin, Kind: sqlite.FileTotals, Rows: len(totals), Actor: actor.String()}
		if err := tx.InsertImportedFile(ctx, rec); err != nil {
			return err
		}
		if err := tx.InsertTerminalTotals(ctx, id, totals); err != nil {
			return err
		}
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "reconcile.totals", Object: "terminal:" + t0.TerminalID, Detail: canon}); err != nil {
			return err
		}
		stored, _, err := tx.ImportedFile(ctx, id)
		out = ImportResult{File: stored, Dates: []string{t0.Date}}
		return err
	})
	return out, err
}

// StoreEndOfDay stores the totals a terminal reported at its end of day
// (POST /api/v1/terminals/{id}/end-of-day) for the business date of at.
// terminal is feepos's id of the terminal; the terminal's own id, when it
// reports one, is what the acquirer's file carries and is used instead.
func (c *Closer) StoreEndOfDay(ctx context.Context, actor auth.Actor, terminal string, at time.Time, eod pos.EndOfDay) (ImportResult, error) {
	tid := eod.TerminalID
	if tid == "" {
		tid = terminal
	}
	date := ledger.BusinessDate(at)
	var ts []reconcile.TerminalTotal
	for _, b := range eod.Totals {
		ts = append(ts, reconcile.TerminalTotal{TerminalID: tid, Date: date, Brand: b.Brand, Count: b.Count, Amount: b.Amount,
			ReceiptFrom: eod.FirstReceipt, ReceiptTo: eod.LastReceipt})
	}
	if len(ts) == 0 { // no per-brand split: the batch's total
		ts = append(ts, reconcile.TerminalTotal{TerminalID: tid, Date: date, Amount: eod.Total,
			ReceiptFrom: eod.FirstReceipt, ReceiptTo: eod.LastReceipt})
	}
	return c.EnterTotals(ctx, actor, FromTerminal, ts)
}
