package terminals_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Fast protocol timers for the tests on a transport.Pipe inside a
// testing/synctest bubble: they run on the bubble's fake clock, which
// moves only when every goroutine waits, so their size costs no real time
// and no busy machine can make one run out early. The ratios the protocol
// relies on are kept (as in pos/zvt's rig): T1 < T2 < T3 < T4, and the
// simulator's wait for an acknowledgement is longer than T2.
var (
	fastZVT = zvt.Timers{T1: 20 * time.Millisecond, T2: 60 * time.Millisecond, T3: 250 * time.Millisecond, T4: 500 * time.Millisecond, MaxResends: 2}
	// fastZVTConfig is fastZVT as a [terminals.timers] table, with the
	// hold shrunk the same way (as in pos/zvt's rig): the driver asks for
	// more time (84 9C) well inside the simulator's wait for an answer
	// (simAckTimeout), the simulator repeats its result (simRepeatAfter)
	// well inside the driver's wait for it (hold_repeat), and the driver
	// refuses a result not confirmed within max_hold.
	fastZVTConfig = config.Timers{T1: dur(fastZVT.T1), T2: dur(fastZVT.T2), T3: dur(fastZVT.T3), T4: dur(fastZVT.T4), MaxResends: fastZVT.MaxResends,
		HoldAnswer: dur(150 * time.Millisecond), HoldRepeat: dur(400 * time.Millisecond), MaxHold: dur(fastMaxHold)}
	fastConcert = concert.Timers{ACK: 200 * time.Millisecond, ENQAttempts: 3, ENQRetryPause: 50 * time.Millisecond, FrameAttempts: 3,
		ByteGap: 200 * time.Millisecond, EOT: 200 * time.Millisecond, Answer: 2 * time.Second}
	fastConcertConfig = config.Timers{ACK: dur(fastConcert.ACK), ENQAttempts: fastConcert.ENQAttempts, ENQRetryPause: dur(fastConcert.ENQRetryPause),
		FrameAttempts: fastConcert.FrameAttempts, ByteGap: dur(fastConcert.ByteGap), EOT: dur(fastConcert.EOT), Answer: dur(fastConcert.Answer)}
)

const (
	simAckTimeout  = 300 * time.Millisecond
	simRepeatAfter = 100 * time.Millisecond
	simHangFor     = 600 * time.Millisecond
	fastMaxHold    = 2 * time.Second
)

func dur(d time.Duration) config.Duration { return config.Duration{Duration: d} }

func zvtTerminal(id string) config.Terminal {
	return config.Terminal{ID: id, Protocol: "zvt", Counter: "Quầy 1", Port: "/dev/null-" + id, Timers: fastZVTConfig}
}

func concertTerminal(id string) config.Terminal {
	return config.Terminal{ID: id, Protocol: "concert", Counter: "Quầy 2", Port: "/dev/null-" + id, Timers: fastConcertConfig}
}

// logBuffer collects the manager's log for the assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// pipeRig is a manager with real drivers talking to the real simulators
// over transport.Pipe lines, and the real SQLite store. Call it inside
// synctest.Test: every timer then runs on the bubble's clock.
type pipeRig struct {
	t    *testing.T
	ctx  context.Context
	stop context.CancelFunc
	db   *sqlite.DB
	dbp  string
	zvt  *zvtsim.Sim
	conc *concertsim.Sim
	cfgs []config.Terminal
	opts terminals.Options
	log  *logBuffer
	m    *terminals.Manager

	mu    sync.Mutex
	lines int                       // lines opened
	down  map[string]bool           // terminals whose line does not open
	ends  map[string]transport.Conn // the simulators' ends of the lines
}

func newPipeRig(t *testing.T, cfgs []config.Terminal, tune func(*terminals.Options)) *pipeRig {
	return newPipeRigSim(t, cfgs, tune, nil)
}

// newPipeRigSim is newPipeRig with the ZVT simulator's configuration
// tuned.
func newPipeRigSim(t *testing.T, cfgs []config.Terminal, tune func(*terminals.Options), simTune func(*zvtsim.Config)) *pipeRig {
	t.Helper()
	r := &pipeRig{t: t, cfgs: cfgs, log: &logBuffer{}, down: map[string]bool{}, ends: map[string]transport.Conn{}}
	r.ctx, r.stop = context.WithCancel(context.Background())
	var err error
	zc := zvtsim.Config{Timers: fastZVT, AckTimeout: simAckTimeout, RepeatAfter: simRepeatAfter, HangFor: simHangFor}
	if simTune != nil {
		simTune(&zc)
	}
	r.zvt, err = zvtsim.New(zc)
	require.NoError(t, err)
	r.conc, err = concertsim.New(concertsim.Config{Timers: fastConcert})
	require.NoError(t, err)
	r.dbp = filepath.Join(t.TempDir(), "feepos.db")
	r.db, err = sqlite.Open(context.Background(), r.dbp)
	require.NoError(t, err)
	r.opts = terminals.Options{Store: r.db, Log: slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Open: r.open}
	if tune != nil {
		tune(&r.opts)
	}
	r.start()
	return r
}

// open is Options.Open: a new line to the terminal's simulator.
func (r *pipeRig) open(_ context.Context, c config.Terminal) (transport.Conn, error) {
	r.mu.Lock()
	down := r.down[c.ID]
	r.lines++
	r.mu.Unlock()
	if down {
		return nil, &transport.VanishedError{Port: c.Port, Op: "open", Err: errTestDown, Hint: "test"}
	}
	ecr, line := transport.Pipe("ecr", "terminal")
	r.mu.Lock()
	r.ends[c.ID] = line
	r.mu.Unlock()
	go func() {
		if c.Proto() == pos.Concert {
			_ = r.conc.ServeConn(r.ctx, line)
		} else {
			_ = r.zvt.Serve(r.ctx, line)
		}
	}()
	return ecr, nil
}

// unplug pulls terminal id's cable: its line is cut and does not open
// again until setDown(id, false).
func (r *pipeRig) unplug(id string) {
	r.setDown(id, true)
	r.mu.Lock()
	end := r.ends[id]
	r.mu.Unlock()
	if end != nil {
		_ = end.Close()
	}
}

// opened counts the lines opened (or tried) so far.
func (r *pipeRig) opened() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lines
}

func (r *pipeRig) setDown(id string, down bool) {
	r.mu.Lock()
	r.down[id] = down
	r.mu.Unlock()
}

type testError string

func (e testError) Error() string { return string(e) }

const errTestDown = testError("the test unplugged it")

func (r *pipeRig) start() {
	r.t.Helper()
	m, err := terminals.New(r.cfgs, r.opts)
	require.NoError(r.t, err)
	require.NoError(r.t, m.Start(context.Background()))
	r.m = m
}

// restart stops the manager and starts a new one on the same store (a
// restarted feepos).
func (r *pipeRig) restart() {
	r.t.Helper()
	require.NoError(r.t, r.m.Close())
	r.start()
}

// close ends everything the rig started; call it (deferred) before the
// bubble's function returns.
func (r *pipeRig) close() {
	_ = r.m.Close()
	r.stop()
	_ = r.db.Close()
}

// waitStatus waits (on the bubble's clock) until terminal id is in st.
func (r *pipeRig) waitStatus(id string, st terminals.Status) {
	r.t.Helper()
	for i := 0; i < 600; i++ {
		if statusOf(r.m, id).Status == st {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("terminal %s never became %s: %+v\nlog:\n%s", id, st, statusOf(r.m, id), r.log)
}

func statusOf(m *terminals.Manager, id string) terminals.TerminalStatus {
	for _, s := range m.Status() {
		if s.ID == id {
			return s
		}
	}
	return terminals.TerminalStatus{}
}

func attempt(t *testing.T, m *terminals.Manager, id string) terminals.AttemptRecord {
	t.Helper()
	rec, err := m.Attempt(context.Background(), id)
	require.NoError(t, err)
	return rec
}

func states(rec terminals.AttemptRecord) []terminals.State {
	var out []terminals.State
	for _, h := range rec.History {
		out = append(out, h.State)
	}
	return out
}

// evidence returns the attempt's evidence of source.
func evidence(rec terminals.AttemptRecord, source string) []terminals.Evidence {
	var out []terminals.Evidence
	for _, e := range rec.Evidence {
		if e.Source == source {
			out = append(out, e)
		}
	}
	return out
}

// drain reads what is buffered on ch now.
func drain(ch <-chan pos.Event) []pos.Event {
	var out []pos.Event
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, e)
		default:
			return out
		}
	}
}

func finals(evs []pos.Event) []pos.Event {
	var out []pos.Event
	for _, e := range evs {
		if e.Kind.Final() {
			out = append(out, e)
		}
	}
	return out
}
