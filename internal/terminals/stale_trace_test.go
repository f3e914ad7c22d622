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
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Found by the terminal soak (bench/terminalsoak -seed 2): a feepos killed
// after an attempt was sent, before its result and trace number were
// stored, left the terminal's last trace number "certain" in the store.
// The terminal may have used the next number for that attempt, so after
// the restart the number is stale; when the terminal's last transaction
// cannot settle the question (here it only prints its receipt again; a
// terminal that repeats the original receipt shows an approval, which is
// not trusted either) the next attempt was written down with the stale
// TraceBefore. Its recovery then takes the attempt before's record for
// its own: the next trace number after TraceBefore, with the same amount
// (a cashier charging the same fee again) — a charge this attempt never
// made.
func TestRestartAfterSentMakesTheTraceUncertain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := zvtTerminal("T1")
		r := newPipeRig(t, []config.Terminal{cfg}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))
		<-c.Finished()
		k := c.Result().TraceNo
		require.NotZero(t, k)
		require.NoError(t, r.m.Close())

		// The killed run: attempt X of 20 000 đồng written down and marked
		// sent with TraceBefore k; the terminal took it as trace k+1, and
		// the caller confirmed it before the worker stored the result and
		// its trace number (the result is handed over first); then feepos
		// died.
		now := time.Now()
		x := terminals.Attempt{ID: "killed0001", Terminal: "T1", Protocol: pos.ZVT, Kind: pos.KindPay, Amount: 20_000,
			Reference: "killed0001", TraceBefore: k, StartedAt: now}
		require.NoError(t, r.db.CreateAttempt(ctx, x, now))
		require.NoError(t, r.db.SetAttemptState(ctx, x.ID, terminals.StateChange{State: terminals.StateSent, At: now, Reason: "sending"}))
		ecr, line := transport.Pipe("killed feepos", "terminal")
		go func() { _ = r.zvt.Serve(r.ctx, line) }()
		drv := zvt.New(ecr, zvt.Config{ID: "killed", Timers: fastZVT, HoldAnswer: 150 * time.Millisecond, HoldRepeat: 400 * time.Millisecond})
		p, err := drv.Pay(ctx, pos.Request{Amount: 20_000}, nil)
		require.NoError(t, err)
		require.NoError(t, p.Confirm(ctx))
		require.NoError(t, drv.Close())
		j := r.zvt.Journal()
		require.True(t, j[len(j)-1].Charged())
		require.Equal(t, k+1, j[len(j)-1].Trace)

		// The restart: the terminal answers the question about its last
		// transaction by printing it, with no record. X stays in doubt.
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatPrintOnly})
		r.start()
		r.waitStatus("T1", terminals.StatusInDoubt)
		require.Equal(t, terminals.StateInDoubt, attempt(t, r.m, x.ID).State)

		// The cashier charges the same fee again.
		y, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.NoError(t, err)
		yrec := attempt(t, r.m, y.AttemptID())
		require.NoError(t, y.Reject(ctx))
		assert.Zero(t, yrec.TraceBefore, "trace %d is not the terminal's last for certain: X was sent after it", k)

		// What the stale number does: X's record, judged for Y as if Y had
		// been left in doubt before reaching the terminal, is Y's charge.
		xRecord := pos.Evidence{Source: pos.EvidenceLastResult, At: time.Now(),
			Result: pos.Result{Outcome: pos.Approved, Amount: 20_000, TraceNo: k + 1, Date: now.In(terminals.Zone).Format("01-02"), Time: now.In(terminals.Zone).Format("15:04:05"), Kind: pos.KindPay}}
		f := terminals.JudgeLast(cfg, yrec.Facts(), xRecord, terminals.Zone, pos.DefaultClockSkew)
		assert.NotEqual(t, pos.Charged, f.Verdict, "X's charge is not Y's: %s", f.Reason)
	})
}

// A killed run that stored the held result of an attempt, with its trace
// number, but not yet the terminal's last trace number (the worker
// writes the result first): the restart takes the result's trace number,
// certain, for the next attempt's TraceBefore (not the stale one, nor
// none at all).
func TestRestartAfterHeldTakesTheResultsTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))
		<-c.Finished()
		k := c.Result().TraceNo
		require.NoError(t, r.m.Close())

		now := time.Now()
		x := terminals.Attempt{ID: "killed0002", Terminal: "T1", Protocol: pos.ZVT, Kind: pos.KindPay, Amount: 20_000,
			Reference: "killed0002", TraceBefore: k, StartedAt: now}
		require.NoError(t, r.db.CreateAttempt(ctx, x, now))
		require.NoError(t, r.db.SetAttemptState(ctx, x.ID, terminals.StateChange{State: terminals.StateSent, At: now}))
		// The terminal took it as k+1 and, unanswered, reversed it.
		ecr, line := transport.Pipe("killed feepos", "terminal")
		go func() { _ = r.zvt.Serve(r.ctx, line) }()
		drv := zvt.New(ecr, zvt.Config{ID: "killed", Timers: fastZVT, HoldAnswer: 150 * time.Millisecond, HoldRepeat: 400 * time.Millisecond})
		p, err := drv.Pay(ctx, pos.Request{Amount: 20_000}, nil)
		require.NoError(t, err)
		res := p.Result()
		require.Equal(t, k+1, res.TraceNo)
		require.NoError(t, r.db.SetAttemptResult(ctx, x.ID, terminals.StateChange{State: terminals.StateHeld, At: now, Deadline: now.Add(time.Minute)}, res))
		require.NoError(t, p.Reject(ctx))
		require.NoError(t, drv.Close())

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatPrintOnly})
		r.start()
		r.waitStatus("T1", terminals.StatusInDoubt)
		y, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		require.NoError(t, err)
		require.NoError(t, y.Confirm(ctx))
		assert.Equal(t, k+1, attempt(t, r.m, y.AttemptID()).TraceBefore)
	})
}
