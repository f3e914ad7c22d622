package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
)

// The retry policy (docs/API.md "Webhooks").
const (
	FirstDelay = 5 * time.Second  // the wait after the first failed try
	MaxDelay   = time.Hour        // the longest wait between two tries
	Window     = 24 * time.Hour   // how long a message is tried before it is dead
	Timeout    = 10 * time.Second // how long a receiver has to answer
)

// Options configure a Worker; the zero value is the service's.
type Options struct {
	Client  *http.Client     // default: Timeout, no redirects followed
	Now     func() time.Time // the clock of the schedule; default time.Now
	Rand    func() float64   // jitter in [0, 1); default math/rand/v2
	Workers int              // deliveries at once; default 4
	Poll    time.Duration    // Run looks for due messages at least this often; default 1 s
	Log     *slog.Logger
}

// Worker delivers the outbox. Run it in the background and Poke it when
// a message was enqueued; tests drive it step by step with RunOnce.
type Worker struct {
	db   *sqlite.DB
	opt  Options
	poke chan struct{}
}

// New makes a worker on db.
func New(db *sqlite.DB, opt Options) *Worker {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: Timeout,
			// A redirect would send the signed body somewhere the client
			// did not register: the 3xx is the answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Worker{db: db, opt: opt, poke: make(chan struct{}, 1)}
}

// Poke wakes the worker: a message was enqueued (or retried). It never
// blocks; pokes while the worker is busy are folded into one.
func (w *Worker) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: whenever poked, at least every Poll, and
// again at once after a round that tried something (the successors of a
// delivered message are due then).
func (w *Worker) Run(ctx context.Context) {
	timer := time.NewTimer(w.opt.Poll)
	defer timer.Stop()
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.opt.Log.Error("webhook delivery round failed", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n > 0 {
			continue
		}
		timer.Reset(w.opt.Poll)
		select {
		case <-ctx.Done():
			return
		case <-w.poke:
			// Since Go 1.23 a stopped timer never delivers a stale tick,
			// so Reset above needs no draining.
			timer.Stop()
		case <-timer.C:
		}
	}
}

// RunOnce tries, once, every message due now (at most one per payment
// request: the oldest not delivered), Workers at a time, and returns how
// many it tried.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	due, err := w.db.DueWebhooks(ctx, w.opt.Now(), 256)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	jobs := make(chan sqlite.WebhookMessage)
	errs := make([]error, w.opt.Workers)
	var wg sync.WaitGroup
	for i := range w.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range jobs {
				if err := w.deliver(ctx, m); err != nil && errs[i] == nil {
					errs[i] = err
				}
			}
		}()
	}
	n := 0
	for _, m := range due {
		if ctx.Err() != nil {
			break
		}
		jobs <- m
		n++
	}
	close(jobs)
	wg.Wait()
	return n, errors.Join(errs...)
}

// maxRead is how much of a receiver's answer is read (the store keeps
// less).
const maxRead = 4096

// deliver tries m once and records the try; the error is the store's.
func (w *Worker) deliver(ctx context.Context, m sqlite.WebhookMessage) error {
	at := w.opt.Now()
	try := sqlite.WebhookTry{At: at}
	req, err := w.request(ctx, m, at)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		try.Error = err.Error()
		return w.failed(ctx, m, try)
	}
	start := time.Now() // latency is measured, not scheduled: the wall clock
	resp, err := w.opt.Client.Do(req)
	try.Latency = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shutting down: not a try; the message stays due
		}
		try.Error = "no answer: " + err.Error()
		return w.failed(ctx, m, try)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	try.Status, try.Response = resp.StatusCode, string(body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		w.opt.Log.Debug("webhook delivered", "id", m.ID, "request", m.RequestID, "event", m.Event, "status", resp.StatusCode, "latency", try.Latency)
		return w.db.WebhookDelivered(context.WithoutCancel(ctx), m.ID, try)
	}
	try.Error = fmt.Sprintf("the receiver answered HTTP %d: only a 2xx counts as delivered", resp.StatusCode)
	return w.failed(ctx, m, try)
}

// request is m's POST, signed at at.
func (w *Worker) request(ctx context.Context, m sqlite.WebhookMessage, at time.Time) (*http.Request, error) {
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("callback URL %q is not an http(s) address: the payment request must name one", m.URL)
	}
	if m.ClientID == "" {
		return nil, errors.New("the message names no API client, so there is no webhook secret to sign it with")
	}
	secret, err := w.db.WebhookSecret(ctx, m.ClientID)
	if err != nil {
		return nil, fmt.Errorf("cannot sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "feepos-webhook/1")
	req.Header.Set(SignatureHeader, Sign(secret, at.Unix(), m.Body))
	req.Header.Set("Feepos-Event", m.Event)
	req.Header.Set("Feepos-Delivery", strconv.FormatInt(m.ID, 10)) // the same for every try: receivers dedupe on it
	return req, nil
}

// failed records a failed try and schedules the next, or gives up when
// the message's 24-hour window is over.
func (w *Worker) failed(ctx context.Context, m sqlite.WebhookMessage, try sqlite.WebhookTry) error {
	end := m.WindowStart.Add(Window)
	dead := !try.At.Before(end)
	next := try.At.Add(Backoff(m.WindowTries+1, w.opt.Rand()))
	if next.After(end) {
		next = end // one last try when the window closes
	}
	if dead {
		w.opt.Log.Warn("webhook dead: tried for 24 hours; an admin can retry it (POST /api/v1/webhooks/{id}/retry)",
			"id", m.ID, "request", m.RequestID, "event", m.Event, "tries", m.Tries+1, "err", try.Error)
	} else {
		w.opt.Log.Info("webhook not delivered, will retry", "id", m.ID, "request", m.RequestID, "next", next, "err", try.Error)
	}
	return w.db.WebhookFailed(context.WithoutCancel(ctx), m.ID, try, next, dead)
}

// Backoff is the wait after the n-th failed try of a window (n ≥ 1):
// FirstDelay doubled per try, capped at MaxDelay, with "equal jitter" (r
// in [0, 1) picks between half and all of it) so receivers coming back
// from an outage are not hit by every message at once.
func Backoff(n int, r float64) time.Duration {
	d := MaxDelay
	if n < 20 {
		d = min(FirstDelay<<(n-1), MaxDelay)
	}
	return d/2 + time.Duration(r*float64(d/2))
}
