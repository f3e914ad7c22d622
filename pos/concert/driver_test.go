package concert_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
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

// Test timers: the driver waits 100 ms for an ACK and 400 ms for the
// answer; the simulated terminal waits a little longer for the driver's.
// They run on a synctest bubble's fake clock (see rig), so they cost no
// real time and no machine is too slow for them.
var (
	driverTimers = concert.Timers{ACK: 100 * time.Millisecond, ENQRetryPause: 10 * time.Millisecond,
		ByteGap: 60 * time.Millisecond, EOT: 150 * time.Millisecond, Answer: 400 * time.Millisecond}
	simTimers = concert.Timers{ACK: 150 * time.Millisecond, ENQRetryPause: 10 * time.Millisecond,
		ByteGap: 60 * time.Millisecond}
)

// rig is a simulated terminal and the driver on the two ends of a line.
// The line is a transport.Pipe, and the test runs inside a synctest
// bubble (synctest.Test): every timer of the driver and the simulator
// then runs on the bubble's fake clock, which moves only when both wait,
// so a timeout fires exactly when nothing else can come first and no
// outcome depends on how busy the machine is. TestPayOverPseudoTerminal
// runs the same rig on a pseudo-terminal opened as a Concert serial port,
// in real time with the protocol's timers.
type rig struct {
	t       *testing.T
	sim     *concertsim.Sim
	overPTY bool
	pty     *transport.PTY // nil on a Pipe
	term    *concert.Terminal
	served  chan error
	cancel  context.CancelFunc
	timers  concert.Timers
	orphans chan pos.Orphan // what the driver delivered to Config.OnOrphan

	mu    sync.Mutex
	trace [][]byte // frames and bytes received by the driver
}

func newSim(t *testing.T) *concertsim.Sim {
	t.Helper()
	s, err := concertsim.New(concertsim.Config{Timers: simTimers, StatePath: t.TempDir() + "/sim-state.json"})
	require.NoError(t, err)
	return s
}

// newRig must be called inside synctest.Test.
func newRig(t *testing.T, sim *concertsim.Sim) *rig {
	return newRigTimers(t, sim, driverTimers)
}

func newRigTimers(t *testing.T, sim *concertsim.Sim, timers concert.Timers) *rig {
	t.Helper()
	r := &rig{t: t, sim: sim, timers: timers, orphans: make(chan pos.Orphan, 64)}
	r.connect()
	t.Cleanup(r.close)
	return r
}

// connect opens a new line, the sim serving one end and a new driver on
// the other (after a hang-up, the old line is dead).
func (r *rig) connect() {
	t := r.t
	var drv, line transport.Conn
	if r.overPTY {
		p, err := transport.NewPTY()
		require.NoError(t, err)
		drv, err = transport.OpenSerial(transport.ConcertSerial(p.SlavePath))
		require.NoError(t, err)
		r.pty, line = p, transport.FromFile(p.Master, p.SlavePath)
	} else {
		drv, line = transport.Pipe("ecr", "terminal")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.served = cancel, make(chan error, 1)
	go func() { r.served <- r.sim.ServeConn(ctx, line) }()
	r.term = concert.New(drv, concert.Config{ID: "T1", Timers: r.timers, Trace: func(dir string, b []byte) {
		if dir == concert.DirPTToECR {
			r.mu.Lock()
			r.trace = append(r.trace, b)
			r.mu.Unlock()
		}
	}, OnOrphan: func(o pos.Orphan) { r.orphans <- o }})
}

// orphan waits for the next orphan the driver delivers. Inside a bubble
// the wait costs no real time; it fails only when nothing else can happen.
func (r *rig) orphan() pos.Orphan {
	r.t.Helper()
	select {
	case o := <-r.orphans:
		return o
	case <-time.After(10 * time.Minute):
		require.FailNow(r.t, "no orphan delivered")
		return pos.Orphan{}
	}
}

// noOrphan checks that the driver delivered no orphan so far.
func (r *rig) noOrphan() {
	r.t.Helper()
	select {
	case o := <-r.orphans:
		assert.Fail(r.t, "unexpected orphan", "%+v", o)
	default:
	}
}

func (r *rig) close() {
	r.cancel()
	_ = r.term.Close()
	if r.pty != nil {
		_ = r.pty.Close()
	}
	<-r.served
}

// reconnectAfterHangUp waits for the sim to report that it closed the
// line, then opens a new one.
func (r *rig) reconnectAfterHangUp() {
	select {
	case err := <-r.served:
		require.ErrorIs(r.t, err, concertsim.ErrHungUp)
		r.served <- err // close() reads it
	case <-time.After(2 * time.Second):
		require.FailNow(r.t, "the sim did not hang up")
	}
	r.close()
	r.connect()
}

func (r *rig) pay(amount int64, ref string) pos.Result {
	r.t.Helper()
	p, err := r.term.Pay(context.Background(), pos.Request{Amount: amount, Reference: ref}, nil)
	res := p.Result()
	checkPayError(r.t, res, err)
	err = p.Confirm(context.Background())
	if err != nil {
		assert.ErrorIs(r.t, err, concert.ErrNoEOT)
	}
	return res
}

// checkPayError: the error is set exactly for the outcomes that are not
// a final answer, and names them.
func checkPayError(t *testing.T, res pos.Result, err error) {
	t.Helper()
	switch res.Outcome {
	case pos.Approved, pos.Declined:
		assert.NoError(t, err)
	case pos.Busy:
		assert.ErrorIs(t, err, concert.ErrBusy)
	case pos.TransportError:
		assert.ErrorIs(t, err, concert.ErrTransport)
	case pos.Unknown:
		assert.ErrorIs(t, err, concert.ErrUnknownOutcome)
	}
}

func TestPayApprovedEchoesPRIVAndMasksPAN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		events := make(chan pos.Event, 16)
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 150_000, Reference: "HS00012345"}, events)
		require.NoError(t, err)
		res := p.Result()
		assert.Equal(t, pos.Approved, res.Outcome)
		assert.Equal(t, int64(150_000), res.Amount)
		assert.Equal(t, "704", res.Currency)
		assert.Equal(t, "HS00012345", res.Reference)
		assert.Equal(t, "411111******1111", res.PANMasked)
		assert.Equal(t, "0", res.ResultCode)
		require.NoError(t, p.Confirm(context.Background()))
		require.NoError(t, p.Confirm(context.Background()), "a second Confirm is harmless")

		charged := r.sim.Charged("HS00012345")
		require.Len(t, charged, 1)
		assert.Equal(t, int64(150_000), charged[0].Amount)
		assert.Equal(t, "704", charged[0].Currency)
		st := r.sim.State()
		assert.Equal(t, concertsim.State{Seq: 1, ChargedCount: 1, ChargedTotal: 150_000}, st)

		close(events)
		var texts []string
		for e := range events {
			texts = append(texts, e.Text)
		}
		assert.Contains(t, texts, "Mời khách đưa thẻ vào máy")
		assert.Contains(t, texts, "Giao dịch thành công")
	})
}

func TestPayOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   concertsim.Fault
		want    pos.Outcome
		charged bool
	}{
		{"approved", concertsim.Fault{}, pos.Approved, true},
		{"declined", concertsim.Fault{Kind: concertsim.FaultDecline}, pos.Declined, false},
		// E+ has no abort status: a customer abort comes back refused.
		{"customer abort", concertsim.Fault{Kind: concertsim.FaultAbort}, pos.Declined, false},
		// Status 9, "not verified": nothing says whether money moved.
		{"abandon (status 9)", concertsim.Fault{Kind: concertsim.FaultAbandon}, pos.Unknown, false},
		{"slow card within the answer wait", concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 200 * time.Millisecond}, pos.Approved, true},
		{"hang: no answer", concertsim.Fault{Kind: concertsim.FaultHang}, pos.Unknown, true},
		{"NAK our frame once", concertsim.Fault{Kind: concertsim.FaultNAKRequest, Count: 1}, pos.Approved, true},
		{"NAK our frame every time", concertsim.Fault{Kind: concertsim.FaultNAKRequest, Count: concert.FrameAttempts}, pos.TransportError, false},
		{"bad LRC once", concertsim.Fault{Kind: concertsim.FaultBadLRC, Count: 1}, pos.Approved, true},
		{"bad LRC every time", concertsim.Fault{Kind: concertsim.FaultBadLRC, Count: concert.FrameAttempts}, pos.Unknown, true},
		{"short byte gap", concertsim.Fault{Kind: concertsim.FaultByteGap, Delay: 20 * time.Millisecond}, pos.Approved, true},
		{"long byte gap: NAK, resend", concertsim.Fault{Kind: concertsim.FaultByteGap, Delay: 100 * time.Millisecond}, pos.Approved, true},
		{"ACK to our ENQ lost once", concertsim.Fault{Kind: concertsim.FaultDropENQACK, Count: 1}, pos.Approved, true},
		{"ACK to our ENQ lost every time", concertsim.Fault{Kind: concertsim.FaultDropENQACK, Count: concert.ENQAttempts}, pos.TransportError, false},
		{"ACK to our frame lost once", concertsim.Fault{Kind: concertsim.FaultDropACK, Count: 1}, pos.Approved, true},
		// Every ACK lost, yet the terminal took the request: the driver must
		// not call it a transport error; it listens and gets the answer.
		{"ACK to our frame lost every time", concertsim.Fault{Kind: concertsim.FaultDropACK, Count: concert.FrameAttempts}, pos.Approved, true},
		{"garbage on the line", concertsim.Fault{Kind: concertsim.FaultGarbage}, pos.Approved, true},
		{"duplicate answer", concertsim.Fault{Kind: concertsim.FaultDuplicate}, pos.Approved, true},
		{"answer LRC is STX", concertsim.Fault{Kind: concertsim.FaultLRCIsSTX}, pos.Approved, true},
		{"answer with another PRIV", concertsim.Fault{Kind: concertsim.FaultWrongPriv}, pos.Unknown, true},
		{"answer with another amount", concertsim.Fault{Kind: concertsim.FaultWrongAmount}, pos.Unknown, true},
		{"hang-up in the answer frame", concertsim.Fault{Kind: concertsim.FaultHangUp}, pos.Unknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, newSim(t))
				r.sim.Inject(tc.fault)
				res := r.pay(250_000, "REF0000001")
				assert.Equal(t, tc.want, res.Outcome, "text: %s", res.Text)
				if tc.want == pos.Unknown {
					assert.NotEmpty(t, res.TextVI)
				}
				charged := r.sim.Charged("REF0000001")
				if tc.charged {
					require.Len(t, charged, 1)
					assert.Equal(t, int64(250_000), charged[0].Amount)
				} else {
					assert.Empty(t, charged)
				}
				if tc.want == pos.TransportError {
					assert.Empty(t, r.sim.Journal(), "a transport error means the terminal never ran the payment")
				}
				if tc.fault.Kind == concertsim.FaultHangUp {
					r.reconnectAfterHangUp()
				}
				// The line is usable afterwards: a clean payment goes through.
				after := r.pay(1_000, "REF0000002")
				assert.Equal(t, pos.Approved, after.Outcome, "after %s: %s", tc.name, after.Text)
				assert.Len(t, r.sim.Charged("REF0000002"), 1)
			})
		})
	}
}

func TestPayAnswerWithLRCEqualToSTX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultLRCIsSTX})
		res := r.pay(99_999_999, "LRC2")
		require.Equal(t, pos.Approved, res.Outcome, res.Text)
		r.mu.Lock()
		defer r.mu.Unlock()
		var answer []byte
		for _, b := range r.trace {
			if len(b) > 3 && b[0] == concert.STX {
				answer = b
			}
		}
		require.NotNil(t, answer)
		assert.Len(t, answer, concert.LongAnswerLen+3)
		assert.Equal(t, concert.STX, answer[len(answer)-1], "the answer's LRC byte is 0x02")
	})
}

func TestPayBusyOnConcurrentSecondPay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 250 * time.Millisecond})
		first := make(chan pos.Pending, 1)
		go func() {
			p, err := r.term.Pay(context.Background(), pos.Request{Amount: 5_000, Reference: "FIRST"}, nil)
			assert.NoError(t, err)
			first <- p
		}()
		time.Sleep(80 * time.Millisecond)
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 7_000, Reference: "SECOND"}, nil)
		assert.ErrorIs(t, err, concert.ErrBusy)
		assert.Equal(t, pos.Busy, p.Result().Outcome)
		require.NoError(t, p.Confirm(context.Background()))

		p1 := <-first
		assert.Equal(t, pos.Approved, p1.Result().Outcome)
		// Still busy until the first result is confirmed.
		p2, err := r.term.Pay(context.Background(), pos.Request{Amount: 7_000, Reference: "SECOND"}, nil)
		assert.ErrorIs(t, err, concert.ErrBusy)
		assert.Equal(t, pos.Busy, p2.Result().Outcome)
		require.NoError(t, p1.Confirm(context.Background()))
		assert.Empty(t, r.sim.Charged("SECOND"))
		assert.Equal(t, pos.Approved, r.pay(7_000, "SECOND").Outcome)
	})
}

// A Concert terminal does not reverse an answer left unacknowledged: Reject
// says so (the charge stands) and hands the answer over as an orphan, the
// evidence recovery settles the payment from.
func TestRejectWithholdsACKButTheChargeStands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		start := time.Now()
		p, err := r.term.Pay(context.Background(), pos.Request{Amount: 30_000, Reference: "REJ1"}, nil)
		require.NoError(t, err)
		require.Equal(t, pos.Approved, p.Result().Outcome)
		err = p.Reject(context.Background())
		assert.ErrorIs(t, err, concert.ErrNotReversed)
		assert.ErrorIs(t, err, pos.ErrConfirmUncertain)
		assert.NotErrorIs(t, err, pos.ErrReversedByTerminal)
		assert.NotErrorIs(t, err, pos.ErrPendingExpired)
		// Unlike ZVT: nothing is reversed.
		assert.Len(t, r.sim.Charged("REJ1"), 1)
		o := r.orphan()
		assert.Equal(t, "REJ1", o.Result.Reference)
		assert.Equal(t, pos.Approved, o.Result.Outcome)
		assert.Contains(t, o.Note, "Reject")
		f := pos.Judge(pos.AttemptFacts{Kind: pos.KindPay, Reference: "REJ1", Amount: 30_000, StartedAt: start},
			pos.Evidence{Source: pos.EvidenceOrphan, Result: o.Result, At: o.At}, time.UTC, pos.DefaultClockSkew)
		assert.Equal(t, pos.Charged, f.Verdict, f.Reason)
		assert.False(t, r.sim.Journal()[0].Acked, "the answer was never acknowledged")

		assert.Equal(t, pos.Approved, r.pay(1_000, "REJ2").Outcome)
		r.noOrphan()
	})
}

func TestPayCancelledWhileWaitingIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 300 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		p, err := r.term.Pay(ctx, pos.Request{Amount: 12_000, Reference: "CANCEL"}, nil)
		assert.ErrorIs(t, err, concert.ErrUnknownOutcome)
		assert.Equal(t, pos.Unknown, p.Result().Outcome)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the error says why")
		require.NoError(t, p.Confirm(context.Background()))
	})
}

func TestPayRefusesInvalidRequestsBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		for name, req := range map[string]pos.Request{
			"reference too long": {Amount: 1_000, Reference: "HS-2024-000123"},
			"no reference":       {Amount: 1_000},
			"not ASCII":          {Amount: 1_000, Reference: "hồ sơ"},
			"zero amount":        {Amount: 0, Reference: "A"},
			"over 8 digits":      {Amount: 100_000_000, Reference: "A"},
			"euro":               {Amount: 1_000, Currency: 978, Reference: "A"},
		} {
			p, err := r.term.Pay(context.Background(), req, nil)
			assert.ErrorIs(t, err, concert.ErrInvalidRequest, name)
			assert.ErrorIs(t, err, pos.ErrInvalidRequest, name)
			assert.Equal(t, pos.TransportError, p.Result().Outcome, name)
			assert.NoError(t, p.Confirm(context.Background()))
		}
		assert.Empty(t, r.sim.Journal())
	})
}

func TestLimitsAreExplicit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		ctx := context.Background()

		st, err := r.term.Status(ctx)
		assert.ErrorIs(t, err, concert.ErrNotSupported)
		assert.False(t, st.Ready)
		var ns *concert.NotSupportedError
		require.True(t, errors.As(err, &ns))
		assert.NotEmpty(t, ns.MessageVI)

		eod, err := r.term.EndOfDay(ctx)
		require.NoError(t, err)
		assert.Equal(t, pos.Unknown, eod.Outcome)
		assert.Contains(t, eod.Text, "terminal's own report")

		last, err := r.term.LastResult(ctx)
		assert.ErrorIs(t, err, concert.ErrNotSupported)
		assert.ErrorIs(t, err, pos.ErrNotSupported)
		assert.Equal(t, pos.Unknown, last.Outcome)
		assert.NotEmpty(t, last.TextVI)
		assert.Equal(t, pos.Capabilities{}, r.term.Capabilities())

		_, err = r.term.Refund(ctx, pos.Request{Amount: 1_000, Reference: "R"}, nil)
		assert.ErrorIs(t, err, concert.ErrNotSupported)
		_, err = r.term.Reverse(ctx, 1, pos.Request{Amount: 1_000, Reference: "R"}, nil)
		assert.ErrorIs(t, err, concert.ErrNotSupported)
		assert.ErrorIs(t, r.term.Abort(ctx), concert.ErrNotSupported)
		assert.ErrorIs(t, r.term.Abort(ctx), pos.ErrNotSupported)

		assert.Equal(t, pos.Concert, r.term.Protocol())
		assert.Equal(t, "T1", r.term.ID())
		assert.Empty(t, r.sim.Journal(), "none of these may touch the terminal")
	})
}

// The answer names its payment by reference only: a reference sent once is
// refused for another attempt before anything is sent, so a late answer to
// the first can never be taken for the second.
func TestPayRefusesAReferenceAlreadySent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, newSim(t))
		r.sim.Inject(concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 300 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		p, err := r.term.Pay(ctx, pos.Request{Amount: 12_000, Reference: "HS-1"}, nil)
		assert.ErrorIs(t, err, concert.ErrUnknownOutcome)
		require.NoError(t, p.Confirm(context.Background()))

		p, err = r.term.Pay(context.Background(), pos.Request{Amount: 12_000, Reference: "HS-1"}, nil)
		assert.ErrorIs(t, err, concert.ErrInvalidRequest)
		assert.ErrorContains(t, err, `reference "HS-1" was already sent`)
		assert.Equal(t, pos.TransportError, p.Result().Outcome)
		require.NoError(t, p.Confirm(context.Background()))
		// The terminal is still in HS-1: the driver stays with it until its
		// answer comes, delivered as an orphan, never taken for another's.
		p, err = r.term.Pay(context.Background(), pos.Request{Amount: 12_000, Reference: "HS-1B"}, nil)
		assert.ErrorIs(t, err, concert.ErrBusy)
		assert.Equal(t, pos.Busy, p.Result().Outcome)
		o := r.orphan()
		assert.Equal(t, "HS-1", o.Result.Reference)
		assert.Equal(t, pos.Approved, o.Result.Outcome)
		synctest.Wait() // the driver acknowledges it after OnOrphan returned
		res := r.pay(12_000, "HS-1B")
		assert.Equal(t, pos.Approved, res.Outcome)
		assert.Equal(t, "HS-1B", res.Reference)
		assert.Len(t, r.sim.Charged("HS-1"), 1, "only the first attempt reached the terminal")
		assert.Len(t, r.sim.Charged("HS-1B"), 1)
	})
}

// TestPayOverPseudoTerminal runs a payment on a pseudo-terminal opened as a
// Concert serial port (7E1), in real time with the protocol's timers: the
// serial path the counter uses. No timer runs out on this path, and the
// protocol's are seconds long, so a busy machine cannot break it.
func TestPayOverPseudoTerminal(t *testing.T) {
	sim, err := concertsim.New(concertsim.Config{StatePath: t.TempDir() + "/sim-state.json"})
	require.NoError(t, err)
	r := &rig{t: t, sim: sim, overPTY: true, orphans: make(chan pos.Orphan, 64)}
	r.connect()
	t.Cleanup(r.close)
	res := r.pay(150_000, "HS00012345")
	assert.Equal(t, pos.Approved, res.Outcome, res.Text)
	assert.Equal(t, "411111******1111", res.PANMasked)
	require.Len(t, r.sim.Charged("HS00012345"), 1)
}

// TestOutcomeDoesNotDependOnMachineSpeed: the simulated terminal stalls
// 150 ms of real time at every byte it sends or takes, as on a machine so
// busy that a goroutine waits that long for a CPU: longer than the
// driver's 100 ms ACK wait. In the bubble the fake clock stands still
// while any goroutine runs or waits for a CPU, so the conversation is the
// one of an idle machine. (On the real clock the tests used before, the
// same stalls end the payment with no ACK to the driver's ENQ.)
func TestOutcomeDoesNotDependOnMachineSpeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, err := concertsim.New(concertsim.Config{Timers: simTimers,
			Trace: func(string, []byte) { stallRealTime(150 * time.Millisecond) }})
		require.NoError(t, err)
		r := newRig(t, sim)
		res := r.pay(42_000, "SLOWBOX")
		assert.Equal(t, pos.Approved, res.Outcome, res.Text)
		assert.Len(t, sim.Charged("SLOWBOX"), 1)
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

// TestLateAnswerOverPseudoTerminal is the late-answer scenario on a
// pseudo-terminal opened as a Concert serial port, in real time. Only the
// driver's answer wait is short (it must run out, and a busy machine only
// makes it later); the terminal answers when the test opens its gate,
// after the driver gave up; every other wait is the protocol's (seconds)
// or a minute, so no load can change the outcome.
func TestLateAnswerOverPseudoTerminal(t *testing.T) {
	sim, err := concertsim.New(concertsim.Config{StatePath: t.TempDir() + "/sim-state.json"})
	require.NoError(t, err)
	r := &rig{t: t, sim: sim, overPTY: true, orphans: make(chan pos.Orphan, 64),
		timers: concert.Timers{Answer: 500 * time.Millisecond}}
	r.connect()
	t.Cleanup(r.close)

	gate := make(chan struct{})
	sim.Inject(concertsim.Fault{Gate: gate})
	start := time.Now()
	events := make(chan pos.Event, 16)
	p, err := r.term.Pay(context.Background(), pos.Request{Amount: 150_000, Reference: "PTYLATE"}, events)
	require.Equal(t, pos.Unknown, p.Result().Outcome, p.Result().Text)
	assert.ErrorIs(t, err, pos.ErrUnknownOutcome)
	require.NoError(t, p.Confirm(context.Background()))
	close(events)
	var last pos.Event
	for e := range events {
		last = e
	}
	assert.Equal(t, pos.EventUnknown, last.Kind, "never announced as declined")

	close(gate)
	var o pos.Orphan
	select {
	case o = <-r.orphans:
	case <-time.After(time.Minute):
		t.Fatal("the late answer was not delivered")
	}
	assert.Equal(t, "PTYLATE", o.Result.Reference)
	assert.Equal(t, pos.Approved, o.Result.Outcome)
	assert.Equal(t, "411111******1111", o.Result.PANMasked)
	f := pos.Judge(pos.AttemptFacts{Kind: pos.KindPay, Reference: "PTYLATE", Amount: 150_000, StartedAt: start},
		pos.Evidence{Source: pos.EvidenceOrphan, Result: o.Result, At: o.At}, time.Local, pos.DefaultClockSkew)
	assert.Equal(t, pos.Charged, f.Verdict, f.Reason)
	require.Eventually(t, func() bool {
		j := sim.Journal()
		return len(j) == 1 && j[0].Acked
	}, time.Minute, 10*time.Millisecond, "the terminal had its ACK")

	res := r.pay(20_000, "PTYNEXT")
	assert.Equal(t, pos.Approved, res.Outcome, res.Text)
}
