package terminals_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// A charge waits its turn while the terminal is busy, and gets it when
// the terminal is free; one that waits longer than queue_timeout, or
// finds the queue full, is told "busy" (pos.ErrBusy, in Vietnamese for
// the cashier) with nothing sent and nothing written down.
func TestQueueWaitsThenBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := zvtTerminal("T1")
		cfg.QueueSize = 1
		cfg.QueueTimeout = dur(2 * time.Second)
		// The driver holds the approval for the record well past the
		// queue's timeout (asking the terminal for more time, 84 9C).
		cfg.Timers.MaxHold = dur(10 * time.Second)
		r := newPipeRig(t, []config.Terminal{cfg}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()

		// The first charge holds the terminal: its approval waits for
		// the record.
		first, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 100_000})
		require.NoError(t, err)
		require.True(t, first.Held())

		// The second waits for its turn, the third finds the queue full.
		type out struct {
			c   *terminals.Charge
			err error
		}
		second := make(chan out, 1)
		go func() {
			c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 200_000})
			second <- out{c, err}
		}()
		synctest.Wait()
		assert.Equal(t, 1, statusOf(r.m, "T1").Queue)
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 300_000})
		assert.Nil(t, c)
		require.ErrorIs(t, err, pos.ErrBusy)
		var busy *terminals.BusyError
		require.ErrorAs(t, err, &busy)
		assert.True(t, busy.QueueFull)
		assert.Equal(t, "Máy POS đang bận, vui lòng thử lại", terminals.MessageVI(err))

		// Past queue_timeout the second gives up: busy, nothing sent.
		start := time.Now()
		o := <-second
		assert.Nil(t, o.c)
		require.ErrorIs(t, o.err, pos.ErrBusy)
		require.ErrorAs(t, o.err, &busy)
		assert.False(t, busy.QueueFull)
		assert.Equal(t, 2*time.Second, time.Since(start).Round(time.Second), "it waited queue_timeout")
		assert.Contains(t, o.err.Error(), "Máy POS đang bận, vui lòng thử lại")
		open, err := r.m.InDoubt(ctx)
		require.NoError(t, err)
		assert.Empty(t, open)
		assert.Equal(t, 0, statusOf(r.m, "T1").Queue)

		// One queued while the first is held runs as soon as it is
		// confirmed.
		go func() {
			c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 400_000})
			second <- out{c, err}
		}()
		synctest.Wait()
		require.NoError(t, first.Confirm(ctx))
		o = <-second
		require.NoError(t, o.err)
		assert.Equal(t, pos.Approved, o.c.Result().Outcome)
		assert.EqualValues(t, 400_000, o.c.Result().Amount)
		require.NoError(t, o.c.Confirm(ctx))
	})
}

// A caller that stops waiting for its turn leaves the queue; one that
// stops waiting for the result leaves the attempt running, to its end.
func TestCallerStopsWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)

		// The card is slow: the caller gives up while the terminal works.
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 3, Delay: 100 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(150 * time.Millisecond)
			cancel()
		}()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 150_000})
		require.ErrorIs(t, err, context.Canceled)
		require.NotNil(t, c, "the attempt goes on")
		<-c.Done()
		assert.Equal(t, pos.Approved, c.Result().Outcome, "cancelling the wait did not abort the payment")
		assert.Equal(t, time.Now().Add(fastMaxHold), c.Deadline(), "the driver's deadline: max_hold from the result")
		// Nobody confirms it: at its deadline the driver refuses it (84 66)
		// and the terminal reverses it.
		<-c.Finished()
		assert.Equal(t, terminals.StateExpired, c.State())
		err = c.Confirm(context.Background())
		require.ErrorIs(t, err, pos.ErrPendingExpired)
		assert.ErrorIs(t, err, pos.ErrReversedByTerminal, "the terminal confirmed the reversal")
		j := r.zvt.Journal()
		require.Len(t, j, 1)
		assert.Equal(t, zvtsim.AutoReversed, j[0].Status)
	})
}
