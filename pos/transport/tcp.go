package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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

func newTCPConn(nc *net.TCPConn, name string) Conn {
	_ = nc.SetNoDelay(true) // frames are small and answered at once
	return newStream(name, hintTCP, &netDevice{nc: nc})
}

// netDevice is a network connection (a TCP terminal, or the simulator's
// accepted connection). Its Read parks the reader goroutine in the
// runtime's netpoller (epoll): no thread, no CPU while nothing arrives.
type netDevice struct {
	nc net.Conn
}

func (d *netDevice) read(p []byte) (int, error) {
	n, err := d.nc.Read(p)
	if n > 0 && err != nil {
		err = nil // the error comes again on the next read
	}
	return n, err
}

func (d *netDevice) write(p []byte) (int, error) {
	if err := d.nc.SetWriteDeadline(time.Now().Add(TCPWriteTimeout)); err != nil {
		return 0, err
	}
	n, err := d.nc.Write(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("terminal did not take the data within %v: %w", TCPWriteTimeout, err)
	}
	return n, err
}

func (d *netDevice) isClosedErr(err error) bool { return errors.Is(err, net.ErrClosed) }
func (d *netDevice) flushInput() error          { return nil }
func (d *netDevice) close() error               { return d.nc.Close() }

func (d *netDevice) gone(err error) (bool, error) {
	gone := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ETIMEDOUT) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EHOSTUNREACH)
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("peer closed the connection: %w", err)
	}
	return gone, err
}
