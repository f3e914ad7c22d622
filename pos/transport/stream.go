package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// chunkSize is the most one read(2) takes from the port or socket. A ZVT
// or Concert frame is well under it, so a frame usually arrives in one.
const chunkSize = 1024

// bufferLimit bounds what the reader keeps for the consumer. When it is
// full the reader stops reading (the kernel buffers, then flow control or
// the peer's send window, hold back the rest) until a read or Drain makes
// room: a device that never stops sending cannot grow the heap.
const bufferLimit = 16 << 10

// drainLimit bounds Drain so that a device that never stops sending does
// not keep it busy forever.
const drainLimit = 64 << 10

// closeWait bounds how long Close waits for the reader goroutine to see
// the device closed. Every device this package opens unblocks its read on
// Close at once; the bound only keeps a misused FromFile (a descriptor in
// blocking mode) from hanging the caller.
const closeWait = 2 * time.Second

// device is what a stream needs from a port, socket or pty master.
type device interface {
	// read blocks until at least one byte, an error, or close.
	read(p []byte) (int, error)
	// write writes p, or part of it and an error.
	write(p []byte) (int, error)
	// gone says whether err (from read or write) means the device went
	// away, and returns the error to report then.
	gone(err error) (bool, error)
	// isClosedErr says err is the device's own report of our close.
	isClosedErr(err error) bool
	// flushInput discards what the kernel holds and was not read yet
	// (nil when there is no such call).
	flushInput() error
	// close releases the device and wakes a blocked read.
	close() error
}

// stream is the Conn of this package over any device: one reader
// goroutine per Conn blocks in the kernel on the device (no timeout, so no
// periodic wake-up while nothing arrives) and hands what it reads, in
// chunks of up to chunkSize bytes, to the consumer through a buffer. A
// timed or cancellable wait is a select on that hand-over, a timer, the
// context and the caller's wake channel: it sleeps until one of them
// fires and costs no CPU meanwhile.
type stream struct {
	name string
	hint string
	dev  device

	rmu sync.Mutex // one consumer at a time
	wmu sync.Mutex // one writer at a time: frames are not interleaved

	avail   chan struct{} // cap 1: the reader added bytes or hit an error
	space   chan struct{} // cap 1: the consumer made room in buf
	done    chan struct{} // closed by Close
	stopped chan struct{} // closed when the reader goroutine returned

	mu       sync.Mutex
	buf      []byte // received, not yet consumed: buf[off:]
	off      int
	rerr     error // the reader's final error (already mapped by fail)
	closed   bool
	vanished *VanishedError
}

func newStream(name, hint string, dev device) *stream {
	s := &stream{
		name: name, hint: hint, dev: dev,
		avail:   make(chan struct{}, 1),
		space:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go s.reader()
	return s
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// reader is the one goroutine that reads the device.
func (s *stream) reader() {
	defer close(s.stopped)
	chunk := make([]byte, chunkSize)
	for {
		s.mu.Lock()
		for len(s.buf)-s.off >= bufferLimit && !s.closed {
			s.mu.Unlock()
			select {
			case <-s.space:
			case <-s.done:
			}
			s.mu.Lock()
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return
		}
		n, err := s.dev.read(chunk)
		s.mu.Lock()
		if n > 0 && !s.closed {
			if s.off > 0 && s.off == len(s.buf) {
				s.buf, s.off = s.buf[:0], 0
			} else if s.off > 0 && cap(s.buf)-len(s.buf) < n {
				s.buf, s.off = append(s.buf[:0], s.buf[s.off:]...), 0
			}
			s.buf = append(s.buf, chunk[:n]...)
		}
		s.mu.Unlock()
		if err != nil {
			ferr := s.fail("read", err)
			s.mu.Lock()
			s.rerr = ferr
			s.mu.Unlock()
			signal(s.avail)
			return
		}
		if n > 0 {
			signal(s.avail)
		}
	}
}

func (s *stream) String() string { return s.name }

// usable returns the error that any use of a dead Conn returns.
func (s *stream) usable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.vanished != nil {
		return s.vanished
	}
	return nil
}

// fail turns a device error into ErrClosed, a *VanishedError or a wrapped
// error. On a loss it releases the device at once: a USB CDC device whose
// node is still held open comes back under a new name (ttyACM1).
func (s *stream) fail(op string, err error) error {
	s.mu.Lock()
	if s.closed || s.dev.isClosedErr(err) && s.vanished == nil {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.vanished != nil {
		s.mu.Unlock()
		return s.vanished
	}
	gone, gerr := s.dev.gone(err)
	if !gone {
		s.mu.Unlock()
		return fmt.Errorf("%s %s: %w", op, s.name, err)
	}
	s.vanished = &VanishedError{Port: s.name, Op: op, Err: gerr, Hint: s.hint}
	v := s.vanished
	s.mu.Unlock()
	_ = s.dev.close()
	return v
}

func (s *stream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.usable(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		m, err := s.dev.write(p[n:])
		n += m
		if err != nil {
			return n, s.fail("write", err)
		}
		if m == 0 {
			return n, fmt.Errorf("write %s: %w", s.name, io.ErrShortWrite)
		}
	}
	return n, nil
}

// take copies buffered bytes into p. It returns ok=false when there is
// nothing to hand out yet; err is the error to return when the buffer is
// empty and the link is dead.
func (s *stream) take(p []byte) (n int, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, true, ErrClosed
	}
	if s.off < len(s.buf) {
		n = copy(p, s.buf[s.off:])
		s.off += n
		if s.off == len(s.buf) {
			s.buf, s.off = s.buf[:0], 0
		}
		signal(s.space)
		return n, true, nil
	}
	if s.rerr != nil {
		return 0, true, s.rerr
	}
	if s.vanished != nil { // lost on a write
		return 0, true, s.vanished
	}
	return 0, false, nil
}

func (s *stream) ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.readLocked(ctx, p, timeout, wake)
}

func (s *stream) readLocked(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, s.usable()
	}
	if n, ok, err := s.take(p); ok {
		return n, err
	}
	if timeout == 0 {
		return 0, ErrTimeout
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var cancelled <-chan struct{}
	if ctx != nil {
		cancelled = ctx.Done()
	}
	for {
		select {
		case <-s.avail:
		case <-s.done:
		case <-cancelled:
			return 0, ctx.Err()
		case <-wake:
			return 0, ErrWoken
		case <-timer:
			// Bytes that came in with the timer still count.
			if n, ok, err := s.take(p); ok {
				return n, err
			}
			return 0, ErrTimeout
		}
		if n, ok, err := s.take(p); ok {
			return n, err
		}
	}
}

func (s *stream) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	return s.ReadWait(context.Background(), p, timeout, nil)
}

func (s *stream) ReadByteTimeout(timeout time.Duration) (byte, error) {
	var b [1]byte
	if _, err := s.ReadWait(context.Background(), b[:], timeout, nil); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (s *stream) Drain() (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if err := s.usable(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	total := min(len(s.buf)-s.off, drainLimit)
	s.buf, s.off = s.buf[:0], 0
	rerr := s.rerr
	s.mu.Unlock()
	signal(s.space)
	if rerr != nil {
		return total, rerr
	}
	// Also drop what the kernel received and the reader has not taken.
	if err := s.dev.flushInput(); err != nil {
		return total, s.fail("drain", err)
	}
	return total, nil
}

func (s *stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	vanished := s.vanished != nil
	s.mu.Unlock()
	close(s.done)
	var err error
	if !vanished { // a lost device was released when the loss was seen
		if cerr := s.dev.close(); cerr != nil {
			err = fmt.Errorf("close %s: %w", s.name, cerr)
		}
	}
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-s.stopped:
	case <-t.C:
		err = errors.Join(err, fmt.Errorf("close %s: the reader did not stop within %v", s.name, closeWait))
	}
	return err
}
