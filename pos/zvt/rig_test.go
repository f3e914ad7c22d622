package zvt_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
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

// The hold, shrunk the same way: the driver asks for more time (84 9C)
// well inside the simulator's wait for an answer (simAckTimeout), and the
// simulator repeats its result (simRepeatAfter) well inside the driver's
// wait for it (holdRepeat).
const (
	simAckTimeout  = 300 * time.Millisecond
	simRepeatAfter = 100 * time.Millisecond
	simHangFor     = 600 * time.Millisecond
	holdAnswer     = 150 * time.Millisecond
	holdRepeat     = 400 * time.Millisecond
	maxHold        = 2 * time.Second
)

// vietnam is the terminals' time zone, for pos.Judge.
var vietnam = time.FixedZone("ICT", 7*3600)

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
	t       testing.TB
	sim     *zvtsim.Sim
	orphans *orphans
	wire    *wire // withWire
	real    bool
	srv     *zvtsim.PTYServer // real serial line
	addr    string            // real TCP line
	served  chan struct{}     // Pipe: closed when the simulator's Serve returned
	conn    transport.Conn
	term    *zvt.Terminal
	tcp     bool
	dcfg    zvt.Config
	ctx     context.Context
}

// orphans collects what the driver reports through Config.OnOrphan.
type orphans struct {
	mu   sync.Mutex
	list []pos.Orphan
}

func (o *orphans) add(x pos.Orphan) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, x)
}

func (o *orphans) all() []pos.Orphan {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]pos.Orphan(nil), o.list...)
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
func withSim(f func(*zvtsim.Config)) rigOpt {
	return func(_ *rig, s *zvtsim.Config, _ *zvt.Config) { f(s) }
}
func withDriver(f func(*zvt.Config)) rigOpt {
	return func(_ *rig, _ *zvtsim.Config, d *zvt.Config) { f(d) }
}

// withWire records the APDUs the driver sends (sentAPDUs).
func withWire() rigOpt {
	return func(r *rig, _ *zvtsim.Config, d *zvt.Config) {
		r.wire = &wire{}
		d.Trace = func(dir string, b []byte) {
			if dir != "send" {
				return
			}
			if len(b) >= 2 && b[0] == zvt.DLE && b[1] == zvt.STX {
				a, err := zvt.UnwrapFrame(b)
				if err != nil {
					return
				}
				b = a
			} else if len(b) < 3 {
				return // a line ACK or NAK
			}
			r.wire.add(b)
		}
	}
}

// withLog gives the driver a logger whose lines the test can read.
func withLog(buf *syncLog) rigOpt {
	return func(_ *rig, _ *zvtsim.Config, d *zvt.Config) {
		d.Log = slog.New(slog.NewTextHandler(buf, nil))
	}
}

type wire struct {
	mu   sync.Mutex
	sent [][]byte
}

func (w *wire) add(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, append([]byte(nil), b...))
}

// count is how often the driver sent apdu.
func (r *rig) count(apdu []byte) int {
	r.wire.mu.Lock()
	defer r.wire.mu.Unlock()
	n := 0
	for _, b := range r.wire.sent {
		if bytes.Equal(b, apdu) {
			n++
		}
	}
	return n
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func withConfigByte(b byte) rigOpt {
	return func(_ *rig, _ *zvtsim.Config, d *zvt.Config) { d.ConfigByte = b }
}

// withRealLine: a pseudo-terminal (or a TCP socket) in real time, with the
// spec's timers.
func withRealLine() rigOpt {
	return func(r *rig, s *zvtsim.Config, d *zvt.Config) {
		r.real = true
		s.Timers, s.AckTimeout, s.HangFor, s.RepeatAfter = zvt.Timers{}, 0, 0, 0
		d.Timers, d.HoldAnswer, d.HoldRepeat, d.MaxHold = zvt.Timers{}, 0, 0, 0
	}
}

func fixedClock() time.Time { return time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC) }

// newRig must be called inside synctest.Test, unless withRealLine.
func newRig(t testing.TB, opts ...rigOpt) *rig {
	t.Helper()
	scfg := zvtsim.Config{Timers: fastTimers(), AckTimeout: simAckTimeout, RepeatAfter: simRepeatAfter, HangFor: simHangFor, Clock: fixedClock}
	r := &rig{t: t, orphans: &orphans{}}
	dcfg := zvt.Config{ID: "T1", Timers: fastTimers(), HoldAnswer: holdAnswer, HoldRepeat: holdRepeat, MaxHold: maxHold, OnOrphan: r.orphans.add}
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

// lastResult asks the terminal for its last record, retried while the
// terminal is silent (hang) and after reconnecting a lost link. No record
// is a Result with Outcome Unknown: evidence of nothing.
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
		if errors.Is(err, pos.ErrNoLastResult) {
			return pos.Result{Outcome: pos.Unknown}
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

// traceNoneYet: no trace number yet. A fresh simulator's first trace is
// 1, the one after 999999 on the wrapping counter, so "none yet" is
// written 999999 for pos.Judge (whose 0 means "not known").
const traceNoneYet = pos.TraceModulus - 1

// pay runs one payment the way the service does: Pay; store; Confirm (or
// Reject when reject is set); on Unknown or an uncertain Confirm, recover
// with LastResult and pos.Judge against the trace number last seen
// (knownTrace; 0: none yet). Judge must prove it either way: the rig's
// terminal keeps its records as a real one does.
func (r *rig) pay(amount int64, reject bool, knownTrace *int64) belief {
	r.t.Helper()
	if *knownTrace == 0 {
		*knownTrace = traceNoneYet
	}
	facts := pos.AttemptFacts{Kind: pos.KindPay, Reference: "HS-1", Amount: amount, StartedAt: fixedClock(), TraceBefore: *knownTrace}
	p, err := r.term.Pay(r.ctx, pos.Request{Amount: amount, Reference: "HS-1"}, nil)
	require.NotNil(r.t, p)
	res := p.Result()
	b := belief{amount: amount, first: res.Outcome, trace: res.TraceNo}
	recoverNow := func(why string) belief {
		lr := r.lastResult()
		f := pos.Judge(facts, pos.Evidence{Source: pos.EvidenceLastResult, Result: lr, At: fixedClock()}, vietnam, pos.DefaultClockSkew)
		b.how = why + "; recovery: " + f.Reason
		b.trace = 0
		if pos.TraceDistance(facts.TraceBefore, lr.TraceNo) == 1 {
			*knownTrace, b.trace = lr.TraceNo, lr.TraceNo // the attempt's own record
		}
		switch f.Verdict {
		case pos.Charged:
			b.charged = true
		case pos.NotCharged:
			b.charged = false
		default:
			r.t.Fatalf("recovery could not settle the payment (%s): %s", why, f.Reason)
		}
		return b
	}
	if res.TraceNo != 0 {
		*knownTrace = res.TraceNo
	}
	switch res.Outcome {
	case pos.Approved:
		require.NoError(r.t, err)
		require.NotZero(r.t, res.TraceNo)
		require.False(r.t, p.Deadline().IsZero(), "an approved result is held until a deadline")
		if reject {
			if rerr := p.Reject(r.ctx); rerr != nil {
				require.ErrorIs(r.t, rerr, pos.ErrConfirmUncertain)
				return recoverNow("reject uncertain: " + rerr.Error())
			}
			b.how = "rejected"
			return b
		}
		cerr := p.Confirm(r.ctx)
		switch {
		case cerr == nil:
			b.charged, b.how = true, "confirmed"
		case errors.Is(cerr, pos.ErrReversedByTerminal):
			b.how = "reversed by the terminal: " + cerr.Error()
		case errors.Is(cerr, pos.ErrConfirmUncertain):
			return recoverNow("confirm uncertain: " + cerr.Error())
		default:
			r.t.Fatalf("Confirm: unexpected error %v", cerr)
		}
		return b
	case pos.Declined, pos.Aborted, pos.CardError:
		require.NoError(r.t, err)
		require.True(r.t, p.Deadline().IsZero(), "a refusal holds nothing")
		require.NoError(r.t, p.Confirm(r.ctx))
		b.how = "final"
		return b
	case pos.Busy:
		require.ErrorIs(r.t, err, pos.ErrBusy)
		b.how = "busy"
		return b
	case pos.Unknown:
		require.ErrorIs(r.t, err, zvt.ErrUnknownOutcome)
		require.ErrorIs(r.t, err, pos.ErrUnknownOutcome)
		return recoverNow("unknown: " + err.Error())
	case pos.TransportError:
		require.ErrorIs(r.t, err, zvt.ErrTransport)
		require.ErrorIs(r.t, err, pos.ErrTransport)
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
// acknowledgement (a rejected payment is reversed after AckTimeout), and
// brings back a line a fault left down (a hang-up after a final result).
func (r *rig) settle() {
	r.t.Helper()
	if r.linkDown() {
		r.reconnect()
	}
	require.Eventually(r.t, func() bool {
		for _, tx := range r.sim.Journal() {
			if tx.Status == zvtsim.Awaiting || tx.Status == zvtsim.Running {
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
