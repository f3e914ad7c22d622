package printer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.bug.st/serial"
)

// serialChunk is the most one write(2) hands to the tty: a chunk of 512
// bytes leaves the line in about half a second at 9600 baud, so the stall
// timer sees progress often.
const serialChunk = 512

// closeWait is how long Close waits for a write given up on to return
// (discarding the tty's output, done when giving up, lets it return at
// once on a real UART).
const closeWait = 200 * time.Millisecond

// serialPrinter is a printer on a serial line, RS-232 or a USB-serial
// adapter (/dev/ttyUSB0, /dev/ttyACM0), opened with go.bug.st/serial.
//
// Flow control: go.bug.st/serial v1.8 has no setting for it (it clears
// CRTSCTS when it opens a port), so the line runs without handshake. That
// is safe for receipts: a raster receipt is data-bound (at 115200 baud a
// line delivers about 160 dot rows a second, the printer prints 800 and
// more), so the printer's buffer does not overflow while it has paper.
type serialPrinter struct {
	name  string
	port  serial.Port
	opts  Options
	stall time.Duration

	mu     sync.Mutex
	closed bool
	// writing is closed when a write given up on has returned; nil when
	// none is pending. The port must not be closed under a write: its
	// descriptor number could be reused by the time the write goroutine
	// writes its next chunk.
	writing <-chan struct{}
}

func openSerial(a Address, opts Options) (Printer, error) {
	mode := &serial.Mode{BaudRate: a.Baud, DataBits: a.DataBits, Parity: serialParity[a.Parity], StopBits: serial.OneStopBit}
	if a.StopBits == 2 {
		mode.StopBits = serial.TwoStopBits
	}
	port, err := serial.Open(a.Path, mode)
	if err != nil {
		return nil, serialOpenError(a, err)
	}
	// A chunk must leave the line well within the stall timeout even at a
	// low speed: 10 bits a byte (8N1).
	chunkTime := time.Duration(serialChunk*10) * time.Second / time.Duration(a.Baud)
	return &serialPrinter{name: a.name(), port: port, opts: opts, stall: max(opts.StallTimeout, 4*chunkTime)}, nil
}

var serialParity = map[string]serial.Parity{
	"none": serial.NoParity, "even": serial.EvenParity, "odd": serial.OddParity,
	"mark": serial.MarkParity, "space": serial.SpaceParity,
}

func serialOpenError(a Address, err error) error {
	e := &Error{Kind: ErrUnreachable, Printer: a.name(), Err: err,
		TextVI: "Không mở được cổng máy in: kiểm tra cáp máy in và máy in đã bật rồi in lại"}
	var perr *serial.PortError
	switch {
	case errors.Is(err, os.ErrNotExist):
		e.Message = "no such port, nothing was printed: check the printer's cable (a USB-serial adapter may come back under another name, see ls /dev/ttyUSB* /dev/ttyACM*) and the address"
	case errors.As(err, &perr) && perr.Code() == serial.PortBusy:
		e.Message = "the port is in use by another program (or another feepos): close it and print again"
		e.TextVI = "Cổng máy in đang bị chương trình khác dùng: đóng chương trình đó rồi in lại"
	case errors.As(err, &perr) && perr.Code() == serial.PermissionDenied:
		e.Message = "permission denied: give the feepos user access to the port (e.g. add it to the dialout group)"
	default:
		e.Message = "cannot open the port, nothing was printed: check the cable and the serial settings in the address"
	}
	return e
}

func (p *serialPrinter) String() string { return p.name }

func (p *serialPrinter) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	writing := p.writing
	p.mu.Unlock()
	if writing != nil {
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-writing:
		case <-t.C:
			// The write is still blocked in the kernel (a stuck
			// line): the port is closed when it returns.
			go func() {
				<-writing
				_ = p.port.Close()
			}()
			return nil
		}
	}
	return p.port.Close()
}

// usable refuses a port whose earlier write was given up on.
func (p *serialPrinter) usable() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("port closed")
	}
	if p.writing != nil {
		return errors.New("an earlier write to the port was given up; open the printer again")
	}
	return nil
}

func (p *serialPrinter) Status(ctx context.Context) (Status, error) {
	if err := p.usable(); err != nil {
		return Status{}, err
	}
	// Bytes left from before (an answer to a DLE EOT sequence inside an
	// earlier job's image data, line noise) are not an answer to ours.
	if err := p.port.ResetInputBuffer(); err != nil {
		return Status{}, statusError(p.name, err)
	}
	return queryStatus(ctx, p, p.opts.StatusTimeout)
}

func (p *serialPrinter) Send(ctx context.Context, job []byte) error {
	if err := p.usable(); err != nil {
		return partlyPrinted(p.name, 0, len(job), err)
	}
	n, err := p.write(ctx, job)
	if err != nil {
		return sendError(p.name, n, len(job), err)
	}
	return nil
}

func (p *serialPrinter) request(ctx context.Context, b []byte) error {
	_, err := p.write(ctx, b)
	return err
}

func (p *serialPrinter) write(ctx context.Context, b []byte) (int, error) {
	// Giving up discards what the tty still holds for the line (the job
	// is abandoned anyway), which also lets a blocked write(2) return.
	n, running, err := writeAll(ctx, p.port, b, serialChunk, p.stall, func() { _ = p.port.ResetOutputBuffer() })
	if running != nil {
		p.mu.Lock()
		p.writing = running
		p.mu.Unlock()
	}
	return n, err
}

// readPoll bounds each read so that a cancelled ctx is seen within it:
// go.bug.st/serial reads take a timeout, not a context.
const readPoll = 100 * time.Millisecond

func (p *serialPrinter) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	var b [1]byte
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, errNoAnswer
		}
		if err := p.port.SetReadTimeout(min(left, readPoll)); err != nil {
			return 0, err
		}
		n, err := p.port.Read(b[:])
		if err != nil {
			return 0, fmt.Errorf("read: %w", err)
		}
		if n == 1 {
			return b[0], nil
		}
	}
}
