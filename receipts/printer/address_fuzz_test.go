package printer_test

import (
	"testing"

	"github.com/feepos/feepos/receipts/printer"
)

// FuzzParseAddress: any text gives an address or an error, never a panic,
// and an accepted address written back with String parses to itself. CI
// runs the seeds; explore with
//
//	go test -run '^$' -fuzz FuzzParseAddress -fuzztime 60s ./receipts/printer/
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"tcp://192.168.1.50:9100", "tcp://printer", "serial:///dev/ttyUSB0?baud=19200&parity=E&stop=2",
		"serial:/dev/ttyACM0", "usb:///dev/usb/lp0", "file:///dev/usb/lp1", "192.168.1.50:9100", "/dev/ttyUSB0",
		"lpd://printer/queue", "tcp://[::1]:9100", "serial:///dev/ttyS0?baud=x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := printer.ParseAddress(s)
		if err != nil {
			return
		}
		again, err := printer.ParseAddress(a.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose String %q does not parse: %v", s, a, a.String(), err)
		}
		if again != a {
			t.Fatalf("%q parsed to %+v, String %q parsed to %+v", s, a, a.String(), again)
		}
	})
}
