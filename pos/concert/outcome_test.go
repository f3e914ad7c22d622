package concert_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/transport"
)

// The tests of issue 9: every payment ends with exactly one final event
// that says what happened; a cancelled wait is not an abort; an answer
// that comes when nothing waits for it is kept (an orphan) and settles
// its payment; a held result expires without being called "not charged";
// nothing waits for a payment's lock that need not.

// drain takes the events a finished Pay sent.
func drain(ch chan pos.Event) []pos.Event {
	var out []pos.Event
	for {
		select {
		case e := <-ch:
			out = append(out, e)
		default:
			return out
		}
	}
}

// checkFinal: exactly one final event, the last, and the kind of the
// outcome; no intermediate event uses a final kind.
func checkFinal(t *testing.T, events []pos.Event, res pos.Result) {
	t.Helper()
	require.NotEmpty(t, events, "no event at all for outcome %s", res.Outcome)
	last := events[len(events)-1]
	assert.True(t, last.Kind.Final(), "the last event %q is not a final one (outcome %s)", last.Kind, res.Outcome)
	assert.Equal(t, pos.FinalKind(res.Outcome), last.Kind, "outcome %s", res.Outcome)
	assert.NotEmpty(t, last.Text)
	for _, e := range events[:len(events)-1] {
		assert.False(t, e.Kind.Final(), "intermediate event %q (%s) uses a final kind; outcome %s", e.Kind, e.Text, res.Outcome)
	}
	if res.Outcome != pos.Declined && res.Outcome != pos.CardError {
		for _, e := range events {
			assert.NotEqual(t, pos.EventDeclined, e.Kind, "%s announced as declined", res.Outcome)
		}
	}
}

func judge(ref string, amount int64, start time.Time, o pos.Orphan) pos.Finding {
	return pos.Judge(pos.AttemptFacts{Kind: pos.KindPay, Reference: ref, Amount: amount, StartedAt: start},
		pos.Evidence{Source: pos.EvidenceOrphan, Result: o.Result, At: o.At}, time.UTC, pos.DefaultClockSkew)
}

// entry is the journal entry of priv.
func entry(t *testing.T, s *concertsim.Sim, priv string) concertsim.Entry {
	t.Helper()
	for _, e := range s.Journal() {
		if e.Priv == priv {
			return e
		}
	}
	require.FailNow(t, "no journal entry", "priv %q", priv)
	return concertsim.Entry{}
}

// TestFinalEventForEveryOutcome (defect 4): a cashier who reads
// "declined" takes another card. Only a refusal may say so; a timeout, a
// hang, a damaged answer, a busy driver or terminal, an invalid request
// and a cancelled wait each end with the final event of their outcome.
func TestFinalEventForEveryOutcome(t *testing.T) {
	type scenario struct {
		name string
		want pos.Outcome
		run  func(r *rig, events chan pos.Event) pos.Result
	}
	pay := func(ctx context.Context, r *rig, events chan pos.Event, ref string) pos.Result {
		p, err := r.term.Pay(ctx, pos.Request{Amount: 40_000, Reference: ref}, events)
		checkPayError(r.t, p.Result(), err)
		_ = p.Confirm(context.Background())
		return p.Result()
	}
	withFault := func(f concertsim.Fault) func(r *rig, events chan pos.Event) pos.Result {
		return func(r *rig, events chan pos.Event) pos.Result {
			r.sim.Inject(f)
			return pay(context.Background(), r, events, "FIN1")
		}
	}
	for _, sc := range []scenario{
		{"approved", pos.Approved, withFault(concertsim.Fault{})},
		{"declined", pos.Declined, withFault(concertsim.Fault{Kind: concertsim.FaultDecline})},
		{"customer abort (refused)", pos.Declined, withFault(concertsim.Fault{Kind: concertsim.FaultAbort})},
		{"status 9, not verified", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultAbandon})},
		{"no answer in time", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultHang})},
		{"answer for another amount", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultWrongAmount})},
		{"answer for another reference", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultWrongPriv})},
		{"damaged answer every time", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultBadLRC, Count: concert.FrameAttempts})},
		{"line cut in the answer", pos.Unknown, withFault(concertsim.Fault{Kind: concertsim.FaultHangUp})},
		{"request refused (NAK)", pos.TransportError, withFault(concertsim.Fault{Kind: concertsim.FaultNAKRequest, Count: concert.FrameAttempts})},
		{"terminal busy in its menu", pos.TransportError, withFault(concertsim.Fault{Kind: concertsim.FaultBusy, Delay: time.Hour})},
		{"invalid request", pos.TransportError, func(r *rig, events chan pos.Event) pos.Result {
			p, err := r.term.Pay(context.Background(), pos.Request{Amount: 0, Reference: "FIN1"}, events)
			assert.ErrorIs(r.t, err, pos.ErrInvalidRequest)
			return p.Result()
		}},
		{"driver busy", pos.Busy, func(r *rig, events chan pos.Event) pos.Result {
			gate := make(chan struct{})
			r.sim.Inject(concertsim.Fault{Gate: gate})
			first := make(chan pos.Pending, 1)
			go func() {
				p, _ := r.term.Pay(context.Background(), pos.Request{Amount: 1_000, Reference: "FIRST"}, nil)
				first <- p
			}()
			time.Sleep(50 * time.Millisecond)
			res := pay(context.Background(), r, events, "FIN1")
			close(gate)
			require.NoError(r.t, (<-first).Confirm(context.Background()))
			return res
		}},
		{"cancelled wait", pos.Unknown, func(r *rig, events chan pos.Event) pos.Result {
			r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 300 * time.Millisecond})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			return pay(ctx, r, events, "FIN1")
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, newSim(t))
				events := make(chan pos.Event, 64)
				res := sc.run(r, events)
				assert.Equal(t, sc.want, res.Outcome, res.Text)
				checkFinal(t, drain(events), res)
			})
		})
	}
}

// TestCancelledWaitIsNotAnAbort (defect 6): the caller's cancelled ctx ends
// its wait at once, Unknown with an error saying why; the payment goes on
// on the terminal, the driver stays with it, and its answer, when it
// comes, is acknowledged and delivered as an orphan that settles the
// payment.
func TestCancelledWaitIsNotAnAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		gate := make(chan struct{})
		r.sim.Inject(concertsim.Fault{Gate: gate})
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel) // the request was taken by then
		events := make(chan pos.Event, 16)
		p, err := r.term.Pay(ctx, pos.Request{Amount: 77_000, Reference: "CANC1"}, events)
		assert.Equal(t, 50*time.Millisecond, time.Since(start), "the wait ends when ctx does")
		res := p.Result()
		assert.Equal(t, pos.Unknown, res.Outcome)
		assert.ErrorIs(t, err, concert.ErrUnknownOutcome)
		assert.ErrorIs(t, err, pos.ErrUnknownOutcome)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, res.Text, "stopped waiting")
		assert.True(t, p.Deadline().IsZero())
		require.NoError(t, p.Confirm(context.Background()))
		checkFinal(t, drain(events), res)

		// Not an abort: the terminal is still in the payment, and so is the
		// driver.
		p2, err := r.term.Pay(context.Background(), pos.Request{Amount: 1_000, Reference: "CANC2"}, nil)
		assert.ErrorIs(t, err, pos.ErrBusy)
		assert.Equal(t, pos.Busy, p2.Result().Outcome)
		assert.ErrorIs(t, r.term.Probe(context.Background()), pos.ErrBusy)
		r.noOrphan()

		time.Sleep(100 * time.Millisecond) // within the driver's answer wait
		close(gate)
		o := r.orphan()
		assert.Equal(t, "CANC1", o.Result.Reference)
		assert.Equal(t, pos.Approved, o.Result.Outcome)
		assert.Equal(t, int64(77_000), o.Result.Amount)
		assert.Contains(t, o.Note, "stopped waiting")
		assert.Contains(t, o.Wire, "02") // STX …
		assert.NotContains(t, strings.ToLower(o.Wire), "34313131313131313131313131313131", "no full card number on the wire copy")
		f := judge("CANC1", 77_000, start, o)
		assert.Equal(t, pos.Charged, f.Verdict, f.Reason)
		synctest.Wait()
		assert.True(t, entry(t, r.sim, "CANC1").Acked, "the terminal had its ACK")
		assert.Len(t, r.sim.Charged("CANC1"), 1)

		assert.Equal(t, pos.Approved, r.pay(1_000, "CANC2").Outcome)
		r.noOrphan()
	})
}

// TestCancelledBeforeSendingStops: a ctx cancelled before the request went
// out stops the payment: nothing was sent, nothing is pending.
func TestCancelledBeforeSendingStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultBusy, Delay: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond) // during the first ENQ's wait
		defer cancel()
		p, err := r.term.Pay(ctx, pos.Request{Amount: 1_000, Reference: "EARLY"}, nil)
		assert.Equal(t, pos.TransportError, p.Result().Outcome, p.Result().Text)
		assert.ErrorIs(t, err, pos.ErrTransport)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		time.Sleep(2 * time.Minute)
		assert.Empty(t, r.sim.Journal())
		assert.Equal(t, pos.Approved, r.pay(1_000, "EARLY2").Outcome, "the driver is free")
	})
}

// TestLateAnswerIsDeliveredAsOrphan (defect 7): the answer wait runs out
// (Unknown); the terminal answers afterwards. The answer is acknowledged
// and delivered as an orphan, and Judge settles the payment from it by its
// outcome.
func TestLateAnswerIsDeliveredAsOrphan(t *testing.T) {
	for _, tc := range []struct {
		kind    concertsim.FaultKind
		outcome pos.Outcome
		verdict pos.Verdict
	}{
		{concertsim.FaultNone, pos.Approved, pos.Charged},
		{concertsim.FaultDecline, pos.Declined, pos.NotCharged},
		{concertsim.FaultAbandon, pos.Unknown, pos.StillUnknown},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, newSim(t))
				gate := make(chan struct{})
				r.sim.Inject(concertsim.Fault{Kind: tc.kind, Gate: gate})
				start := time.Now()
				events := make(chan pos.Event, 16)
				p, err := r.term.Pay(context.Background(), pos.Request{Amount: 55_000, Reference: "LATE1"}, events)
				res := p.Result()
				require.Equal(t, pos.Unknown, res.Outcome, res.Text)
				assert.ErrorIs(t, err, pos.ErrUnknownOutcome)
				assert.Contains(t, res.Text, "no answer from the terminal within")
				checkFinal(t, drain(events), res)
				require.NoError(t, p.Confirm(context.Background()))

				time.Sleep(time.Minute)
				r.noOrphan()
				close(gate)
				o := r.orphan()
				assert.Equal(t, "LATE1", o.Result.Reference)
				assert.Equal(t, tc.outcome, o.Result.Outcome)
				assert.Equal(t, int64(55_000), o.Result.Amount)
				assert.Contains(t, o.Note, "late answer")
				f := judge("LATE1", 55_000, start, o)
				assert.Equal(t, tc.verdict, f.Verdict, f.Reason)
				f = judge("OTHER", 55_000, start, o)
				assert.Equal(t, pos.StillUnknown, f.Verdict, "it settles only its own reference")

				synctest.Wait()
				assert.True(t, entry(t, r.sim, "LATE1").Acked, "acknowledged: the terminal is not left resending")
				assert.Equal(t, pos.Approved, r.pay(1_000, "LATE2").Outcome)
				r.noOrphan()
			})
		})
	}
}

// TestLateAnswerDuringTheNextPayment: the late answer to an earlier
// reference comes while the next payment is under way (it crosses the
// next request). It is that earlier payment's evidence: delivered, not
// skipped, and never taken for the next payment's answer.
func TestLateAnswerDuringTheNextPayment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		gate := make(chan struct{})
		r.sim.Inject(concertsim.Fault{Gate: gate})
		start := time.Now()
		first := r.pay(10_000, "NEXT1")
		require.Equal(t, pos.Unknown, first.Outcome, first.Text)

		time.AfterFunc(50*time.Millisecond, func() { close(gate) }) // while NEXT2 knocks
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 20_000, Reference: "NEXT2"}, nil)
		require.NoError(t, err)
		res := p.Result()
		require.NoError(t, p.Confirm(context.Background()))
		assert.Equal(t, pos.Approved, res.Outcome, res.Text)
		assert.Equal(t, "NEXT2", res.Reference)
		assert.Equal(t, int64(20_000), res.Amount)

		o := r.orphan()
		assert.Equal(t, "NEXT1", o.Result.Reference)
		assert.Equal(t, int64(10_000), o.Result.Amount)
		assert.Equal(t, pos.Charged, judge("NEXT1", 10_000, start, o).Verdict)
		r.noOrphan()
		synctest.Wait()
		assert.True(t, entry(t, r.sim, "NEXT1").Acked)
		assert.True(t, entry(t, r.sim, "NEXT2").Acked)
	})
}

// TestHeldResultExpires (defect 6): a Pending nobody confirms is
// acknowledged by the driver just before the terminal gives up, and
// delivered as an orphan; a Confirm after that says so without claiming
// "not charged" (a Concert terminal does not reverse), and the driver is
// free again.
func TestHeldResultExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		start := time.Now()
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 66_000, Reference: "HOLD1"}, nil)
		require.NoError(t, err)
		require.Equal(t, pos.Approved, p.Result().Outcome)
		// The terminal resends an unacknowledged answer FrameAttempts times,
		// an ACK timer apart: the deadline is a third of a timer before the
		// last wait ends.
		ack := driverTimers.ACK
		assert.Equal(t, time.Now().Add(concert.FrameAttempts*ack-ack/3), p.Deadline())
		r.noOrphan()

		time.Sleep(time.Until(p.Deadline()) + time.Millisecond)
		o := r.orphan()
		assert.Equal(t, "HOLD1", o.Result.Reference)
		assert.Equal(t, pos.Approved, o.Result.Outcome)
		assert.Contains(t, o.Note, "deadline")
		synctest.Wait()
		assert.True(t, entry(t, r.sim, "HOLD1").Acked, "the driver's ACK reached the terminal before it gave up")

		err = p.Confirm(context.Background())
		assert.ErrorIs(t, err, concert.ErrHoldExpired)
		assert.ErrorIs(t, err, pos.ErrConfirmUncertain)
		assert.NotErrorIs(t, err, pos.ErrPendingExpired, "ErrPendingExpired means refused, nothing charged: not on Concert")
		assert.NotErrorIs(t, err, pos.ErrReversedByTerminal)
		assert.ErrorIs(t, p.Reject(context.Background()), concert.ErrHoldExpired)
		assert.Len(t, r.sim.Charged("HOLD1"), 1)
		assert.Equal(t, pos.Charged, judge("HOLD1", 66_000, start, o).Verdict)

		assert.Equal(t, pos.Approved, r.pay(1_000, "HOLD2").Outcome, "the driver is free")
		r.noOrphan()
	})
}

// TestConfirmInTimeDeliversNoOrphan: the ordinary path holds nothing back.
func TestConfirmInTimeDeliversNoOrphan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 5_000, Reference: "INTIME"}, nil)
		require.NoError(t, err)
		time.Sleep(time.Until(p.Deadline()) - time.Millisecond) // recording takes its time
		require.NoError(t, p.Confirm(context.Background()))
		synctest.Wait()
		assert.True(t, entry(t, r.sim, "INTIME").Acked)
		r.noOrphan()
	})
}

// TestTerminalTimersShorterThanFeepos: a terminal whose ACK timer is
// shorter than the driver's gives up on a held answer before the driver's
// deadline. Nothing is lost or doubled: the result stands, its resends
// are not taken for new answers, and the next payment goes through. With
// the terminal's timers in Config.Timers the deadline falls in time.
func TestTerminalTimersShorterThanFeepos(t *testing.T) {
	short := 30 * time.Millisecond
	t.Run("driver not told", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, newSim(t))
			r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultShortTimers, Delay: short})
			p, err := r.term.Pay(context.Background(), pos.Request{Amount: 8_000, Reference: "SHORT1"}, nil)
			require.NoError(t, err)
			require.Equal(t, pos.Approved, p.Result().Outcome)
			time.Sleep(concert.FrameAttempts*short + 10*time.Millisecond) // the terminal gave up
			require.NoError(t, p.Confirm(context.Background()), "the ACK went out; the charge stands either way")
			synctest.Wait()
			assert.False(t, entry(t, r.sim, "SHORT1").Acked, "the terminal gave up before our ACK")
			assert.Len(t, r.sim.Charged("SHORT1"), 1)
			r.noOrphan()
			assert.Equal(t, pos.Approved, r.pay(1_000, "SHORT2").Outcome)
			r.noOrphan()
		})
	})
	t.Run("driver told", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			timers := driverTimers
			timers.ACK = short
			r := newRigTimers(t, newSim(t), timers)
			r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultShortTimers, Delay: short})
			p, err := r.term.Pay(context.Background(), pos.Request{Amount: 8_000, Reference: "SHORT1"}, nil)
			require.NoError(t, err)
			assert.Equal(t, time.Now().Add(concert.FrameAttempts*short-short/3), p.Deadline())
			o := r.orphan() // nobody confirms: the deadline passes
			assert.Equal(t, "SHORT1", o.Result.Reference)
			synctest.Wait()
			assert.True(t, entry(t, r.sim, "SHORT1").Acked, "acknowledged before the terminal gave up")
			assert.ErrorIs(t, p.Confirm(context.Background()), pos.ErrConfirmUncertain)
		})
	})
}

// TestAnswerResentWhenOurACKIsLost: the terminal does not hear our ACK and
// sends its answer again, after our EOT wait ended. The driver, at rest,
// acknowledges the resend without taking it for a new answer.
func TestAnswerResentWhenOurACKIsLost(t *testing.T) {
	for _, lost := range []int{1, concert.FrameAttempts} {
		t.Run(map[int]string{1: "once", concert.FrameAttempts: "every time"}[lost], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				timers := driverTimers
				timers.EOT = 50 * time.Millisecond // shorter than the terminal's resend
				r := newRigTimers(t, newSim(t), timers)
				r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultAnswerACKLost, Count: lost})
				assert.Equal(t, pos.Approved, r.pay(9_000, "RESEND1").Outcome)
				time.Sleep(time.Second)
				assert.Equal(t, lost < concert.FrameAttempts, entry(t, r.sim, "RESEND1").Acked)
				r.noOrphan()
				assert.Equal(t, pos.Approved, r.pay(1_000, "RESEND2").Outcome)
				assert.Len(t, r.sim.Charged("RESEND1"), 1)
				r.noOrphan()
			})
		})
	}
}

// TestUnsolicitedAnswerIsAnOrphan: a message the terminal sends on its own
// is taken off the line, acknowledged and kept; it names no payment of
// ours, so it settles none.
func TestUnsolicitedAnswerIsAnOrphan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultUnsolicited})
		start := time.Now()
		assert.Equal(t, pos.Approved, r.pay(3_000, "OWN1").Outcome)
		o := r.orphan()
		assert.Equal(t, "", o.Result.Reference)
		assert.Equal(t, int64(concertsim.UnsolicitedAmount), o.Result.Amount)
		assert.Equal(t, pos.Approved, o.Result.Outcome)
		assert.Contains(t, o.Note, "on its own")
		assert.Equal(t, pos.StillUnknown, judge("OWN1", 3_000, start, o).Verdict)
		synctest.Wait()
		for _, e := range r.sim.Journal() {
			assert.True(t, e.Acked, "%+v", e)
		}
		assert.Equal(t, pos.Approved, r.pay(1_000, "OWN2").Outcome)
		r.noOrphan()
	})
}

// TestTerminalBusyInItsMenu: a terminal whose menu is open answers no ENQ.
// The payment is not sent (nothing charged), the cashier is told to close
// the menu, and once it is closed the payment goes through.
func TestTerminalBusyInItsMenu(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultBusy, Delay: 10 * time.Second})
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 2_000, Reference: "MENU1"}, nil)
		assert.ErrorIs(t, err, pos.ErrTransport)
		assert.Equal(t, pos.TransportError, p.Result().Outcome)
		assert.Contains(t, p.Result().TextVI, "menu")
		assert.Error(t, r.term.Probe(context.Background()), "a probe sees it too")
		assert.Empty(t, r.sim.Journal())
		time.Sleep(10 * time.Second)
		assert.NoError(t, r.term.Probe(context.Background()))
		assert.Equal(t, pos.Approved, r.pay(2_000, "MENU2").Outcome)
	})
}

// TestAbortAndTerminalIDDoNotWait (defect 9): during a payment, Abort
// answers at once that E+ cannot abort, and TerminalID, Capabilities,
// LastResult and Probe do not wait for the payment either.
func TestAbortAndTerminalIDDoNotWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		gate := make(chan struct{})
		r.sim.Inject(concertsim.Fault{Gate: gate})
		paid := make(chan pos.Pending, 1)
		go func() {
			p, _ := r.term.Pay(context.Background(), pos.Request{Amount: 4_000, Reference: "ABRT1"}, nil)
			paid <- p
		}()
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		ctx := context.Background()
		err := r.term.Abort(ctx)
		assert.ErrorIs(t, err, pos.ErrNotSupported)
		assert.ErrorIs(t, err, concert.ErrNotSupported)
		var ns *concert.NotSupportedError
		require.True(t, errors.As(err, &ns))
		assert.Contains(t, ns.MessageVI, "nút đỏ")
		assert.Equal(t, "", r.term.TerminalID())
		assert.Equal(t, pos.Capabilities{}, r.term.Capabilities())
		_, err = r.term.LastResult(ctx)
		assert.ErrorIs(t, err, pos.ErrNotSupported)
		assert.ErrorIs(t, r.term.Probe(ctx), pos.ErrBusy)
		assert.Zero(t, time.Since(start), "none of them waited")
		select {
		case <-paid:
			t.Fatal("the payment ended early")
		default:
		}
		close(gate)
		p := <-paid
		assert.Equal(t, pos.Approved, p.Result().Outcome)
		require.NoError(t, p.Confirm(ctx))
	})
}

// TestErrorsMatchPosKinds: a caller tells the driver's errors apart with
// the pos kinds alone.
func TestErrorsMatchPosKinds(t *testing.T) {
	for _, c := range []struct {
		err, kind error
	}{
		{concert.ErrBusy, pos.ErrBusy},
		{concert.ErrTransport, pos.ErrTransport},
		{concert.ErrUnknownOutcome, pos.ErrUnknownOutcome},
		{concert.ErrNotSupported, pos.ErrNotSupported},
		{concert.Unsupported(concert.OpAbort), pos.ErrNotSupported},
		{concert.Unsupported(concert.OpLastResult), pos.ErrNotSupported},
		{concert.ErrInvalidRequest, pos.ErrInvalidRequest},
		{concert.ErrHoldExpired, pos.ErrConfirmUncertain},
		{concert.ErrNotReversed, pos.ErrConfirmUncertain},
		{concert.ErrAckFailed, pos.ErrConfirmUncertain},
	} {
		assert.ErrorIs(t, c.err, c.kind, c.err.Error())
	}
	assert.NotErrorIs(t, concert.ErrHoldExpired, pos.ErrPendingExpired)
	assert.NotErrorIs(t, concert.ErrNotReversed, pos.ErrReversedByTerminal)
}

// TestProbe: a probe opens and closes a session, nothing else: the
// terminal runs nothing. It fails on a dead line.
func TestProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		require.NoError(t, r.term.Probe(context.Background()))
		assert.Empty(t, r.sim.Journal())
		assert.Equal(t, pos.Approved, r.pay(1_000, "PROBE1").Outcome, "the terminal took the probe's EOT and goes on")

		r.cancel() // the terminal's end of the line goes away
		<-r.served
		r.served <- nil
		err := r.term.Probe(context.Background())
		assert.ErrorIs(t, err, transport.ErrVanished)
	})
}
