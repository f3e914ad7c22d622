package transport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// SerialConfig says how to open a serial port (RS-232, or a USB CDC/ACM
// device such as /dev/ttyACM0, which behaves the same to feepos).
// Zero fields are not defaulted: start from ZVTSerial or ConcertSerial.
type SerialConfig struct {
	Port     string  // e.g. /dev/ttyUSB0, /dev/ttyACM0, /dev/pts/3
	Baud     int     // bits per second, e.g. 9600
	DataBits int     // 5, 6, 7 or 8
	Parity   string  // "none", "even", "odd", "mark", "space" (or n, e, o, m, s)
	StopBits float64 // 1 or 2 (1.5 cannot be set on Linux)
}

// ZVT over a serial line: 9600 baud, 8 data bits, no parity, 2 stop bits.
// Source: the ZVT ECR interface specification PA00P015 (ch. 2, transport
// protocol over RS-232), as also given by the Portalum.Zvt client
// ("default Parity None, DataBits 8, StopBits 2"; some terminals are set to
// 115200). Sending 2 stop bits is safe towards a terminal set to 8N1 (the
// extra stop bit is idle line), and a UART set to 2 stop bits checks only
// the first one on receive, so 8N2 also works against 8N1 terminals.
const (
	ZVTSerialBaud     = 9600
	ZVTSerialDataBits = 8
	ZVTSerialParity   = "none"
	ZVTSerialStopBits = 2
)

// Concert (E+/V2/V3, the French ECR protocol) over a serial line: 9600
// baud, 7 data bits, even parity, 1 stop bit (7E1), the setting given for
// the Concert protocol; its frames are ASCII with an LRC, so 7 data bits
// carry them whole.
const (
	ConcertSerialBaud     = 9600
	ConcertSerialDataBits = 7
	ConcertSerialParity   = "even"
	ConcertSerialStopBits = 1
)

// ZVTSerial is the ZVT serial setting for port.
func ZVTSerial(port string) SerialConfig {
	return SerialConfig{Port: port, Baud: ZVTSerialBaud, DataBits: ZVTSerialDataBits, Parity: ZVTSerialParity, StopBits: ZVTSerialStopBits}
}

// ConcertSerial is the Concert serial setting for port.
func ConcertSerial(port string) SerialConfig {
	return SerialConfig{Port: port, Baud: ConcertSerialBaud, DataBits: ConcertSerialDataBits, Parity: ConcertSerialParity, StopBits: ConcertSerialStopBits}
}

// ErrInvalidConfig matches (errors.Is) every configuration error.
var ErrInvalidConfig = errors.New("invalid serial port configuration")

type configError struct{ msg string }

func (e *configError) Error() string        { return "serial port configuration: " + e.msg }
func (e *configError) Is(target error) bool { return target == ErrInvalidConfig }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// Validate checks the configuration and says what is wrong in words a
// technician can act on.
func (c SerialConfig) Validate() error {
	_, err := c.mode()
	return err
}

func (c SerialConfig) mode() (*serial.Mode, error) {
	if strings.TrimSpace(c.Port) == "" {
		return nil, configErrorf("no port given (e.g. /dev/ttyUSB0 or /dev/ttyACM0; `feepos pos ports` lists them)")
	}
	if c.Baud <= 0 || c.Baud > 4_000_000 {
		return nil, configErrorf("baud rate %d is not valid for %s (ZVT and Concert terminals use 9600; some ZVT terminals 115200)", c.Baud, c.Port)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		return nil, configErrorf("data bits %d is not valid for %s: use 5, 6, 7 or 8 (ZVT uses 8, Concert 7)", c.DataBits, c.Port)
	}
	parity, ok := parities[strings.ToLower(strings.TrimSpace(c.Parity))]
	if !ok {
		return nil, configErrorf("parity %q is not valid for %s: use none, even, odd, mark or space (ZVT uses none, Concert even)", c.Parity, c.Port)
	}
	var stop serial.StopBits
	switch c.StopBits {
	case 1:
		stop = serial.OneStopBit
	case 2:
		stop = serial.TwoStopBits
	case 1.5:
		if runtime.GOOS == "linux" {
			return nil, configErrorf("1.5 stop bits cannot be set on Linux for %s: use 1 or 2 (ZVT uses 2, Concert 1)", c.Port)
		}
		stop = serial.OnePointFiveStopBits
	default:
		return nil, configErrorf("stop bits %v is not valid for %s: use 1, 1.5 or 2 (ZVT uses 2, Concert 1)", c.StopBits, c.Port)
	}
	return &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits, Parity: parity, StopBits: stop}, nil
}

var parities = map[string]serial.Parity{
	"none": serial.NoParity, "n": serial.NoParity,
	"even": serial.EvenParity, "e": serial.EvenParity,
	"odd": serial.OddParity, "o": serial.OddParity,
	"mark": serial.MarkParity, "m": serial.MarkParity,
	"space": serial.SpaceParity, "s": serial.SpaceParity,
}

// String shows the setting the usual way, e.g. "/dev/ttyACM0 9600 8N2".
func (c SerialConfig) String() string {
	p := "?"
	if c.Parity != "" {
		p = strings.ToUpper(c.Parity[:1])
	}
	return fmt.Sprintf("%s %d %d%s%v", c.Port, c.Baud, c.DataBits, p, c.StopBits)
}

// OpenSerial opens and configures a serial port in raw mode (no echo, no
// CR/LF translation, no software or hardware flow control), 8-bit clean.
// A missing port is a *VanishedError (the terminal is unplugged or the
// path is wrong); a bad setting an ErrInvalidConfig.
func OpenSerial(cfg SerialConfig) (Conn, error) {
	mode, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	port, err := serial.Open(cfg.Port, mode)
	if err != nil {
		return nil, openError(cfg.Port, err)
	}
	return &serialConn{name: cfg.Port, port: port}, nil
}

func openError(path string, err error) error {
	var perr *serial.PortError
	if errors.As(err, &perr) {
		switch perr.Code() {
		case serial.PortBusy:
			return fmt.Errorf("open %s: %w: another program (or a second feepos) has the port open; close it", path, err)
		case serial.PermissionDenied:
			return fmt.Errorf("open %s: %w: give the feepos service user access to the port (e.g. add it to the dialout group)", path, err)
		}
	}
	if errors.Is(err, os.ErrNotExist) || isGoneErrno(err) {
		return &VanishedError{Port: path, Op: "open", Err: err, Hint: "no such port: " + hintSerial + " (`feepos pos ports` lists the ports present)"}
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// isGoneErrno reports the errors a tty returns once its device is gone
// (USB unplugged, pty master closed): EIO, ENXIO, ENODEV; and EPIPE/EOF.
func isGoneErrno(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) ||
		errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF)
}

// drainLimit bounds Drain so that a device that never stops sending does
// not keep it busy forever.
const drainLimit = 64 << 10

type serialConn struct {
	name string
	port serial.Port

	rmu sync.Mutex // one reader at a time: SetReadTimeout then Read
	wmu sync.Mutex // one writer at a time: frames are not interleaved

	mu       sync.Mutex
	closed   bool
	vanished *VanishedError
}

func (c *serialConn) String() string { return c.name }

// usable returns the error that any use of a dead Conn returns.
func (c *serialConn) usable() error {
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

// fail turns a port error into ErrClosed, a *VanishedError or a wrapped
// error. On a loss it releases the device at once: a USB CDC device whose
// node is still held open comes back under a new name (ttyACM1).
func (c *serialConn) fail(op string, err error) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.vanished != nil {
		c.mu.Unlock()
		return c.vanished
	}
	var perr *serial.PortError
	gone := isGoneErrno(err) || (errors.As(err, &perr) && perr.Code() == serial.PortClosed)
	if !gone {
		c.mu.Unlock()
		return fmt.Errorf("%s %s: %w", op, c.name, err)
	}
	if perr != nil && perr.Code() == serial.PortClosed {
		// go.bug.st/serial says "closed" when read(2) returns 0 bytes on a
		// readable port: Linux's sign of a disconnected device.
		err = fmt.Errorf("device returned end of file: %w", io.EOF)
	}
	c.vanished = &VanishedError{Port: c.name, Op: op, Err: err, Hint: hintSerial}
	v := c.vanished
	c.mu.Unlock()
	_ = c.port.Close()
	return v
}

func (c *serialConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.usable(); err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		m, err := c.port.Write(p[n:])
		n += m
		if err != nil {
			return n, c.fail("write", err)
		}
		if m == 0 {
			return n, fmt.Errorf("write %s: %w", c.name, io.ErrShortWrite)
		}
	}
	return n, nil
}

func (c *serialConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.readLocked(p, timeout)
}

func (c *serialConn) readLocked(p []byte, timeout time.Duration) (int, error) {
	if err := c.usable(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	t := timeout
	if t < 0 {
		t = serial.NoTimeout
	}
	if err := c.port.SetReadTimeout(t); err != nil {
		return 0, c.fail("read", err)
	}
	// go.bug.st/serial waits in select(2) on the port and a close pipe: the
	// wait costs no CPU, and Close wakes it.
	n, err := c.port.Read(p)
	if err != nil {
		return n, c.fail("read", err)
	}
	if n == 0 {
		// go.bug.st/serial returns 0, nil when the timeout ran out.
		return 0, ErrTimeout
	}
	return n, nil
}

func (c *serialConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	var b [1]byte
	if _, err := c.ReadTimeout(b[:], timeout); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *serialConn) Drain() (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var buf [256]byte
	total := 0
	for total < drainLimit {
		n, err := c.readLocked(buf[:], 0)
		total += n
		if errors.Is(err, ErrTimeout) {
			break
		}
		if err != nil {
			return total, err
		}
	}
	// Also drop what the driver received but select did not yet report.
	if err := c.port.ResetInputBuffer(); err != nil {
		return total, c.fail("drain", err)
	}
	return total, nil
}

func (c *serialConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	vanished := c.vanished != nil
	c.mu.Unlock()
	if vanished {
		return nil // already released when the loss was seen
	}
	if err := c.port.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.name, err)
	}
	return nil
}
