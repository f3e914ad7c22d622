package concert

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/transport"
)

// fastTimers keep the session tests short.
var fastTimers = Timers{ACK: 100 * time.Millisecond, ENQRetryPause: 10 * time.Millisecond, ByteGap: 60 * time.Millisecond,
	EOT: 150 * time.Millisecond, Answer: 400 * time.Millisecond}

// ptyLink is a session on the slave side of a fresh pseudo-terminal, opened
// as a Concert serial port, and the master for a scripted peer.
func ptyLink(t *testing.T) (*Session, *transport.PTY) {
	t.Helper()
	p, err := transport.NewPTY()
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	c, err := transport.OpenSerial(transport.ConcertSerial(p.SlavePath))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return NewSession(c, RoleECR, fastTimers, nil), p
}

func readMaster(t *testing.T, p *transport.PTY, n int) []byte {
	t.Helper()
	require.NoError(t, p.Master.SetReadDeadline(time.Now().Add(2*time.Second)))
	b := make([]byte, n)
	_, err := io.ReadFull(p.Master, b)
	require.NoError(t, err)
	return b
}

func writeMaster(t *testing.T, p *transport.PTY, b ...byte) {
	t.Helper()
	_, err := p.Master.Write(b)
	require.NoError(t, err)
}

// TestSessionReceiveFrameLRCIsSTX: vector D2's LRC is 0x02; the receiver
// takes exactly one byte after ETX and does not wait for more.
func TestSessionReceiveFrameLRCIsSTX(t *testing.T) {
	s, p := ptyLink(t)
	d2 := loadVectors(t)["D2"]
	require.Equal(t, STX, d2[len(d2)-1])
	go func() {
		writeMaster(t, p, ENQ)
		assert.Equal(t, []byte{ACK}, readMaster(t, p, 1))
		writeMaster(t, p, d2...)
	}()
	text, err := s.ReceiveFrame(context.Background(), time.Second)
	require.NoError(t, err)
	assert.Equal(t, d2[1:len(d2)-2], text)
	go func() {
		assert.Equal(t, []byte{ACK}, readMaster(t, p, 1))
		writeMaster(t, p, EOT)
	}()
	require.NoError(t, s.Acknowledge(context.Background()))
}

func TestSessionReceiveFrameNAKsBadLRCThenTakesResend(t *testing.T) {
	s, p := ptyLink(t)
	good := loadVectors(t)["D3"]
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0xff
	go func() {
		writeMaster(t, p, ENQ)
		assert.Equal(t, []byte{ACK}, readMaster(t, p, 1))
		writeMaster(t, p, bad...)
		assert.Equal(t, []byte{NAK}, readMaster(t, p, 1))
		writeMaster(t, p, good...)
	}()
	text, err := s.ReceiveFrame(context.Background(), time.Second)
	require.NoError(t, err)
	assert.Equal(t, good[1:len(good)-2], text)
	assert.Equal(t, good, s.Held())
}

func TestSessionSendResendsOnNAKAndEndsWithEOT(t *testing.T) {
	s, p := ptyLink(t)
	d5 := loadVectors(t)["D5"]
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), d5[1:len(d5)-2]) }()
	assert.Equal(t, []byte{ENQ}, readMaster(t, p, 1))
	writeMaster(t, p, ACK)
	assert.Equal(t, d5, readMaster(t, p, len(d5)))
	writeMaster(t, p, NAK)
	assert.Equal(t, d5, readMaster(t, p, len(d5)))
	writeMaster(t, p, ACK)
	assert.Equal(t, []byte{EOT}, readMaster(t, p, 1))
	require.NoError(t, <-done)
}

func TestSessionSendDeliveryKinds(t *testing.T) {
	d5 := loadVectors(t)["D5"]
	t.Run("no ACK to ENQ: not delivered", func(t *testing.T) {
		s, p := ptyLink(t)
		go func() { _, _ = io.Copy(io.Discard, p.Master) }()
		err := s.Send(context.Background(), d5[1:len(d5)-2])
		var se *SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, NotDelivered, se.Delivery)
		assert.ErrorIs(t, err, ErrENQRefused)
	})
	t.Run("NAK to every frame: not delivered", func(t *testing.T) {
		s, p := ptyLink(t)
		go func() {
			readMaster(t, p, 1)
			writeMaster(t, p, ACK)
			for range FrameAttempts {
				readMaster(t, p, len(d5))
				writeMaster(t, p, NAK)
			}
		}()
		err := s.Send(context.Background(), d5[1:len(d5)-2])
		var se *SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, NotDelivered, se.Delivery)
	})
	t.Run("silence after the frame: maybe delivered", func(t *testing.T) {
		s, p := ptyLink(t)
		go func() {
			readMaster(t, p, 1)
			writeMaster(t, p, ACK)
			_, _ = io.Copy(io.Discard, p.Master)
		}()
		err := s.Send(context.Background(), d5[1:len(d5)-2])
		var se *SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, MaybeDelivered, se.Delivery)
		assert.ErrorIs(t, err, ErrFrameRefused)
	})
}
