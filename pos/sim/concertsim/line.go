package concertsim

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/feepos/feepos/pos/concert"
)

var errTimeout = errors.New("concertsim: timed out")

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
// It waits in one read with the file's deadline; a cancelled ctx moves
// the deadline to the past, which wakes the read at once.
func (l *simLine) readByte(ctx context.Context, timeout time.Duration) (byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var deadline time.Time
	if timeout >= 0 {
		if timeout == 0 {
			return 0, errTimeout
		}
		deadline = time.Now().Add(timeout)
	}
	if err := l.f.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { _ = l.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var buf [1]byte
	for {
		n, err := l.f.Read(buf[:])
		if n == 1 {
			return buf[0], nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			return 0, errTimeout
		}
		if err == nil {
			continue
		}
		return 0, err
	}
}
