package printersim

import (
	"sync"

	"github.com/feepos/feepos/pos/transport"
)

// Serial is a printer on a serial line: the master side of a
// pseudo-terminal, whose slave path feepos opens like /dev/ttyUSB0.
type Serial struct {
	*Printer
	pty  *transport.PTY
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// NewSerial starts a printer on a new pseudo-terminal.
func NewSerial() (*Serial, error) {
	pty, err := transport.NewPTY()
	if err != nil {
		return nil, err
	}
	s := &Serial{Printer: NewPrinter(), pty: pty, done: make(chan struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Path is the port to open, e.g. /dev/pts/3.
func (s *Serial) Path() string { return s.pty.SlavePath }

// URL is the printer's address for feepos: serial:///dev/pts/N.
func (s *Serial) URL() string { return "serial://" + s.pty.SlavePath }

// Close hangs up the line (a write blocked on the other side then fails)
// and waits for the reader.
func (s *Serial) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.pty.Close()
		s.wg.Wait()
	})
	return err
}

func (s *Serial) serve() {
	defer s.wg.Done()
	sess := &session{p: s.Printer}
	defer sess.end()
	buf := make([]byte, 4096)
	for {
		if !s.waitReadable(s.done) {
			return
		}
		n, err := s.pty.Master.Read(buf)
		if n > 0 {
			if reply := sess.feed(buf[:n]); len(reply) > 0 {
				if _, werr := s.pty.Master.Write(reply); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
