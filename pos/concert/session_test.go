package concert

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/transport"
)

// fastTimers are the session tests' timers. The tests run in a synctest
// bubble on a transport.Pipe, so the timers run on the bubble's fake
// clock: a peer's answer is always in time and a silence always runs a
// timer out, however busy the machine.
var fastTimers = Timers{ACK: 100 * time.Millisecond, ENQRetryPause: 10 * time.Millisecond, ByteGap: 60 * time.Millisecond,
	EOT: 150 * time.Millisecond, Answer: 400 * time.Millisecond}

// pipeLink is a session on one end of a transport.Pipe and the other end
// for a scripted peer. Call it inside synctest.Test.
func pipeLink(t *testing.T) (*Session, transport.Conn) {
	t.Helper()
	c, peer := transport.Pipe("ecr", "peer")
	t.Cleanup(func() {
		_ = c.Close()
		_ = peer.Close()
	})
	return NewSession(c, RoleECR, fastTimers, nil), peer
}

func readPeer(t *testing.T, peer transport.Conn, n int) []byte {
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

func writePeer(t *testing.T, peer transport.Conn, b ...byte) {
	t.Helper()
	_, err := peer.Write(b)
	require.NoError(t, err)
}

// discard reads and drops everything the session sends, until the line
// is closed.
func discard(peer transport.Conn) {
	buf := make([]byte, 256)
	for {
		if _, err := peer.ReadTimeout(buf, -1); err != nil {
			return
		}
	}
}

// TestSessionReceiveFrameLRCIsSTX: vector D2's LRC is 0x02; the receiver
// takes exactly one byte after ETX and does not wait for more.
func TestSessionReceiveFrameLRCIsSTX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		d2 := loadVectors(t)["D2"]
		require.Equal(t, STX, d2[len(d2)-1])
		go func() {
			writePeer(t, p, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, d2...)
		}()
		text, err := s.ReceiveFrame(context.Background(), time.Second)
		require.NoError(t, err)
		assert.Equal(t, d2[1:len(d2)-2], text)
		go func() {
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, EOT)
		}()
		require.NoError(t, s.Acknowledge(context.Background()))
	})
}

func TestSessionReceiveFrameNAKsBadLRCThenTakesResend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		good := loadVectors(t)["D3"]
		bad := append([]byte(nil), good...)
		bad[len(bad)-1] ^= 0xff
		go func() {
			writePeer(t, p, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, bad...)
			assert.Equal(t, []byte{NAK}, readPeer(t, p, 1))
			writePeer(t, p, good...)
		}()
		text, err := s.ReceiveFrame(context.Background(), time.Second)
		require.NoError(t, err)
		assert.Equal(t, good[1:len(good)-2], text)
		assert.Equal(t, good, s.Held())
	})
}

func TestSessionSendResendsOnNAKAndEndsWithEOT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		d5 := loadVectors(t)["D5"]
		done := make(chan error, 1)
		go func() { done <- s.Send(context.Background(), d5[1:len(d5)-2]) }()
		assert.Equal(t, []byte{ENQ}, readPeer(t, p, 1))
		writePeer(t, p, ACK)
		assert.Equal(t, d5, readPeer(t, p, len(d5)))
		writePeer(t, p, NAK)
		assert.Equal(t, d5, readPeer(t, p, len(d5)))
		writePeer(t, p, ACK)
		assert.Equal(t, []byte{EOT}, readPeer(t, p, 1))
		require.NoError(t, <-done)
	})
}

func TestSessionSendDeliveryKinds(t *testing.T) {
	d5 := loadVectors(t)["D5"]
	t.Run("no ACK to ENQ: not delivered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p := pipeLink(t)
			go discard(p)
			err := s.Send(context.Background(), d5[1:len(d5)-2])
			var se *SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, NotDelivered, se.Delivery)
			assert.ErrorIs(t, err, ErrENQRefused)
		})
	})
	t.Run("NAK to every frame: not delivered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p := pipeLink(t)
			go func() {
				readPeer(t, p, 1)
				writePeer(t, p, ACK)
				for range FrameAttempts {
					readPeer(t, p, len(d5))
					writePeer(t, p, NAK)
				}
			}()
			err := s.Send(context.Background(), d5[1:len(d5)-2])
			var se *SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, NotDelivered, se.Delivery)
		})
	})
	t.Run("silence after the frame: maybe delivered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p := pipeLink(t)
			go func() {
				readPeer(t, p, 1)
				writePeer(t, p, ACK)
				discard(p)
			}()
			err := s.Send(context.Background(), d5[1:len(d5)-2])
			var se *SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, MaybeDelivered, se.Delivery)
			assert.ErrorIs(t, err, ErrFrameRefused)
		})
	})
}

// TestSessionProbe: a probe is ENQ, the peer's ACK, EOT, and nothing else.
func TestSessionProbe(t *testing.T) {
	t.Run("answered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p := pipeLink(t)
			done := make(chan error, 1)
			go func() { done <- s.Probe(context.Background()) }()
			assert.Equal(t, []byte{ENQ}, readPeer(t, p, 1))
			writePeer(t, p, ACK)
			assert.Equal(t, []byte{EOT}, readPeer(t, p, 1))
			require.NoError(t, <-done)
			_, err := p.ReadTimeout(make([]byte, 1), time.Second)
			assert.ErrorIs(t, err, transport.ErrTimeout, "nothing after the EOT")
		})
	})
	t.Run("silence: one attempt, then EOT", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s, p := pipeLink(t)
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- s.Probe(context.Background()) }()
			assert.Equal(t, []byte{ENQ}, readPeer(t, p, 1))
			assert.Equal(t, []byte{EOT}, readPeer(t, p, 1))
			err := <-done
			assert.ErrorIs(t, err, ErrENQRefused)
			assert.Equal(t, fastTimers.ACK, time.Since(start), "one ACK timer, no retries")
		})
	})
}

// TestSessionListenWakes: a listener at rest gives the line up when woken,
// and takes a peer's session when one comes.
func TestSessionListenWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		wake := make(chan struct{}, 1)
		done := make(chan error, 1)
		go func() {
			_, err := s.Listen(context.Background(), wake)
			done <- err
		}()
		time.Sleep(time.Hour) // at rest: no timer runs out
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Listen returned without a wake-up: %v", err)
		default:
		}
		wake <- struct{}{}
		assert.ErrorIs(t, <-done, transport.ErrWoken)

		d3 := loadVectors(t)["D3"]
		go func() {
			writePeer(t, p, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, d3...)
		}()
		text, err := s.Listen(context.Background(), wake)
		require.NoError(t, err)
		assert.Equal(t, d3[1:len(d3)-2], text)
	})
}

// TestSessionAcknowledgesAResentFrameAgain: a peer that missed our ACK
// sends its frame again without a new ENQ; the next receive acknowledges
// it again and goes on waiting.
func TestSessionAcknowledgesAResentFrameAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		v := loadVectors(t)
		d3, d4 := v["D3"], v["D4"]
		go func() {
			writePeer(t, p, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, d3...)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			// Our ACK "lost": no EOT; the frame again, alone.
		}()
		_, err := s.ReceiveFrame(context.Background(), time.Second)
		require.NoError(t, err)
		assert.ErrorIs(t, s.Acknowledge(context.Background()), ErrNoEOT)

		go func() {
			writePeer(t, p, d3...)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1), "the resend is acknowledged again")
			writePeer(t, p, EOT, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, d4...)
		}()
		text, err := s.ReceiveFrame(context.Background(), time.Second)
		require.NoError(t, err)
		assert.Equal(t, d4[1:len(d4)-2], text, "the resend is not taken as a new frame")
	})
}

// TestSessionHeldUntil: the peer waits an ACK timer after each of its
// FrameAttempts sendings; a frame we NAKed once leaves it one less.
func TestSessionHeldUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := pipeLink(t)
		good := loadVectors(t)["D3"]
		bad := append([]byte(nil), good...)
		bad[len(bad)-1] ^= 0xff
		assert.True(t, s.HeldUntil().IsZero())
		go func() {
			writePeer(t, p, ENQ)
			assert.Equal(t, []byte{ACK}, readPeer(t, p, 1))
			writePeer(t, p, bad...)
			assert.Equal(t, []byte{NAK}, readPeer(t, p, 1))
			writePeer(t, p, good...)
		}()
		_, err := s.ReceiveFrame(context.Background(), time.Second)
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(time.Duration(FrameAttempts-1)*fastTimers.ACK), s.HeldUntil())
	})
}
