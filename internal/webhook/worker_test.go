package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/webhook"
)

// fakeClock is the worker's and the store's clock: tests move it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// receiver is a dossier system's webhook endpoint that checks every
// signature and answers from a script (then 200).
type receiver struct {
	t      *testing.T
	secret []byte
	clock  *fakeClock
	mu     sync.Mutex
	script []int
	got    []string // bodies received with a valid signature
	bad    int      // requests whose signature did not check
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Header.Get("Content-Type") != "application/json" ||
		webhook.VerifyAt(r.secret, req.Header.Get(webhook.SignatureHeader), body, 5*time.Minute, r.clock.Now()) != nil {
		r.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	status := http.StatusOK
	if len(r.script) > 0 {
		status, r.script = r.script[0], r.script[1:]
	}
	if status == http.StatusOK {
		r.got = append(r.got, string(body))
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "answer "+http.StatusText(status))
}

func (r *receiver) bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

type fixture struct {
	db     *sqlite.DB
	clock  *fakeClock
	client sqlite.NewToken
	recv   *receiver
	url    string
	w      *webhook.Worker
}

var start = time.Date(2026, 7, 15, 3, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, script ...int) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "feepos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: &fakeClock{t: start}}
	db.Now = f.clock.Now
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		f.client, err = tx.CreateToken(ctx, "Một cửa", auth.RoleDossierSystem, auth.System("test"))
		return err
	}))
	f.recv = &receiver{t: t, secret: []byte(f.client.WebhookSecret), clock: f.clock, script: script}
	srv := httptest.NewServer(f.recv)
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/hook"
	f.w = webhook.New(db, webhook.Options{Now: f.clock.Now, Rand: func() float64 { return 0.5 }})
	return f
}

func (f *fixture) enqueue(t *testing.T, request, body string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, f.db.WithTx(context.Background(), func(tx *sqlite.Tx) error {
		var err error
		id, err = tx.EnqueueWebhook(context.Background(), sqlite.WebhookMessage{RequestID: request, ClientID: f.client.ID,
			URL: f.url, Event: "payment_request.paid", Body: []byte(body)})
		return err
	}))
	return id
}

func (f *fixture) message(t *testing.T, id int64) (sqlite.WebhookMessage, []sqlite.WebhookDelivery) {
	t.Helper()
	m, ds, err := f.db.Webhook(context.Background(), id)
	require.NoError(t, err)
	return m, ds
}

func TestSignAndVerify(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"event":"payment_request.paid"}`)
	h := webhook.Sign(secret, 1784084400, body)
	assert.Regexp(t, `^t=1784084400,v1=[0-9a-f]{64}$`, h)
	now := time.Unix(1784084400, 0)
	assert.NoError(t, webhook.VerifyAt(secret, h, body, time.Minute, now))
	assert.ErrorIs(t, webhook.VerifyAt([]byte("other"), h, body, 0, now), webhook.ErrSignature)
	assert.ErrorIs(t, webhook.VerifyAt(secret, h, []byte(`{}`), 0, now), webhook.ErrSignature)
	assert.ErrorIs(t, webhook.VerifyAt(secret, h, body, time.Minute, now.Add(2*time.Minute)), webhook.ErrSignature)
	assert.ErrorIs(t, webhook.VerifyAt(secret, "v1=00", body, 0, now), webhook.ErrSignature)
	// A second signature (a future change of secret) may be the one that checks.
	assert.NoError(t, webhook.VerifyAt(secret, "t=1784084400,v1=00ff,"+h[len("t=1784084400,"):], body, 0, now))
}

// A receiver that fails twice: delivered on the third try, each try kept,
// the waits between them growing.
func TestWorkerRetriesUntilDelivered(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	id := f.enqueue(t, "PR-1", `{"event":"payment_request.paid","amount":50000}`)

	n, err := f.w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	m, _ := f.message(t, id)
	assert.Equal(t, sqlite.WebhookPending, m.State)
	first := m.NextAt.Sub(start)
	assert.Equal(t, webhook.Backoff(1, 0.5), first)

	// Not due yet: nothing is tried.
	n, err = f.w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	f.clock.Set(m.NextAt)
	_, err = f.w.RunOnce(ctx)
	require.NoError(t, err)
	m2, _ := f.message(t, id)
	assert.Equal(t, 2*first, m2.NextAt.Sub(m.NextAt))

	f.clock.Set(m2.NextAt)
	_, err = f.w.RunOnce(ctx)
	require.NoError(t, err)
	m3, ds := f.message(t, id)
	assert.Equal(t, sqlite.WebhookDelivered, m3.State)
	assert.Equal(t, 3, m3.Tries)
	require.Len(t, ds, 3)
	assert.Equal(t, []int{500, 503, 200}, []int{ds[0].Status, ds[1].Status, ds[2].Status})
	assert.Equal(t, "answer Internal Server Error", ds[0].Response)
	assert.Contains(t, ds[0].Error, "HTTP 500")
	assert.Empty(t, ds[2].Error)
	assert.Equal(t, []string{`{"event":"payment_request.paid","amount":50000}`}, f.recv.bodies())
	assert.Zero(t, f.recv.bad, "every request carried a valid signature")
}

// Messages of one request arrive in the order they were written, even
// when the first one needs retries; other requests are not held back.
func TestWorkerKeepsOrderPerRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, http.StatusBadGateway) // the first request to arrive fails
	a1 := f.enqueue(t, "PR-A", `{"n":"a1"}`)
	f.enqueue(t, "PR-A", `{"n":"a2"}`)
	f.enqueue(t, "PR-A", `{"n":"a3"}`)
	f.w = webhook.New(f.db, webhook.Options{Now: f.clock.Now, Rand: func() float64 { return 0 }, Workers: 1})

	for range 5 {
		_, err := f.w.RunOnce(ctx)
		require.NoError(t, err)
	}
	assert.Empty(t, f.recv.bodies(), "a1 backs off, a2 and a3 wait for it")
	f.enqueue(t, "PR-B", `{"n":"b1"}`)
	_, err := f.w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{`{"n":"b1"}`}, f.recv.bodies(), "another request is not held back")

	m, _ := f.message(t, a1)
	f.clock.Set(m.NextAt)
	for {
		n, err := f.w.RunOnce(ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	assert.Equal(t, []string{`{"n":"b1"}`, `{"n":"a1"}`, `{"n":"a2"}`, `{"n":"a3"}`}, f.recv.bodies())
}

// A receiver down for 24 hours: the message is dead at the end of the
// window, after waits that never exceed an hour.
func TestWorkerGivesUpAfter24Hours(t *testing.T) {
	ctx := context.Background()
	down := make([]int, 1000)
	for i := range down {
		down[i] = http.StatusServiceUnavailable
	}
	f := newFixture(t, down...)
	id := f.enqueue(t, "PR-1", `{"event":"payment_request.paid"}`)
	tries := 0
	for {
		_, err := f.w.RunOnce(ctx)
		require.NoError(t, err)
		tries++
		m, _ := f.message(t, id)
		if m.State == sqlite.WebhookDead {
			assert.False(t, f.clock.Now().Before(start.Add(webhook.Window)))
			break
		}
		require.Equal(t, sqlite.WebhookPending, m.State)
		wait := m.NextAt.Sub(f.clock.Now())
		require.LessOrEqual(t, wait, webhook.MaxDelay)
		require.Positive(t, wait)
		require.Less(t, tries, 100)
		f.clock.Set(m.NextAt)
	}
	m, ds := f.message(t, id)
	assert.Len(t, ds, tries)
	assert.Equal(t, tries, m.Tries)
	assert.Contains(t, m.LastError, "HTTP 503")
	// Dead: never tried again by itself.
	f.clock.Set(start.Add(48 * time.Hour))
	n, err := f.w.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// A message that cannot be signed (no client) fails with a clear error
// and is retried like any other.
func TestWorkerWithoutSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var id int64
	require.NoError(t, f.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var err error
		id, err = tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: "PR-1", URL: f.url, Event: "x", Body: []byte(`{}`)})
		return err
	}))
	_, err := f.w.RunOnce(ctx)
	require.NoError(t, err)
	m, ds := f.message(t, id)
	assert.Equal(t, sqlite.WebhookPending, m.State)
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Error, "no webhook secret")
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, 3750*time.Millisecond, webhook.Backoff(1, 0.5))
	assert.Equal(t, 2500*time.Millisecond, webhook.Backoff(1, 0))
	assert.Equal(t, 7500*time.Millisecond, webhook.Backoff(2, 0.5))
	assert.InDelta(t, float64(time.Hour), float64(webhook.Backoff(13, 0.9999999)), float64(time.Second))
	assert.Equal(t, 30*time.Minute, webhook.Backoff(15, 0))
	assert.Equal(t, 30*time.Minute, webhook.Backoff(1000, 0))
}

// Run delivers at once when poked and stops with its context.
func TestWorkerRunWakesOnPoke(t *testing.T) {
	f := newFixture(t)
	f.w = webhook.New(f.db, webhook.Options{Now: f.clock.Now, Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.w.Run(ctx); close(done) }()
	f.enqueue(t, "PR-1", `{"n":1}`)
	f.w.Poke()
	require.Eventually(t, func() bool { return len(f.recv.bodies()) == 1 }, 30*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
}
