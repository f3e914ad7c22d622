package config

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Terminal is one [[terminals]] entry: a card terminal of the centre, the
// counter it stands at, and how feepos reaches it (README.md,
// "Configuration"; docs/TERMINALS.md, "Terminal manager").
//
// The link is exactly one of:
//   - port: a serial device path, e.g. /dev/ttyACM0;
//   - usb: the USB vendor id, product id and (best) serial number of the
//     terminal or its serial adapter, looked up among the ports present at
//     every (re)open, so a terminal that comes back from a replug as
//     another ttyACM is still found;
//   - tcp: HOST:PORT of a ZVT terminal on the network.
//
// The line settings (baud, data_bits, parity, stop_bits) default to the
// protocol's (ZVT 9600 8N2, Concert 9600 7E1) and go with port or usb only.
type Terminal struct {
	ID       string `toml:"id"`
	Protocol string `toml:"protocol"` // zvt or concert
	Counter  string `toml:"counter"`  // the counter or desk it stands at, e.g. "Quầy 1"

	Port string `toml:"port"`
	USB  *USB   `toml:"usb"`
	TCP  string `toml:"tcp"`

	Baud     int     `toml:"baud"`
	DataBits int     `toml:"data_bits"`
	Parity   string  `toml:"parity"`
	StopBits float64 `toml:"stop_bits"`

	Password string `toml:"password"` // ZVT: 6 digits, default 000000
	Register string `toml:"register"` // Concert: the register (POS) number, 2 digits, default 01
	// RepeatsOriginalReceipt (ZVT): the terminal answers Repeat Receipt
	// after a reversal with the ORIGINAL payment's receipt, as approved
	// (docs/TERMINALS.md, "Last result"). Its last result then cannot tell
	// a payment that stands from one it reversed: recovery reads every
	// approved record of it as proving nothing.
	RepeatsOriginalReceipt bool `toml:"repeats_original_receipt"`

	Timers       Timers   `toml:"timers"`
	QueueSize    int      `toml:"queue_size"`    // charges waiting for the terminal at most (default 4)
	QueueTimeout Duration `toml:"queue_timeout"` // how long a charge waits for its turn (default 30s)
	PollInterval Duration `toml:"poll_interval"` // health poll of an idle terminal (default 30s)
}

// USB names a terminal on USB by what it reports, as `feepos pos ports`
// lists it: vendor and product id (4 hex digits each) and, when the
// device has one, its serial number, which tells two terminals of one
// model apart.
type USB struct {
	VID          string `toml:"vid"`
	PID          string `toml:"pid"`
	SerialNumber string `toml:"serial_number"`
}

func (u USB) String() string {
	s := "usb " + strings.ToLower(u.VID) + ":" + strings.ToLower(u.PID)
	if u.SerialNumber != "" {
		s += " serial " + u.SerialNumber
	}
	return s
}

// Timers override a protocol's timers ([terminals.timers]); a key left out
// keeps the protocol's value. ZVT (PA00P015): t1 to t4 and max_resends,
// and the hold of an approved result while feepos records it (zvt.Config:
// hold_answer, hold_repeat, max_hold); Concert E+: ack, byte_gap, eot,
// answer, enq_attempts, enq_retry_pause, frame_attempts.
type Timers struct {
	T1         Duration `toml:"t1"`
	T2         Duration `toml:"t2"`
	T3         Duration `toml:"t3"`
	T4         Duration `toml:"t4"`
	MaxResends int      `toml:"max_resends"`
	// HoldAnswer: a held Status-Information is answered "more time"
	// (84 9C 00) after this; shorter than the terminal's own wait for our
	// answer. Default zvt.DefaultHoldAnswer (2s).
	HoldAnswer Duration `toml:"hold_answer"`
	// HoldRepeat: after 84 9C the terminal repeats its
	// Status-Information within this, else the hold ends uncertain.
	// Default zvt.DefaultHoldRepeat (10s).
	HoldRepeat Duration `toml:"hold_repeat"`
	// MaxHold: an approval not confirmed (recorded) within this of its
	// arrival is refused by the driver (84 66 00), and the terminal
	// reverses it: Pending.Deadline. Default zvt.DefaultMaxHold (60s).
	MaxHold Duration `toml:"max_hold"`

	ACK           Duration `toml:"ack"`
	ByteGap       Duration `toml:"byte_gap"`
	EOT           Duration `toml:"eot"`
	Answer        Duration `toml:"answer"`
	ENQAttempts   int      `toml:"enq_attempts"`
	ENQRetryPause Duration `toml:"enq_retry_pause"`
	FrameAttempts int      `toml:"frame_attempts"`
}

// Duration is a span of time written as text, e.g. "30s", "2m", "500ms".
// A bare number is refused: it would be read as nanoseconds.
type Duration struct{ time.Duration }

// UnmarshalTOML reads a Go duration string.
func (d *Duration) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("a duration is written as text with its unit, e.g. \"30s\" or \"2m\", not %v", v)
	}
	p, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration: write e.g. \"30s\", \"2m\" or \"500ms\"", s)
	}
	if p <= 0 {
		return fmt.Errorf("duration %q must be more than zero", s)
	}
	d.Duration = p
	return nil
}

// Defaults of a terminal entry.
const (
	DefaultQueueSize    = 4
	DefaultQueueTimeout = 30 * time.Second
	DefaultPollInterval = 30 * time.Second
)

// Name says which entry t is, for messages.
func (t Terminal) Name(i int) string {
	if strings.TrimSpace(t.ID) == "" {
		return fmt.Sprintf("[[terminals]] entry %d", i+1)
	}
	return fmt.Sprintf("[[terminals]] id %q", t.ID)
}

// Proto is the entry's protocol.
func (t Terminal) Proto() pos.Protocol { return pos.Protocol(t.Protocol) }

// Serial is the line setting of the entry on the serial port path: the
// protocol's defaults with the entry's overrides.
func (t Terminal) Serial(path string) transport.SerialConfig {
	cfg := transport.ZVTSerial(path)
	if t.Proto() == pos.Concert {
		cfg = transport.ConcertSerial(path)
	}
	if t.Baud != 0 {
		cfg.Baud = t.Baud
	}
	if t.DataBits != 0 {
		cfg.DataBits = t.DataBits
	}
	if t.Parity != "" {
		cfg.Parity = t.Parity
	}
	if t.StopBits != 0 {
		cfg.StopBits = t.StopBits
	}
	return cfg
}

// Link says how the terminal is reached, for logs and status pages.
func (t Terminal) Link() string {
	switch {
	case t.TCP != "":
		return "tcp " + t.TCP
	case t.USB != nil:
		return t.USB.String()
	}
	return t.Port
}

// Queue is the entry's queue size, queue timeout and poll interval, with
// the defaults filled in.
func (t Terminal) Queue() (size int, timeout, poll time.Duration) {
	size, timeout, poll = t.QueueSize, t.QueueTimeout.Duration, t.PollInterval.Duration
	if size == 0 {
		size = DefaultQueueSize
	}
	if timeout == 0 {
		timeout = DefaultQueueTimeout
	}
	if poll == 0 {
		poll = DefaultPollInterval
	}
	return size, timeout, poll
}

var (
	terminalID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
	hex4       = regexp.MustCompile(`^[0-9A-Fa-f]{4}$`)
)

// CheckTerminals validates the [[terminals]] entries and says, for the
// first wrong one, what to change.
func CheckTerminals(ts []Terminal) error {
	seen := map[string]int{}
	for i, t := range ts {
		if err := t.Check(); err != nil {
			return fmt.Errorf("%s: %w", t.Name(i), err)
		}
		key := strings.ToLower(t.ID)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("[[terminals]] entries %d and %d both have id %q: give each terminal its own id", j+1, i+1, t.ID)
		}
		seen[key] = i
	}
	return nil
}

// Check validates one entry.
func (t Terminal) Check() error {
	switch {
	case strings.TrimSpace(t.ID) == "":
		return fmt.Errorf("id is missing: give each terminal a short name, e.g. id = \"T1\"")
	case !terminalID.MatchString(t.ID):
		return fmt.Errorf("id %q: use 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. \"T1\")", t.ID)
	}
	p := t.Proto()
	if p != pos.ZVT && p != pos.Concert {
		return fmt.Errorf("protocol %q: use zvt or concert", t.Protocol)
	}
	links := 0
	for _, set := range []bool{t.Port != "", t.USB != nil, t.TCP != ""} {
		if set {
			links++
		}
	}
	if links != 1 {
		return fmt.Errorf("give exactly one of port (a serial device, e.g. \"/dev/ttyACM0\"), usb = { vid, pid, serial_number } or tcp (\"HOST:PORT\", ZVT only); `feepos pos ports` lists the ports with their USB ids")
	}
	if err := t.checkLink(); err != nil {
		return err
	}
	switch {
	case t.Password != "" && p != pos.ZVT:
		return fmt.Errorf("password is for ZVT terminals only")
	case t.Password != "" && (len(t.Password) != 6 || strings.Trim(t.Password, "0123456789") != ""):
		return fmt.Errorf("password must be 6 digits (the terminal's ZVT password; default 000000)")
	case t.Register != "" && p != pos.Concert:
		return fmt.Errorf("register is for Concert terminals only (the register number sent in each request)")
	case t.Register != "" && (len(t.Register) != 2 || strings.Trim(t.Register, "0123456789") != "" || t.Register == "00"):
		return fmt.Errorf("register %q must be 2 digits, 01 to 99", t.Register)
	case t.RepeatsOriginalReceipt && p != pos.ZVT:
		return fmt.Errorf("repeats_original_receipt is for ZVT terminals only (a Concert terminal has no Repeat Receipt)")
	case t.QueueSize < 0 || t.QueueSize > 100:
		return fmt.Errorf("queue_size %d: allow 1 to 100 charges to wait for the terminal (default %d)", t.QueueSize, DefaultQueueSize)
	case t.QueueTimeout.Duration != 0 && (t.QueueTimeout.Duration < time.Second || t.QueueTimeout.Duration > 10*time.Minute):
		return fmt.Errorf("queue_timeout %v: a charge waits for its turn between 1s and 10m (default %v)", t.QueueTimeout.Duration, DefaultQueueTimeout)
	case t.PollInterval.Duration != 0 && (t.PollInterval.Duration < time.Second || t.PollInterval.Duration > time.Hour):
		return fmt.Errorf("poll_interval %v: poll an idle terminal every 1s to 1h (default %v)", t.PollInterval.Duration, DefaultPollInterval)
	}
	return t.Timers.check(p)
}

func (t Terminal) checkLink() error {
	p := t.Proto()
	if t.TCP != "" {
		if p == pos.Concert {
			return fmt.Errorf("tcp: Concert over TCP is not supported; connect the terminal's serial or USB port and give port or usb")
		}
		host, port, err := net.SplitHostPort(t.TCP)
		if err != nil || host == "" || port == "" {
			return fmt.Errorf("tcp %q is not HOST:PORT, e.g. \"192.168.1.50:%d\"", t.TCP, transport.ZVTTCPPort)
		}
		for _, name := range []struct {
			set  bool
			name string
		}{{t.Baud != 0, "baud"}, {t.DataBits != 0, "data_bits"}, {t.Parity != "", "parity"}, {t.StopBits != 0, "stop_bits"}} {
			if name.set {
				return fmt.Errorf("%s is a serial setting: it does not go with tcp", name.name)
			}
		}
		return nil
	}
	if u := t.USB; u != nil {
		switch {
		case !hex4.MatchString(u.VID):
			return fmt.Errorf("usb vid %q: the USB vendor id is 4 hex digits, as `feepos pos ports` shows it (e.g. \"0b00\")", u.VID)
		case !hex4.MatchString(u.PID):
			return fmt.Errorf("usb pid %q: the USB product id is 4 hex digits, as `feepos pos ports` shows it", u.PID)
		}
	}
	path := t.Port
	if path == "" {
		path = t.USB.String()
	}
	if err := t.Serial(path).Validate(); err != nil {
		return err
	}
	return nil
}

func (tm Timers) check(p pos.Protocol) error {
	type field struct {
		name string
		set  bool
		zvt  bool
	}
	fields := []field{
		{"t1", tm.T1.Duration != 0, true}, {"t2", tm.T2.Duration != 0, true},
		{"t3", tm.T3.Duration != 0, true}, {"t4", tm.T4.Duration != 0, true},
		{"max_resends", tm.MaxResends != 0, true},
		{"hold_answer", tm.HoldAnswer.Duration != 0, true}, {"hold_repeat", tm.HoldRepeat.Duration != 0, true},
		{"max_hold", tm.MaxHold.Duration != 0, true},
		{"ack", tm.ACK.Duration != 0, false}, {"byte_gap", tm.ByteGap.Duration != 0, false},
		{"eot", tm.EOT.Duration != 0, false}, {"answer", tm.Answer.Duration != 0, false},
		{"enq_attempts", tm.ENQAttempts != 0, false}, {"enq_retry_pause", tm.ENQRetryPause.Duration != 0, false},
		{"frame_attempts", tm.FrameAttempts != 0, false},
	}
	for _, f := range fields {
		if f.set && f.zvt != (p == pos.ZVT) {
			other := "Concert"
			if f.zvt {
				other = "ZVT"
			}
			return fmt.Errorf("timers.%s is a %s timer: a %s terminal does not use it", f.name, other, p)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"t1", tm.T1.Duration}, {"t2", tm.T2.Duration}, {"t3", tm.T3.Duration}, {"t4", tm.T4.Duration},
		{"ack", tm.ACK.Duration}, {"byte_gap", tm.ByteGap.Duration}, {"eot", tm.EOT.Duration},
		{"answer", tm.Answer.Duration}, {"enq_retry_pause", tm.ENQRetryPause.Duration},
		{"hold_answer", tm.HoldAnswer.Duration}, {"hold_repeat", tm.HoldRepeat.Duration}, {"max_hold", tm.MaxHold.Duration}} {
		if d.v > 10*time.Minute {
			return fmt.Errorf("timers.%s %v is longer than 10m: a terminal that silent is gone", d.name, d.v)
		}
	}
	if p == pos.ZVT {
		answer, limit := tm.HoldAnswer.Duration, tm.MaxHold.Duration
		if answer == 0 {
			answer = zvt.DefaultHoldAnswer
		}
		if limit == 0 {
			limit = zvt.DefaultMaxHold
		}
		if answer >= limit {
			return fmt.Errorf("timers.hold_answer %v must be shorter than timers.max_hold %v: the driver asks the terminal for more time (hold_answer) while it holds a result, up to max_hold", answer, limit)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"max_resends", tm.MaxResends}, {"enq_attempts", tm.ENQAttempts}, {"frame_attempts", tm.FrameAttempts}} {
		if n.v < 0 || n.v > 10 {
			return fmt.Errorf("timers.%s %d: use 1 to 10", n.name, n.v)
		}
	}
	return nil
}
