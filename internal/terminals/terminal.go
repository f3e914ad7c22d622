package terminals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// Status is what a terminal is doing, as the cashier's page shows it.
type Status string

const (
	StatusOffline        Status = "offline"         // its link is not open, or it does not answer
	StatusIdle           Status = "idle"            // ready for a charge
	StatusInTransaction  Status = "in_transaction"  // a command is running on it
	StatusAwaitingRecord Status = "awaiting_record" // its approval is held while feepos records it
	StatusInDoubt        Status = "in_doubt"        // idle, but an attempt of it is in doubt: settle it before charging that payment again
)

// activity is a terminal's own state; StatusInDoubt is derived from it
// and the count of attempts in doubt.
type activity int32

const (
	actOffline activity = iota
	actIdle
	actInTransaction
	actAwaitingRecord
)

var activityStatus = [...]Status{StatusOffline, StatusIdle, StatusInTransaction, StatusAwaitingRecord}

// terminal is one configured terminal. Its worker goroutine (run) owns
// the driver: every conversation — charges, end of day, recovery, health
// polls — runs there, one at a time, in the order queued. What other
// goroutines read (the status, counters) is kept in atomics, never
// behind a lock.
type terminal struct {
	m    *Manager
	cfg  config.Terminal
	id   string
	caps pos.Capabilities
	drv  pos.Terminal
	conn *transport.Reconnecting
	tap  *Tap
	log  *slog.Logger

	queueSize    int
	queueTimeout time.Duration
	poll         time.Duration
	jobs         chan *job
	wake         chan struct{} // new evidence: recover
	done         chan struct{} // closed when run returns

	// Read by anyone.
	act      atomic.Int32
	attempt  atomic.Pointer[string] // the attempt running, "" if none
	lastSeen atomic.Int64           // unix nanoseconds of the last byte from the terminal
	tid      atomic.Pointer[string]
	ready    atomic.Bool // the last status enquiry said ready
	lastErr  atomic.Pointer[string]
	queued   atomic.Int32
	inDoubt  atomic.Int32
	seq      atomic.Uint64 // events
	// orphanTrace is the trace number of the latest orphan answer that
	// carried one, until the worker takes it (traceFromOrphan).
	orphanTrace atomic.Int64
	lost        atomic.Bool // the link reported a loss since it was opened
	outcomes    map[pos.Outcome]*atomic.Uint64
	finals      atomic.Uint64 // final events the manager sent for the driver

	// Owned by the worker goroutine.
	trace         TraceInfo
	learned       bool   // the last trace was asked for once (learnTrace)
	latestInDoubt bool   // the terminal's newest attempt is in doubt: its last result may still settle it
	latest        string // the newest attempt's id
	// lastResultTries counts the questions about the last transaction
	// the terminal did not answer, for the newest attempt in doubt.
	lastResultTries int
	backoff         time.Duration
	probeFails      int  // health probes failed in a row (Concert)
	probeDown       bool // offline because probes failed: the next open must be answered
}

// setActivity changes the terminal's state and logs the change.
func (t *terminal) setActivity(a activity, reason string) {
	old := activity(t.act.Swap(int32(a)))
	if old != a {
		attrs := []any{"from", activityStatus[old], "to", activityStatus[a]}
		if reason != "" {
			attrs = append(attrs, "reason", reason)
		}
		if id := t.currentAttempt(); id != "" {
			attrs = append(attrs, "attempt", id)
		}
		t.log.Info("terminal state", attrs...)
	}
}

func (t *terminal) activity() activity { return activity(t.act.Load()) }

func (t *terminal) currentAttempt() string {
	if p := t.attempt.Load(); p != nil {
		return *p
	}
	return ""
}

func (t *terminal) setAttempt(id string) { t.attempt.Store(&id) }

// status is what Status shows.
func (t *terminal) status() Status {
	a := t.activity()
	if a == actIdle && t.inDoubt.Load() > 0 {
		return StatusInDoubt
	}
	return activityStatus[a]
}

func (t *terminal) seen() { t.lastSeen.Store(t.m.now().UnixNano()) }

func (t *terminal) setErr(err error) {
	s := ""
	if err != nil {
		s = err.Error()
	}
	t.lastErr.Store(&s)
}

func (t *terminal) setTID(s string) {
	if s != "" {
		t.tid.Store(&s)
	}
}

// watchConn is the terminal's link as the driver sees it: it notes a loss
// (the terminal offline) and when bytes last came.
type watchConn struct {
	*transport.Reconnecting
	t *terminal
}

func (w watchConn) note(n int, err error) {
	if n > 0 {
		w.t.seen()
	}
	if err != nil && errors.Is(err, transport.ErrVanished) {
		w.t.lost.Store(true)
	}
}

func (w watchConn) Write(p []byte) (int, error) {
	n, err := w.Reconnecting.Write(p)
	w.note(0, err)
	return n, err
}

func (w watchConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	n, err := w.Reconnecting.ReadTimeout(p, timeout)
	w.note(n, err)
	return n, err
}

func (w watchConn) ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	n, err := w.Reconnecting.ReadWait(ctx, p, timeout, wake)
	w.note(n, err)
	return n, err
}

func (w watchConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	b, err := w.Reconnecting.ReadByteTimeout(timeout)
	n := 0
	if err == nil {
		n = 1
	}
	w.note(n, err)
	return b, err
}

func (w watchConn) Drain() (int, error) {
	n, err := w.Reconnecting.Drain()
	w.note(0, err)
	return n, err
}

// job is one piece of work queued for the terminal's worker.
type job struct {
	state atomic.Int32 // jobQueued → jobTaken | jobAbandoned
	taken chan struct{}
	run   func(ctx context.Context, online bool)
}

const (
	jobQueued int32 = iota
	jobTaken
	jobAbandoned
)

func newJob(run func(ctx context.Context, online bool)) *job {
	return &job{taken: make(chan struct{}), run: run}
}

// enqueue puts j in the terminal's queue and waits until the worker takes
// it: at most the queue timeout, ctx, or the manager's close. A full
// queue or a timeout is a *BusyError: nothing was sent.
func (t *terminal) enqueue(ctx context.Context, j *job) error {
	select {
	case <-t.m.closing:
		return ErrClosed
	default:
	}
	// The queue's size counts the charges that wait; the channel has room
	// for more, since a charge that gave up leaves its job behind until
	// the worker skips it.
	if t.queued.Add(1) > int32(t.queueSize) {
		t.queued.Add(-1)
		return &BusyError{Terminal: t.id, QueueFull: true, Queue: t.queueSize}
	}
	select {
	case t.jobs <- j:
	default:
		t.queued.Add(-1)
		return &BusyError{Terminal: t.id, QueueFull: true, Queue: t.queueSize}
	}
	timer := time.NewTimer(t.queueTimeout)
	defer timer.Stop()
	start := t.m.now()
	var err error
	select {
	case <-j.taken:
		return nil
	case <-timer.C:
		err = &BusyError{Terminal: t.id, Waited: t.m.now().Sub(start).Round(time.Millisecond), Queue: t.queueSize}
	case <-ctx.Done():
		err = fmt.Errorf("stopped waiting for terminal %s's turn, nothing was sent: %w", t.id, ctx.Err())
	case <-t.m.closing:
		err = ErrClosed
	}
	if j.state.CompareAndSwap(jobQueued, jobAbandoned) {
		t.queued.Add(-1)
		return err
	}
	<-j.taken // the worker took it at that very moment: it runs
	return nil
}

// take marks j taken by the worker; false if its caller gave up.
func (t *terminal) take(j *job) bool {
	if !j.state.CompareAndSwap(jobQueued, jobTaken) {
		return false
	}
	t.queued.Add(-1)
	close(j.taken)
	return true
}

// queueSlack is the room the job channel has beyond the queue's size for
// the jobs of charges that gave up.
const queueSlack = 64

// Timings of the worker.
const (
	// openTimeout bounds one attempt to open the link and register.
	openTimeout = 15 * time.Second
	// minBackoff and maxBackoff bound the pause between two attempts to
	// bring an offline terminal back.
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
	// pollTimeout bounds a health poll.
	pollTimeout = 30 * time.Second
)

// run is the terminal's worker: it brings the terminal online, runs the
// queued jobs one at a time, polls the idle terminal's health, and brings
// it back after a loss, with backoff.
func (t *terminal) run(ctx context.Context) {
	defer close(t.done)
	online := t.connect(ctx)
	t.recoverOpen(ctx, online, "start")
	if online {
		t.learnTrace(ctx)
	}
	for {
		wait := t.poll
		if t.activity() == actOffline {
			wait = t.backoff
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-t.m.closing:
			timer.Stop()
			return
		case j := <-t.jobs:
			timer.Stop()
			if !t.take(j) {
				continue
			}
			online := t.ensureOnline(ctx)
			j.run(ctx, online)
			t.afterJob()
		case <-t.wake:
			timer.Stop()
			t.recoverOpen(ctx, t.activity() != actOffline && !t.lost.Load(), "new evidence (an orphan answer)")
		case <-timer.C:
			if t.activity() == actOffline {
				t.ensureOnline(ctx)
			} else {
				t.healthPoll(ctx)
				t.afterJob()
			}
		}
	}
}

// afterJob notices a link lost during the job.
func (t *terminal) afterJob() {
	if t.lost.Load() && t.activity() != actOffline {
		t.goOffline(errors.New("the link to the terminal was lost"))
	}
}

func (t *terminal) goOffline(err error) {
	t.setErr(err)
	t.ready.Store(false)
	if t.backoff == 0 {
		t.backoff = minBackoff
	} else {
		t.backoff = min(2*t.backoff, maxBackoff)
	}
	t.setActivity(actOffline, err.Error())
}

// ensureOnline brings an offline terminal (or one whose link was lost)
// online before a job; it reports whether it is online.
func (t *terminal) ensureOnline(ctx context.Context) bool {
	if t.lost.Load() && t.activity() != actOffline {
		t.goOffline(errors.New("the link to the terminal was lost"))
	}
	if t.activity() != actOffline {
		return true
	}
	if !t.connect(ctx) {
		return false
	}
	// Back after a loss: settle what the loss left in doubt, now that the
	// terminal can be asked.
	t.recoverOpen(ctx, true, "reconnected")
	t.learnTrace(ctx)
	return true
}

// connect opens the link and, for ZVT, registers; it reports success.
func (t *terminal) connect(ctx context.Context) bool {
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	t.lost.Store(false)
	if err := t.conn.Reopen(octx); err != nil {
		t.goOffline(fmt.Errorf("open %s: %w", t.cfg.Link(), err))
		return false
	}
	if r, ok := t.drv.(registerer); ok {
		if err := r.Register(octx); err != nil {
			t.goOffline(fmt.Errorf("registration: %w", err))
			return false
		}
		t.seen()
	}
	if p, ok := t.drv.(pos.Prober); ok && t.probeDown {
		// Offline because it stopped answering probes, not because its
		// port went away: an open port proves nothing, an answer does.
		if err := p.Probe(octx); err != nil {
			t.goOffline(fmt.Errorf("probe after reopening the link: %w", err))
			return false
		}
		t.probeDown = false
		t.seen()
	}
	if t.lost.Load() {
		t.goOffline(errors.New("the link was lost while opening it"))
		return false
	}
	t.setTID(t.drv.TerminalID())
	t.setErr(nil)
	t.backoff = 0
	t.setActivity(actIdle, "link open")
	return true
}

// probeFailuresOffline is how many health probes in a row must fail
// before a terminal without a status enquiry (Concert) is taken as
// offline. The probe (a session opened and closed at once) is the link
// layer's own sequence but was not tried on a real Telium: one failure is
// a doubt (logged, LastError set), not proof that the terminal is gone.
const probeFailuresOffline = 3

// healthPoll asks an idle terminal whether it is there: ZVT's status
// enquiry (one failure: offline), Concert's Probe (offline after
// probeFailuresOffline failures in a row); with neither, the link being
// open (and not reported lost) is all that can be known.
func (t *terminal) healthPoll(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	if t.caps.Status {
		st, err := t.drv.Status(pctx)
		if err != nil {
			t.goOffline(fmt.Errorf("status enquiry: %w", err))
			return
		}
		t.seen()
		t.ready.Store(st.Ready)
		t.setTID(st.TerminalID)
		return
	}
	p, ok := t.drv.(pos.Prober)
	if !ok {
		return
	}
	err := p.Probe(pctx)
	switch {
	case err == nil:
		if t.probeFails > 0 {
			t.log.Info("terminal probe answered again", "failed_before", t.probeFails)
			t.setErr(nil)
		}
		t.probeFails = 0
		t.seen()
	case errors.Is(err, pos.ErrBusy):
		// The driver is in a session of its own (an answer that came on
		// its own, a payment whose caller stopped waiting): the line is
		// in use, which proves nothing either way.
	default:
		t.probeFails++
		if t.probeFails >= probeFailuresOffline {
			t.probeFails = 0
			t.probeDown = true
			t.goOffline(fmt.Errorf("the terminal did not answer %d probes in a row, the last: %w", probeFailuresOffline, err))
			return
		}
		t.setErr(fmt.Errorf("probe %d of %d failed (not offline yet): %w", t.probeFails, probeFailuresOffline, err))
		t.log.Warn("terminal probe failed: in doubt, not offline yet", "failures", t.probeFails, "offline_after", probeFailuresOffline, "err", err)
	}
}

// noteTrace keeps the terminal's last trace number.
func (t *terminal) noteTrace(ctx context.Context, ti TraceInfo) {
	if ti == t.trace {
		return
	}
	t.trace = ti
	if err := t.m.store.SetLastTrace(ctx, t.id, ti); err != nil {
		t.log.Error("last trace number not stored", "trace", ti.Trace, "err", err)
	}
}

// traceAfter updates the last trace number after a transaction that ran
// (or may have run) on the terminal with result r.
func (t *terminal) traceAfter(ctx context.Context, r pos.Result, source string) {
	switch {
	case r.TraceNo > 0:
		t.noteTrace(ctx, TraceInfo{Trace: r.TraceNo, Certain: true, At: t.m.now(), Source: source})
	case r.Outcome == pos.TransportError || r.Outcome == pos.Busy:
		// nothing ran on the terminal
	case t.trace.Certain:
		// The terminal may have given the transaction a trace number its
		// answer did not carry (an abort): the number is no longer sure.
		ti := t.trace
		ti.Certain, ti.At, ti.Source = false, t.m.now(), source+" without a trace number"
		t.noteTrace(ctx, ti)
	}
}

// traceFromOrphan takes, on the worker, the trace number of the latest
// orphan answer. One ahead of the last trace feepos knows means the
// terminal ran a transaction feepos did not count (keyed in on the
// terminal, or the end of an exchange feepos had given up on): the known
// number is stale. The orphan's is kept, but not as certain — it need
// not be the terminal's newest — so the next attempt is written without
// TraceBefore and a stale number never passes for the one before it. One
// behind, or the same, changes nothing.
func (t *terminal) traceFromOrphan(ctx context.Context) {
	tr := t.orphanTrace.Swap(0)
	if tr <= 0 {
		return
	}
	if t.trace.Trace > 0 {
		if d := pos.TraceDistance(t.trace.Trace, tr); d == 0 || d >= pos.TraceModulus/2 {
			return
		}
	}
	t.noteTrace(ctx, TraceInfo{Trace: tr, Certain: false, At: t.m.now(), Source: "an orphan answer: a transaction feepos did not count"})
	t.log.Info("last trace number from an orphan answer, not certain", "trace", tr)
}

// traceBefore is the TraceBefore of the next attempt: the last trace
// number if certain, else 0 (unknown).
func (t *terminal) traceBefore() int64 {
	if t.trace.Certain {
		return t.trace.Trace
	}
	return 0
}

// learnTrace asks the terminal, once, for its last transaction when the
// last trace number is not known for certain, the terminal is idle and
// nothing of it is in doubt: the next attempt then has its TraceBefore,
// and recovery can prove by trace numbers. A ZVT terminal answers with
// Repeat Receipt (06 20), which on some terminals prints a copy of the last
// receipt; it is asked once per start of feepos, not after every abort.
func (t *terminal) learnTrace(ctx context.Context) {
	if t.learned || t.trace.Certain || !t.caps.LastResult || t.inDoubt.Load() > 0 || t.activity() != actIdle {
		return
	}
	t.learned = true
	lctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	r, err := t.drv.LastResult(lctx)
	if err != nil || !t.lastTraceTrusted(r) {
		t.log.Info("last trace number not learned", "err", err, "trace", r.TraceNo)
		return
	}
	t.noteTrace(ctx, TraceInfo{Trace: r.TraceNo, Certain: true, At: t.m.now(), Source: "learned from the terminal's last transaction"})
	t.log.Info("last trace number learned", "trace", r.TraceNo)
}
