package transport

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// allBytes is 0x00..0xFF: every value a binary ZVT frame may carry.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// readConnN reads exactly n bytes from c, each read waiting at most 10 s.
func readConnN(t *testing.T, c Conn, n int) []byte {
	t.Helper()
	got := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(got) < n {
		m, err := c.ReadTimeout(buf[:n-len(got)], 10*time.Second)
		require.NoError(t, err, "after %d of %d bytes", len(got), n)
		got = append(got, buf[:m]...)
	}
	return got
}

// readFileN reads exactly n bytes from a pollable file (a pty master).
func readFileN(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	require.NoError(t, f.SetReadDeadline(time.Now().Add(10*time.Second)))
	got := make([]byte, n)
	_, err := io.ReadFull(f, got)
	require.NoError(t, err)
	return got
}

// cpuTime is the user+system time this process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// assertIdleTimeout checks that a 500 ms read with nothing to read returns
// ErrTimeout after 500 ms (not before, and not a second wait later: a busy
// machine may wake it late, but not by that much), and that the wait
// burnt no CPU: it must sleep in the kernel, not poll.
func assertIdleTimeout(t *testing.T, c Conn) {
	t.Helper()
	const wait = 500 * time.Millisecond
	buf := make([]byte, 16)
	before := cpuTime(t)
	start := time.Now()
	n, err := c.ReadTimeout(buf, wait)
	elapsed := time.Since(start)
	used := cpuTime(t) - before
	require.ErrorIs(t, err, ErrTimeout)
	require.Zero(t, n)
	require.GreaterOrEqual(t, elapsed, wait-20*time.Millisecond)
	require.Less(t, elapsed, 2*wait)
	t.Logf("%s: idle %v read used %v CPU", c, elapsed.Round(time.Millisecond), used)
	require.Less(t, used, 20*time.Millisecond, "a waiting read must not poll")
}

// assertCloseWakesRead checks that Close wakes a read blocked without a
// timeout, which then returns ErrClosed.
func assertCloseWakesRead(t *testing.T, c Conn) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.ReadTimeout(make([]byte, 8), -1)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake the read")
	}
}

// waitBuffered waits until c's reader goroutine has taken n bytes from
// the device into its buffer (c is a Conn of this package), so that a
// test can Drain or read them without guessing how long the kernel takes
// to deliver them.
func waitBuffered(t *testing.T, c Conn, n int) {
	t.Helper()
	s := c.(*stream)
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.buf)-s.off >= n
	}, 10*time.Second, time.Millisecond, "%d bytes never reached the buffer", n)
}
