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

// Events go to several listeners; one that never reads holds nothing up:
// the charges run at their pace, the slow listener keeps the newest
// ListenerBuffer events and sees the gap in Seq, the others see every
// event. A listener of one terminal sees only its events.
func TestSlowListenerNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1"), concertTerminal("T2")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		r.waitStatus("T2", terminals.StatusIdle)

		slow, cancelSlow := r.m.Subscribe("")
		defer cancelSlow()
		other, cancelOther := r.m.Subscribe("T2")
		defer cancelOther()
		fast, cancelFast := r.m.Subscribe("T1")
		var seen []pos.Event
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			for e := range fast {
				seen = append(seen, e)
			}
		}()

		ctx := context.Background()
		const n = 30
		ids := map[string]bool{}
		for i := 0; i < n; i++ {
			r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 4, Delay: time.Millisecond})
			c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: int64(1000 + i)})
			require.NoError(t, err)
			require.NoError(t, c.Confirm(ctx))
			ids[c.AttemptID()] = true
		}
		time.Sleep(time.Second)
		cancelFast()
		<-reading

		// The fast listener: everything, Seq without a gap, one final
		// event per attempt.
		require.Greater(t, len(seen), terminals.ListenerBuffer, "more events than a listener buffers")
		for i, e := range seen {
			assert.Equal(t, uint64(i+1), e.Seq, "no gap")
			assert.True(t, ids[e.Attempt], "stamped with its attempt")
		}
		assert.Len(t, finals(seen), n)

		// The slow one: the newest ListenerBuffer, a gap before them.
		got := drain(slow)
		require.Len(t, got, terminals.ListenerBuffer)
		assert.Equal(t, seen[len(seen)-1].Seq, got[len(got)-1].Seq, "it kept the newest")
		assert.Greater(t, got[0].Seq, uint64(1), "the oldest were dropped: Seq shows the gap")
		for i := 1; i < len(got); i++ {
			assert.Equal(t, got[i-1].Seq+1, got[i].Seq)
		}
		assert.Empty(t, drain(other), "T2 ran nothing")
		assert.Equal(t, seen[len(seen)-1].Seq, statusOf(r.m, "T1").Events)
	})
}

// The terminal's state follows what it does, and every change is logged:
// idle, in a transaction, in doubt after an unknown outcome, offline when
// its line is lost (the health poll finds it), tried again with backoff
// while it stays unplugged, and back — re-registered, its attempt in doubt
// settled from its last transaction — when it is plugged in again.
func TestTerminalStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfgs := []config.Terminal{zvtTerminal("T1")}
		cfgs[0].PollInterval = dur(5 * time.Second)
		r := newPipeRig(t, cfgs, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()

		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 50_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))
		r.waitStatus("T1", terminals.StatusIdle)

		// In a transaction while the card is slow.
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 3, Delay: 100 * time.Millisecond})
		done := make(chan *terminals.Charge)
		go func() {
			c, _ := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 60_000})
			done <- c
		}()
		time.Sleep(50 * time.Millisecond)
		st := statusOf(r.m, "T1")
		assert.Equal(t, terminals.StatusInTransaction, st.Status)
		assert.NotEmpty(t, st.Attempt)
		c = <-done
		require.NoError(t, c.Confirm(ctx))

		// In doubt after the terminal went silent.
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 70_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-c.Finished()
		r.waitStatus("T1", terminals.StatusInDoubt)
		time.Sleep(simHangFor) // the terminal wakes up

		// Unplugged: found by the health poll, offline, tried again with
		// backoff while it stays away.
		r.unplug("T1")
		r.waitStatus("T1", terminals.StatusOffline)
		assert.NotEmpty(t, statusOf(r.m, "T1").LastError)
		opens := r.opened()
		time.Sleep(time.Minute)
		tries := r.opened() - opens
		assert.GreaterOrEqual(t, tries, 4, "tried again")
		assert.LessOrEqual(t, tries, 25, "with backoff (up to 30 s between tries), not once a second or in a loop")

		// Plugged in: online, re-registered, the attempt in doubt settled.
		r.setDown("T1", false)
		r.waitStatus("T1", terminals.StatusIdle)
		assert.Zero(t, statusOf(r.m, "T1").InDoubt)
		rec := attempt(t, r.m, c.AttemptID())
		assert.Equal(t, terminals.StateSettledNotCharged, rec.State, "%+v", rec.History)
		lr := evidence(rec, pos.EvidenceLastResult)
		require.Len(t, lr, 1)
		assert.Equal(t, pos.NotCharged, lr[0].Finding.Verdict)

		log := r.log.String()
		for _, change := range []string{"from=offline to=idle", "from=idle to=in_transaction", "from=in_transaction to=awaiting_record",
			"from=awaiting_record to=idle", "from=in_transaction to=idle", "from=idle to=offline"} {
			assert.Contains(t, log, change)
		}
		assert.Contains(t, log, "attempt settled")
	})
}
