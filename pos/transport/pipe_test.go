package transport

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPipeCarriesBytesBothWays: every byte value, in order, both ways,
// more than one chunk at a time.
func TestPipeCarriesBytesBothWays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe("ecr", "terminal")
		defer a.Close()
		defer b.Close()
		require.Equal(t, "ecr", a.String())
		big := make([]byte, 3*chunkSize+7)
		for i := range big {
			big[i] = byte(i)
		}
		go func() {
			_, err := a.Write(big)
			require.NoError(t, err)
		}()
		require.Equal(t, big, readConnN(t, b, len(big)))
		_, err := b.Write(allBytes())
		require.NoError(t, err)
		require.Equal(t, allBytes(), readConnN(t, a, 256))
	})
}

// TestPipeTimeoutsRunOnTheBubbleClock: inside a synctest bubble a timed
// read on a Pipe waits exactly its timeout of fake time, and a byte sent
// before the timeout is always in time, however slow the machine.
func TestPipeTimeoutsRunOnTheBubbleClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe("ecr", "terminal")
		defer a.Close()
		defer b.Close()
		start := time.Now()
		_, err := a.ReadByteTimeout(5 * time.Second)
		require.ErrorIs(t, err, ErrTimeout)
		require.Equal(t, 5*time.Second, time.Since(start))

		go func() {
			time.Sleep(4999 * time.Millisecond)
			_, _ = b.Write([]byte{0x06})
		}()
		start = time.Now()
		c, err := a.ReadByteTimeout(5 * time.Second)
		require.NoError(t, err)
		require.Equal(t, byte(0x06), c)
		require.Equal(t, 4999*time.Millisecond, time.Since(start))

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = a.ReadWait(ctx, make([]byte, 1), time.Hour, nil)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// TestPipeCloseIsAPulledCable: the other end reads what was sent before
// the close, then ErrVanished; writes to a closed line fail the same way;
// the closed end itself reports ErrClosed.
func TestPipeCloseIsAPulledCable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe("ecr", "terminal")
		defer a.Close()
		_, err := b.Write([]byte{1, 2, 3})
		require.NoError(t, err)
		require.NoError(t, b.Close())
		require.Equal(t, []byte{1, 2, 3}, readConnN(t, a, 3))
		_, err = a.ReadByteTimeout(time.Second)
		require.ErrorIs(t, err, ErrVanished)
		_, err = a.Write([]byte{4})
		require.ErrorIs(t, err, ErrVanished)
		_, err = b.ReadByteTimeout(time.Second)
		require.ErrorIs(t, err, ErrClosed)
	})
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe("ecr", "terminal")
		defer a.Close()
		errc := make(chan error, 1)
		go func() {
			_, err := a.ReadTimeout(make([]byte, 8), -1)
			errc <- err
		}()
		synctest.Wait()
		require.NoError(t, b.Close())
		require.ErrorIs(t, <-errc, ErrVanished, "a read waiting without limit sees the loss")
	})
}

// TestPipeDrain drops what was received and not read.
func TestPipeDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe("ecr", "terminal")
		defer a.Close()
		defer b.Close()
		_, err := b.Write([]byte{1, 2, 3})
		require.NoError(t, err)
		synctest.Wait()
		n, err := a.Drain()
		require.NoError(t, err)
		require.Equal(t, 3, n)
		_, err = a.ReadByteTimeout(time.Second)
		require.ErrorIs(t, err, ErrTimeout)
	})
}
