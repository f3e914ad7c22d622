package terminals

import (
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/pos"
)

// BusyMessageVI is what the cashier reads when a charge waited its turn
// in vain.
const BusyMessageVI = "Máy POS đang bận, vui lòng thử lại"

// BusyError: the charge did not get the terminal in time, or its queue was
// full. Nothing was sent: errors.Is(err, pos.ErrBusy).
type BusyError struct {
	Terminal  string
	Waited    time.Duration // 0 when the queue was full
	QueueFull bool
	Queue     int    // the queue's size
	Reason    string // set when the terminal itself held the charge back
}

func (e *BusyError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("terminal %s is busy: %s; nothing was sent, try again shortly (%s)", e.Terminal, e.Reason, BusyMessageVI)
	}
	if e.QueueFull {
		return fmt.Sprintf("terminal %s is busy: %d charges already wait for it; nothing was sent, try again shortly (%s)", e.Terminal, e.Queue, BusyMessageVI)
	}
	return fmt.Sprintf("terminal %s is busy: the charge waited %v for its turn; nothing was sent, try again shortly (%s)", e.Terminal, e.Waited, BusyMessageVI)
}

// Is makes errors.Is(err, pos.ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == pos.ErrBusy }

// MessageVI is the cashier's message.
func (e *BusyError) MessageVI() string { return BusyMessageVI }

// ErrorCode: internal/apperr maps it to "unavailable" (try again later).
func (e *BusyError) ErrorCode() string { return "unavailable" }

// OfflineError: the terminal's link could not be opened, so nothing was
// written down or sent: errors.Is(err, pos.ErrTransport).
type OfflineError struct {
	Terminal string
	Err      error
}

func (e *OfflineError) Error() string {
	return fmt.Sprintf("terminal %s is offline (%v): nothing was sent, the card was not charged; check its cable and power", e.Terminal, e.Err)
}

func (e *OfflineError) Unwrap() []error { return []error{pos.ErrTransport, e.Err} }

// ErrorCode: internal/apperr maps it to "unavailable".
func (e *OfflineError) ErrorCode() string { return "unavailable" }

// MessageVI is the cashier's message.
func (e *OfflineError) MessageVI() string {
	return "Máy POS mất kết nối: thẻ chưa bị trừ tiền. Kiểm tra cáp và nguồn máy POS rồi thử lại"
}

// Manager errors.
var (
	// ErrUnknownTerminal: no terminal is configured with that id.
	ErrUnknownTerminal = errors.New("no terminal with that id is configured")
	// ErrClosed: the manager is closing or closed.
	ErrClosed = errors.New("the terminal manager is closed")
	// ErrFinished: Confirm or Reject on a charge already confirmed or
	// rejected.
	ErrFinished = errors.New("the charge's result was already confirmed or rejected")
	// ErrNoResult: Confirm or Reject before the charge has its result.
	ErrNoResult = errors.New("the charge has no result yet")
)

// MessageVI is the Vietnamese message for the cashier an error of this
// package (or a driver's "not supported") carries, "" if none.
func MessageVI(err error) string {
	var m interface{ MessageVI() string }
	if errors.As(err, &m) {
		return m.MessageVI()
	}
	var u *UnsupportedError
	if errors.As(err, &u) {
		return u.MessageVI
	}
	return driverMessageVI(err)
}
