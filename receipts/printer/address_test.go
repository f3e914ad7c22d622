package printer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts/printer"
)

func TestParseAddress(t *testing.T) {
	t.Parallel()
	serial := func(path string, baud, data int, parity string, stop int) printer.Address {
		return printer.Address{Kind: printer.KindSerial, Path: path, Baud: baud, DataBits: data, Parity: parity, StopBits: stop}
	}
	ok := []struct {
		in   string
		want printer.Address
	}{
		{"tcp://192.168.1.50:9100", printer.Address{Kind: printer.KindTCP, Host: "192.168.1.50:9100"}},
		{"tcp://192.168.1.50", printer.Address{Kind: printer.KindTCP, Host: "192.168.1.50:9100"}},
		{"TCP://printer.local:9101/", printer.Address{Kind: printer.KindTCP, Host: "printer.local:9101"}},
		{"tcp://[fe80::1]", printer.Address{Kind: printer.KindTCP, Host: "[fe80::1]:9100"}},
		{" serial:///dev/ttyUSB0 ", serial("/dev/ttyUSB0", 9600, 8, "none", 1)},
		{"serial:///dev/ttyUSB0?baud=19200&parity=none&data=8&stop=1", serial("/dev/ttyUSB0", 19200, 8, "none", 1)},
		{"serial:///dev/ttyS0?baud=115200&parity=E&stop=2&flow=none", serial("/dev/ttyS0", 115200, 8, "even", 2)},
		{"serial:/dev/ttyACM0", serial("/dev/ttyACM0", 9600, 8, "none", 1)},
		{"usb:///dev/usb/lp0", printer.Address{Kind: printer.KindDevice, Path: "/dev/usb/lp0"}},
		{"file:///dev/usb/lp1", printer.Address{Kind: printer.KindDevice, Path: "/dev/usb/lp1"}},
	}
	for _, c := range ok {
		t.Run(c.in, func(t *testing.T) {
			got, err := printer.ParseAddress(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			again, err := printer.ParseAddress(got.String())
			require.NoError(t, err, "String gives a parsable address")
			assert.Equal(t, got, again)
		})
	}

	bad := []struct {
		in, says string
	}{
		{"", "no printer address"},
		{"192.168.1.50:9100", "write tcp://192.168.1.50:9100"},
		{"/dev/ttyUSB0", "write serial:///dev/ttyUSB0"},
		{"/dev/usb/lp0", "write file:///dev/usb/lp0"},
		{"lpd://printer/queue", `unknown scheme "lpd"`},
		{"tcp://::1", "IPv6 address in brackets"},
		{"tcp://my printer:9100", "not a URL"},
		{"serial:/%000", "control character"},
		{"http://printer:9100", "use tcp://"},
		{"tcp://:9100", "has no host"},
		{"tcp://printer:0", "not a number from 1 to 65535"},
		{"tcp://printer:http", "not a URL"},
		{"tcp://printer:9100/queue", "only a host and a port"},
		{"tcp://printer?x=1", "only a host and a port"},
		{"serial://dev/ttyUSB0", "serial:///dev/ttyUSB0"},
		{"serial:///dev/ttyUSB0?baud=fast", "baud"},
		{"serial:///dev/ttyUSB0?baud=12", "baud"},
		{"serial:///dev/ttyUSB0?data=7", "write data=8"},
		{"serial:///dev/ttyUSB0?parity=x", "parity=none, even or odd"},
		{"serial:///dev/ttyUSB0?stop=1.5", "stop=1 or stop=2"},
		{"serial:///dev/ttyUSB0?flow=rtscts", "flow control is not available"},
		{"serial:///dev/ttyUSB0?speed=9600", `unknown setting "speed"`},
		{"serial:///dev/ttyUSB0?baud=9600&baud=19200", "give it once"},
		{"file:///dev/usb/lp0?baud=9600", "takes no settings"},
		{"usb://", "no absolute device path"},
	}
	for _, c := range bad {
		t.Run("bad "+c.in, func(t *testing.T) {
			_, err := printer.ParseAddress(c.in)
			require.ErrorIs(t, err, printer.ErrInvalidAddress)
			assert.Contains(t, err.Error(), c.says)
			var pe *printer.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "invalid", pe.ErrorCode())
		})
	}
}
