package zvt_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// fastTimers shrink the spec's timers. The ratios the protocol relies on
// are kept: T1 < T2 < T3 < T4, and the simulator's wait for an
// acknowledgement is longer than T2 (a resend fits in it). The rig runs
// them on a synctest bubble's fake clock (see rig), so their size costs
// no real time and no machine is too busy for them.
func fastTimers() zvt.Timers {
	return zvt.Timers{T1: 20 * time.Millisecond, T2: 60 * time.Millisecond, T3: 250 * time.Millisecond, T4: 500 * time.Millisecond, MaxResends: 2}
}

const (
	simAckTimeout = 300 * time.Millisecond
	simHangFor    = 600 * time.Millisecond
)

// rig is a simulator and a driver on the two ends of a line: no mocks,
// the driver talks to the simulator byte by byte.
//
// The line is a transport.Pipe and the test runs inside a synctest bubble
// (synctest.Test): every timer of the driver and the simulator then runs
// on the bubble's fake clock, which moves only when every goroutine
// waits, so a timeout fires exactly when nothing else can come first and
// no outcome depends on how busy the machine is. withTCP speaks ZVT over
// TCP (bare APDUs, no ACK/NAK) on that line. withRealLine instead puts the
// simulator on a pseudo-terminal that the driver opens with
// transport.OpenSerial like a real port (or on a TCP socket, with
// withTCP), in real time: only for tests that use the protocol's own
// timers, which no conversation there runs out.
type rig struct {
	t      testing.TB
	sim    *zvtsim.Sim
	real   bool
	srv    *zvtsim.PTYServer // real serial line
	addr   string            // real TCP line
	served chan struct{}     // Pipe: closed when the simulator's Serve returned
	conn   transport.Conn
	term   *zvt.Terminal
	tcp    bool
	dcfg   zvt.Config
	ctx    context.Context
}

type rigOpt func(*rig, *zvtsim.Config, *zvt.Config)

func withTCP() rigOpt {
	return func(_ *rig, s *zvtsim.Config, d *zvt.Config) { s.TCP, d.TCP = true, true }
}
func withStateFile(p string) rigOpt {
	return func(_ *rig, s *zvtsim.Config, _ *zvt.Config) { s.StateFile = p }
}
func withRandom(seed int64, p float64) rigOpt {
	return func(_ *rig, s *zvtsim.Config, _ *zvt.Config) {
		s.Random = &zvtsim.RandomFaults{Seed: seed, Probability: p}
	}
}
func withConfigByte(b byte) rigOpt {
	return func(_ *rig, _ *zvtsim.Config, d *zvt.Config) { d.ConfigByte = b }
}

// withRealLine: a pseudo-terminal (or a TCP socket) in real time, with the
// spec's timers.
func withRealLine() rigOpt {
	return func(r *rig, s *zvtsim.Config, d *zvt.Config) {
		r.real = true
		s.Timers, s.AckTimeout, s.HangFor = zvt.Timers{}, 0, 0
		d.Timers = zvt.Timers{}
	}
}

func fixedClock() time.Time { return time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC) }

// newRig must be called inside synctest.Test, unless withRealLine.
func newRig(t testing.TB, opts ...rigOpt) *rig {
	t.Helper()
	scfg := zvtsim.Config{Timers: fastTimers(), AckTimeout: simAckTimeout, HangFor: simHangFor, Clock: fixedClock}
	dcfg := zvt.Config{ID: "T1", Timers: fastTimers()}
	r := &rig{t: t}
	for _, o := range opts {
		o(r, &scfg, &dcfg)
	}
	sim, err := zvtsim.New(scfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.sim, r.tcp, r.dcfg, r.ctx = sim, scfg.TCP, dcfg, ctx
	if r.real && r.tcp {
		ln, err := sim.ListenTCP(ctx, "127.0.0.1:0")
		require.NoError(t, err)
		r.addr = ln.Addr().(*net.TCPAddr).String()
	}
	r.connect()
	t.Cleanup(func() {
		_ = r.term.Close()
		if r.srv != nil {
			_ = r.srv.Close()
		}
		if r.served != nil {
			cancel()
			<-r.served
		}
	})
	return r
}

// connect (re)opens the link: a new line served by the same simulator
// (its state survives).
func (r *rig) connect() {
	r.t.Helper()
	switch {
	case !r.real:
		drv, line := transport.Pipe("ecr", "terminal")
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = r.sim.Serve(r.ctx, line)
		}()
		r.conn, r.served = drv, served
	case r.tcp:
		c, err := transport.DialTCP(r.ctx, r.addr)
		require.NoError(r.t, err)
		r.conn = c
	default:
		srv, err := r.sim.ServePTY(r.ctx)
		require.NoError(r.t, err)
		r.srv = srv
		c, err := transport.OpenSerial(transport.ZVTSerial(srv.Path))
		require.NoError(r.t, err)
		r.conn = c
	}
	r.term = zvt.New(r.conn, r.dcfg)
}

// done is closed when the simulator stopped serving the current line (it
// hung up, or the driver's end was closed); nil on a real TCP line.
func (r *rig) done() <-chan struct{} {
	if r.srv != nil {
		return r.srv.Done()
	}
	return r.served
}

// reconnect replaces a link the simulator hung up.
func (r *rig) reconnect() {
	r.t.Helper()
	_ = r.term.Close()
	if d := r.done(); d != nil {
		select {
		case <-d:
		case <-time.After(2 * time.Second):
		}
	}
	if r.srv != nil {
		_ = r.srv.Close()
	}
	r.connect()
}

func (r *rig) linkDown() bool {
	if d := r.done(); d != nil {
		select {
		case <-d:
			return true
		default:
		}
	}
	return false
}

// lastResult recovers after an Unknown outcome: LastResult, retried while
// the terminal is silent (hang) and after reconnecting a lost link.
func (r *rig) lastResult() pos.Result {
	r.t.Helper()
	var lastErr error
	for i := 0; i < 60; i++ {
		if r.linkDown() {
			r.reconnect()
		}
		res, err := r.term.LastResult(r.ctx)
		if err == nil {
			return res
		}
		if errors.Is(err, zvt.ErrNoLastResult) {
			// The terminal has never completed a transaction: ours was not
			// charged. The caller reads TraceNo 0 as "not charged", and the
			// comparison with the simulator's journal still catches a lie.
			return pos.Result{Outcome: pos.Aborted}
		}
		lastErr = err
		if errors.Is(err, transport.ErrVanished) || errors.Is(err, transport.ErrClosed) {
			r.reconnect()
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("LastResult never succeeded: %v", lastErr)
	return pos.Result{}
}

// belief is what feepos concludes about one payment in the end.
type belief struct {
	charged bool
	trace   int64 // the terminal's trace, when known
	amount  int64
	first   pos.Outcome // the driver's first answer
	how     string
}

// pay runs one payment the way the service does: Pay; store; Confirm (or
// Reject when reject is set); on Unknown or an uncertain Confirm, recover
// with LastResult, telling "this payment" from "an earlier one" by the
// trace number last seen (knownTrace).
func (r *rig) pay(amount int64, reject bool, knownTrace *int64) belief {
	r.t.Helper()
	p, err := r.term.Pay(r.ctx, pos.Request{Amount: amount, Reference: "HS-1"}, nil)
	require.NotNil(r.t, p)
	res := p.Result()
	b := belief{amount: amount, first: res.Outcome, trace: res.TraceNo}
	before := *knownTrace // the last transaction seen before this payment
	recoverNow := func(why string) belief {
		lr := r.lastResult()
		b.how = why
		if lr.TraceNo == 0 || lr.TraceNo == before {
			b.charged, b.trace = false, 0
			return b
		}
		*knownTrace = lr.TraceNo
		b.trace = lr.TraceNo
		b.charged = lr.Outcome == pos.Approved
		require.Equal(r.t, amount, lr.Amount, "recovered result is for another amount")
		return b
	}
	switch res.Outcome {
	case pos.Approved:
		require.NoError(r.t, err)
		require.NotZero(r.t, res.TraceNo)
		*knownTrace = res.TraceNo
		if reject {
			require.NoError(r.t, p.Reject(r.ctx))
			b.how = "rejected"
			return b
		}
		if cerr := p.Confirm(r.ctx); cerr != nil {
			require.ErrorIs(r.t, cerr, zvt.ErrConfirmUncertain)
			return recoverNow("confirm uncertain: " + cerr.Error())
		}
		b.charged, b.how = true, "confirmed"
		return b
	case pos.Declined, pos.Aborted, pos.CardError:
		require.NoError(r.t, err)
		if res.TraceNo != 0 {
			*knownTrace = res.TraceNo
		}
		require.NoError(r.t, p.Confirm(r.ctx))
		b.how = "final"
		return b
	case pos.Unknown:
		require.ErrorIs(r.t, err, zvt.ErrUnknownOutcome)
		return recoverNow("unknown: " + err.Error())
	case pos.TransportError:
		require.ErrorIs(r.t, err, zvt.ErrTransport)
		b.how = "transport error"
		if r.linkDown() {
			r.reconnect()
		}
		return b
	}
	r.t.Fatalf("unexpected outcome %s (%v)", res.Outcome, err)
	return b
}

// settle waits until the simulator has no payment awaiting its
// acknowledgement (a rejected payment is reversed after AckTimeout).
func (r *rig) settle() {
	r.t.Helper()
	require.Eventually(r.t, func() bool {
		for _, tx := range r.sim.Journal() {
			if tx.Status == zvtsim.Awaiting {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond)
}

// checkTruth compares feepos's beliefs with the simulator's journal: the
// set of charged traces must be the same, with the same amounts.
func checkTruth(t testing.TB, sim *zvtsim.Sim, beliefs []belief) {
	t.Helper()
	truth := map[int64]int64{}
	for _, tx := range sim.Journal() {
		if tx.Kind == "payment" && tx.Charged() {
			truth[tx.Trace] = tx.Amount
		}
	}
	believed := map[int64]int64{}
	for i, b := range beliefs {
		if b.charged {
			_, dup := believed[b.trace]
			require.False(t, dup, "conversation %d: trace %d believed charged twice", i, b.trace)
			believed[b.trace] = b.amount
		} else if b.trace != 0 {
			_, charged := truth[b.trace]
			require.False(t, charged, "conversation %d (%s, %s): believed not charged, but the terminal charged trace %d", i, b.first, b.how, b.trace)
		}
	}
	require.Equal(t, truth, believed, "charged payments: terminal journal vs feepos")
}
