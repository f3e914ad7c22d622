package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// hintPeer is the hint of a Conn made by FromFile or FromNetConn: the
// simulator's side of the line, whose peer is the driver.
const hintPeer = "the driver side went away"

// FromFile makes a Conn of f, which must be pollable (a non-blocking
// descriptor in the runtime's netpoller, such as PTY.Master): its reader
// goroutine then waits in epoll without a thread, and Close (which closes
// f) wakes it. name names the link in errors and logs. It is the
// simulator's end of a pseudo-terminal; drivers use OpenSerial.
func FromFile(f *os.File, name string) Conn {
	return newStream(name, hintPeer, fileDevice{f})
}

// FromNetConn makes a Conn of an established connection, such as one a
// listener accepted; it is named "tcp REMOTE". Close closes c.
func FromNetConn(c net.Conn) Conn {
	return newStream("tcp "+c.RemoteAddr().String(), hintPeer, &netDevice{nc: c})
}

// fileDevice is a pollable *os.File.
type fileDevice struct{ f *os.File }

func (d fileDevice) read(p []byte) (int, error) {
	n, err := d.f.Read(p)
	if n > 0 && err != nil {
		err = nil
	}
	return n, err
}

func (d fileDevice) write(p []byte) (int, error) { return d.f.Write(p) }
func (d fileDevice) flushInput() error           { return nil }
func (d fileDevice) close() error                { return d.f.Close() }
func (d fileDevice) isClosedErr(err error) bool  { return errors.Is(err, os.ErrClosed) }

func (d fileDevice) gone(err error) (bool, error) {
	return isGoneErrno(err) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), err
}
