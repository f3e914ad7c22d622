package terminals_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// A Concert terminal pays and nothing else, which is known before
// anything is sent; its approval is held until Confirm, at most until the
// driver's deadline. A Reject, or the deadline, leaves the charge
// standing (a Concert terminal does not reverse): the attempt is in
// doubt, never "not charged", and the answer the driver delivers as an
// orphan settles it as charged.
func TestConcertCharge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{concertTerminal("T2")}, nil)
		defer r.close()
		r.waitStatus("T2", terminals.StatusIdle)
		ctx := context.Background()
		info := r.m.Terminals()
		require.Len(t, info, 1)
		assert.Equal(t, pos.Capabilities{}, info[0].Capabilities, "E+ can pay only")

		for _, kind := range []string{pos.KindRefund, pos.KindReverse} {
			c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Kind: kind, Amount: 1000, ReceiptNo: 1})
			assert.Nil(t, c)
			require.ErrorIs(t, err, pos.ErrNotSupported, kind)
			assert.NotEmpty(t, terminals.MessageVI(err))
		}
		_, err := r.m.EndOfDay(ctx, "T2")
		require.ErrorIs(t, err, pos.ErrNotSupported)
		require.ErrorIs(t, r.m.Abort(ctx, "T2"), pos.ErrNotSupported)
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Amount: 100_000, Reference: "much-too-long-reference"})
		assert.Nil(t, c)
		require.ErrorIs(t, err, pos.ErrInvalidRequest, "a reference E+ cannot carry is refused before anything is written")

		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Amount: 100_000})
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, c.Result().Outcome)
		assert.Equal(t, c.AttemptID(), c.Result().Reference, "the terminal echoed the attempt's id")
		require.NoError(t, c.Confirm(ctx))
		assert.Equal(t, terminals.StateConfirmed, c.State())
		require.Len(t, r.conc.Charged(c.AttemptID()), 1)

		// Reject: the terminal keeps the charge.
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Amount: 120_000})
		require.NoError(t, err)
		err = c.Reject(ctx)
		require.ErrorIs(t, err, pos.ErrConfirmUncertain, "a Concert terminal does not reverse")
		assert.NotErrorIs(t, err, pos.ErrReversedByTerminal)
		assert.Equal(t, terminals.StateInDoubt, c.State(), "the charge stands")
		require.Len(t, r.conc.Charged(c.AttemptID()), 1, "the terminal kept it")
		rec := attempt(t, r.m, c.AttemptID())
		assert.Contains(t, rec.History[len(rec.History)-1].Reason, "the charge stands")
		settledCharged(t, r, c.AttemptID())

		// Nobody confirms: at the driver's deadline (its ACK timers, not a
		// constant of the manager's) the driver acknowledges the answer
		// itself; a Confirm after it is too late, and never "refused".
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Amount: 130_000})
		require.NoError(t, err)
		require.True(t, c.Held())
		frames := time.Duration(fastConcert.FrameAttempts) * fastConcert.ACK
		assert.True(t, c.Deadline().After(time.Now()) && !c.Deadline().After(time.Now().Add(frames)),
			"the driver's deadline, within the terminal's resends of its answer: %v", c.Deadline().Sub(time.Now()))
		deadline := c.Deadline()
		<-c.Finished()
		assert.Equal(t, deadline.Add(terminals.ExpiryGrace), time.Now(), "ended by the driver at its deadline, read a moment later")
		assert.Equal(t, terminals.StateInDoubt, c.State())
		err = c.Confirm(ctx)
		require.ErrorIs(t, err, pos.ErrConfirmUncertain)
		assert.NotErrorIs(t, err, pos.ErrPendingExpired, "expired on Concert is no refusal: the charge stands")
		require.Len(t, r.conc.Charged(c.AttemptID()), 1)
		settledCharged(t, r, c.AttemptID())
		r.waitStatus("T2", terminals.StatusIdle)
	})
}

// settledCharged waits until attempt id is settled charged by the orphan
// its driver delivered.
func settledCharged(t *testing.T, r *pipeRig, id string) {
	t.Helper()
	for i := 0; i < 100 && attempt(t, r.m, id).State == terminals.StateInDoubt; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	rec := attempt(t, r.m, id)
	require.Equal(t, terminals.StateSettledCharged, rec.State, "%+v\n%s", rec.History, r.log)
	var found bool
	for _, e := range evidence(rec, pos.EvidenceOrphan) {
		if e.Finding != nil {
			found = true
			assert.Equal(t, pos.Charged, e.Finding.Verdict)
		}
	}
	assert.True(t, found, "settled by the driver's orphan")
}

// An answer that comes when nothing waits for it is kept as evidence,
// never dropped: with the attempt whose reference it names, which it then
// settles by its outcome; without an attempt when it names none. A ZVT
// answer feepos refused (84 66) never proves a charge.
func TestOrphanAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{concertTerminal("T2"), zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T2", terminals.StatusIdle)
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()

		// The terminal takes the payment and never answers: in doubt.
		r.conc.Inject(concertsim.Fault{Kind: concertsim.FaultHang})
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T2", Amount: 100_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-c.Finished()
		assert.Equal(t, terminals.StateInDoubt, c.State())

		// Its late answer arrives: kept with the attempt, and it settles
		// it. One naming no attempt is kept with the terminal.
		late := pos.Result{Outcome: pos.Approved, Amount: 100_000, Currency: "704", Reference: c.AttemptID(), ResultCode: "0", PANMasked: "411111******1111"}
		r.m.DeliverOrphan("T2", pos.Orphan{Result: late, Wire: "02 30 ... 03", At: time.Now()})
		stray := pos.Result{Outcome: pos.Approved, Amount: 5_000, Currency: "704", Reference: "nobody"}
		r.m.DeliverOrphan("T2", pos.Orphan{Result: stray, At: time.Now()})
		r.waitStatus("T2", terminals.StatusIdle)
		rec := attempt(t, r.m, c.AttemptID())
		assert.Equal(t, terminals.StateSettledCharged, rec.State)
		orphans := evidence(rec, pos.EvidenceOrphan)
		require.Len(t, orphans, 2, "the orphan as it came, and the finding that judged it")
		assert.Nil(t, orphans[0].Finding)
		assert.Equal(t, "02 30 ... 03", orphans[0].Raw)
		require.NotNil(t, orphans[1].Finding)
		assert.Equal(t, pos.Charged, orphans[1].Finding.Verdict)
		assert.Equal(t, orphans[0].ID, orphans[1].RefersTo)
		loose, err := r.db.TerminalEvidence(ctx, "T2", time.Time{})
		require.NoError(t, err)
		require.Len(t, loose, 1)
		assert.Equal(t, "nobody", loose[0].Result.Reference)

		// ZVT: a payment in doubt on a terminal then unplugged, and a
		// status information repeated after a reconnect that the driver
		// refused (84 66). Its trace is the next one and its amount this
		// payment's: but the terminal was told to reverse it, so it proves
		// no charge. The terminal's last transaction, once it is back,
		// does.
		c1, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		require.NoError(t, err)
		require.NoError(t, c1.Confirm(ctx))
		before := c1.Result().TraceNo
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		c2, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 40_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-c2.Finished()
		r.unplug("T1")
		r.waitStatus("T1", terminals.StatusOffline)
		refused := pos.Result{Outcome: pos.Approved, Amount: 40_000, TraceNo: before + 1, ResultCode: "00",
			Date: time.Now().In(time.FixedZone("ICT", 7*3600)).Format("01-02"), Time: time.Now().In(time.FixedZone("ICT", 7*3600)).Format("15:04:05")}
		r.m.DeliverOrphan("T1", pos.Orphan{Result: refused, Refused: true, Note: "status information after a reconnect", At: time.Now()})
		time.Sleep(time.Second)
		rec = attempt(t, r.m, c2.AttemptID())
		assert.Equal(t, terminals.StateInDoubt, rec.State, "never charged on a refused answer alone")
		var judged *terminals.Evidence
		for _, e := range evidence(rec, pos.EvidenceOrphan) {
			if e.Finding != nil {
				judged = &e
			}
		}
		require.NotNil(t, judged)
		assert.Equal(t, pos.StillUnknown, judged.Finding.Verdict)
		assert.Contains(t, judged.Finding.Reason, "the driver refused")

		// Back: the terminal's last transaction is the hung attempt itself,
		// which it recorded as aborted under the next trace number.
		r.setDown("T1", false)
		r.waitStatus("T1", terminals.StatusIdle)
		rec = attempt(t, r.m, c2.AttemptID())
		assert.Equal(t, terminals.StateSettledNotCharged, rec.State)
		lr := evidence(rec, pos.EvidenceLastResult)
		require.Len(t, lr, 1)
		require.NotNil(t, lr[0].Finding)
		assert.Equal(t, pos.NotCharged, lr[0].Finding.Verdict)
		assert.Equal(t, before+1, lr[0].Result.TraceNo, "the hung attempt's own record")
		assert.Equal(t, pos.Aborted, lr[0].Result.Outcome)
		j := r.zvt.Journal()
		require.Len(t, j, 2)
		assert.Equal(t, zvtsim.Aborted, j[1].Status, "the simulator recorded the hung attempt")
		assert.Equal(t, before+1, j[1].Trace)
		for _, tx := range j {
			assert.False(t, tx.Charged() && tx.Amount == 40_000, "the simulator agrees: %+v", tx)
		}
	})
}

// A held approval that is refused — by the caller (Reject) or at the
// deadline — ends not charged on ZVT, and the payment workflow can no
// longer record it. The deadline is the driver's (max_hold of the
// terminal's configuration): the driver refuses the result itself then
// (84 66), the terminal reverses it, and a Confirm after it gets the
// driver's pos.ErrPendingExpired.
func TestHeldApprovalRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := zvtTerminal("T1")
		cfg.Timers.MaxHold = dur(3 * time.Second)
		r := newPipeRig(t, []config.Terminal{cfg}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()

		// Reject: refused (84 66), the terminal says it reversed it.
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 100_000})
		require.NoError(t, err)
		require.NoError(t, c.Reject(ctx))
		assert.Equal(t, terminals.StateRejected, c.State())
		require.ErrorIs(t, c.Confirm(ctx), terminals.ErrFinished)
		assert.Equal(t, zvtsim.AutoReversed, r.zvt.Journal()[0].Status)

		// Nobody decides: the manager holds it until the driver's deadline.
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 100_000})
		require.NoError(t, err)
		assert.Equal(t, time.Now().Add(3*time.Second), c.Deadline(), "the driver's deadline: max_hold from the result")
		<-c.Finished()
		assert.Equal(t, c.Deadline().Add(terminals.ExpiryGrace), time.Now(), "ended by the driver at its deadline, read a moment later")
		assert.Equal(t, terminals.StateExpired, c.State())
		require.ErrorIs(t, c.Confirm(ctx), pos.ErrPendingExpired)
		err = r.db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.MarkAttemptRecorded(ctx, c.AttemptID(), "") })
		require.ErrorIs(t, err, terminals.ErrIllegalTransition, "too late to book it")
		assert.Equal(t, zvtsim.AutoReversed, r.zvt.Journal()[1].Status)
		r.waitStatus("T1", terminals.StatusIdle)

		// A Confirm just after the driver's deadline, before the manager
		// reads the end: the driver's own answer, refused, not charged.
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 100_000})
		require.NoError(t, err)
		time.Sleep(time.Until(c.Deadline()) + terminals.ExpiryGrace/2)
		err = c.Confirm(ctx)
		require.ErrorIs(t, err, pos.ErrPendingExpired)
		assert.ErrorIs(t, err, pos.ErrReversedByTerminal)
		assert.Equal(t, terminals.StateExpired, c.State())
		assert.Equal(t, zvtsim.AutoReversed, r.zvt.Journal()[2].Status)
		assert.Empty(t, r.zvt.Batch(), "nothing charged")
	})
}

// A terminal that does not answer the question about its last
// transaction while its newest attempt is in doubt takes no new charge:
// the new one would make that evidence useless. Once it answers, the
// attempt is settled and the charge goes through.
func TestNoChargeBeforeTheLastResultIsAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRigSim(t, []config.Terminal{zvtTerminal("T1")}, nil, func(c *zvtsim.Config) { c.HangFor = 3 * time.Second })
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		hung, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-hung.Finished()

		// Still hanging: the question goes unanswered, the charge is held
		// back, nothing written down.
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		assert.Nil(t, c)
		require.ErrorIs(t, err, pos.ErrBusy)
		assert.Contains(t, err.Error(), hung.AttemptID())
		latest, err := r.db.LatestAttemptID(ctx, "T1")
		require.NoError(t, err)
		assert.Equal(t, hung.AttemptID(), latest)
		assert.Equal(t, terminals.StateInDoubt, attempt(t, r.m, hung.AttemptID()).State)

		// Awake: settled from its last transaction, and the charge runs.
		time.Sleep(3 * time.Second)
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))
		assert.Equal(t, terminals.StateSettledNotCharged, attempt(t, r.m, hung.AttemptID()).State)
	})
}

// A terminal that never answers the question does not block its counter
// for ever: after three tries the attempt is left in doubt for a person
// and charges go to the terminal again.
func TestLastResultAskedThreeTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRigSim(t, []config.Terminal{zvtTerminal("T1")}, nil, func(c *zvtsim.Config) { c.HangFor = time.Minute })
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		hung, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-hung.Finished()
		for i := 0; i < 2; i++ {
			_, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
			require.ErrorIs(t, err, pos.ErrBusy, "try %d", i+1)
		}
		_, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		require.Error(t, err, "the terminal still hangs")
		assert.NotErrorIs(t, err, pos.ErrBusy, "but the charge was let through: %v", err)
		assert.Equal(t, terminals.StateInDoubt, attempt(t, r.m, hung.AttemptID()).State)
	})
}

// A terminal configured repeats_original_receipt shows, after a reversal,
// the original payment as approved: its approved last record settles
// nothing. Here the terminal aborts after our 80 00 00 (Confirm is
// uncertain) and reverses the payment; its Repeat Receipt shows the
// payment approved, with the attempt's own trace number. Read as usual
// that would be "charged"; for this terminal it stays in doubt.
func TestRepeatsOriginalReceiptProvesNoCharge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := zvtTerminal("T1")
		cfg.RepeatsOriginalReceipt = true
		r := newPipeRig(t, []config.Terminal{cfg}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultAbortAfterAck}, zvtsim.Fault{Kind: zvtsim.FaultRepeatOriginal})
		c, err = r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.NoError(t, err)
		require.ErrorIs(t, c.Confirm(ctx), pos.ErrConfirmUncertain)
		assert.Equal(t, terminals.StateInDoubt, c.State())

		rep, err := r.m.Recover(ctx, "T1")
		require.NoError(t, err)
		assert.Equal(t, []string{c.AttemptID()}, rep.InDoubt)
		rec := attempt(t, r.m, c.AttemptID())
		assert.Equal(t, terminals.StateInDoubt, rec.State)
		lr := evidence(rec, pos.EvidenceLastResult)
		require.Len(t, lr, 1)
		assert.Equal(t, pos.Approved, lr[0].Result.Outcome, "the original receipt")
		assert.Equal(t, c.Result().TraceNo, lr[0].Result.TraceNo, "with the attempt's own trace")
		assert.Equal(t, pos.StillUnknown, lr[0].Finding.Verdict)
		assert.Contains(t, lr[0].Finding.Reason, "repeats_original_receipt")
		j := r.zvt.Journal()
		require.Len(t, j, 2)
		assert.Equal(t, zvtsim.AutoReversed, j[1].Status, "charged would have been wrong")
	})
}

// With no trace number to go by, a terminal record dated after the
// attempt ended (Until: the last time feepos heard of it plus the
// terminal's T4) is a later transaction: here one keyed in on the
// terminal while it was unplugged from feepos, of the same amount. Without
// Until it would pass for the attempt's own approval.
func TestLaterTransactionIsNotTheAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		hung, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 50_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-hung.Finished()
		r.unplug("T1")
		r.waitStatus("T1", terminals.StatusOffline)
		rec := attempt(t, r.m, hung.AttemptID())
		assert.Zero(t, rec.TraceBefore, "a fresh terminal: no trace number known")

		// Minutes later someone pays 50 000 đồng on the terminal itself
		// (another register on the same terminal, in the test).
		time.Sleep(3 * time.Minute)
		ecr, line := transport.Pipe("menu", "terminal")
		go func() { _ = r.zvt.Serve(r.ctx, line) }()
		other := zvt.New(ecr, zvt.Config{ID: "menu", Timers: fastZVT, HoldAnswer: 150 * time.Millisecond, HoldRepeat: 400 * time.Millisecond})
		p, err := other.Pay(ctx, pos.Request{Amount: 50_000}, nil)
		require.NoError(t, err)
		require.NoError(t, p.Confirm(ctx))
		require.NoError(t, other.Close())

		r.setDown("T1", false)
		r.waitStatus("T1", terminals.StatusInDoubt)
		rec = attempt(t, r.m, hung.AttemptID())
		assert.Equal(t, terminals.StateInDoubt, rec.State, "never charged by a later payment")
		lr := evidence(rec, pos.EvidenceLastResult)
		require.Len(t, lr, 1)
		assert.Equal(t, pos.Approved, lr[0].Result.Outcome)
		assert.Equal(t, pos.StillUnknown, lr[0].Finding.Verdict)
		assert.Contains(t, lr[0].Finding.Reason, "after this attempt had ended")
		j := r.zvt.Journal()
		require.Len(t, j, 2)
		assert.False(t, j[0].Charged(), "the hung attempt charged nothing")
	})
}

// The last trace number follows every result that carries one — an abort
// too, and an end of day — and an orphan answer ahead of it makes it
// uncertain (the terminal ran a transaction feepos did not count): the
// next attempt is then written without TraceBefore.
func TestLastTraceFollowsResultsOrphansAndEndOfDay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		pay := func(amount int64) (*terminals.Charge, terminals.AttemptRecord) {
			t.Helper()
			c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: amount})
			require.NoError(t, err)
			require.NoError(t, c.Confirm(ctx))
			<-c.Finished()
			return c, attempt(t, r.m, c.AttemptID())
		}
		c, _ := pay(10_000)
		k := c.Result().TraceNo
		require.NotZero(t, k)

		// An abort carries its trace number.
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort})
		ab, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 11_000})
		require.NoError(t, err)
		require.Equal(t, pos.Aborted, ab.Result().Outcome)
		require.Equal(t, k+1, ab.Result().TraceNo)
		<-ab.Finished()
		assert.Equal(t, k, attempt(t, r.m, ab.AttemptID()).TraceBefore)
		c, rec := pay(12_000)
		assert.Equal(t, k+1, rec.TraceBefore, "the abort's trace")

		// An orphan of a transaction feepos did not count.
		r.m.DeliverOrphan("T1", pos.Orphan{Result: pos.Result{Outcome: pos.Approved, Amount: 5_000, TraceNo: c.Result().TraceNo + 1}, At: time.Now(), Refused: true})
		time.Sleep(time.Second)
		c, rec = pay(13_000)
		assert.Zero(t, rec.TraceBefore, "the trace known is stale: not used")
		_, rec = pay(14_000)
		assert.Equal(t, c.Result().TraceNo, rec.TraceBefore, "certain again from the next result")

		// An end of day takes a trace number of its own.
		eod, err := r.m.EndOfDay(ctx, "T1")
		require.NoError(t, err)
		require.NotZero(t, eod.TraceNo)
		_, rec = pay(15_000)
		assert.Equal(t, eod.TraceNo, rec.TraceBefore)
	})
}

// The ZVT driver's orphans reach the manager (Config.OnOrphan): a
// Status-Information the terminal sends on its own, before it takes the
// next command, is kept as evidence of the terminal, with its wire.
func TestZVTDriverOrphanIsKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		ctx := context.Background()
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(ctx))

		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultUnsolicited})
		c2, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.NoError(t, err)
		require.NoError(t, c2.Confirm(ctx))
		var loose []terminals.Evidence
		for i := 0; i < 50 && len(loose) == 0; i++ {
			time.Sleep(100 * time.Millisecond)
			loose, err = r.db.TerminalEvidence(ctx, "T1", time.Time{})
			require.NoError(t, err)
		}
		require.Len(t, loose, 1)
		assert.Equal(t, pos.EvidenceOrphan, loose[0].Source)
		assert.Equal(t, c.Result().TraceNo, loose[0].Result.TraceNo, "its last transaction again")
		assert.NotEmpty(t, loose[0].Raw)
		assert.True(t, loose[0].Refused, "an approval nobody waits for is refused (84 66)")
		assert.Equal(t, terminals.StateConfirmed, c2.State())
	})
}

// A terminal that answers Repeat Receipt by printing the receipt again,
// with no record (zvt.ErrLastResultPrinted), has answered: it is asked
// once — each question would print another copy — and the attempt is
// left to its orphans and a person, while the terminal takes charges.
func TestLastResultPrintedIsAskedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		repeats := 0
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1")}, func(o *terminals.Options) {
			o.OnWire = func(_ string, e terminals.TapEntry) {
				if e.Direction == "ecr_to_pt" && e.Message.Kind == "repeat_receipt" {
					mu.Lock()
					repeats++
					mu.Unlock()
				}
			}
		})
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return repeats
		}
		ctx := context.Background()
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		hung, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
		require.ErrorIs(t, err, pos.ErrUnknownOutcome)
		<-hung.Finished()
		time.Sleep(simHangFor) // awake again

		before := count()
		r.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatPrintOnly})
		rep, err := r.m.Recover(ctx, "T1")
		require.NoError(t, err)
		assert.Equal(t, []string{hung.AttemptID()}, rep.InDoubt)
		assert.Contains(t, rep.Note, "printed")
		c, err := r.m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
		require.NoError(t, err, "the terminal takes charges")
		require.NoError(t, c.Confirm(ctx))
		assert.Equal(t, 1, count()-before, "asked once: one copy printed")
		assert.Equal(t, terminals.StateInDoubt, attempt(t, r.m, hung.AttemptID()).State, "for a person")
	})
}

// A run judged an orphan naming the attempt (charged) and stopped before
// it stored the settlement: the next recovery settles it from the finding
// kept with it, rather than leaving it in doubt for good (each piece of
// evidence is judged once). Found by bench/paycrash.
func TestKeptFindingSettlesAfterACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{concertTerminal("T2")}, nil)
		defer r.close()
		r.waitStatus("T2", terminals.StatusIdle)
		ctx := context.Background()
		now := time.Now()
		a := terminals.Attempt{ID: "kept000001", Terminal: "T2", Protocol: pos.Concert, Kind: pos.KindPay, Amount: 12_000,
			Reference: "kept000001", StartedAt: now}
		require.NoError(t, r.db.CreateAttempt(ctx, a, now))
		require.NoError(t, r.db.SetAttemptState(ctx, a.ID, terminals.StateChange{State: terminals.StateSent, At: now}))
		require.NoError(t, r.db.SetAttemptState(ctx, a.ID, terminals.StateChange{State: terminals.StateInDoubt, At: now, Reason: "feepos stopped"}))
		late := pos.Result{Outcome: pos.Approved, Amount: 12_000, Currency: "704", Reference: a.ID, ResultCode: "0"}
		id, err := r.db.AddEvidence(ctx, terminals.Evidence{AttemptID: a.ID, Terminal: "T2", Source: pos.EvidenceOrphan, At: now, Result: &late})
		require.NoError(t, err)
		f := pos.Finding{Verdict: pos.Charged, Reason: "the terminal's answer names this attempt's reference, and the terminal approved it"}
		_, err = r.db.AddEvidence(ctx, terminals.Evidence{AttemptID: a.ID, Terminal: "T2", Source: pos.EvidenceOrphan, At: now, Result: &late,
			Finding: &f, RefersTo: id})
		require.NoError(t, err)

		_, err = r.m.Recover(ctx, "T2")
		require.NoError(t, err)
		rec := attempt(t, r.m, a.ID)
		assert.Equal(t, terminals.StateSettledCharged, rec.State)
		assert.Len(t, evidence(rec, pos.EvidenceOrphan), 2, "judged once: no new finding")
	})
}
