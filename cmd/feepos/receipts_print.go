package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/receipts/printer"
)

func (a *app) receiptsPrintCommand() *cobra.Command {
	var (
		to, template, verifyBase string
		paper                    int
	)
	cmd := &cobra.Command{
		Use:   "print SERIES NUMBER --to URL [--template EBL01] [--paper 80|58] [--verify-base URL]",
		Short: "Print a stored receipt on the counter's thermal printer (ESC/POS)",
		Long: `Sends the receipt, rendered as an ESC/POS raster image, to a thermal printer:
  tcp://HOST[:9100]                        network printer, raw port (9100 by default)
  serial:///dev/ttyUSB0?baud=19200&parity=none&data=8&stop=1   RS-232 or USB-serial (default 9600 8N1)
  file:///dev/usb/lp0 (or usb://…)          USB printer device (Linux usblp), no status
On TCP and serial the printer's status is asked first (DLE EOT): nothing is printed
while the paper is out, the cover is open or the printer is offline. A printer that
does not answer still gets the receipt, with a warning. Printing a receipt again is
harmless: it is the same receipt, not a new one.
The QR code points to --verify-base, else to [receipts] verify_base of the config,
else to http:// and the [service] addr (a warning says a phone cannot open that).`,
		Example: `  feepos receipts print 26TAA 7 --to tcp://192.168.1.50
  feepos receipts print 26TAA 7 --to serial:///dev/ttyUSB0?baud=19200 --paper 58`,
		Args: exactArgs(2, "a series and a number: feepos receipts print 26TAA 7 --to tcp://192.168.1.50"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := parseReceiptNumber(args[1])
			if err != nil {
				return err
			}
			if strings.TrimSpace(to) == "" {
				return usagef("no printer: give --to, e.g. --to tcp://192.168.1.50:9100, --to serial:///dev/ttyUSB0 or --to file:///dev/usb/lp0")
			}
			addr, err := printer.ParseAddress(to)
			if err != nil {
				return usageError{err}
			}
			if err := checkVerifyBaseFlag(verifyBase); err != nil {
				return err
			}
			dots, err := paperDots(paper)
			if err != nil {
				return err
			}

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			r, verifyBase, signedBy, err := a.storedReceipt(ctx, template, args[0], number, verifyBase)
			if err != nil {
				return err
			}
			var job bytes.Buffer
			if err := receipts.RenderESCPOS(&job, r, receipts.ESCPOSOptions{DotsPerLine: dots, VerifyBase: verifyBase, SignedBy: signedBy}); err != nil {
				return err
			}

			p, err := printer.Open(ctx, addr, printer.Options{})
			if err != nil {
				return err
			}
			res, err := printer.Print(ctx, p, job.Bytes())
			if cerr := p.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("printer %s: closing after the job: %w; the receipt may be partly printed, print it again (it is the same receipt)", p, cerr)
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(a.stderr, "feepos: warning: %s\n", w)
			}
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Receipt string `json:"receipt"`
					printer.Result
				}{r.Ref.String(), res})
			}
			_, err = fmt.Fprintf(a.stdout, "Đã in biên lai %s %s trên máy in %s\n", r.Template, r.Ref, res.Printer)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "the printer: tcp://HOST[:PORT], serial:///dev/ttyUSB0[?baud=…], file:///dev/usb/lp0")
	f.StringVar(&template, "template", receipts.Template, "template symbol (ký hiệu mẫu)")
	f.IntVar(&paper, "paper", 80, "paper width in mm: 80 or 58")
	f.StringVar(&verifyBase, "verify-base", "", verifyBaseUsage)
	return cmd
}

// paperDots is the print width of a paper roll at 203 dpi.
func paperDots(mm int) (int, error) {
	switch mm {
	case 80:
		return receipts.DotsPerLine80mm, nil
	case 58:
		return receipts.DotsPerLine58mm, nil
	}
	return 0, usagef("--paper %d: the printer takes 80 or 58 mm paper; write --paper 80 or --paper 58", mm)
}

// defaultVerifyBase is the public address of the receipt check pages:
// [receipts] verify_base, else the service's own address, as serve
// listens on it.
func defaultVerifyBase(cfg config.Config) string {
	if cfg.Receipts.VerifyBase != "" {
		return cfg.Receipts.VerifyBase
	}
	addr := cfg.Service.Addr
	if addr == "" {
		addr = config.DefaultAddr
	}
	return "http://" + addr
}

// isLoopbackBase says the verification address only works on this machine.
func isLoopbackBase(base string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified()))
}
