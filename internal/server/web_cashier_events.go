package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// GET /cashier/payments/{id}/events: the live status of a card payment,
// as Server-Sent Events (text/event-stream). Events:
//
//	event: status  data: {"key","text","tone","final"}  (cashierState)
//	event: done    data: the same, of the payment as stored once it ended
//
// The stream starts with the statuses the payment's attempt already went
// through (the page connects after the charge began: attemptLog keeps
// them), then follows the terminal's events of this attempt only
// (terminals.Manager.Subscribe, filtered), and ends with "done" when
// payments.Service.Wait says the payment left processing; the page then
// reloads and shows the stored result. A payment that has already ended
// gets "done" at once. A dropped connection is harmless: EventSource
// reconnects with Last-Event-ID (each terminal event's id is its Seq) and
// the stream goes on from there; a page reloaded shows the stored state.

// sseMaxLife is how long one stream lasts before the server ends it
// and the browser reconnects (retry: 2 s) with Last-Event-ID, missing
// nothing: a stream never holds feepos's shutdown (which waits 10 s for
// open requests), and no proxy sees an idle connection.
var sseMaxLife = 8 * time.Second // a variable: tests shorten it

// attemptLog keeps the last events of recent attempts of one terminal
// manager, so that a page opened after the terminal already asked for
// the card still shows what happened.
type attemptLog struct {
	mu     sync.Mutex
	events map[string][]pos.Event // by attempt
	order  []string               // attempts, oldest first
}

const (
	attemptLogAttempts = 256
	attemptLogEvents   = 32
)

// attemptLogs: one log per terminal manager (a Server has at most one;
// keyed by manager so that the log's life is the manager's).
var attemptLogs sync.Map // *terminals.Manager → *attemptLog

// attemptEvents starts (once) recording m's events and returns the log.
func attemptEvents(m *terminals.Manager) *attemptLog {
	if v, ok := attemptLogs.Load(m); ok {
		return v.(*attemptLog)
	}
	l := &attemptLog{events: map[string][]pos.Event{}}
	v, loaded := attemptLogs.LoadOrStore(m, l)
	if loaded {
		return v.(*attemptLog)
	}
	ch, _ := m.Subscribe("")
	go func() {
		// The channel closes when the manager closes.
		for e := range ch {
			l.add(e)
		}
		attemptLogs.Delete(m)
	}()
	return l
}

func (l *attemptLog) add(e pos.Event) {
	if e.Attempt == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	evs, ok := l.events[e.Attempt]
	if !ok {
		l.order = append(l.order, e.Attempt)
		if len(l.order) > attemptLogAttempts {
			delete(l.events, l.order[0])
			l.order = l.order[1:]
		}
	}
	if len(evs) >= attemptLogEvents {
		evs = evs[1:]
	}
	l.events[e.Attempt] = append(evs, e)
}

func (l *attemptLog) of(attempt string) []pos.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pos.Event(nil), l.events[attempt]...)
}

// sseWriter writes events and flushes each.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// send writes one event; id (the terminal event's Seq, 0: none) comes
// back as Last-Event-ID when the browser reconnects.
func (s sseWriter) send(event string, id uint64, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if id != 0 {
		if _, err := fmt.Fprintf(s.w, "id: %d\n", id); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *Server) handleCashierPaymentEvents(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	p, err := svc.Payment(ctx, id)
	if err != nil {
		status, msg := cashierErrVI(err)
		if status >= 500 {
			s.webErr(w, r, err)
			return
		}
		s.webError(w, r, status, msg)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out := sseWriter{w: w, rc: rc}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}

	if p.Status != payments.PaymentProcessing || p.Method != payments.MethodCard || s.terminals == nil {
		_ = out.send("done", 0, paymentState(p))
		return
	}
	live, cancel := s.terminals.Subscribe(p.Terminal)
	defer cancel()
	log := attemptEvents(s.terminals)

	waitCtx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	final := make(chan payments.Payment, 1)
	go func() {
		if fp, err := svc.Wait(waitCtx, id); err == nil {
			final <- fp
		}
	}()

	// A reconnecting browser says which event it saw last; it already
	// shows a status newer than the stored one.
	lastSeq, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	if lastSeq == 0 {
		if err := out.send("status", 0, paymentState(p)); err != nil {
			return
		}
	}
	m := attemptMatcher{s: s, svc: svc, paymentID: id, attempt: p.AttemptID}
	relay := func(e pos.Event) error {
		if e.Seq != 0 && e.Seq <= lastSeq {
			return nil // already sent (replayed from the log, or before a reconnection)
		}
		lastSeq = max(lastSeq, e.Seq)
		return out.send("status", e.Seq, eventState(e))
	}
	replayed := false
	replay := func() error {
		if replayed || m.attempt == "" {
			return nil
		}
		replayed = true
		for _, e := range log.of(m.attempt) {
			if err := relay(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := replay(); err != nil {
		return
	}
	life := time.NewTimer(sseMaxLife)
	defer life.Stop()
	// Until the payment names its attempt (runCard stores it right after
	// the terminal manager wrote it down), look again now and then.
	look := time.NewTicker(100 * time.Millisecond)
	defer look.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case fp := <-final:
			_ = out.send("done", 0, paymentState(fp))
			return
		case e, ok := <-live:
			if !ok {
				live = nil
				continue
			}
			if !m.ours(ctx, e.Attempt) {
				continue
			}
			if err := replay(); err != nil {
				return
			}
			if err := relay(e); err != nil {
				return
			}
		case <-look.C:
			if m.attempt != "" {
				look.Stop()
				continue
			}
			m.reload(ctx)
			if err := replay(); err != nil {
				return
			}
		case <-life.C:
			return // the browser reconnects
		}
	}
}

// attemptMatcher tells a payment's attempt from the other attempts of its
// terminal.
type attemptMatcher struct {
	s         *Server
	svc       *payments.Service
	paymentID string
	attempt   string          // "" until known
	others    map[string]bool // attempts known not to be the payment's
}

func (m *attemptMatcher) reload(ctx context.Context) {
	if p, err := m.svc.Payment(ctx, m.paymentID); err == nil && p.AttemptID != "" {
		m.attempt = p.AttemptID
	}
}

// ours reports whether attempt is the payment's: by the id the payment
// stored, else by the reference the attempt was sent with.
func (m *attemptMatcher) ours(ctx context.Context, attempt string) bool {
	if attempt == "" {
		return false
	}
	if m.attempt == "" {
		m.reload(ctx)
	}
	if m.attempt != "" {
		return attempt == m.attempt
	}
	if m.others[attempt] {
		return false
	}
	row, err := m.s.db.Payment(ctx, m.paymentID)
	if err != nil || row.Reference == "" {
		return false
	}
	rec, err := m.s.terminals.Attempt(ctx, attempt)
	if err == nil && rec.Reference == row.Reference {
		m.attempt = attempt
		return true
	}
	if m.others == nil {
		m.others = map[string]bool{}
	}
	m.others[attempt] = true
	return false
}
