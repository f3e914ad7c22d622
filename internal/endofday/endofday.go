// Package endofday is the day's close (docs/RECONCILE-CLOSE.md): it
// imports settlement files, bank statements and terminal totals (each
// file whole or not at all), gathers a reconcile.Day from the store, runs
// the pure engine (package reconcile), stores the run, its matches and
// exceptions, and posts the settled batches to the ledger — one SQLite
// transaction per step. An accountant resolves the exceptions and
// confirms the in-doubt payments the engine offers; both are audited.
package endofday

import (
	"time"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// Engine is the matching engine: reconcile.Run.
type Engine func(reconcile.Day) reconcile.Result

// Options configure a Closer.
type Options struct {
	// Engine matches a day (default reconcile.Run).
	Engine Engine
	// Reader reads a file into facts (default ReadFile: the importers).
	Reader Reader
	// Rules tune the engine (LagDays default 1).
	Rules reconcile.Options
	// Payments settles the in-doubt payments an accountant confirms
	// (nil: Confirm refuses).
	Payments *payments.Service
}

// Closer runs the day's close on a database.
type Closer struct {
	db  *sqlite.DB
	opt Options
}

// New makes a Closer.
func New(db *sqlite.DB, opt Options) *Closer {
	if opt.Engine == nil {
		opt.Engine = defaultEngine
	}
	if opt.Reader == nil {
		opt.Reader = ReadFile
	}
	if opt.Rules.LagDays <= 0 {
		opt.Rules.LagDays = 1
	}
	return &Closer{db: db, opt: opt}
}

// addDays shifts a YYYY-MM-DD date.
func addDays(date string, n int) string {
	t, err := time.Parse(ledger.DateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(ledger.DateLayout)
}

// daysBetween is to − from in days.
func daysBetween(from, to string) int {
	a, err1 := time.Parse(ledger.DateLayout, from)
	b, err2 := time.Parse(ledger.DateLayout, to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// VNDate turns YYYY-MM-DD into dd/mm/yyyy.
func VNDate(d string) string {
	t, err := time.Parse(ledger.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
