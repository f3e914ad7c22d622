// Package pos is the card terminal as feepos sees it: the Terminal
// interface, what a payment asks and what comes back, and the status events
// the cashier's screen shows. Protocol drivers live in pos/zvt and
// pos/concert, byte transports in pos/transport, and a terminal simulator
// speaking the same protocols in pos/sim.
//
// The rule every driver keeps: a terminal never lies to feepos. If the card
// may have been charged and the driver cannot tell, the outcome is Unknown,
// and recovery (Judge, over LastResult and orphan answers) settles it later
// or leaves it for a person. It never guesses. docs/TERMINALS.md explains
// the rules.
package pos

import (
	"context"
	"time"
)

// Terminal is one card terminal. A driver runs one transaction at a time;
// a second call while one runs gets Busy.
//
// Two-phase results: Pay, Refund and Reverse return a Pending holding the
// terminal's final result before it is acknowledged. The caller records
// the result durably (one SQLite transaction) and only then calls Confirm,
// which acknowledges it to the terminal. A ZVT terminal reverses a payment
// whose Status-Information (04 0F) is not acknowledged (PA00P015 ch. 2.2),
// so a feepos that dies between the terminal's answer and its own commit
// leaves no charge behind that it does not know of. Call Reject when the
// result could not be recorded: the driver withholds the acknowledgement.
type Terminal interface {
	ID() string
	Protocol() Protocol
	// TerminalID is the terminal's own id (ZVT TID) as last reported, ""
	// if none; it never waits for a running transaction.
	TerminalID() string
	// Capabilities says what the protocol can do, known before anything is
	// sent.
	Capabilities() Capabilities

	// Pay charges req.Amount đồng. Events, if not nil, receives the
	// intermediate status for the cashier's screen; it is never closed by
	// the driver and sends never block (events are dropped if it is full).
	Pay(ctx context.Context, req Request, events chan<- Event) (Pending, error)
	// Reverse cancels an approved payment of the current batch by the
	// terminal's receipt number.
	Reverse(ctx context.Context, receiptNo int64, req Request, events chan<- Event) (Pending, error)
	// Refund pays money back to a card.
	Refund(ctx context.Context, req Request, events chan<- Event) (Pending, error)
	// Abort asks the terminal to abort the transaction in progress. It
	// never waits for the transaction's lock. It returns ErrNoTransaction
	// when nothing runs, and ErrResultHeld while a Pending holds a final
	// result (then nothing is done: Reject refuses a held result).
	Abort(ctx context.Context) error
	// LastResult asks the terminal for the record of its last transaction
	// (ZVT Repeat Receipt, 06 20), whatever it was: evidence for Judge, not
	// the result of any particular attempt. With no record it returns
	// ErrNoLastResult and Outcome Unknown.
	LastResult(ctx context.Context) (Result, error)
	// EndOfDay closes the terminal's batch and returns its totals.
	EndOfDay(ctx context.Context) (EndOfDay, error)
	// Status asks whether the terminal is ready.
	Status(ctx context.Context) (Status, error)
	Close() error
}

// Prober is a Terminal that can prove its line alive without a
// transaction, for a protocol with no status enquiry (Concert E+: a
// session opened and closed at once). nil: the terminal answered. It
// returns an error matching ErrBusy while a transaction of the driver
// runs (nothing was sent). One failure is a doubt, not proof that the
// terminal is gone: see docs/TERMINALS.md, "Liveness".
type Prober interface {
	Probe(ctx context.Context) error
}

// Pending is a final result not yet acknowledged to the terminal.
//
// While a Pending is open the driver holds the terminal: on ZVT it asks the
// terminal for more time (84 9C) as the terminal's wait runs out, until
// Confirm, Reject, or the hold limit. At the deadline the driver acts by
// its protocol: ZVT refuses the result (84 66: the terminal reverses it,
// and Confirm then returns ErrPendingExpired); Concert acknowledges it
// itself and delivers it as an Orphan (a Concert terminal never reverses:
// the charge stands, and Confirm then returns an error matching
// ErrConfirmUncertain). Either way a caller must not record "approved"
// after Deadline.
type Pending interface {
	Result() Result
	// Deadline is when the driver will refuse the result if neither
	// Confirm nor Reject came; zero for a Pending that holds nothing open
	// (a decline, an abort, an Unknown). Record and Confirm before it.
	Deadline() time.Time
	// Confirm acknowledges the result once the caller has stored it, and
	// finishes the terminal's sequence (receipt lines, completion). Its
	// error matches ErrReversedByTerminal when the terminal says it
	// reversed the result (nothing charged), ErrPendingExpired when the
	// deadline had passed (refused, nothing charged on ZVT), and
	// ErrConfirmUncertain when the terminal's answer did not come (settle
	// it by recovery). A Pending that holds nothing returns nil.
	Confirm(ctx context.Context) error
	// Reject refuses the result: the caller could not store it. A ZVT
	// terminal is told not to book it (84 66) and reverses it; Reject
	// returns nil when the terminal confirmed the reversal and an error
	// matching ErrConfirmUncertain when it did not answer. A Concert
	// terminal does not reverse (see pos/concert): the charge stands.
	Reject(ctx context.Context) error
}

// Capabilities is what a terminal's protocol can do.
type Capabilities struct {
	Reverse    bool `json:"reverse"`
	Refund     bool `json:"refund"`
	Abort      bool `json:"abort"`       // an abort message exists (else the cashier uses the terminal's red key)
	LastResult bool `json:"last_result"` // the terminal repeats its last transaction (recovery)
	EndOfDay   bool `json:"end_of_day"`
	Status     bool `json:"status"`      // a status enquiry exists (health polls)
	HoldResult bool `json:"hold_result"` // the terminal reverses a result that is refused or not acknowledged
}

// Orphan is an answer that arrived when nothing waited for it: a late
// answer to an earlier request (Concert), a status information repeated
// after a reconnect (ZVT). It is evidence for recovery, never dropped.
type Orphan struct {
	Result Result    `json:"result"`
	Wire   string    `json:"wire"` // the message as hex, card number masked, track data removed
	At     time.Time `json:"at"`
	// Refused says the driver answered it with a refusal (ZVT 84 66),
	// since no one could record it: a ZVT terminal then reverses it.
	Refused bool   `json:"refused"`
	Note    string `json:"note,omitempty"`
}

// Protocol names an ECR protocol.
type Protocol string

const (
	ZVT     Protocol = "zvt"
	Concert Protocol = "concert"
)

// CurrencyVND is the ISO 4217 numeric code of the đồng.
const CurrencyVND = 704

// ErrNoTransaction: Abort found nothing running. ErrResultHeld: Abort
// found a final result held for Confirm or Reject, and did nothing.
// ErrNoLastResult: the terminal has no last transaction to repeat.
var (
	ErrNoTransaction = errorString("no transaction in progress")
	ErrResultHeld    = errorString("the transaction has a final result waiting to be recorded: abort does nothing now (reject the result instead)")
	ErrNoLastResult  = errorString("the terminal has no last transaction to repeat")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// Request is what a payment, refund or reversal asks.
type Request struct {
	Amount    int64  // whole đồng (VND has no minor unit)
	Currency  int    // ISO 4217 numeric; 0 means CurrencyVND
	Reference string // feepos's correlation reference (payment id), echoed where the protocol allows
}
