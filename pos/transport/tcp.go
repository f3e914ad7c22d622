package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ZVTTCPPort is the usual TCP port of a ZVT terminal (ZVT over TCP/IP
// carries the APDUs without the serial DLE/STX framing). 20007 is the
// common default; some terminals use 20008 (Portalum.Zvt, "Common Ports of
// the device are 20007, 20008"). The terminal's own setting wins.
const ZVTTCPPort = 20007

// TCPWriteTimeout bounds a write to a TCP terminal. A frame is small; a
// write that cannot hand it to the kernel in this time means the peer has
// stopped reading.
const TCPWriteTimeout = 10 * time.Second

// TCPKeepAlive lets the kernel notice a terminal that vanished without a
// word (power cut, cable pulled): the next read or write then fails.
const TCPKeepAlive = 15 * time.Second

// DialTCP connects to a terminal at addr ("HOST:PORT"; "HOST" alone means
// port ZVTTCPPort). ctx bounds the connection attempt only.
func DialTCP(ctx context.Context, addr string) (Conn, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, fmt.Sprint(ZVTTCPPort))
	}
	d := net.Dialer{KeepAlive: TCPKeepAlive}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() == nil && (errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
			errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, os.ErrDeadlineExceeded)) {
			return nil, &VanishedError{Port: "tcp " + addr, Op: "open", Err: err, Hint: hintTCP}
		}
		return nil, fmt.Errorf("connect to terminal at %s: %w", addr, err)
	}
	return newTCPConn(nc.(*net.TCPConn), "tcp "+addr), nil
}

func newTCPConn(nc *net.TCPConn, name string) *tcpConn {
	_ = nc.SetNoDelay(true) // frames are small and answered at once
	return &tcpConn{name: name, nc: nc}
}

type tcpConn struct {
	name string
	nc   *net.TCPConn

	rmu sync.Mutex
	wmu sync.Mutex

	mu       sync.Mutex
	closed   bool
	vanished *VanishedError
}

func (c *tcpConn) String() string { return c.name }

func (c *tcpConn) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if c.vanished != nil {
		return c.vanished
	}
	return nil
}

func (c *tcpConn) fail(op string, err error) error {
	c.mu.Lock()
	if c.closed || errors.Is(err, net.ErrClosed) {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.vanished != nil {
		c.mu.Unlock()
		return c.vanished
	}
	gone := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ETIMEDOUT) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EHOSTUNREACH)
	if !gone {
		c.mu.Unlock()
		return fmt.Errorf("%s %s: %w", op, c.name, err)
	}
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("terminal closed the connection: %w", err)
	}
	c.vanished = &VanishedError{Port: c.name, Op: op, Err: err, Hint: hintTCP}
	v := c.vanished
	c.mu.Unlock()
	_ = c.nc.Close()
	return v
}

func (c *tcpConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.usable(); err != nil {
		return 0, err
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(TCPWriteTimeout)); err != nil {
		return 0, c.fail("write", err)
	}
	n, err := c.nc.Write(p)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, fmt.Errorf("write %s: terminal did not take the data within %v: %w", c.name, TCPWriteTimeout, err)
		}
		return n, c.fail("write", err)
	}
	return n, nil
}

func (c *tcpConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.readLocked(p, timeout)
}

func (c *tcpConn) readLocked(p []byte, timeout time.Duration) (int, error) {
	if err := c.usable(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if timeout == 0 {
		return c.readNow(p)
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	if err := c.nc.SetReadDeadline(deadline); err != nil {
		return 0, c.fail("read", err)
	}
	// The runtime parks this goroutine on epoll until data or the deadline:
	// no CPU is spent while the terminal is silent.
	n, err := c.nc.Read(p)
	if err != nil {
		if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, ErrTimeout
		}
		if n > 0 && !errors.Is(err, os.ErrDeadlineExceeded) {
			_ = c.fail("read", err) // report the loss on the next call
			return n, nil
		}
		if n > 0 {
			return n, nil
		}
		return 0, c.fail("read", err)
	}
	return n, nil
}

// readNow takes what the socket already holds, without waiting: a deadline
// in the past would make Go fail the read before looking at the socket.
func (c *tcpConn) readNow(p []byte) (int, error) {
	// A deadline left from an earlier read would fail the raw read too.
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return 0, c.fail("read", err)
	}
	rc, err := c.nc.SyscallConn()
	if err != nil {
		return 0, c.fail("read", err)
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), p)
		return true // never wait
	})
	if err != nil {
		return 0, c.fail("read", err)
	}
	switch {
	case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
		return 0, ErrTimeout
	case rerr != nil:
		return 0, c.fail("read", rerr)
	case n == 0:
		return 0, c.fail("read", io.EOF)
	}
	return n, nil
}

func (c *tcpConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	var b [1]byte
	if _, err := c.ReadTimeout(b[:], timeout); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *tcpConn) Drain() (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var buf [256]byte
	total := 0
	for total < drainLimit {
		n, err := c.readLocked(buf[:], 0)
		total += n
		if errors.Is(err, ErrTimeout) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (c *tcpConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	vanished := c.vanished != nil
	c.mu.Unlock()
	if vanished {
		return nil
	}
	if err := c.nc.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.name, err)
	}
	return nil
}
