package printer

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Kind is how feepos reaches a printer.
type Kind string

const (
	KindTCP    Kind = "tcp"    // raw TCP, port 9100
	KindSerial Kind = "serial" // RS-232 or USB-serial (go.bug.st/serial)
	KindDevice Kind = "device" // a device file written one way (Linux usblp)
)

// RawPort is the printer's raw print port ("JetDirect", AppSocket): every
// byte received on a connection to it is printer data.
const RawPort = 9100

// Serial defaults: 9600 baud, 8 data bits, no parity, 1 stop bit (8N1),
// the factory setting of most ESC/POS printers' serial interface (set by
// DIP switches or the printer's setup mode; its self-test page shows it).
const (
	DefaultBaud     = 9600
	DefaultDataBits = 8
	DefaultParity   = "none"
	DefaultStopBits = 1
)

// Address is a parsed printer destination.
type Address struct {
	Kind Kind
	Host string // KindTCP: "host:port"
	Path string // KindSerial, KindDevice: the device path

	// KindSerial only.
	Baud     int
	DataBits int
	Parity   string // "none", "even", "odd", "mark", "space"
	StopBits int    // 1 or 2
}

// String gives the address back in its URL form, with every serial
// setting written out.
func (a Address) String() string {
	switch a.Kind {
	case KindTCP:
		return "tcp://" + a.Host
	case KindSerial:
		return fmt.Sprintf("serial://%s?baud=%d&parity=%s&data=%d&stop=%d", a.Path, a.Baud, a.Parity, a.DataBits, a.StopBits)
	case KindDevice:
		return "file://" + a.Path
	}
	return string(a.Kind) + ":" + a.Path
}

// name is how messages name the printer: "tcp 192.168.1.50:9100".
func (a Address) name() string {
	if a.Kind == KindTCP {
		return "tcp " + a.Host
	}
	return string(a.Kind) + " " + a.Path
}

const addressForms = "tcp://192.168.1.50:9100, serial:///dev/ttyUSB0?baud=19200 or file:///dev/usb/lp0"

// ParseAddress reads a printer destination:
//
//	tcp://HOST[:PORT]                  raw port, 9100 when omitted
//	serial:///dev/ttyUSB0[?baud=9600&parity=none&data=8&stop=1]
//	usb:///dev/usb/lp0, file:///dev/usb/lp0   a printer-class device file
//
// An error says what to write instead.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, invalidAddress(s, "no printer address: write e.g. %s", addressForms)
	}
	if !strings.Contains(s, "://") && !strings.HasPrefix(s, "serial:/") && !strings.HasPrefix(s, "file:/") && !strings.HasPrefix(s, "usb:/") {
		return Address{}, invalidAddress(s, "printer address %q has no scheme: write %s", s, guessForm(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		return Address{}, invalidAddress(s, "printer address %q is not a URL (%v): write e.g. %s", s, err, addressForms)
	}
	switch strings.ToLower(u.Scheme) {
	case "tcp":
		return parseTCP(s, u)
	case "serial":
		return parseSerial(s, u)
	case "usb", "file":
		return parseDevice(s, u)
	}
	return Address{}, invalidAddress(s, "printer address %q: unknown scheme %q; use tcp:// (network printer, raw port 9100), serial:// (RS-232 or USB-serial) or file:// (usb://) for a USB printer device, e.g. %s", s, u.Scheme, addressForms)
}

// guessForm suggests the URL for an address typed without a scheme.
func guessForm(s string) string {
	switch {
	case strings.HasPrefix(s, "/dev/tty") || strings.HasPrefix(s, "/dev/serial/"):
		return "serial://" + s
	case strings.HasPrefix(s, "/"):
		return "file://" + s
	}
	return "tcp://" + s
}

func parseTCP(s string, u *url.URL) (Address, error) {
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Address{}, invalidAddress(s, "printer address %q: a TCP printer is only a host and a port, e.g. tcp://192.168.1.50:9100", s)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return Address{}, invalidAddress(s, "printer address %q has no host: write the printer's IP address or name, e.g. tcp://192.168.1.50:9100", s)
	}
	if !validHost(host) {
		return Address{}, invalidAddress(s, "printer address %q: %q is not an IP address or a host name; write e.g. tcp://192.168.1.50:9100, tcp://may-in-quay-1:9100, or an IPv6 address in brackets, tcp://[fd00::50]:9100", s, host)
	}
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return Address{}, invalidAddress(s, "printer address %q: empty port; leave it out for %d or write e.g. tcp://%s:%d", s, RawPort, host, RawPort)
		}
		port = strconv.Itoa(RawPort)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Address{}, invalidAddress(s, "printer address %q: port %q is not a number from 1 to 65535 (printers listen on %d)", s, port, RawPort)
	}
	return Address{Kind: KindTCP, Host: net.JoinHostPort(host, port)}, nil
}

// validHost accepts an IP address (an IPv6 one came in brackets, which
// Hostname removed) or a host name of letters, digits, '-', '_' and '.';
// anything else (an IPv6 address without brackets, whose colons url.Parse
// takes for a port) is refused rather than guessed at.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// devicePath is the path of serial:///dev/x or file:///dev/x.
func devicePath(s string, u *url.URL) (string, error) {
	if u.Host != "" {
		// serial://dev/ttyUSB0 puts "dev" in the host.
		return "", invalidAddress(s, "printer address %q: write the device path after three slashes, e.g. %s:///dev/%s", s, u.Scheme, strings.TrimPrefix(u.Host+u.Path, "dev/"))
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return "", invalidAddress(s, "printer address %q: write the device path after three slashes, e.g. %s:///dev/ttyUSB0", s, u.Scheme)
	}
	if !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2 {
		return "", invalidAddress(s, "printer address %q has no absolute device path, e.g. %s:///dev/ttyUSB0", s, u.Scheme)
	}
	if strings.ContainsFunc(u.Path, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '?' || r == '#' || r == '%' }) {
		return "", invalidAddress(s, "printer address %q: the device path holds a control character or one of ? # %%; write the path as ls /dev shows it, e.g. %s:///dev/ttyUSB0", s, u.Scheme)
	}
	return u.Path, nil
}

func parseDevice(s string, u *url.URL) (Address, error) {
	path, err := devicePath(s, u)
	if err != nil {
		return Address{}, err
	}
	if u.RawQuery != "" {
		return Address{}, invalidAddress(s, "printer address %q: a device file takes no settings (%q); for a serial line write serial://%s?baud=…", s, u.RawQuery, path)
	}
	return Address{Kind: KindDevice, Path: path}, nil
}

func parseSerial(s string, u *url.URL) (Address, error) {
	path, err := devicePath(s, u)
	if err != nil {
		return Address{}, err
	}
	a := Address{Kind: KindSerial, Path: path, Baud: DefaultBaud, DataBits: DefaultDataBits, Parity: DefaultParity, StopBits: DefaultStopBits}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Address{}, invalidAddress(s, "printer address %q: bad settings %q (%v); write e.g. serial://%s?baud=19200&parity=none&data=8&stop=1", s, u.RawQuery, err, path)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return Address{}, invalidAddress(s, "printer address %q: %s is given %d times; give it once", s, key, len(vals))
		}
		v := strings.ToLower(strings.TrimSpace(vals[0]))
		switch key {
		case "baud":
			n, err := strconv.Atoi(v)
			if err != nil || n < 300 || n > 4_000_000 {
				return Address{}, invalidAddress(s, "printer address %q: baud %q is not a speed the printer uses: write e.g. baud=9600, 19200, 38400 or 115200 (the printer's self-test page shows its setting)", s, vals[0])
			}
			a.Baud = n
		case "data":
			n, err := strconv.Atoi(v)
			if err != nil || n != 8 {
				// 7 data bits cannot carry the raster image's bytes.
				return Address{}, invalidAddress(s, "printer address %q: data bits %q: the receipt is a raster image whose bytes need all 8 bits; set the printer to 8 data bits and write data=8", s, vals[0])
			}
			a.DataBits = n
		case "parity":
			p, ok := parityNames[v]
			if !ok {
				return Address{}, invalidAddress(s, "printer address %q: parity %q: write parity=none, even or odd (also mark, space)", s, vals[0])
			}
			a.Parity = p
		case "stop":
			if v != "1" && v != "2" {
				return Address{}, invalidAddress(s, "printer address %q: stop bits %q: write stop=1 or stop=2", s, vals[0])
			}
			a.StopBits = int(v[0] - '0')
		case "flow":
			if v != "none" {
				// go.bug.st/serial v1.8 has no flow-control setting
				// (it clears CRTSCTS when it opens a port), so it
				// cannot be honoured: see docs/RECEIPTS.md, Printing.
				return Address{}, invalidAddress(s, "printer address %q: flow=%s: hardware (RTS/CTS, DSR/DTR) or XON/XOFF flow control is not available on serial printers in feepos; set the printer's handshake to none (or leave it on DTR/DSR: the receipt is sent slower than it prints) and write flow=none or leave flow out", s, vals[0])
			}
		default:
			return Address{}, invalidAddress(s, "printer address %q: unknown setting %q; a serial printer takes baud, parity, data, stop (and flow=none), e.g. serial://%s?baud=19200&parity=none&data=8&stop=1", s, key, path)
		}
	}
	return a, nil
}

var parityNames = map[string]string{
	"none": "none", "n": "none",
	"even": "even", "e": "even",
	"odd": "odd", "o": "odd",
	"mark": "mark", "m": "mark",
	"space": "space", "s": "space",
}
