// Package printer sends a rendered receipt (the ESC/POS bytes of
// receipts.RenderESCPOS) to the counter's thermal printer: over TCP to the
// raw port 9100 ("JetDirect"/AppSocket), over a serial line (RS-232 or a
// USB-serial adapter, go.bug.st/serial), or into a Linux usblp device file
// (/dev/usb/lp0). It knows nothing of receipts: a job is bytes.
//
// Before printing on a two-way link (TCP, serial) Print asks the printer's
// real-time status (ESC/POS DLE EOT, status.go) and refuses when the paper
// is out, the cover open or the printer offline, with a message the
// cashier can act on. A printer that does not answer (many cheap ones
// ignore DLE EOT, or their link is one-way) still gets the job, and the
// result says the status was unknown.
package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Printer is an open link to one printer. It is used by one goroutine.
type Printer interface {
	// Status asks the printer's real-time status. It returns an error
	// matching ErrStatusUnknown when the printer did not answer in time,
	// and ErrNoStatus on a one-way link (a device file).
	Status(ctx context.Context) (Status, error)
	// Send writes the whole job. It gives up when the printer takes no
	// data for the stall timeout or ctx ends; a failure after the first
	// byte matches ErrPartlyPrinted.
	Send(ctx context.Context, job []byte) error
	// Close releases the link. Calling it twice is harmless.
	Close() error
	// String names the printer for messages: "tcp 192.168.1.50:9100",
	// "serial /dev/ttyUSB0", "device /dev/usb/lp0".
	String() string
}

// Timeouts. A printer answers DLE EOT within milliseconds (it is handled
// on reception, even while offline or with a full buffer); one that has
// not answered in a second does not implement it. A printer that takes
// no byte of the job for 10 s has stopped (a thermal printer empties its
// buffer at 100–250 mm of paper a second).
const (
	DefaultStatusTimeout = time.Second
	DefaultStallTimeout  = 10 * time.Second
	DefaultDialTimeout   = 5 * time.Second
)

// Options tunes Open; zero fields take the defaults above.
type Options struct {
	// StatusTimeout is how long to wait for each answer to DLE EOT.
	StatusTimeout time.Duration
	// StallTimeout is how long a write may make no progress.
	StallTimeout time.Duration
	// DialTimeout bounds the TCP connection attempt.
	DialTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = DefaultStatusTimeout
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	return o
}

// Open connects to the printer at a.
func Open(ctx context.Context, a Address, opts Options) (Printer, error) {
	opts = opts.withDefaults()
	switch a.Kind {
	case KindTCP:
		return openTCP(ctx, a, opts)
	case KindSerial:
		return openSerial(a, opts)
	case KindDevice:
		return openDevice(a, opts)
	}
	return nil, invalidAddress(a.String(), "unknown kind of printer address %q", a.Kind)
}

// Result says how a job went.
type Result struct {
	Printer string `json:"printer"`
	Bytes   int    `json:"bytes"` // bytes sent
	// Status is the printer's status before the job; nil when it was not
	// known (no answer, or a one-way link).
	Status   *Status   `json:"status,omitempty"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is something the cashier should know although the job was sent.
type Warning struct {
	Code    string `json:"code"`    // "paper_near_end", "status_unknown"
	Message string `json:"message"` // English, for the technician and logs
	TextVI  string `json:"text_vi"` // Vietnamese, for the cashier
}

func (w Warning) String() string { return w.Message + " (" + w.TextVI + ")" }

// Print checks the printer's status, when the link can tell, then sends
// job. It refuses, sending nothing, when the paper is out, the cover is
// open or the printer is offline.
func Print(ctx context.Context, p Printer, job []byte) (Result, error) {
	res := Result{Printer: p.String()}
	st, err := p.Status(ctx)
	switch {
	case errors.Is(err, ErrNoStatus):
		// A device file is written one way only: nothing to ask.
	case errors.Is(err, ErrStatusUnknown):
		res.Warnings = append(res.Warnings, Warning{
			Code:    "status_unknown",
			Message: fmt.Sprintf("printer %s did not answer the status request (DLE EOT); the receipt was sent without checking paper and cover", p),
			TextVI:  "Máy in không báo trạng thái: đã gửi lệnh in mà không kiểm tra được giấy và nắp máy; hãy xem biên lai đã ra chưa",
		})
	case err != nil:
		return res, err
	default:
		res.Status = &st
		if err := st.refusal(p.String()); err != nil {
			return res, err
		}
		if st.PaperNearEnd {
			res.Warnings = append(res.Warnings, Warning{
				Code:    "paper_near_end",
				Message: fmt.Sprintf("printer %s: the paper roll is nearly used up; have a new roll ready", p),
				TextVI:  "Giấy sắp hết: chuẩn bị cuộn giấy mới",
			})
		}
	}
	if err := p.Send(ctx, job); err != nil {
		return res, err
	}
	res.Bytes = len(job)
	return res, nil
}

// PrintTo opens the printer at dest (see ParseAddress), prints job and
// closes the link.
func PrintTo(ctx context.Context, dest string, job []byte, opts Options) (Result, error) {
	a, err := ParseAddress(dest)
	if err != nil {
		return Result{Printer: dest}, err
	}
	p, err := Open(ctx, a, opts)
	if err != nil {
		return Result{Printer: a.String()}, err
	}
	res, err := Print(ctx, p, job)
	if cerr := p.Close(); cerr != nil && err == nil && res.Bytes > 0 {
		// A usblp device or a tty may report a failed transfer only
		// when it is closed.
		err = partlyPrinted(p.String(), len(job), len(job), cerr)
	}
	return res, err
}

// Errors, matched with errors.Is on the *Error that carries them.
var (
	ErrInvalidAddress = errors.New("invalid printer address")
	ErrUnreachable    = errors.New("printer not reachable")
	ErrPaperOut       = errors.New("printer out of paper")
	ErrCoverOpen      = errors.New("printer cover open")
	ErrOffline        = errors.New("printer offline")
	ErrStatusUnknown  = errors.New("printer did not answer the status request")
	ErrNoStatus       = errors.New("printer link is one-way: no status")
	// ErrPartlyPrinted: the job failed after some bytes went out, so a
	// piece of the receipt may have been printed.
	ErrPartlyPrinted = errors.New("receipt may be partly printed")
	// ErrStalled: the printer stopped taking data (with ErrPartlyPrinted
	// once bytes went out).
	ErrStalled = errors.New("printer stopped taking data")
)

// Error is a printer problem with what to do about it, in English for the
// technician and the log, and in Vietnamese for the cashier.
type Error struct {
	Kind    error  // one of the Err… values above
	Printer string // the printer, as Printer.String or the address given
	Message string // English: what happened and what to do
	TextVI  string // Vietnamese, for the cashier
	Err     error  // the cause (operating system, timeout), if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("printer ")
	b.WriteString(e.Printer)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if e.TextVI != "" {
		b.WriteString(" — ")
		b.WriteString(e.TextVI)
	}
	return b.String()
}

// Unwrap makes errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// ErrorCode lets internal/apperr map the error (the same codes as
// receipts.Error) without importing this package.
func (e *Error) ErrorCode() string {
	if e.Kind == ErrInvalidAddress {
		return "invalid"
	}
	return "unavailable"
}

func invalidAddress(addr, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalidAddress, Printer: addr, Message: fmt.Sprintf(format, args...)}
}

// Reprinting a receipt is harmless: it prints the same receipt (same
// series, number and content) again, it does not issue a new one. So a
// job that may have been cut short is simply sent again.
const reprintVI = "biên lai có thể đã in dở; kiểm tra máy in rồi in lại biên lai (in lại không tạo biên lai mới)"

// partlyPrinted is a failure after sent of total bytes went out (or may
// have: a write that failed part-way).
func partlyPrinted(printer string, sent, total int, cause error) *Error {
	e := &Error{Kind: ErrPartlyPrinted, Printer: printer, Err: cause,
		Message: fmt.Sprintf("the job failed after %d of %d bytes: the receipt may be partly printed; check the printer and print the receipt again (reprinting is harmless, it is the same receipt)", sent, total),
		TextVI:  "Lỗi khi đang in: " + reprintVI,
	}
	if sent == 0 {
		e.Kind = ErrUnreachable
		e.Message = "nothing of the job was sent; check the printer and print again"
		e.TextVI = "Không gửi được lệnh in: kiểm tra máy in rồi in lại"
	}
	return e
}

// sendError wraps a failed write: a stall, a cancellation or a lost link.
func sendError(printer string, sent, total int, err error) error {
	if !errors.Is(err, ErrStalled) {
		return partlyPrinted(printer, sent, total, err)
	}
	if sent == 0 {
		return &Error{Kind: ErrStalled, Printer: printer, Err: err,
			Message: "the printer takes no data, nothing was printed; check the printer (paper, cover, cable, error light) and print again",
			TextVI:  "Máy in không nhận dữ liệu, chưa in gì: kiểm tra máy in (giấy, nắp, cáp, đèn báo lỗi) rồi in lại"}
	}
	return &Error{Kind: ErrPartlyPrinted, Printer: printer, Err: err,
		Message: fmt.Sprintf("the printer stopped taking data after %d of %d bytes: the receipt may be partly printed; check the printer (paper, cover, cable) and print the receipt again (reprinting is harmless, it is the same receipt)", sent, total),
		TextVI:  "Máy in ngừng nhận dữ liệu: " + reprintVI}
}
