package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Conn is a byte link to one terminal as a protocol driver needs it.
//
// One goroutine may read while another writes (a ZVT driver sends Abort,
// 06 B0, while it waits for the terminal's answer); concurrent reads are
// serialised, and so are concurrent writes. Close may be called from any
// goroutine and wakes a blocked read, which then returns ErrClosed.
//
// The Conns of this package have one reader goroutine each, blocked in
// the kernel on the port or socket without a timeout; it hands what it
// reads, up to 1 KiB at a time, to the read calls through a buffer. A
// waiting read sleeps until bytes, loss, Close, its timeout, its context
// or its wake channel: no periodic wake-up, no CPU while nothing arrives.
// ReadByteTimeout is served from the buffer (no system call per byte).
type Conn interface {
	// Write sends all of p or returns an error. Bytes written before an
	// error may or may not have reached the terminal.
	Write(p []byte) (n int, err error)
	// ReadTimeout reads what is available, up to len(p) bytes, waiting at
	// most timeout for the first byte. It returns ErrTimeout when nothing
	// arrived in time. A timeout of 0 only takes what is already there;
	// a negative timeout waits without limit (until data, loss or Close).
	ReadTimeout(p []byte, timeout time.Duration) (n int, err error)
	// ReadWait is ReadTimeout that also ends its wait at once when ctx
	// is done (returning ctx.Err()) or when a value can be received from
	// wake (returning ErrWoken; the value is consumed). A nil wake never
	// fires. Bytes already received are returned even if wake is ready;
	// a ctx already done wins over them.
	ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (n int, err error)
	// ReadByteTimeout reads one byte, waiting at most timeout.
	ReadByteTimeout(timeout time.Duration) (byte, error)
	// Drain discards input already received and not yet read (stale bytes
	// from an earlier, broken exchange) and reports how many it read away.
	// Call it before a new transaction.
	Drain() (discarded int, err error)
	// Close releases the port or connection. Calling it twice is harmless.
	Close() error
	// String names the link for logs: the port path or "tcp HOST:PORT".
	String() string
}

// ErrTimeout is returned by a read that received nothing before its timeout.
// It is not a failure of the link: the terminal may simply be slow.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "transport: timed out, nothing received" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// ErrWoken is returned by ReadWait when its wake channel fired before
// anything arrived.
var ErrWoken = errors.New("transport: read woken before anything arrived")

// ErrClosed is returned by any use of a Conn after its Close.
var ErrClosed = errors.New("transport: connection closed by feepos")

// ErrVanished matches (errors.Is) every *VanishedError.
var ErrVanished = errors.New("transport: terminal port vanished")

// VanishedError says the port or connection went away under us: a USB
// cable pulled (the device returns EOF, EIO or ENXIO, or its path
// disappears), a terminal switched off, a TCP peer that closed or reset.
// The Conn is dead after it; open a new one (Reconnecting does that).
type VanishedError struct {
	Port string // port path or "tcp HOST:PORT"
	Op   string // "open", "read", "write", "drain"
	Err  error  // what the operating system said
	Hint string // what the person at the counter should check
}

func (e *VanishedError) Error() string {
	if e.Op == "open" || e.Op == "reopen" {
		return fmt.Sprintf("terminal link %s not available (%v): %s", e.Port, e.Err, e.Hint)
	}
	return fmt.Sprintf("terminal link %s lost during %s (%v): %s", e.Port, e.Op, e.Err, e.Hint)
}

func (e *VanishedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrVanished) true.
func (e *VanishedError) Is(target error) bool { return target == ErrVanished }

const (
	hintSerial = "check the cable / the terminal's USB connection and that the terminal is switched on; feepos reopens the port on the next use"
	hintTCP    = "check that the terminal is switched on and its network cable is plugged in, and that its IP address and port are right; feepos reconnects on the next use"
)
