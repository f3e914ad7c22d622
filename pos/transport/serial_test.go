package transport

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newPTY(t *testing.T) *PTY {
	t.Helper()
	p, err := NewPTY()
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func openSerialPTY(t *testing.T, p *PTY, cfg func(string) SerialConfig) Conn {
	t.Helper()
	c, err := OpenSerial(cfg(p.SlavePath))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSerialOverPTYPassesAllByteValuesBothWays(t *testing.T) {
	for name, cfg := range map[string]func(string) SerialConfig{"zvt 8N2": ZVTSerial, "concert 7E1": ConcertSerial} {
		t.Run(name, func(t *testing.T) {
			p := newPTY(t)
			c := openSerialPTY(t, p, cfg)
			assert.Equal(t, p.SlavePath, c.String())

			// driver → terminal
			n, err := c.Write(allBytes())
			require.NoError(t, err)
			require.Equal(t, 256, n)
			require.Equal(t, allBytes(), readFileN(t, p.Master, 256))

			// terminal → driver
			_, err = p.Master.Write(allBytes())
			require.NoError(t, err)
			require.Equal(t, allBytes(), readConnN(t, c, 256))

			// the bytes a line discipline likes to eat, one at a time
			for _, b := range []byte{0x03, 0x04, 0x11, 0x13, 0x0D, 0x0A, 0x7F, 0xFF, 0x10, 0x00} {
				_, err = p.Master.Write([]byte{b})
				require.NoError(t, err)
				got, err := c.ReadByteTimeout(10 * time.Second)
				require.NoError(t, err)
				require.Equal(t, b, got)
			}
		})
	}
}

func TestOpenPTYReturnsRawMasterAndPath(t *testing.T) {
	master, path, err := OpenPTY()
	require.NoError(t, err)
	defer master.Close()
	c, err := OpenSerial(ZVTSerial(path))
	require.NoError(t, err)
	defer c.Close()
	_, err = master.Write(allBytes())
	require.NoError(t, err)
	require.Equal(t, allBytes(), readConnN(t, c, 256))
	_, err = c.Write(allBytes())
	require.NoError(t, err)
	require.Equal(t, allBytes(), readFileN(t, master, 256))
}

func TestSerialTimedReadWaitsInKernel(t *testing.T) {
	c := openSerialPTY(t, newPTY(t), ZVTSerial)
	assertIdleTimeout(t, c)
	_, err := c.ReadByteTimeout(50 * time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)
	var te interface{ Timeout() bool }
	require.True(t, errors.As(err, &te) && te.Timeout())
}

func TestSerialDrainDropsStaleInput(t *testing.T) {
	p := newPTY(t)
	c := openSerialPTY(t, p, ZVTSerial)
	n, err := c.Drain()
	require.NoError(t, err)
	require.Zero(t, n)

	_, err = p.Master.Write([]byte{0x10, 0x02, 0xde, 0xad, 0xbe, 0xef})
	require.NoError(t, err)
	waitBuffered(t, c, 6)
	n, err = c.Drain()
	require.NoError(t, err)
	require.Equal(t, 6, n)
	_, err = c.ReadByteTimeout(50 * time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)

	_, err = p.Master.Write([]byte{0x80, 0x00, 0x00})
	require.NoError(t, err)
	require.Equal(t, []byte{0x80, 0x00, 0x00}, readConnN(t, c, 3))
}

func TestSerialMasterClosedIsVanished(t *testing.T) {
	t.Run("read blocked when the cable goes", func(t *testing.T) {
		p := newPTY(t)
		c := openSerialPTY(t, p, ZVTSerial)
		errc := make(chan error, 1)
		go func() {
			_, err := c.ReadTimeout(make([]byte, 8), 10*time.Second)
			errc <- err
		}()
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		require.NoError(t, p.Close())
		select {
		case err := <-errc:
			require.ErrorIs(t, err, ErrVanished)
			require.Contains(t, err.Error(), "check the cable")
			require.Less(t, time.Since(start), 5*time.Second, "at once, not at the read's 10 s timeout")
			t.Logf("read: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("read still blocked 10 s after the master closed")
		}
		// every later use fails the same way, at once
		_, err := c.Write([]byte{0x06, 0x00, 0x00})
		require.ErrorIs(t, err, ErrVanished)
		_, err = c.ReadByteTimeout(time.Second)
		require.ErrorIs(t, err, ErrVanished)
		require.NoError(t, c.Close())
		_, err = c.Write([]byte{1})
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("write after the cable went", func(t *testing.T) {
		p := newPTY(t)
		c := openSerialPTY(t, p, ZVTSerial)
		require.NoError(t, p.Close())
		start := time.Now()
		_, err := c.Write([]byte{0x06, 0x01, 0x00})
		require.ErrorIs(t, err, ErrVanished)
		require.Less(t, time.Since(start), 5*time.Second, "at once")
		t.Logf("write: %v", err)
	})
}

func TestSerialCloseWakesBlockedRead(t *testing.T) {
	c := openSerialPTY(t, newPTY(t), ZVTSerial)
	assertCloseWakesRead(t, c)
	require.NoError(t, c.Close(), "second Close is harmless")
}

func TestOpenSerialMissingPortIsVanished(t *testing.T) {
	_, err := OpenSerial(ZVTSerial("/dev/ttyACM99"))
	require.ErrorIs(t, err, ErrVanished)
	require.Contains(t, err.Error(), "/dev/ttyACM99")
	require.Contains(t, err.Error(), "check the cable")
	t.Log(err)
}

func TestSerialConfigValidation(t *testing.T) {
	ok := ZVTSerial("/dev/ttyACM0")
	cases := []struct {
		name   string
		change func(*SerialConfig)
		want   string // "" means valid
	}{
		{"zvt default", func(*SerialConfig) {}, ""},
		{"concert default", func(c *SerialConfig) { *c = ConcertSerial("/dev/ttyUSB0") }, ""},
		{"parity letter", func(c *SerialConfig) { c.Parity = "E" }, ""},
		{"bad parity", func(c *SerialConfig) { c.Parity = "evn" }, `parity "evn" is not valid for /dev/ttyACM0: use none, even, odd, mark or space`},
		{"empty parity", func(c *SerialConfig) { c.Parity = "" }, `parity "" is not valid`},
		{"bad data bits", func(c *SerialConfig) { c.DataBits = 9 }, "data bits 9 is not valid for /dev/ttyACM0: use 5, 6, 7 or 8 (ZVT uses 8, Concert 7)"},
		{"no data bits", func(c *SerialConfig) { c.DataBits = 0 }, "data bits 0 is not valid"},
		{"bad stop bits", func(c *SerialConfig) { c.StopBits = 3 }, "stop bits 3 is not valid"},
		{"bad baud", func(c *SerialConfig) { c.Baud = 0 }, "baud rate 0 is not valid"},
		{"no port", func(c *SerialConfig) { c.Port = " " }, "no port given"},
	}
	if runtime.GOOS == "linux" {
		cases = append(cases, struct {
			name   string
			change func(*SerialConfig)
			want   string
		}{"1.5 stop bits", func(c *SerialConfig) { c.StopBits = 1.5 }, "1.5 stop bits cannot be set on Linux"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.change(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			require.Contains(t, err.Error(), tc.want)
			_, err = OpenSerial(cfg)
			require.ErrorIs(t, err, ErrInvalidConfig, "OpenSerial validates before it opens")
		})
	}
	assert.Equal(t, "/dev/ttyACM0 9600 8N2", ok.String())
	assert.Equal(t, "/dev/ttyUSB0 9600 7E1", ConcertSerial("/dev/ttyUSB0").String())
}

func TestListPortsRuns(t *testing.T) {
	ports, err := ListPorts()
	require.NoError(t, err)
	for _, p := range ports {
		require.NotEmpty(t, p.Path)
	}
	t.Logf("%d serial ports: %+v", len(ports), ports)
}
