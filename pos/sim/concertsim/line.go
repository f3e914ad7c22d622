package concertsim

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/feepos/feepos/pos/concert"
)

var errTimeout = errors.New("concertsim: timed out")

// pollSlice bounds one blocking read so that ctx is watched.
const pollSlice = 100 * time.Millisecond

// simLine is the terminal's end of the line: a pollable pseudo-terminal
// master, read with deadlines one byte at a time.
type simLine struct {
	f     *os.File
	trace func(direction string, b []byte)
}

func (l *simLine) traceIn(b []byte) {
	if l.trace != nil {
		l.trace(concert.DirECRToPT, append([]byte(nil), b...))
	}
}

func (l *simLine) write(b ...byte) error {
	if l.trace != nil {
		l.trace(concert.DirPTToECR, append([]byte(nil), b...))
	}
	_, err := l.f.Write(b)
	return err
}

// readByte waits at most timeout (negative: without limit) for one byte.
func (l *simLine) readByte(ctx context.Context, timeout time.Duration) (byte, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	var buf [1]byte
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		slice := pollSlice
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return 0, errTimeout
			}
			slice = min(slice, left)
		}
		if err := l.f.SetReadDeadline(time.Now().Add(slice)); err != nil {
			return 0, err
		}
		n, err := l.f.Read(buf[:])
		if n == 1 {
			return buf[0], nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err == nil {
			continue
		}
		return 0, err
	}
}
