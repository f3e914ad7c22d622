package zvt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/zvt"
)

func TestPayApprovedTwoPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		events := make(chan pos.Event, 32)
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 150_000, Reference: "HS-42"}, events)
		require.NoError(t, err)
		res := p.Result()
		assert.Equal(t, pos.Approved, res.Outcome)
		assert.Equal(t, int64(150_000), res.Amount)
		assert.Equal(t, "704", res.Currency)
		assert.Equal(t, "00", res.ResultCode)
		assert.Equal(t, "29001234", res.TerminalID)
		assert.Equal(t, "HS-42", res.Reference)
		assert.NotZero(t, res.TraceNo)
		assert.NotZero(t, res.ReceiptNo)
		assert.Len(t, res.ApprovalCode, 6)
		assert.Regexp(t, `^\d{6}\*{6}\d{4}$`, res.PANMasked)
		assert.NotEmpty(t, res.CardName)
		assert.Equal(t, "03-14", res.Date)
		assert.Equal(t, "16:30:00", res.Time) // 09:30 UTC is 16:30 in Hanoi

		// Not acknowledged yet: the terminal holds it open, and so does the driver.
		j := r.sim.Journal()
		require.Len(t, j, 1)
		assert.Equal(t, zvtsim.Awaiting, j[0].Status)
		_, err = r.term.Status(r.ctx)
		assert.ErrorIs(t, err, zvt.ErrBusy)

		require.NoError(t, p.Confirm(r.ctx))
		assert.ErrorIs(t, p.Confirm(r.ctx), zvt.ErrFinished)
		j = r.sim.Journal()
		assert.Equal(t, zvtsim.Approved, j[0].Status)
		assert.Len(t, r.sim.Batch(), 1)

		var texts []string
		close(events)
		for e := range events {
			texts = append(texts, e.Text)
		}
		assert.Contains(t, texts, "Mời khách đưa thẻ vào")
		assert.Contains(t, texts, "Đang xử lý, vui lòng chờ")
		assert.Contains(t, texts, "Mời khách rút thẻ")
	})
}

func TestPayFinalOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  zvtsim.Fault
		want   pos.Outcome
		code   string
		host   string
		status zvtsim.TxStatus
	}{
		{"declined by host 05", zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x05}, pos.Declined, "05", "05", zvtsim.Declined},
		{"declined insufficient funds 51", zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x33}, pos.Declined, "33", "51", zvtsim.Declined},
		{"customer abort", zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort}, pos.Aborted, "6C", "", zvtsim.Aborted},
		{"card not readable", zvtsim.Fault{Kind: zvtsim.FaultCardError, Code: 0x64}, pos.CardError, "64", "", zvtsim.Aborted},
		{"chip error", zvtsim.Fault{Kind: zvtsim.FaultCardError, Code: 0x72}, pos.CardError, "72", "", zvtsim.Aborted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t)
				r.sim.Inject(tc.fault)
				p, err := r.term.Pay(r.ctx, pos.Request{Amount: 200_000}, nil)
				require.NoError(t, err)
				res := p.Result()
				assert.Equal(t, tc.want, res.Outcome)
				assert.Equal(t, tc.code, res.ResultCode)
				assert.Equal(t, tc.host, res.HostCode)
				assert.NotEmpty(t, res.TextVI)
				require.NoError(t, p.Confirm(r.ctx))
				j := r.sim.Journal()
				require.Len(t, j, 1)
				assert.Equal(t, tc.status, j[0].Status)
				assert.Empty(t, r.sim.Batch())
				// the terminal is ready for the next one
				p, err = r.term.Pay(r.ctx, pos.Request{Amount: 1_000}, nil)
				require.NoError(t, err)
				assert.Equal(t, pos.Approved, p.Result().Outcome)
				require.NoError(t, p.Confirm(r.ctx))
			})
		})
	}
}

func TestReverseAndRefund(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 300_000}, nil)
		require.NoError(t, err)
		paid := p.Result()
		require.Equal(t, pos.Approved, paid.Outcome)
		require.NoError(t, p.Confirm(r.ctx))

		rv, err := r.term.Reverse(r.ctx, paid.ReceiptNo, pos.Request{Amount: 300_000}, nil)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, rv.Result().Outcome, "the reversal itself succeeded")
		require.NoError(t, rv.Confirm(r.ctx))
		assert.Empty(t, r.sim.Batch())
		j := r.sim.Journal()
		require.Len(t, j, 2)
		assert.Equal(t, zvtsim.Voided, j[0].Status)
		assert.Equal(t, "reversal", j[1].Kind)

		// The last transaction is the reversal: LastResult gives its record
		// as it is, its own trace, approved, and says it is a reversal.
		lr, err := r.term.LastResult(r.ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, lr.Outcome)
		assert.Equal(t, pos.KindReverse, lr.Kind)
		assert.Equal(t, rv.Result().TraceNo, lr.TraceNo)
		assert.Equal(t, paid.TraceNo+1, lr.TraceNo)
		assert.Contains(t, lr.TextVI, fmt.Sprintf("trace %d", paid.TraceNo))

		// Reversing it again is refused by the terminal: no charge either way.
		rv, err = r.term.Reverse(r.ctx, paid.ReceiptNo, pos.Request{}, nil)
		require.NoError(t, err)
		assert.Equal(t, pos.Declined, rv.Result().Outcome)
		assert.Equal(t, "B5", rv.Result().ResultCode)

		rf, err := r.term.Refund(r.ctx, pos.Request{Amount: 50_000}, nil)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, rf.Result().Outcome)
		require.NoError(t, rf.Confirm(r.ctx))
		j = r.sim.Journal()
		assert.Equal(t, "refund", j[len(j)-1].Kind)
		assert.Equal(t, int64(50_000), j[len(j)-1].Amount)
	})
}

func TestAbortFromAnotherGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 6, Delay: 150 * time.Millisecond})
		events := make(chan pos.Event, 32)
		type out struct {
			p   pos.Pending
			err error
		}
		done := make(chan out, 1)
		go func() {
			p, err := r.term.Pay(r.ctx, pos.Request{Amount: 75_000}, events)
			done <- out{p, err}
		}()
		select {
		case <-events:
		case <-time.After(3 * time.Second):
			t.Fatal("no intermediate status")
		}
		// A second transaction meanwhile is refused with Busy, at once.
		bp, err := r.term.Pay(r.ctx, pos.Request{Amount: 1}, nil)
		assert.ErrorIs(t, err, zvt.ErrBusy)
		assert.Equal(t, pos.Busy, bp.Result().Outcome)

		require.NoError(t, r.term.Abort(r.ctx))
		o := <-done
		require.NoError(t, o.err)
		assert.Equal(t, pos.Aborted, o.p.Result().Outcome)
		assert.Equal(t, "6C", o.p.Result().ResultCode)
		assert.ErrorIs(t, r.term.Abort(r.ctx), zvt.ErrNoTransaction)
		j := r.sim.Journal()
		require.Len(t, j, 1)
		assert.Equal(t, zvtsim.Aborted, j[0].Status)
	})
}

func TestSlowCardWithinT4(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		// Each 04 FF restarts T4 (500 ms here): 5 steps of 300 ms pass.
		r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 5, Delay: 300 * time.Millisecond})
		events := make(chan pos.Event, 32)
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 10_000}, events)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, p.Result().Outcome)
		require.NoError(t, p.Confirm(r.ctx))
		kinds := map[pos.EventKind]bool{}
		close(events)
		for e := range events {
			kinds[e.Kind] = true
		}
		assert.True(t, kinds[pos.EventEnterPIN])
		assert.True(t, kinds[pos.EventInsertCard])
	})
}

func TestStatusAndRegistration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		require.NoError(t, r.term.Register(r.ctx))
		assert.Equal(t, "29001234", r.term.TerminalID())
		st, err := r.term.Status(r.ctx)
		require.NoError(t, err)
		assert.True(t, st.Ready)
		assert.Equal(t, "00", st.ResultCode)
		assert.Equal(t, "feepos-zvtsim 1.0", st.Software)
		assert.Equal(t, "29001234", st.TerminalID)
	})
}

func TestEndOfDayTotalsMatchApprovedPayments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var known int64
		var want int64
		perBrand := map[string]int64{}
		for i, amt := range []int64{100_000, 250_000, 35_000, 1_200_000, 5_000, 60_000} {
			switch i {
			case 2:
				r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x05})
			case 4:
				r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort})
			}
			b := r.pay(amt, i == 5, &known) // the last one is rejected: auto-reversed
			if b.charged {
				want += amt
			}
		}
		r.settle()
		for _, tx := range r.sim.Batch() {
			perBrand[tx.Card.Name] += tx.Amount
		}
		eod, err := r.term.EndOfDay(r.ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, eod.Outcome)
		assert.Equal(t, want, eod.Total)
		assert.Equal(t, int64(100_000+250_000+1_200_000), eod.Total)
		var sum int64
		var count int
		for _, bt := range eod.Totals {
			sum += bt.Amount
			count += bt.Count
			name := map[string]string{"others": "NAPAS", "VISA": "VISA", "Mastercard": "Mastercard"}[bt.Brand]
			assert.Equal(t, perBrand[name], bt.Amount, bt.Brand)
		}
		assert.Equal(t, want, sum)
		assert.Equal(t, 3, count)
		assert.NotZero(t, eod.FirstReceipt)
		assert.GreaterOrEqual(t, eod.LastReceipt, eod.FirstReceipt)
		assert.Empty(t, r.sim.Batch())

		eod, err = r.term.EndOfDay(r.ctx)
		require.NoError(t, err)
		assert.Zero(t, eod.Total)
		assert.Empty(t, eod.Totals)
	})
}

func TestLastResultMatchesPayment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		_, err := r.term.LastResult(r.ctx)
		assert.ErrorIs(t, err, zvt.ErrNoLastResult, "a new terminal has nothing to repeat")

		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 420_000}, nil)
		require.NoError(t, err)
		require.NoError(t, p.Confirm(r.ctx))
		lr, err := r.term.LastResult(r.ctx)
		require.NoError(t, err)
		want := p.Result()
		assert.Equal(t, pos.Approved, lr.Outcome)
		for _, f := range []struct{ a, b any }{
			{want.TraceNo, lr.TraceNo}, {want.ReceiptNo, lr.ReceiptNo}, {want.ApprovalCode, lr.ApprovalCode},
			{want.Amount, lr.Amount}, {want.PANMasked, lr.PANMasked}, {want.TerminalID, lr.TerminalID},
		} {
			assert.Equal(t, f.a, f.b)
		}
		// Repeating is not a new charge.
		assert.Len(t, r.sim.Batch(), 1)
	})
}

func TestRejectAutoReverses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 99_000}, nil)
		require.NoError(t, err)
		require.Equal(t, pos.Approved, p.Result().Outcome)
		require.NoError(t, p.Reject(r.ctx))
		// The terminal waits for the acknowledgement, then reverses.
		r.settle()
		j := r.sim.Journal()
		require.Len(t, j, 1)
		assert.Equal(t, zvtsim.AutoReversed, j[0].Status)
		lr, err := r.term.LastResult(r.ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Aborted, lr.Outcome)
		assert.Equal(t, "B4", lr.ResultCode)
		assert.Equal(t, p.Result().TraceNo, lr.TraceNo)
		eod, err := r.term.EndOfDay(r.ctx)
		require.NoError(t, err)
		assert.Zero(t, eod.Total)
	})
}

func TestRejectThenNextCommandAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The next conversation starts before the terminal's wait ran out: the
		// terminal takes the new command as "no acknowledgement" and reverses.
		r := newRig(t)
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 12_000}, nil)
		require.NoError(t, err)
		require.NoError(t, p.Reject(r.ctx))
		lr, err := r.term.LastResult(r.ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Aborted, lr.Outcome)
		assert.Equal(t, zvtsim.AutoReversed, r.sim.Journal()[0].Status)
	})
}

func TestPrintLinesToECR(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, withConfigByte(0xBE))
		var known int64
		b := r.pay(80_000, false, &known)
		assert.True(t, b.charged)
		checkTruth(t, r.sim, []belief{b})
	})
}

func TestStateFileSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		state := filepath.Join(dir, "zvtsim.json")
		r := newRig(t, withStateFile(state))
		p, err := r.term.Pay(r.ctx, pos.Request{Amount: 77_000}, nil)
		require.NoError(t, err)
		require.NoError(t, p.Confirm(r.ctx))
		want := p.Result()
		_ = r.term.Close()
		<-r.done() // the simulator stops with the line

		// A new simulator process on the same state file.
		r2 := newRig(t, withStateFile(state))
		lr, err := r2.term.LastResult(r2.ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Approved, lr.Outcome)
		assert.Equal(t, want.TraceNo, lr.TraceNo)
		assert.Equal(t, want.ApprovalCode, lr.ApprovalCode)
		assert.Len(t, r2.sim.Batch(), 1)
		// Counters go on.
		p, err = r2.term.Pay(r2.ctx, pos.Request{Amount: 1_000}, nil)
		require.NoError(t, err)
		assert.Equal(t, want.TraceNo+1, p.Result().TraceNo)
		require.NoError(t, p.Confirm(r2.ctx))
	})
}

func TestTransportErrorWhenNothingSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		require.NoError(t, r.term.Close())
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 5_000}, nil)
		assert.ErrorIs(t, err, zvt.ErrTransport)
		assert.Equal(t, pos.TransportError, p.Result().Outcome)
		assert.Empty(t, r.sim.Journal())
	})
}

func TestTraceHookSeesFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent, recv int
		opt := func(_ *rig, _ *zvtsim.Config, d *zvt.Config) {
			d.Trace = func(dir string, frame []byte) {
				mu.Lock()
				defer mu.Unlock()
				if dir == "send" {
					sent++
				} else {
					recv++
				}
			}
		}
		r := newRig(t, opt)
		_, err := r.term.Status(r.ctx)
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		assert.Positive(t, sent)
		assert.Positive(t, recv)
	})
}

// TestPayOverRealLines runs payments on the lines a counter uses: a
// pseudo-terminal opened with transport.OpenSerial like a real port, and a
// TCP socket, in real time with the spec's timers (seconds: no
// conversation here runs one out, however busy the machine).
func TestPayOverRealLines(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "serial", true: "tcp"}[tcp], func(t *testing.T) {
			opts := []rigOpt{withRealLine()}
			if tcp {
				opts = append(opts, withTCP())
			}
			r := newRig(t, opts...)
			var known int64
			var beliefs []belief
			beliefs = append(beliefs, r.pay(150_000, false, &known))
			assert.Equal(t, pos.Approved, beliefs[0].first, beliefs[0].how)
			r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x05})
			beliefs = append(beliefs, r.pay(60_000, false, &known))
			assert.Equal(t, pos.Declined, beliefs[1].first, beliefs[1].how)
			checkTruth(t, r.sim, beliefs)
			eod, err := r.term.EndOfDay(r.ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(150_000), eod.Total)
		})
	}
}

// TestOutcomeDoesNotDependOnMachineSpeed: the driver stalls 65 ms of real
// time at every frame it sends or takes (its trace hook), as on a machine
// so busy that a goroutine waits that long for a CPU: longer than T1 and
// T2 (20 and 60 ms here). In the bubble the fake clock stands still while
// any goroutine runs or waits for a CPU, so the conversation is the one
// of an idle machine. (With the same timers on the real clock, as the
// tests ran before, the driver gives up on the terminal's acknowledgement
// and the payment ends in a transport error.)
func TestOutcomeDoesNotDependOnMachineSpeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := func(_ *rig, _ *zvtsim.Config, d *zvt.Config) {
			d.Trace = func(string, []byte) { stallRealTime(65 * time.Millisecond) }
		}
		r := newRig(t, slow)
		var known int64
		b := r.pay(42_000, false, &known)
		assert.Equal(t, pos.Approved, b.first, b.how)
		assert.True(t, b.charged)
		checkTruth(t, r.sim, []belief{b})
	})
}

// stallRealTime blocks the calling goroutine for d of real time without
// letting a synctest bubble's clock move: a system call is not a durable
// block.
func stallRealTime(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
