package pos

import "errors"

// Error kinds every driver's errors match (errors.Is), so that no caller
// imports a driver to tell them apart. A driver wraps its own, more
// precise errors around these.
var (
	// ErrBusy: the terminal (or its driver) is in another conversation;
	// nothing was sent for this one. Try again when it is free.
	ErrBusy = errors.New("terminal busy with another transaction")
	// ErrTransport: nothing reached the terminal; the card was certainly
	// not charged.
	ErrTransport = errors.New("command not sent to the terminal, nothing was charged")
	// ErrUnknownOutcome: the request reached (or may have reached) the
	// terminal and no final result came back: the card may have been
	// charged. Recover (Judge) before charging again.
	ErrUnknownOutcome = errors.New("no final result from the terminal; the card may have been charged: settle it before charging again")
	// ErrNotSupported: the terminal's protocol cannot do this operation
	// (see Capabilities); nothing was sent.
	ErrNotSupported = errors.New("not supported by the terminal's protocol")
	// ErrReversedByTerminal: Confirm came too late, or Reject was obeyed:
	// the terminal says it reversed the result; the card is not charged.
	ErrReversedByTerminal = errors.New("the terminal reversed the transaction: the card is not charged")
	// ErrConfirmUncertain: Confirm could not tell whether the terminal
	// booked the result (the acknowledgement may not have arrived, the
	// line broke after it): recover before treating it as either.
	ErrConfirmUncertain = errors.New("the terminal did not confirm it booked the result: settle it by recovery")
	// ErrPendingExpired: Confirm or Reject was called after the Pending's
	// deadline; the driver had already refused the result to the terminal.
	ErrPendingExpired = errors.New("the result was not confirmed before the terminal's deadline and was refused")
)

// ErrInvalidRequest matches (errors.Is) the error of a request a driver
// refused before sending anything, because the protocol cannot carry it as
// asked: an amount beyond the protocol's digits, a reference too long, a
// currency other than the đồng. It is the caller's mistake, not the link's:
// nothing was sent, so the card was not charged, and sending it again
// unchanged cannot help. The Result of such a Pending says TransportError
// (nothing was sent); the error tells the two apart.
//
// Each driver exports its own limits and check of a Request
// (zvt.ValidateRequest, concert.ValidateRequest), so a caller can refuse
// the request before it opens the port; the driver checks again.
var ErrInvalidRequest error = invalidRequest{}

type invalidRequest struct{}

func (invalidRequest) Error() string { return "invalid request, nothing was sent to the terminal" }

// ErrorCode lets internal/apperr map the error to "invalid" without this
// package importing it.
func (invalidRequest) ErrorCode() string { return "invalid" }
