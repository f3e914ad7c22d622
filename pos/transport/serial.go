package transport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"

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
	// The reader goroutine waits without a timeout: no periodic wake-up.
	if err := port.SetReadTimeout(serial.NoTimeout); err != nil {
		_ = port.Close()
		return nil, fmt.Errorf("open %s: %w", cfg.Port, err)
	}
	return newStream(cfg.Port, hintSerial, serialDevice{port}), nil
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

// serialDevice is a port opened with go.bug.st/serial. Its Read waits in
// select(2) on the port and the library's close pipe: with NoTimeout it
// sleeps in the kernel until bytes arrive, and Close wakes it.
type serialDevice struct{ port serial.Port }

func (d serialDevice) read(p []byte) (int, error) {
	n, err := d.port.Read(p)
	if err == nil && n == 0 {
		// Only on a timeout, which the reader never sets: stop rather
		// than spin.
		return 0, io.ErrNoProgress
	}
	return n, err
}

func (d serialDevice) write(p []byte) (int, error) { return d.port.Write(p) }
func (d serialDevice) flushInput() error           { return d.port.ResetInputBuffer() }
func (d serialDevice) close() error                { return d.port.Close() }

// isClosedErr: go.bug.st/serial reports our Close and a disconnected
// device alike (PortClosed); the stream tells them apart by its own
// closed flag.
func (serialDevice) isClosedErr(error) bool { return false }

func (serialDevice) gone(err error) (bool, error) {
	var perr *serial.PortError
	isPortErr := errors.As(err, &perr)
	if isPortErr && perr.Code() == serial.PortClosed {
		// go.bug.st/serial says "closed" when read(2) returns 0 bytes on a
		// readable port: Linux's sign of a disconnected device.
		return true, fmt.Errorf("device returned end of file: %w", io.EOF)
	}
	return isGoneErrno(err), err
}
