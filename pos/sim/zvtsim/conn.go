package zvtsim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/feepos/feepos/pos/transport"
)

// deadlineConn is a transport.Conn over anything with read deadlines: the
// master side of a pseudo-terminal (*os.File, pollable) or an accepted
// TCP connection. The simulator is the terminal's side of the cable, so it
// needs no reconnection logic: a lost peer ends Serve.
type deadlineConn struct {
	name string
	rw   interface {
		Read([]byte) (int, error)
		Write([]byte) (int, error)
		SetReadDeadline(time.Time) error
		Close() error
	}
	rmu, wmu sync.Mutex

	mu     sync.Mutex
	closed bool
}

func newFileConn(f *os.File, name string) *deadlineConn { return &deadlineConn{name: name, rw: f} }
func newNetConn(c net.Conn) *deadlineConn {
	return &deadlineConn{name: "tcp " + c.RemoteAddr().String(), rw: c}
}

func (c *deadlineConn) String() string { return c.name }

func (c *deadlineConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *deadlineConn) fail(op string, err error) error {
	if c.isClosed() {
		return transport.ErrClosed
	}
	if errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) {
		return &transport.VanishedError{Port: c.name, Op: op, Err: err, Hint: "the driver side went away"}
	}
	return fmt.Errorf("%s %s: %w", op, c.name, err)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.isClosed() {
		return 0, transport.ErrClosed
	}
	n := 0
	for n < len(p) {
		m, err := c.rw.Write(p[n:])
		n += m
		if err != nil {
			return n, c.fail("write", err)
		}
	}
	return n, nil
}

func (c *deadlineConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.read(p, timeout)
}

func (c *deadlineConn) read(p []byte, timeout time.Duration) (int, error) {
	if c.isClosed() {
		return 0, transport.ErrClosed
	}
	var dl time.Time
	if timeout >= 0 {
		dl = time.Now().Add(max(timeout, time.Millisecond))
	}
	if err := c.rw.SetReadDeadline(dl); err != nil {
		return 0, c.fail("read", err)
	}
	n, err := c.rw.Read(p)
	if n > 0 {
		return n, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, transport.ErrTimeout
	}
	if err == nil {
		return 0, transport.ErrTimeout
	}
	return 0, c.fail("read", err)
}

func (c *deadlineConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	var b [1]byte
	if _, err := c.ReadTimeout(b[:], timeout); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *deadlineConn) Drain() (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var buf [512]byte
	total := 0
	for total < 1<<16 {
		n, err := c.read(buf[:], time.Millisecond)
		total += n
		if errors.Is(err, transport.ErrTimeout) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (c *deadlineConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.rw.Close()
}
