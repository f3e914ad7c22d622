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

// A payment from the queue to the confirmed record: the attempt is
// written down before it is sent, each state is kept, the result and the
// wire are evidence, the terminal's state follows, the last trace number
// is learned from the result, and the cashier's listener sees the
// terminal's statuses and exactly one final event, stamped.
func TestChargeConfirmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var stages []string
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, func(o *terminals.Options) {
			*o = terminals.WithTestHook(*o, func(stage, _ string) { stages = append(stages, stage) })
		})
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		st := statusOf(r.m, "T1")
		assert.Equal(t, "29001234", st.TerminalID, "from the registration")
		assert.Equal(t, "Quầy 1", st.Counter)
		events, cancel := r.m.Subscribe("T1")
		defer cancel()

		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 150_000, Cashier: "lan"})
		require.NoError(t, err)
		require.NotNil(t, c)
		res := c.Result()
		assert.Equal(t, pos.Approved, res.Outcome)
		assert.True(t, c.Held())
		assert.False(t, c.Deadline().IsZero())
		assert.Equal(t, []string{"prepared", "sent"}, stages, "written down, then sent")
		assert.Equal(t, terminals.StatusAwaitingRecord, statusOf(r.m, "T1").Status)
		rec := attempt(t, r.m, c.AttemptID())
		assert.Equal(t, c.AttemptID(), rec.Reference, "no reference given: the attempt's id")
		assert.Equal(t, "lan", rec.Cashier)
		assert.Zero(t, rec.TraceBefore, "the fresh terminal had no transaction to learn a trace from")

		require.NoError(t, c.Confirm(ctx))
		<-c.Finished()
		assert.Equal(t, terminals.StateConfirmed, c.State())
		require.ErrorIs(t, c.Confirm(ctx), terminals.ErrFinished)
		r.waitStatus("T1", terminals.StatusIdle)

		rec = attempt(t, r.m, c.AttemptID())
		assert.Equal(t, []terminals.State{terminals.StatePrepared, terminals.StateSent, terminals.StateHeld, terminals.StateConfirmed}, states(rec))
		assert.Equal(t, c.Deadline().UTC(), rec.History[2].Deadline.UTC())
		results := evidence(rec, terminals.EvidenceResult)
		require.Len(t, results, 1)
		assert.Equal(t, res.TraceNo, results[0].Result.TraceNo)
		wire := evidence(rec, terminals.EvidenceWire)
		require.Len(t, wire, 1)
		var kinds []string
		for _, e := range wire[0].Wire {
			kinds = append(kinds, e.Message.Kind)
			assert.NotContains(t, e.Hex, "9704361234", "the card number stays masked")
		}
		assert.Contains(t, kinds, "authorization")
		assert.Contains(t, kinds, "status_information")
		assert.Contains(t, kinds, "completion")

		// The next attempt knows the trace before it.
		c2, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.NoError(t, err)
		require.NoError(t, c2.Confirm(ctx))
		assert.Equal(t, res.TraceNo, attempt(t, r.m, c2.AttemptID()).TraceBefore)

		time.Sleep(time.Second)
		evs := drain(events)
		require.NotEmpty(t, evs)
		var last uint64
		perAttempt := map[string]int{}
		for _, e := range evs {
			assert.Equal(t, "T1", e.Terminal)
			assert.Greater(t, e.Seq, last, "Seq increases")
			last = e.Seq
			if e.Kind.Final() {
				perAttempt[e.Attempt]++
			}
		}
		assert.Equal(t, map[string]int{c.AttemptID(): 1, c2.AttemptID(): 1}, perAttempt, "one final event per attempt")
		assert.Equal(t, pos.EventApproved, finals(evs)[0].Kind)
		assert.Greater(t, len(evs), 2, "the intermediate statuses too")
	})
}

// Unknown is never announced as declined: a terminal that goes silent
// after taking the command gives the final event "unknown", the attempt
// is in doubt, and the terminal shows it.
func TestUnknownIsInDoubtNotDeclined(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		events, cancel := r.m.Subscribe("")
		defer cancel()

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x33})
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 150_000})
		require.NoError(t, err)
		assert.Equal(t, pos.Declined, c.Result().Outcome)
		<-c.Finished()
		assert.Equal(t, terminals.StateDeclined, c.State())

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 150_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome, "%v", err)
		require.NotNil(t, c)
		assert.Equal(t, pos.Unknown, c.Result().Outcome)
		<-c.Finished()
		assert.Equal(t, terminals.StateInDoubt, c.State())
		assert.Equal(t, 1, statusOf(r.m, "T1").InDoubt)

		time.Sleep(time.Second)
		fs := finals(drain(events))
		require.Len(t, fs, 2)
		assert.Equal(t, pos.EventDeclined, fs[0].Kind)
		assert.Equal(t, pos.EventUnknown, fs[1].Kind, "never declined")
		assert.Equal(t, c.AttemptID(), fs[1].Attempt)
	})
}
