// Package terminals is the terminal manager: it holds every card terminal
// of the centre, opens them lazily and brings them back after a loss,
// runs one conversation at a time on each (a charge waits its turn),
// writes every payment attempt down before anything is sent, fans the
// terminals' events out to listeners, keeps a wire tap, and settles — at
// start-up and whenever a terminal comes back — every attempt whose
// outcome was in doubt, from the terminal's own records, or leaves it in
// doubt with its evidence for a person. docs/TERMINALS.md, "Terminal
// manager", has the rules.
//
// It talks to terminals through pos.Terminal only; drivers.go is the one
// file that knows the drivers.
package terminals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// Options configure a Manager. Store is required.
type Options struct {
	Store AttemptStore
	Log   *slog.Logger // nil: discarded
	Clock func() time.Time
	// Zone is the terminals' local time, for their records' dates
	// (default Asia/Ho_Chi_Minh, UTC+7); ClockSkew how far their clocks
	// may be from feepos's (default pos.DefaultClockSkew).
	Zone      *time.Location
	ClockSkew time.Duration
	// Resolve finds a serial terminal's port at each (re)open (default
	// ResolvePort: the configured port, or the USB ids looked up).
	Resolve Resolver
	// Open, if set, opens a terminal's link instead of Resolve and the
	// serial or TCP opener (an in-memory line in tests).
	Open func(ctx context.Context, t config.Terminal) (transport.Conn, error)
	// TapSize is how many wire units each terminal's tap keeps (default
	// DefaultTapSize).
	TapSize int
	// OnWire, if set, sees every unit on every terminal's wire, masked
	// (a debug log).
	OnWire func(terminal string, e TapEntry)

	testHook func(stage, attempt string) // export_test.go
}

// closeGrace is how long Close lets running conversations end, and a
// caller recording a held approval confirm it, before it stops them.
const closeGrace = 10 * time.Second

// Zone is the terminals' local time, Options.Zone's default: Vietnam has
// one time zone and no daylight saving.
var Zone = time.FixedZone("ICT", 7*3600)

// Manager holds the configured terminals.
type Manager struct {
	store  AttemptStore
	log    *slog.Logger
	clock  func() time.Time
	zone   *time.Location
	skew   time.Duration
	hookFn func(stage, attempt string)

	terms map[string]*terminal
	order []string // configuration order

	events  *hub
	orphans *orphans

	startOnce sync.Once
	started   bool
	closeOnce sync.Once
	closing   chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	stopOrph  chan struct{}
}

// New makes a manager of the configured terminals. Nothing is opened
// before Start.
func New(cfgs []config.Terminal, opt Options) (*Manager, error) {
	if opt.Store == nil {
		return nil, errors.New("terminals: no attempt store")
	}
	if err := config.CheckTerminals(cfgs); err != nil {
		return nil, err
	}
	m := &Manager{store: opt.Store, log: opt.Log, clock: opt.Clock, zone: opt.Zone, skew: opt.ClockSkew,
		hookFn: opt.testHook, terms: map[string]*terminal{}, events: newHub(), closing: make(chan struct{}), stopOrph: make(chan struct{})}
	if m.log == nil {
		m.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m.clock == nil {
		m.clock = time.Now
	}
	if m.zone == nil {
		m.zone = Zone
	}
	if m.skew <= 0 {
		m.skew = pos.DefaultClockSkew
	}
	m.orphans = newOrphans(m)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	for _, c := range cfgs {
		t := m.newTerminal(c, opt)
		m.terms[c.ID] = t
		m.order = append(m.order, c.ID)
	}
	return m, nil
}

func (m *Manager) newTerminal(c config.Terminal, opt Options) *terminal {
	size, timeout, poll := c.Queue()
	t := &terminal{m: m, cfg: c, id: c.ID, log: m.log.With("terminal", c.ID),
		queueSize: size, queueTimeout: timeout, poll: poll,
		jobs: make(chan *job, size+queueSlack), wake: make(chan struct{}, 1), done: make(chan struct{}),
		outcomes: map[pos.Outcome]*atomic64{}}
	for _, o := range allOutcomes {
		t.outcomes[o] = new(atomic64)
	}
	t.tap = NewTap(c.Proto(), opt.TapSize, m.clock)
	open := Opener(c, opt.Resolve)
	if opt.Open != nil {
		open = func(ctx context.Context) (transport.Conn, error) { return opt.Open(ctx, c) }
	}
	t.conn = transport.NewReconnecting(c.Link(), open, transport.ReconnectOptions{
		MinBackoff: 200 * time.Millisecond, MaxBackoff: time.Second, MaxWait: time.Second,
		OnReconnect: func(r transport.Reconnect) {
			t.log.Info("terminal link opened", "link", r.Name, "generation", r.Generation, "attempts", r.Attempts, "cause", r.Cause)
		},
	})
	var also func(TapEntry)
	if opt.OnWire != nil {
		also = func(e TapEntry) { opt.OnWire(c.ID, e) }
	}
	t.drv = newDriver(c, watchConn{t.conn, t}, hooks{trace: t.tap.Hook(also), log: t.log,
		onOrphan: func(o pos.Orphan) { m.orphans.deliver(t, o) }})
	t.caps = t.drv.Capabilities()
	return t
}

func (m *Manager) now() time.Time { return m.clock() }

func (m *Manager) hook(stage, attempt string) {
	if m.hookFn != nil {
		m.hookFn(stage, attempt)
	}
}

// Start settles what the last run left open (an attempt only written down
// was never sent; one sent or held is in doubt), then starts every
// terminal's worker: each opens its terminal, registers it (ZVT), settles
// its attempts in doubt from the terminal's records, and stays ready. A
// terminal that is not there does not stop Start: it is offline and tried
// again with backoff.
func (m *Manager) Start(ctx context.Context) error {
	err := ErrClosed
	m.startOnce.Do(func() {
		select {
		case <-m.closing:
			return
		default:
		}
		if err = m.settleStale(ctx); err != nil {
			return
		}
		for _, id := range m.order {
			t := m.terms[id]
			ti, terr := m.store.LastTrace(ctx, id)
			if terr != nil {
				err = fmt.Errorf("terminal %s: read its last trace number: %w", id, terr)
				return
			}
			t.trace = ti
			open, oerr := m.store.OpenAttempts(ctx, id)
			if oerr != nil {
				err = fmt.Errorf("terminal %s: read its attempts in doubt: %w", id, oerr)
				return
			}
			t.inDoubt.Store(int32(len(open)))
		}
		go m.orphans.run(m.stopOrph)
		for _, id := range m.order {
			go m.terms[id].run(m.ctx)
		}
		m.started = true
	})
	return err
}

// Close stops the manager: charges still queued get ErrClosed, a running
// conversation gets a moment to end (and a held approval to be
// confirmed), then the links are closed. Attempts left open are settled
// at the next Start.
func (m *Manager) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.closing)
		if m.started {
			grace := time.NewTimer(closeGrace + 5*time.Second)
			for _, id := range m.order {
				select {
				case <-m.terms[id].done:
				case <-grace.C:
					m.cancel() // stop waiting for the terminals
					<-m.terms[id].done
				}
			}
			grace.Stop()
		}
		m.cancel()
		close(m.stopOrph)
		if m.started {
			<-m.orphans.done
		}
		for _, id := range m.order {
			err = errors.Join(err, m.terms[id].drv.Close())
		}
		m.events.closeAll()
	})
	return err
}

func (m *Manager) terminal(id string) (*terminal, error) {
	t, ok := m.terms[id]
	if !ok {
		return nil, fmt.Errorf("terminal %q: %w (configured: %v)", id, ErrUnknownTerminal, m.order)
	}
	return t, nil
}

// Charge runs a payment, refund or reversal on a terminal: it waits for
// the terminal's turn (at most its queue_timeout: then a *BusyError,
// nothing sent), writes the attempt down, sends it, and returns when the
// terminal's result is there.
//
// The *Charge is nil only when no attempt was written down (a request the
// protocol cannot carry, the terminal busy or offline, the manager
// closed): then nothing was sent. Otherwise its error is set, as the
// drivers', for a busy terminal, a transport error and an unknown outcome
// (errors.Is pos.ErrBusy, ErrTransport, ErrUnknownOutcome). An approval is
// held: record it, then Confirm (or Reject) before Deadline.
//
// When ctx ends before the result, Charge returns the *Charge and ctx's
// error: the attempt goes on (cancelling a wait is not an abort; Abort
// is), and Done is closed when its result is there.
func (m *Manager) Charge(ctx context.Context, req ChargeRequest) (*Charge, error) {
	t, err := m.terminal(req.Terminal)
	if err != nil {
		return nil, err
	}
	if req.Kind == "" {
		req.Kind = pos.KindPay
	}
	c := &Charge{t: t, id: newAttemptID(m.now()), ready: make(chan struct{}), resultWritten: make(chan struct{}), finished: make(chan struct{})}
	if req.Reference == "" {
		req.Reference = c.id
	}
	c.req = req
	if err := CheckRequest(t.cfg.Proto(), req.Kind, req.ReceiptNo, pos.Request{Amount: req.Amount, Currency: pos.CurrencyVND, Reference: req.Reference}); err != nil {
		return nil, err
	}
	if err := t.enqueue(ctx, newJob(func(ctx context.Context, online bool) { t.runCharge(ctx, c, online) })); err != nil {
		return nil, err
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		return c, fmt.Errorf("stopped waiting for the result of attempt %s on terminal %s; it goes on (Done tells when it ends): %w", c.id, t.id, ctx.Err())
	}
	if !c.written {
		return nil, c.err
	}
	return c, c.err
}

// run queues fn on terminal id's worker and waits for it.
func run[T any](ctx context.Context, m *Manager, id string, fn func(ctx context.Context, t *terminal, online bool) (T, error)) (T, error) {
	var zero T
	t, err := m.terminal(id)
	if err != nil {
		return zero, err
	}
	type out struct {
		v   T
		err error
	}
	done := make(chan out, 1)
	if err := t.enqueue(ctx, newJob(func(jctx context.Context, online bool) {
		v, err := fn(jctx, t, online)
		done <- out{v, err}
	})); err != nil {
		return zero, err
	}
	select {
	case o := <-done:
		return o.v, o.err
	case <-ctx.Done():
		return zero, fmt.Errorf("stopped waiting for terminal %s (what it runs goes on): %w", id, ctx.Err())
	}
}

// EndOfDay closes the terminal's batch (ZVT End-of-Day) in its turn.
func (m *Manager) EndOfDay(ctx context.Context, id string) (pos.EndOfDay, error) {
	t, err := m.terminal(id)
	if err != nil {
		return pos.EndOfDay{}, err
	}
	if err := Unsupported(t.cfg.Proto(), OpEndOfDay); err != nil {
		return pos.EndOfDay{}, err
	}
	return run(ctx, m, id, func(ctx context.Context, t *terminal, online bool) (pos.EndOfDay, error) {
		if !online {
			return pos.EndOfDay{Outcome: pos.TransportError}, &OfflineError{Terminal: t.id, Err: errors.New(t.lastError())}
		}
		t.setActivity(actInTransaction, "end of day")
		eod, err := t.drv.EndOfDay(ctx)
		t.traceAfter(ctx, pos.Result{Outcome: eod.Outcome, TraceNo: eod.TraceNo}, "end of day")
		if t.activity() != actOffline {
			t.setActivity(actIdle, "end of day "+string(eod.Outcome))
		}
		return eod, err
	})
}

// Recover settles, in the terminal's turn, its attempts in doubt from the
// evidence there is (docs/TERMINALS.md, "Recovery").
func (m *Manager) Recover(ctx context.Context, id string) (Recovery, error) {
	return run(ctx, m, id, func(ctx context.Context, t *terminal, online bool) (Recovery, error) {
		return t.recoverOpen(ctx, online, "asked"), nil
	})
}

// Abort asks the terminal to abort the transaction it runs now (the
// cashier's "cancel"); it does not wait for the terminal's turn. Concert
// has no abort message (pos.ErrNotSupported: the red key on the terminal).
func (m *Manager) Abort(ctx context.Context, id string) error {
	t, err := m.terminal(id)
	if err != nil {
		return err
	}
	if err := Unsupported(t.cfg.Proto(), OpAbort); err != nil {
		return err
	}
	return t.drv.Abort(ctx)
}

// InDoubt lists every attempt in doubt, with its evidence, oldest first.
func (m *Manager) InDoubt(ctx context.Context) ([]AttemptRecord, error) {
	open, err := m.store.OpenAttempts(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []AttemptRecord
	for _, a := range open {
		if a.State == StateInDoubt {
			out = append(out, a)
		}
	}
	return out, nil
}

// Attempt reads one attempt with its history and evidence.
func (m *Manager) Attempt(ctx context.Context, id string) (AttemptRecord, error) {
	return m.store.Attempt(ctx, id)
}

// Subscribe returns the events of one terminal, or of every terminal
// (""), stamped with the terminal, the attempt and Seq, until cancel.
// A listener that lags more than ListenerBuffer events behind loses the
// oldest (Seq shows the gap); it never holds a terminal up. An unknown
// terminal gives a closed channel.
func (m *Manager) Subscribe(terminal string) (<-chan pos.Event, func()) {
	if _, ok := m.terms[terminal]; terminal != "" && !ok {
		ch := make(chan pos.Event)
		close(ch)
		return ch, func() {}
	}
	return m.events.subscribe(terminal)
}

// TerminalInfo is a terminal as configured, with what its protocol can do.
type TerminalInfo struct {
	ID           string           `json:"id"`
	Protocol     pos.Protocol     `json:"protocol"`
	Counter      string           `json:"counter,omitempty"`
	Link         string           `json:"link"`
	Capabilities pos.Capabilities `json:"capabilities"`
}

// Terminals lists the configured terminals, in the configuration's order.
func (m *Manager) Terminals() []TerminalInfo {
	out := make([]TerminalInfo, 0, len(m.order))
	for _, id := range m.order {
		t := m.terms[id]
		out = append(out, TerminalInfo{ID: id, Protocol: t.cfg.Proto(), Counter: t.cfg.Counter, Link: t.cfg.Link(), Capabilities: t.caps})
	}
	return out
}

// TerminalStatus is a terminal's state at one moment.
type TerminalStatus struct {
	ID         string       `json:"id"`
	Protocol   pos.Protocol `json:"protocol"`
	Counter    string       `json:"counter,omitempty"`
	Status     Status       `json:"status"`
	LastSeen   time.Time    `json:"last_seen,omitzero"` // the last byte from the terminal
	TerminalID string       `json:"terminal_id,omitempty"`
	Ready      bool         `json:"ready"`             // the last status enquiry said ready (ZVT)
	Attempt    string       `json:"attempt,omitempty"` // the attempt running
	Queue      int          `json:"queue"`             // charges waiting for it
	InDoubt    int          `json:"in_doubt"`          // its attempts in doubt
	LastError  string       `json:"last_error,omitempty"`
	Events     uint64       `json:"events"` // the Seq of its last event
}

// Status is every terminal's state, read without waiting for anything.
func (m *Manager) Status() []TerminalStatus {
	out := make([]TerminalStatus, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.terms[id].snapshot())
	}
	return out
}

func (t *terminal) snapshot() TerminalStatus {
	s := TerminalStatus{ID: t.id, Protocol: t.cfg.Proto(), Counter: t.cfg.Counter, Status: t.status(),
		TerminalID: deref(t.tid.Load()), Ready: t.ready.Load(), Attempt: t.currentAttempt(),
		Queue: int(t.queued.Load()), InDoubt: int(t.inDoubt.Load()), LastError: deref(t.lastErr.Load()), Events: t.seq.Load()}
	if ns := t.lastSeen.Load(); ns != 0 {
		s.LastSeen = time.Unix(0, ns).UTC()
	}
	if s.Queue < 0 {
		s.Queue = 0
	}
	return s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// sortedIDs is the configured ids, sorted (metrics).
func (m *Manager) sortedIDs() []string {
	ids := append([]string(nil), m.order...)
	sort.Strings(ids)
	return ids
}
