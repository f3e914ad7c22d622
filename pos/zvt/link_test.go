package zvt_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// linkOnPipe is a Link on one end of a transport.Pipe; the test plays
// the peer byte by byte on the other. Call it inside synctest.Test: the
// link's timers (fastTimers) then run on the bubble's fake clock, so the
// peer's answer always comes in time and a silence always runs T2 out.
func linkOnPipe(t *testing.T, tcp bool) (*zvt.Link, transport.Conn) {
	t.Helper()
	c, peer := transport.Pipe("ecr", "peer")
	t.Cleanup(func() {
		_ = c.Close()
		_ = peer.Close()
	})
	return zvt.NewLink(c, tcp, fastTimers(), nil), peer
}

func readN(t *testing.T, peer transport.Conn, n int) []byte {
	t.Helper()
	got := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(got) < n {
		m, err := peer.ReadTimeout(buf[:n-len(got)], 2*time.Second)
		require.NoError(t, err, "after %d of %d bytes", len(got), n)
		got = append(got, buf[:m]...)
	}
	return got
}

// assertSilent checks that the link sends nothing for d.
func assertSilent(t *testing.T, peer transport.Conn, d time.Duration) {
	t.Helper()
	var b [64]byte
	n, err := peer.ReadTimeout(b[:], d)
	assert.ErrorIs(t, err, transport.ErrTimeout)
	assert.Zero(t, n, "unexpected bytes % X", b[:n])
}

func TestLinkSendResendsOnNAKAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, m := linkOnPipe(t, false)
		apdu := []byte{0x06, 0x01, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00}
		frame := zvt.EncodeFrame(apdu)
		done := make(chan error, 1)
		go func() { done <- l.Send(apdu) }()
		assert.Equal(t, frame, readN(t, m, len(frame)))
		_, _ = m.Write([]byte{zvt.NAK})
		assert.Equal(t, frame, readN(t, m, len(frame)), "resent after NAK")
		// no answer: resent after T2
		assert.Equal(t, frame, readN(t, m, len(frame)), "resent after T2")
		_, _ = m.Write([]byte{zvt.ACK})
		require.NoError(t, <-done)
	})
}

func TestLinkSendGivesUpAfterMaxResends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, m := linkOnPipe(t, false)
		apdu := zvt.Ack()
		frame := zvt.EncodeFrame(apdu)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- l.Send(apdu) }()
		for i := 0; i < 3; i++ {
			assert.Equal(t, frame, readN(t, m, len(frame)))
		}
		err := <-done
		assert.ErrorIs(t, err, zvt.ErrNoAck)
		assert.GreaterOrEqual(t, time.Since(start), 3*fastTimers().T2)
		assertSilent(t, m, 100*time.Millisecond)
	})
}

func TestLinkReceiveAcksGoodNaksBadIgnoresNoise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, m := linkOnPipe(t, false)
		apdu := []byte{0x04, 0xFF, 0x01, 0x0A}
		good := zvt.EncodeFrame(apdu)
		bad := append([]byte(nil), good...)
		bad[len(bad)-1] ^= 0x55
		_, _ = m.Write(append([]byte{0xAA, 0x00, 0x42}, bad...))
		got := make(chan []byte, 1)
		go func() {
			a, err := l.Receive(context.Background(), 2*time.Second, nil)
			assert.NoError(t, err)
			got <- a
		}()
		assert.Equal(t, []byte{zvt.NAK}, readN(t, m, 1), "bad CRC is refused")
		_, _ = m.Write(good)
		assert.Equal(t, []byte{zvt.ACK}, readN(t, m, 1))
		assert.Equal(t, apdu, <-got)
	})
}

func TestLinkReceiveDropsFrameAfterT1Gap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, m := linkOnPipe(t, false)
		apdu := []byte{0x06, 0x0F, 0x00}
		frame := zvt.EncodeFrame(apdu)
		got := make(chan []byte, 1)
		go func() {
			a, err := l.Receive(context.Background(), 3*time.Second, nil)
			assert.NoError(t, err)
			got <- a
		}()
		_, _ = m.Write(frame[:4])
		time.Sleep(3 * fastTimers().T1)
		_, _ = m.Write(frame[4:]) // the tail alone is noise: no ACK, no NAK
		assertSilent(t, m, fastTimers().T1*2)
		_, _ = m.Write(frame) // the sender's resend
		assert.Equal(t, []byte{zvt.ACK}, readN(t, m, 1))
		assert.Equal(t, apdu, <-got)
	})
}

func TestLinkReceiveTimeoutAndInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := linkOnPipe(t, false)
		_, err := l.Receive(context.Background(), 50*time.Millisecond, nil)
		assert.ErrorIs(t, err, transport.ErrTimeout)
		stop := make(chan struct{}, 1)
		stop <- struct{}{}
		_, err = l.Receive(context.Background(), time.Second, stop)
		assert.ErrorIs(t, err, zvt.ErrInterrupted)
	})
}

func TestLinkTCPExtendedLength(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// ZVT over TCP: the link reads class, instruction, FF lo hi, data,
		// whatever pieces the bytes come in.
		l, peer := linkOnPipe(t, true)
		data := make([]byte, 300)
		for i := range data {
			data[i] = byte(i)
		}
		apdu, err := zvt.APDU{Class: 0x06, Instr: 0xD3, Data: data}.Encode()
		require.NoError(t, err)
		require.Equal(t, byte(0xFF), apdu[2])
		_, _ = peer.Write(apdu[:100])
		go func() {
			time.Sleep(30 * time.Millisecond) // under T2: the APDU is still whole
			_, _ = peer.Write(apdu[100:])
			_, _ = peer.Write([]byte{0x80, 0x00, 0x00})
		}()
		a, err := l.Receive(context.Background(), 2*time.Second, nil)
		require.NoError(t, err)
		assert.Equal(t, apdu, a)
		a, err = l.Receive(context.Background(), 2*time.Second, nil)
		require.NoError(t, err)
		assert.Equal(t, zvt.Ack(), a)
	})
}

// Over TCP the length field is the only framing: the public capture
// (vector C17: 0x44 announced, 37 carried), sent as bare bytes, ends in a
// TruncatedError once the line stays quiet for T2, so that the driver can
// answer the terminal. What follows is read as the next APDU.
func TestLinkTCPReportsAnAPDUCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, peer := linkOnPipe(t, true)
		c17, err := zvt.ParseHex("04 0F 44 27 6C 04 00 00 00 00 12 00 49 09 78 0C 11 33 39 0D 08 17 22 F0 F0 0B 00 00 00 19 60 29 52 50 02 95 8B F0 F1 00")
		require.NoError(t, err)
		_, err = peer.Write(c17)
		require.NoError(t, err)
		start := time.Now()
		_, err = l.Receive(context.Background(), time.Second, nil)
		var tr *zvt.TruncatedError
		require.ErrorAs(t, err, &tr)
		assert.ErrorIs(t, err, zvt.ErrTruncated)
		assert.Equal(t, fastTimers().T2, time.Since(start), "after T2 of silence")
		assert.Equal(t, byte(0x04), tr.Class)
		assert.Equal(t, byte(0x0F), tr.Instr)
		assert.Equal(t, 0x44, tr.Declared)
		assert.Equal(t, 37, tr.Got)
		assert.Equal(t, c17, tr.Bytes)
		assert.NotContains(t, tr.Error(), "52500295", "no data in the message")

		_, err = peer.Write([]byte{0x06, 0x1E, 0x01, 0x6C})
		require.NoError(t, err)
		a, err := l.Receive(context.Background(), time.Second, nil)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x06, 0x1E, 0x01, 0x6C}, a)
	})
}

// Receive with timeout 0 takes what has already come, and nothing else.
func TestLinkReceiveZeroTakesWhatIsThere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, peer := linkOnPipe(t, false)
		_, err := l.Receive(context.Background(), 0, nil)
		assert.ErrorIs(t, err, transport.ErrTimeout)
		frame := zvt.EncodeFrame([]byte{0x04, 0xFF, 0x01, 0x17})
		_, err = peer.Write(frame)
		require.NoError(t, err)
		synctest.Wait()
		a, err := l.Receive(context.Background(), 0, nil)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x04, 0xFF, 0x01, 0x17}, a)
		assert.Equal(t, []byte{zvt.ACK}, readN(t, peer, 1), "acknowledged on the line")
	})
}
