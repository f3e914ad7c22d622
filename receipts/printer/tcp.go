package printer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// tcpSendBuffer is the kernel send buffer of a printer connection. Kept
// small so that a completed write means the printer has (nearly) taken
// the bytes: with the default, which grows to megabytes, a printer that
// stopped reading would swallow a whole receipt into our own kernel and
// the stall timeout would never see it.
const tcpSendBuffer = 16 << 10

// tcpChunk is the most one write hands to the kernel; each chunk gets the
// stall timeout.
const tcpChunk = 4 << 10

// tcpKeepAlive lets the kernel notice a printer that vanished (power cut)
// while a connection is open.
const tcpKeepAlive = 15 * time.Second

// tcpPrinter is a printer on its raw port: every byte sent is printer
// data, and the printer's answers (DLE EOT) come back on the same
// connection.
type tcpPrinter struct {
	name string
	conn *net.TCPConn
	opts Options
}

func openTCP(ctx context.Context, a Address, opts Options) (Printer, error) {
	d := net.Dialer{Timeout: opts.DialTimeout, KeepAlive: tcpKeepAlive}
	nc, err := d.DialContext(ctx, "tcp", a.Host)
	if err != nil {
		return nil, &Error{Kind: ErrUnreachable, Printer: a.name(), Err: err,
			Message: "cannot connect, nothing was printed: check that the printer is switched on and its network cable plugged in, that its IP address is " + a.Host + ", and that its raw port is enabled",
			TextVI:  "Không kết nối được máy in: kiểm tra máy in đã bật, cáp mạng và địa chỉ máy in rồi in lại"}
	}
	tc := nc.(*net.TCPConn)
	if err := tc.SetWriteBuffer(tcpSendBuffer); err != nil {
		_ = tc.Close()
		return nil, fmt.Errorf("printer %s: set send buffer: %w", a.name(), err)
	}
	return &tcpPrinter{name: a.name(), conn: tc, opts: opts}, nil
}

func (p *tcpPrinter) String() string { return p.name }
func (p *tcpPrinter) Close() error {
	if err := p.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (p *tcpPrinter) Status(ctx context.Context) (Status, error) {
	return queryStatus(ctx, p, p.opts.StatusTimeout)
}

func (p *tcpPrinter) Send(ctx context.Context, job []byte) error {
	n, err := p.write(ctx, job)
	if err != nil {
		return sendError(p.name, n, len(job), err)
	}
	return nil
}

func (p *tcpPrinter) request(ctx context.Context, b []byte) error {
	_, err := p.write(ctx, b)
	return err
}

// past is a deadline that has passed: it wakes a blocked read or write.
var past = time.Unix(1, 0)

// write writes b in chunks, each within the stall timeout. The deadline
// is set before ctx is checked, so a cancellation that lands in between
// is still seen (its AfterFunc moves the deadline to the past).
func (p *tcpPrinter) write(ctx context.Context, b []byte) (int, error) {
	stop := context.AfterFunc(ctx, func() { _ = p.conn.SetWriteDeadline(past) })
	defer stop()
	n := 0
	for n < len(b) {
		if err := p.conn.SetWriteDeadline(time.Now().Add(p.opts.StallTimeout)); err != nil {
			return n, err
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := p.conn.Write(b[n:min(n+tcpChunk, len(b))])
		n += m
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return n, cerr
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return n, fmt.Errorf("%w: no byte taken for %v", ErrStalled, p.opts.StallTimeout)
			}
			return n, err
		}
	}
	return n, nil
}

func (p *tcpPrinter) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	if err := p.conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { _ = p.conn.SetReadDeadline(past) })
	defer stop()
	var b [1]byte
	if _, err := p.conn.Read(b[:]); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, cerr
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, errNoAnswer
		}
		return 0, err
	}
	return b[0], nil
}
