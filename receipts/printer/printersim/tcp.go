package printersim

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
)

// tcpReceiveBuffer keeps the simulator's socket buffer small, like a
// printer's: a printer that hangs then stops the sender after a few
// kilobytes instead of the megabytes loopback would buffer.
const tcpReceiveBuffer = 4 << 10

// TCP is a printer listening on a loopback port, as on its raw port 9100.
type TCP struct {
	*Printer
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// ListenTCP starts a printer on 127.0.0.1 and a free port.
func ListenTCP() (*TCP, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, tcpReceiveBuffer)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &TCP{Printer: NewPrinter(), ln: ln, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr is "127.0.0.1:PORT".
func (t *TCP) Addr() string { return t.ln.Addr().String() }

// URL is the printer's address for feepos: tcp://127.0.0.1:PORT.
func (t *TCP) URL() string { return "tcp://" + t.Addr() }

// Close stops listening, closes every connection and waits for them.
func (t *TCP) Close() error {
	select {
	case <-t.done:
		return nil
	default:
	}
	close(t.done)
	err := t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	return err
}

func (t *TCP) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.mu.Lock()
		select {
		case <-t.done:
			t.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		t.conns[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go t.serve(c)
	}
}

func (t *TCP) serve(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.conns, c)
		t.mu.Unlock()
		_ = c.Close()
	}()
	s := &session{p: t.Printer}
	defer s.end()
	buf := make([]byte, 4096)
	for {
		if !t.waitReadable(t.done) {
			return
		}
		n, err := c.Read(buf)
		if n > 0 {
			if reply := s.feed(buf[:n]); len(reply) > 0 {
				if _, werr := c.Write(reply); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
