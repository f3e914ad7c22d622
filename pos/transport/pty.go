package transport

import (
	"errors"
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair standing in for a serial cable: the
// simulator holds Master, the driver opens SlavePath with OpenSerial like a
// real port. Closing Master is the cable pull: the slave side's reads and
// writes then fail with EIO (a *VanishedError through OpenSerial).
type PTY struct {
	Master    *os.File // pollable: Close wakes a blocked Read; deadlines work
	SlavePath string   // e.g. /dev/pts/3
	slave     *os.File // held so that Master does not see EIO before the driver opens
}

// NewPTY opens a pseudo-terminal with its slave side in raw mode (no echo,
// no CR/LF or other translation, no flow control characters, 8-bit clean:
// binary ZVT frames pass unchanged). It keeps one slave descriptor open,
// so reads on Master simply wait while no driver has the port open.
func NewPTY() (*PTY, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	p := &PTY{SlavePath: slave.Name(), slave: slave}
	if err := makeRaw(slave); err != nil {
		_ = master.Close()
		_ = slave.Close()
		return nil, fmt.Errorf("set pseudo-terminal %s raw: %w", p.SlavePath, err)
	}
	m, err := pollable(master)
	if err != nil {
		_ = slave.Close()
		return nil, fmt.Errorf("pseudo-terminal %s: %w", p.SlavePath, err)
	}
	p.Master = m
	return p, nil
}

// Close closes the master (hanging up the slave side) and the held slave.
func (p *PTY) Close() error {
	return errors.Join(p.Master.Close(), p.slave.Close())
}

// OpenPTY opens a pseudo-terminal in raw mode and returns its master and
// the slave path, closing its own slave descriptor. Until a driver opens
// the slave path, and after it closes it, a Read on master returns EIO
// (Linux): a caller that must wait quietly for a driver uses NewPTY.
func OpenPTY() (master *os.File, slavePath string, err error) {
	p, err := NewPTY()
	if err != nil {
		return nil, "", err
	}
	if err := p.slave.Close(); err != nil {
		_ = p.Master.Close()
		return nil, "", fmt.Errorf("pseudo-terminal %s: %w", p.SlavePath, err)
	}
	return p.Master, p.SlavePath, nil
}

// makeRaw is cfmakeraw(3) on the slave's termios: the line discipline
// passes every byte unchanged, 0x03 (^C), 0x04 (^D), 0x11/0x13 (XON/XOFF),
// 0x0D, 0x0A and 0x7F included.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			serr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR |
			unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.INPCK | unix.IUCLC
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		serr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return err
	}
	return serr
}

// pollable gives f's descriptor back as a non-blocking, runtime-polled
// *os.File. creack/pty calls Fd() on the master, which switches it to
// blocking mode: then Close cannot wake a goroutine blocked in Read (the
// descriptor stays open until the read returns, so the slave never sees
// the hang-up) and read deadlines are not supported.
func pollable(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	closeErr := f.Close()
	if err != nil {
		return nil, fmt.Errorf("duplicate master descriptor: %w", err)
	}
	if closeErr != nil {
		_ = unix.Close(fd)
		return nil, closeErr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("set master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), nil
}
