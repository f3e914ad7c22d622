// Package pos is the card terminal as feepos sees it: the Terminal
// interface, what a payment asks and what comes back, and the status events
// the cashier's screen shows. Protocol drivers live in pos/zvt and
// pos/concert, byte transports in pos/transport, and a terminal simulator
// speaking the same protocols in pos/sim.
//
// The rule every driver keeps: a terminal never lies to feepos. If the card
// may have been charged and the driver cannot tell, the outcome is Unknown,
// and LastResult recovers the truth later. It never guesses.
package pos

import "context"

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

	// Pay charges req.Amount đồng. Events, if not nil, receives the
	// intermediate status for the cashier's screen; it is never closed by
	// the driver and sends never block (events are dropped if it is full).
	Pay(ctx context.Context, req Request, events chan<- Event) (Pending, error)
	// Reverse cancels an approved payment of the current batch by the
	// terminal's receipt number.
	Reverse(ctx context.Context, receiptNo int64, req Request, events chan<- Event) (Pending, error)
	// Refund pays money back to a card.
	Refund(ctx context.Context, req Request, events chan<- Event) (Pending, error)
	// Abort asks the terminal to abort the transaction in progress.
	Abort(ctx context.Context) error
	// LastResult asks the terminal for the result of its last transaction
	// (ZVT Repeat Receipt, 06 20): the recovery after an Unknown outcome.
	LastResult(ctx context.Context) (Result, error)
	// EndOfDay closes the terminal's batch and returns its totals.
	EndOfDay(ctx context.Context) (EndOfDay, error)
	// Status asks whether the terminal is ready.
	Status(ctx context.Context) (Status, error)
	Close() error
}

// Pending is a final result not yet acknowledged to the terminal.
type Pending interface {
	Result() Result
	// Confirm acknowledges the result once the caller has stored it, and
	// finishes the terminal's sequence (receipt lines, completion).
	Confirm(ctx context.Context) error
	// Reject withholds the acknowledgement: the caller could not store the
	// result. A ZVT terminal then reverses the payment by itself.
	Reject(ctx context.Context) error
}

// Protocol names an ECR protocol.
type Protocol string

const (
	ZVT     Protocol = "zvt"
	Concert Protocol = "concert"
)

// CurrencyVND is the ISO 4217 numeric code of the đồng.
const CurrencyVND = 704

// Request is what a payment, refund or reversal asks.
type Request struct {
	Amount    int64  // whole đồng (VND has no minor unit)
	Currency  int    // ISO 4217 numeric; 0 means CurrencyVND
	Reference string // feepos's correlation reference (payment id), echoed where the protocol allows
}
