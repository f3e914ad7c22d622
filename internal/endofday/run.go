package endofday

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// RunResult is a run of a day: the report, and what was stored and
// posted (nothing on a dry run).
type RunResult struct {
	Report reconcile.Report `json:"report"`
	// ExceptionIDs are the stored exceptions' ids, in the report's order
	// (what `feepos reconcile resolve` takes).
	ExceptionIDs []int64 `json:"exception_ids"`
	// Offers are the payments in review the acquirer shows settled:
	// an accountant confirms each (`feepos reconcile confirm`).
	Offers   []reconcile.Match `json:"offers,omitempty"`
	Postings []PostingResult   `json:"postings"`
	RunID    int64             `json:"run_id,omitempty"`
	DryRun   bool              `json:"dry_run,omitempty"`
}

// PostingResult is a settled batch's ledger entry.
type PostingResult struct {
	reconcile.Posting
	EntryID int64 `json:"entry_id,omitempty"`
	// Created is false when a run before posted it (the key was used).
	Created bool `json:"created"`
}

// errDryRun rolls a dry run back.
var errDryRun = errors.New("dry run")

// Run reconciles date: it gathers the day from the store, runs the
// engine, stores the run with its matches and exceptions, and posts each
// settled batch — all in one transaction. A dry run does the same and
// rolls it all back: the report is the one a commit would store.
// Re-running a day replaces its engine matches and posts nothing twice
// (each posting's idempotency key is stable).
func (c *Closer) Run(ctx context.Context, actor auth.Actor, date string, dryRun bool) (RunResult, error) {
	return c.RunAfterImport(ctx, actor, date, dryRun, nil)
}

// RunAfterImport is Run for a command that has just imported files
// (`feepos reconcile run --settlement FILE`): when one of imports holds
// all the settlement lines of date the store has (counted in the run's
// transaction), the run takes them from memory, as parsed, instead of
// reading them back — on a big day, a million lines not read twice and
// not held twice. Otherwise it reads them as Run does. The imports'
// lines are used up: they are released once the run has them.
func (c *Closer) RunAfterImport(ctx context.Context, actor auth.Actor, date string, dryRun bool, imports []*ImportResult) (RunResult, error) {
	if _, err := ledger.ParseDate(date); err != nil {
		return RunResult{}, err
	}
	var mem []reconcile.SettlementLine
	files := 0 // of the day, imported now
	for _, imp := range imports {
		if imp == nil || len(imp.lines) == 0 {
			continue
		}
		if slices.Contains(imp.Dates, date) {
			mem = imp.lines
			files++
		}
		imp.lines = nil
	}
	if files > 1 {
		mem = nil // several files of the day: the store orders them and counts a line in two once
	}
	var out RunResult
	err := c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		// Handed over, not kept here: once the engine has run, the
		// day's lines are garbage while the run is stored.
		lines := mem
		mem = nil
		var err error
		out, err = c.run(ctx, tx, actor, date, lines)
		if err == nil && dryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		out.DryRun, out.RunID = true, 0
		for i := range out.Postings {
			out.Postings[i].EntryID = 0
		}
		return out, nil
	}
	return out, err
}

func (c *Closer) run(ctx context.Context, tx *sqlite.Tx, actor auth.Actor, date string, mem []reconcile.SettlementLine) (RunResult, error) {
	if ledger.BusinessDate(tx.Now) < date {
		return RunResult{}, invalidf("%s has not come yet (today is %s in Vietnam): a day is closed once it is over or under way", date, ledger.BusinessDate(tx.Now))
	}
	if err := tx.ReleaseRunMatches(ctx, date); err != nil {
		return RunResult{}, err
	}
	day, sources, open, err := c.gather(ctx, tx, date, mem)
	if err != nil {
		return RunResult{}, err
	}
	res := c.opt.Engine(day)
	if len(day.Balances) > 0 {
		// The bank's closing balance includes the credits this run posts:
		// assert it against the ledger as it will be after the postings.
		before := *day.LedgerBank
		after := before
		for _, p := range res.Postings {
			posted, err := tx.PostingExists(ctx, p.Key)
			if err != nil {
				return RunResult{}, err
			}
			if !posted {
				after += p.Net
			}
		}
		if after != before {
			day.LedgerBank = &after
			res = c.opt.Engine(day)
		}
	}

	out := RunResult{Report: reconcile.Report{Date: date, Sources: sources, Summary: res.Summary, Matches: []reconcile.Match{}, Exceptions: []reconcile.Exception{}}}
	exceptions, ids, err := c.storeExceptions(ctx, tx, date, res, open)
	if err != nil {
		return RunResult{}, err
	}
	out.Report.Exceptions, out.ExceptionIDs = exceptions, ids
	out.Report.Summary.ExceptionCount = len(exceptions)
	if len(res.Matches) > 0 {
		out.Report.Matches = res.Matches // a million on a big day: not copied
	}
	for _, m := range res.Matches {
		if m.Offer {
			out.Offers = append(out.Offers, m)
		}
	}
	out.RunID, err = tx.InsertReconcileRun(ctx, date, actor.String(), out.Report)
	if err != nil {
		return RunResult{}, err
	}
	if err := tx.InsertMatches(ctx, out.RunID, date, res.Matches); err != nil {
		return RunResult{}, err
	}
	if err := c.autoResolve(ctx, tx, actor, date, res, out.ExceptionIDs); err != nil {
		return RunResult{}, err
	}
	for _, p := range res.Postings {
		pr, err := c.post(ctx, tx, out.RunID, date, p)
		if err != nil {
			return RunResult{}, err
		}
		out.Postings = append(out.Postings, pr)
	}
	return out, tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "reconcile.run", Object: "reconcile_day:" + date,
		Detail: fmt.Appendf(nil, `{"run_id":%d,"matches":%d,"exceptions":%d,"postings":%d}`, out.RunID, len(res.Matches), len(exceptions), len(res.Postings))})
}

// gather reads the day from the store: the card payments of the day and
// of the lag days before it that no match holds, the settlement lines of
// the day, the bank entries booked from the day to the lag after it, the
// statements' balances of the day and the ledger's bank balance, the
// terminals' totals, and the exceptions of earlier days still open.
func (c *Closer) gather(ctx context.Context, tx *sqlite.Tx, date string, mem []reconcile.SettlementLine) (reconcile.Day, []reconcile.SourceInfo, []sqlite.StoredException, error) {
	lag := c.opt.Rules.LagDays
	day := reconcile.Day{Date: date, Options: c.opt.Rules}
	lines, err := dayLines(ctx, tx, date, mem)
	if err != nil {
		return day, nil, nil, err
	}
	// As many payments as lines, about: read into an array of that size.
	if day.Payments, err = tx.ReconcileCardPaymentsAbout(ctx, addDays(date, -lag), date, len(lines)); err != nil {
		return day, nil, nil, err
	}
	matchedLines, matchedBank, err := tx.ActiveMatchedIDs(ctx)
	if err != nil {
		return day, nil, nil, err
	}
	// Filtered in place: a day's million lines are not copied.
	day.Settlement = lines[:0]
	for _, l := range lines {
		if matchedLines[l.ID] {
			day.Held = append(day.Held, l) // still in its batch
		} else {
			day.Settlement = append(day.Settlement, l)
		}
	}
	clear(lines[len(day.Settlement):])
	bank, err := tx.ReconcileBankEntries(ctx, date, addDays(date, lag))
	if err != nil {
		return day, nil, nil, err
	}
	for _, e := range bank {
		if !matchedBank[e.ID] {
			day.Bank = append(day.Bank, e)
		}
	}
	if day.Balances, err = tx.ReconcileBankBalances(ctx, date); err != nil {
		return day, nil, nil, err
	}
	if len(day.Balances) > 0 {
		bal, err := tx.LedgerBalanceOf(ctx, ledger.RoleBank, date)
		if err != nil {
			return day, nil, nil, err
		}
		day.LedgerBank = &bal
	}
	if day.Totals, err = tx.ReconcileTerminalTotals(ctx, date); err != nil {
		return day, nil, nil, err
	}
	open, err := tx.Exceptions(ctx, sqlite.ExceptionFilter{OpenOnly: true, SeenBy: date})
	if err != nil {
		return day, nil, nil, err
	}
	for _, e := range open {
		if e.FirstSeen < date {
			x := e.Exception
			x.Since, x.AgeDays = e.FirstSeen, daysBetween(e.FirstSeen, date)
			day.Open = append(day.Open, x)
		}
	}
	if err := c.addNamed(ctx, tx, &day); err != nil {
		return day, nil, nil, err
	}
	// The report names the files the day's facts come from.
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, l := range day.Settlement {
		add(l.Source)
	}
	for _, l := range day.Held {
		add(l.Source)
	}
	for _, e := range day.Bank {
		add(e.Source)
	}
	totalSources, err := tx.TerminalTotalSources(ctx, date)
	if err != nil {
		return day, nil, nil, err
	}
	for _, id := range totalSources {
		add(id)
	}
	files, err := tx.ImportedFiles(ctx, ids)
	if err != nil {
		return day, nil, nil, err
	}
	sources := []reconcile.SourceInfo{}
	for _, f := range files {
		sources = append(sources, reconcile.SourceInfo{File: f.Name, SHA256: f.ID, Format: f.Format, Rows: f.Rows})
	}
	return day, sources, open, nil
}

// exceptionKey identifies the same problem on another day: its kind and
// what it is about; a problem about nothing but a day (a terminal's
// totals, the bank balance) is that day's.
func exceptionKey(e reconcile.Exception, date string) string {
	parts := []string{string(e.Kind), e.PaymentID, e.SettlementID, e.BankID, e.TerminalID}
	if e.PaymentID == "" && e.SettlementID == "" && e.BankID == "" {
		parts = append(parts, date)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// sameThing reports whether a carried-over exception of the engine is
// the stored open one.
func sameThing(e reconcile.Exception, s sqlite.StoredException) bool {
	kind := e.Kind
	if kind == reconcile.CarriedOver {
		kind = e.OriginKind
	}
	return (kind == "" || kind == s.Kind) && e.PaymentID == s.PaymentID && e.SettlementID == s.SettlementID && e.BankID == s.BankID &&
		e.TerminalID == s.TerminalID && (e.Since == "" || e.Since == s.FirstSeen)
}

// carried is a stored exception as the report of date shows it: of kind
// carried_over, with the day it was first seen and its age.
func carried(s sqlite.StoredException, date string) reconcile.Exception {
	x := s.Exception
	x.Kind, x.OriginKind = reconcile.CarriedOver, s.Kind
	x.Since, x.AgeDays = s.FirstSeen, daysBetween(s.FirstSeen, date)
	x.Detail = fmt.Sprintf("Tồn từ ngày %s (%d ngày), chưa xử lý: %s", s.FirstSeen, x.AgeDays, s.Detail)
	return x
}

// storeExceptions stores the engine's exceptions (new ones first seen on
// date, known ones seen again) and returns the report's exceptions: the
// day's, then those of earlier days still open as carried_over.
func (c *Closer) storeExceptions(ctx context.Context, tx *sqlite.Tx, date string, res reconcile.Result, open []sqlite.StoredException) ([]reconcile.Exception, []int64, error) {
	out := []reconcile.Exception{}
	var ids []int64
	reported := map[int64]bool{}
	for _, e := range res.Exceptions {
		if e.Kind == reconcile.CarriedOver {
			found := false
			for _, s := range open {
				if s.FirstSeen < date && !reported[s.ID] && sameThing(e, s) {
					if err := tx.TouchException(ctx, s.ID, date); err != nil {
						return nil, nil, err
					}
					reported[s.ID], found = true, true
					e.Since, e.OriginKind = s.FirstSeen, s.Kind
					out, ids = append(out, e), append(ids, s.ID)
					break
				}
			}
			if found {
				continue
			}
		}
		s, err := tx.UpsertException(ctx, exceptionKey(e, date), date, e)
		if err != nil {
			return nil, nil, err
		}
		if reported[s.ID] || !s.Open {
			continue // twice in the result, or resolved (written off) before
		}
		reported[s.ID] = true
		if s.FirstSeen < date {
			e = carried(s, date)
		}
		out, ids = append(out, e), append(ids, s.ID)
	}
	// An earlier day's exception the engine neither reported again nor
	// resolved is still open.
	for _, s := range open {
		if reported[s.ID] || s.FirstSeen >= date || resolvedBy(res, s) {
			continue
		}
		if settled, err := c.settledNow(ctx, tx, s); err != nil {
			return nil, nil, err
		} else if settled {
			continue
		}
		if err := tx.TouchException(ctx, s.ID, date); err != nil {
			return nil, nil, err
		}
		reported[s.ID] = true
		out, ids = append(out, carried(s, date)), append(ids, s.ID)
	}
	return out, ids, nil
}

// settledNow reports whether an active match now holds what s is about.
func (c *Closer) settledNow(ctx context.Context, tx *sqlite.Tx, s sqlite.StoredException) (bool, error) {
	if s.PaymentID != "" {
		id, err := tx.ActiveMatchOf(ctx, s.PaymentID)
		if err != nil || id != 0 {
			return id != 0, err
		}
	}
	if s.SettlementID != "" {
		return tx.SettlementLineMatched(ctx, s.SettlementID)
	}
	return false, nil
}

// autoResolve closes the open exceptions the run of date no longer
// reports: an earlier day's whose payment or line a match now holds, and
// one first seen on date itself that a re-run no longer finds.
func (c *Closer) autoResolve(ctx context.Context, tx *sqlite.Tx, actor auth.Actor, date string, res reconcile.Result, reported []int64) error {
	still := map[int64]bool{}
	for _, id := range reported {
		still[id] = true
	}
	// Those first seen on date by an earlier run of the day.
	today, err := tx.Exceptions(ctx, sqlite.ExceptionFilter{OpenOnly: true, SeenBy: date})
	if err != nil {
		return err
	}
	for _, s := range today {
		if still[s.ID] || s.FirstSeen > date {
			continue
		}
		reason := fmt.Sprintf("lần đối soát ngày %s không còn thấy ngoại lệ này", VNDate(date))
		if s.FirstSeen < date {
			settled, err := c.settledNow(ctx, tx, s)
			if err != nil {
				return err
			}
			if !settled && !resolvedBy(res, s) {
				continue
			}
			reason = fmt.Sprintf("đã khớp trong lần đối soát ngày %s", VNDate(date))
		}
		if _, err := tx.InsertResolution(ctx, sqlite.Resolution{ExceptionID: s.ID, Action: "auto", Reason: reason, Actor: actor.String(), Date: date}); err != nil {
			return err
		}
	}
	return nil
}

// resolvedBy reports whether the engine resolved the open exception s
// (Result.Resolved: today's matches hold its payment or line).
func resolvedBy(res reconcile.Result, s sqlite.StoredException) bool {
	for _, r := range res.Resolved {
		if sameThing(r, s) {
			return true
		}
	}
	return false
}

// post posts a settled batch: debit bank (net), debit bank charges (fee),
// credit card clearing (gross), under a key stable across re-runs.
func (c *Closer) post(ctx context.Context, tx *sqlite.Tx, runID int64, date string, p reconcile.Posting) (PostingResult, error) {
	if p.Key == "" || p.Gross <= 0 || p.Net < 0 || p.Fee < 0 || p.Net+p.Fee != p.Gross {
		return PostingResult{}, fmt.Errorf("the engine's posting %q does not balance (gross %d, fee %d, net %d): nothing was stored", p.Key, p.Gross, p.Fee, p.Net)
	}
	bank, err := tx.AccountFor(ctx, ledger.RoleBank)
	if err != nil {
		return PostingResult{}, err
	}
	charges, err := tx.AccountFor(ctx, ledger.RoleBankCharges)
	if err != nil {
		return PostingResult{}, err
	}
	clearing, err := tx.AccountFor(ctx, ledger.RoleCardClearing)
	if err != nil {
		return PostingResult{}, err
	}
	key := "reconcile-settlement:" + p.Key
	posted, err := tx.PostingExists(ctx, p.Key)
	if err != nil {
		return PostingResult{}, err
	}
	dims := ledger.Dimensions{Terminal: p.TerminalID}
	e := ledger.NewEntry{Date: date, IdempotencyKey: key,
		Description: fmt.Sprintf("Quyết toán thẻ ngày %s, máy %s lô %s: tiền về ngân hàng %s đ, phí %s đ", VNDate(date), p.TerminalID, p.BatchNo, groupDigits(p.Net), groupDigits(p.Fee))}
	if p.Net > 0 {
		e.Lines = append(e.Lines, ledger.Line{Account: bank, Side: ledger.Debit, Amount: p.Net, Currency: ledger.DefaultCurrency, Dimensions: dims})
	}
	if p.Fee > 0 {
		e.Lines = append(e.Lines, ledger.Line{Account: charges, Side: ledger.Debit, Amount: p.Fee, Currency: ledger.DefaultCurrency, Dimensions: dims})
	}
	e.Lines = append(e.Lines, ledger.Line{Account: clearing, Side: ledger.Credit, Amount: p.Gross, Currency: ledger.DefaultCurrency, Dimensions: dims})
	entry, err := tx.PostEntry(ctx, e)
	if err != nil {
		if apperr.Code(err) == apperr.Conflict {
			return PostingResult{}, conflictf("batch %s of terminal %s was posted before with other amounts (entry key %s): reverse that entry (feepos ledger reverse) before re-running the day, or resolve the difference as an exception", p.BatchNo, p.TerminalID, key)
		}
		return PostingResult{}, err
	}
	if err := tx.InsertSettlementPosting(ctx, runID, date, entry.ID, p); err != nil {
		return PostingResult{}, err
	}
	return PostingResult{Posting: p, EntryID: entry.ID, Created: !posted}, nil
}

// addNamed adds to the day the payments its open exceptions name that
// are still to be matched and not in it yet (older than the lag), so the
// engine can resolve them. An earlier day's settlement line is not added:
// its batch was posted on its own day, and the engine would post it again
// as a batch of its own; a line missing in the ledger is resolved by a
// person (resolve --match).
func (c *Closer) addNamed(ctx context.Context, tx *sqlite.Tx, day *reconcile.Day) error {
	havePay := map[string]bool{}
	for _, p := range day.Payments {
		havePay[p.ID] = true
	}
	for _, o := range day.Open {
		if id := o.PaymentID; id != "" && !havePay[id] {
			p, ok, err := tx.ReconcilePaymentByID(ctx, id)
			if err != nil {
				return err
			}
			if ok {
				day.Payments = append(day.Payments, p)
			}
			havePay[id] = true
		}
	}
	return nil
}

// dayLines returns the settlement lines of date as
// tx.ReconcileSettlementLines reads them: from mem (one file's lines as
// its import parsed and stored them) when the store holds no other line
// of date, else from the store. mem is filtered in place.
func dayLines(ctx context.Context, tx *sqlite.Tx, date string, mem []reconcile.SettlementLine) ([]reconcile.SettlementLine, error) {
	if len(mem) > 0 {
		ls := mem[:0]
		for _, l := range mem {
			if l.SettlementDate == date {
				ls = append(ls, l)
			}
		}
		clear(mem[len(ls):])
		n, err := tx.SettlementLineCount(ctx, date, date)
		if err != nil {
			return nil, err
		}
		if n == len(ls) {
			// Every line of the day is this file's (the store's count
			// includes them: they were committed before this run). What
			// the store would give back: the file's order, VND where the
			// file left the currency out, the time to the second in
			// Vietnam's zone.
			for i := range ls {
				l := &ls[i]
				if l.Currency == "" {
					l.Currency = "VND"
				}
				if t := l.TxnTime; !t.IsZero() {
					l.TxnTime = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, ledger.Zone)
				}
			}
			if !slices.IsSortedFunc(ls, func(a, b reconcile.SettlementLine) int { return a.Line - b.Line }) {
				slices.SortStableFunc(ls, func(a, b reconcile.SettlementLine) int { return a.Line - b.Line })
			}
			return ls, nil
		}
		clear(ls)
	}
	return tx.ReconcileSettlementLines(ctx, date, date)
}
