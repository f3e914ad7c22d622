package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
)

func TestLoadTerminals(t *testing.T) {
	c, err := Load(write(t, `
[[terminals]]
id = "T1"
protocol = "zvt"
counter = "Quầy 1"
port = "/dev/ttyACM0"
baud = 115200
password = "123456"
queue_timeout = "45s"
poll_interval = "1m"
repeats_original_receipt = true
[terminals.timers]
t3 = "8s"
t4 = "3m"
hold_answer = "1500ms"
hold_repeat = "8s"
max_hold = "90s"

[[terminals]]
id = "T2"
protocol = "concert"
counter = "Quầy 2"
usb = { vid = "0B00", pid = "0080", serial_number = "12345678" }
register = "02"

[[terminals]]
id = "T3"
protocol = "zvt"
tcp = "192.168.1.50:20007"
`))
	require.NoError(t, err)
	require.Len(t, c.Terminals, 3)

	t1 := c.Terminals[0]
	assert.Equal(t, pos.ZVT, t1.Proto())
	assert.Equal(t, "Quầy 1", t1.Counter)
	s := t1.Serial("/dev/ttyACM0")
	assert.Equal(t, 115200, s.Baud, "override")
	assert.Equal(t, 8, s.DataBits, "ZVT default")
	assert.EqualValues(t, 2, s.StopBits, "ZVT default")
	assert.Equal(t, 8*time.Second, t1.Timers.T3.Duration)
	assert.Equal(t, 3*time.Minute, t1.Timers.T4.Duration)
	assert.Equal(t, 1500*time.Millisecond, t1.Timers.HoldAnswer.Duration)
	assert.Equal(t, 8*time.Second, t1.Timers.HoldRepeat.Duration)
	assert.Equal(t, 90*time.Second, t1.Timers.MaxHold.Duration)
	assert.True(t, t1.RepeatsOriginalReceipt)
	assert.False(t, c.Terminals[2].RepeatsOriginalReceipt, "default")
	size, timeout, poll := t1.Queue()
	assert.Equal(t, DefaultQueueSize, size)
	assert.Equal(t, 45*time.Second, timeout)
	assert.Equal(t, time.Minute, poll)

	t2 := c.Terminals[1]
	require.NotNil(t, t2.USB)
	assert.Equal(t, "12345678", t2.USB.SerialNumber)
	assert.Equal(t, "usb 0b00:0080 serial 12345678", t2.Link())
	s = t2.Serial("/dev/ttyACM1")
	assert.Equal(t, 7, s.DataBits, "Concert default")
	assert.Equal(t, "even", s.Parity)

	assert.Equal(t, "tcp 192.168.1.50:20007", c.Terminals[2].Link())
	_, timeout, poll = c.Terminals[2].Queue()
	assert.Equal(t, DefaultQueueTimeout, timeout)
	assert.Equal(t, DefaultPollInterval, poll)
}

func TestLoadTerminalsRejects(t *testing.T) {
	base := "[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\nport = \"/dev/ttyACM0\"\n"
	cases := map[string]struct{ body, want string }{
		"unknown key":         {base + "speed = 9600\n", "unknown setting(s) terminals.speed"},
		"unknown timer":       {base + "[terminals.timers]\nt5 = \"1s\"\n", "terminals.timers.t5"},
		"no id":               {"[[terminals]]\nprotocol = \"zvt\"\nport = \"/dev/ttyACM0\"\n", "[[terminals]] entry 1: id is missing"},
		"bad id":              {"[[terminals]]\nid = \"T 1\"\nprotocol = \"zvt\"\nport = \"/dev/ttyACM0\"\n", `id "T 1": use 1 to 32 letters`},
		"duplicate id":        {base + base, `entries 1 and 2 both have id "T1"`},
		"duplicate id case":   {base + "[[terminals]]\nid = \"t1\"\nprotocol = \"zvt\"\ntcp = \"10.0.0.1:20007\"\n", `both have id "t1"`},
		"bad protocol":        {"[[terminals]]\nid = \"T1\"\nprotocol = \"opi\"\nport = \"/dev/ttyACM0\"\n", `protocol "opi": use zvt or concert`},
		"no link":             {"[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\n", "give exactly one of port"},
		"two links":           {base + "tcp = \"10.0.0.1:20007\"\n", "give exactly one of port"},
		"concert tcp":         {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\ntcp = \"10.0.0.1:20007\"\n", "Concert over TCP is not supported"},
		"tcp not host:port":   {"[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\ntcp = \"10.0.0.1\"\n", `tcp "10.0.0.1" is not HOST:PORT`},
		"serial with tcp":     {"[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\ntcp = \"10.0.0.1:20007\"\nbaud = 9600\n", "baud is a serial setting"},
		"bad vid":             {"[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\nusb = { vid = \"XYZ1\", pid = \"0080\" }\n", `usb vid "XYZ1"`},
		"bad pid":             {"[[terminals]]\nid = \"T1\"\nprotocol = \"zvt\"\nusb = { vid = \"0b00\", pid = \"80\" }\n", `usb pid "80"`},
		"bad parity":          {base + "parity = \"evn\"\n", `parity "evn" is not valid`},
		"bad data bits":       {base + "data_bits = 9\n", "data bits 9 is not valid"},
		"password concert":    {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\nport = \"/dev/ttyACM0\"\npassword = \"000000\"\n", "password is for ZVT terminals only"},
		"bad password":        {base + "password = \"12345\"\n", "password must be 6 digits"},
		"register zvt":        {base + "register = \"01\"\n", "register is for Concert terminals only"},
		"bad register":        {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\nport = \"/dev/ttyACM0\"\nregister = \"00\"\n", `register "00" must be 2 digits`},
		"number duration":     {base + "queue_timeout = 30\n", `written as text with its unit, e.g. "30s"`},
		"bad duration":        {base + "queue_timeout = \"30\"\n", `"30" is not a duration`},
		"negative duration":   {base + "poll_interval = \"-1s\"\n", "must be more than zero"},
		"short queue":         {base + "queue_timeout = \"10ms\"\n", "queue_timeout 10ms: a charge waits for its turn between 1s and 10m"},
		"long poll":           {base + "poll_interval = \"2h\"\n", "poll_interval 2h0m0s"},
		"queue size":          {base + "queue_size = 1000\n", "queue_size 1000"},
		"concert timer zvt":   {base + "[terminals.timers]\nanswer = \"2m\"\n", "timers.answer is a Concert timer: a zvt terminal does not use it"},
		"zvt timer concert":   {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\nport = \"/dev/ttyACM0\"\n[terminals.timers]\nt4 = \"2m\"\n", "timers.t4 is a ZVT timer: a concert terminal does not use it"},
		"long timer":          {base + "[terminals.timers]\nt4 = \"11m\"\n", "timers.t4 11m0s is longer than 10m"},
		"too many resends":    {base + "[terminals.timers]\nmax_resends = 11\n", "timers.max_resends 11: use 1 to 10"},
		"hold concert":        {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\nport = \"/dev/ttyACM0\"\n[terminals.timers]\nmax_hold = \"30s\"\n", "timers.max_hold is a ZVT timer"},
		"long hold":           {base + "[terminals.timers]\nmax_hold = \"11m\"\n", "timers.max_hold 11m0s is longer than 10m"},
		"answer after limit":  {base + "[terminals.timers]\nhold_answer = \"5s\"\nmax_hold = \"5s\"\n", "timers.hold_answer 5s must be shorter than timers.max_hold 5s"},
		"answer past default": {base + "[terminals.timers]\nhold_answer = \"90s\"\n", "timers.hold_answer 1m30s must be shorter than timers.max_hold 1m0s"},
		"original concert":    {"[[terminals]]\nid = \"T1\"\nprotocol = \"concert\"\nport = \"/dev/ttyACM0\"\nrepeats_original_receipt = true\n", "repeats_original_receipt is for ZVT terminals only"},
		"names second entry":  {base + "[[terminals]]\nid = \"T2\"\nprotocol = \"zvt\"\n", `[[terminals]] id "T2": give exactly one of`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
