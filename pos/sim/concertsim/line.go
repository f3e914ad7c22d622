package concertsim

import (
	"context"
	"errors"
	"time"

	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
)

var errTimeout = errors.New("concertsim: timed out")

// simLine is the terminal's end of the line: a transport.Conn (a
// pseudo-terminal master through transport.FromFile, or one end of a
// transport.Pipe), read one byte at a time.
type simLine struct {
	conn  transport.Conn
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
	_, err := l.conn.Write(b)
	return err
}

// readByte waits at most timeout (negative: without limit) for one byte,
// watching ctx. The wait is one ReadWait: it sleeps until the byte, the
// timeout or ctx.
func (l *simLine) readByte(ctx context.Context, timeout time.Duration) (byte, error) {
	return l.readByteWake(ctx, timeout, nil)
}

// readByteWake is readByte that also ends when wake can be received from
// (transport.ErrWoken).
func (l *simLine) readByteWake(ctx context.Context, timeout time.Duration, wake <-chan struct{}) (byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if timeout == 0 {
		return 0, errTimeout
	}
	var buf [1]byte
	if _, err := l.conn.ReadWait(ctx, buf[:], timeout, wake); err != nil {
		if errors.Is(err, transport.ErrTimeout) {
			return 0, errTimeout
		}
		return 0, err
	}
	return buf[0], nil
}
