package printer

import (
	"context"
	"errors"
	"os"
)

// deviceChunk is the most one write hands to the device file.
const deviceChunk = 4 << 10

// devicePrinter is a printer-class device file, such as the Linux usblp
// driver's /dev/usb/lp0: a file written to, one way. No status is asked
// (ESC/POS answers would need reads the usblp driver gives only for some
// printers).
type devicePrinter struct {
	name string
	f    *os.File
	opts Options
}

func openDevice(a Address, opts Options) (Printer, error) {
	// No O_CREATE: with the printer unplugged, /dev/usb/lp0 does not
	// exist, and creating a plain file there would swallow receipts.
	f, err := os.OpenFile(a.Path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		e := &Error{Kind: ErrUnreachable, Printer: a.name(), Err: err,
			Message: "cannot open the printer device, nothing was printed: check that the printer is switched on and its USB cable plugged in (ls /dev/usb/)",
			TextVI:  "Không mở được máy in USB: kiểm tra máy in đã bật và cáp USB rồi in lại"}
		if errors.Is(err, os.ErrPermission) {
			e.Message = "permission denied: give the feepos user access to the printer device (e.g. add it to the lp group)"
		}
		return nil, e
	}
	return &devicePrinter{name: a.name(), f: f, opts: opts}, nil
}

func (p *devicePrinter) String() string { return p.name }

func (p *devicePrinter) Status(context.Context) (Status, error) {
	return Status{}, &Error{Kind: ErrNoStatus, Printer: p.name, Message: "a device file is written one way: no status"}
}

func (p *devicePrinter) Send(ctx context.Context, job []byte) error {
	// Closing an *os.File under a blocked Write is safe (the runtime
	// keeps the descriptor until the write returns) and wakes a write
	// waiting in the poller.
	n, _, err := writeAll(ctx, p.f, job, deviceChunk, p.opts.StallTimeout, func() { _ = p.f.Close() })
	if err != nil {
		return sendError(p.name, n, len(job), err)
	}
	return nil
}

func (p *devicePrinter) Close() error {
	if err := p.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
