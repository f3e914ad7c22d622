package transport

import (
	"errors"
	"io"
	"sync"
)

// pipeDepth is how many chunks a Pipe end holds for its reader before a
// write waits.
const pipeDepth = 64

// hintPipe is the hint of a Pipe end whose other end was closed.
const hintPipe = "the other end of the in-memory line was closed"

// errPipeClosed is a Pipe end's report of its own Close.
var errPipeClosed = errors.New("pipe end closed")

// Pipe returns the two ends of an in-memory line, named a and b: what one
// end writes the other reads, in order, as over a serial cable; closing
// one end is a pulled cable for the other, whose reads return what was
// still on its way and then a *VanishedError, as a pseudo-terminal's slave
// does when its master closes. Each end is a Conn of this package, with
// its reader goroutine, buffer and timed, cancellable reads.
//
// The line itself is made of channels only. Inside a testing/synctest
// bubble every wait on it is therefore durably blocking, and the protocol
// timers of the drivers and simulators on it run on the bubble's fake
// clock: a timeout fires only when nothing else can happen before it, so
// a conversation's outcome does not depend on how busy the machine is.
// Tests of the drivers use it for that; a real terminal is on a serial
// port or TCP.
func Pipe(a, b string) (Conn, Conn) {
	ab := make(chan []byte, pipeDepth)
	ba := make(chan []byte, pipeDepth)
	ea := &pipeEnd{in: ba, out: ab, closed: make(chan struct{})}
	eb := &pipeEnd{in: ab, out: ba, closed: make(chan struct{})}
	ea.peer, eb.peer = eb.closed, ea.closed
	return newStream(a, hintPipe, ea), newStream(b, hintPipe, eb)
}

// pipeEnd is the device of one end of a Pipe.
type pipeEnd struct {
	in     <-chan []byte // chunks the other end wrote
	out    chan<- []byte // chunks for the other end
	closed chan struct{} // closed by our close
	peer   <-chan struct{}
	once   sync.Once

	mu   sync.Mutex
	rest []byte // the part of a chunk a short read left
}

func (e *pipeEnd) fill(p, b []byte) int {
	n := copy(p, b)
	if n < len(b) {
		e.mu.Lock()
		e.rest = append([]byte(nil), b[n:]...)
		e.mu.Unlock()
	}
	return n
}

func (e *pipeEnd) read(p []byte) (int, error) {
	e.mu.Lock()
	if len(e.rest) > 0 {
		n := copy(p, e.rest)
		e.rest = e.rest[n:]
		e.mu.Unlock()
		return n, nil
	}
	e.mu.Unlock()
	select {
	case b := <-e.in:
		return e.fill(p, b), nil
	case <-e.closed:
		return 0, errPipeClosed
	case <-e.peer:
		// What the peer wrote before it closed is delivered first.
		select {
		case b := <-e.in:
			return e.fill(p, b), nil
		default:
			return 0, io.EOF
		}
	}
}

func (e *pipeEnd) write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		select {
		case <-e.closed:
			return n, errPipeClosed
		case <-e.peer:
			return n, io.ErrClosedPipe
		default:
		}
		c := min(len(p)-n, chunkSize)
		select {
		case e.out <- append([]byte(nil), p[n:n+c]...):
			n += c
		case <-e.closed:
			return n, errPipeClosed
		case <-e.peer:
			return n, io.ErrClosedPipe
		}
	}
	return n, nil
}

func (e *pipeEnd) gone(err error) (bool, error) {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe), err
}

func (e *pipeEnd) isClosedErr(err error) bool { return errors.Is(err, errPipeClosed) }

func (e *pipeEnd) flushInput() error {
	e.mu.Lock()
	e.rest = nil
	e.mu.Unlock()
	for {
		select {
		case <-e.in:
		default:
			return nil
		}
	}
}

func (e *pipeEnd) close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}
