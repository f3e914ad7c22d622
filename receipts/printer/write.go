package printer

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// writeAll writes b to w in chunks from a goroutine of its own, so that a
// write the device never completes cannot hold the caller: a tty's
// write(2) blocks until its output buffer has room and go.bug.st/serial
// has no write timeout; a usblp write blocks while the printer does not
// take data. It returns when all of b is written, when w fails, when no
// chunk completed for stall, or when ctx ends. In the last two cases it
// calls abandon (which should make a blocked Write return soon) and
// returns at once with running, which is closed when the goroutine has
// returned: until then w is still in use and must not be closed under it.
func writeAll(ctx context.Context, w io.Writer, b []byte, chunk int, stall time.Duration, abandon func()) (n int, running <-chan struct{}, err error) {
	var (
		mu      sync.Mutex
		written int
		werr    error
		stop    atomic.Bool
	)
	moved := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for off := 0; off < len(b) && !stop.Load(); {
			m, err := w.Write(b[off:min(off+chunk, len(b))])
			m = max(m, 0)
			off += m
			if err == nil && m == 0 {
				err = io.ErrShortWrite
			}
			mu.Lock()
			written, werr = off, err
			mu.Unlock()
			select {
			case moved <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	state := func() (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return written, werr
	}
	giveUp := func(cause error) (int, <-chan struct{}, error) {
		select {
		case <-done: // finished at the same moment: take its result
			n, err := state()
			return n, nil, err
		default:
		}
		stop.Store(true)
		abandon()
		n, _ := state()
		return n, done, cause
	}
	timer := time.NewTimer(stall)
	defer timer.Stop()
	for {
		select {
		case <-done:
			n, err := state()
			return n, nil, err
		case <-moved:
			timer.Reset(stall)
		case <-timer.C:
			return giveUp(fmt.Errorf("%w: no byte taken for %v", ErrStalled, stall))
		case <-ctx.Done():
			return giveUp(ctx.Err())
		}
	}
}
