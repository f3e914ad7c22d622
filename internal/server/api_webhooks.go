package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// The webhook outbox for admins (docs/API.md "Webhooks"): list messages by
// state, see one with every try, and retry a dead (or waiting) one.

// Poker wakes the webhook worker (internal/webhook.Worker).
type Poker interface{ Poke() }

// AddWebhookRoutes adds the admin's webhook routes; worker, if not nil,
// is poked after a retry so it is tried at once. Call it before serving.
func (s *Server) AddWebhookRoutes(worker Poker) {
	r := s.apiRouter().With(s.api()) // admin only
	r.Get("/webhooks", s.listWebhooks)
	r.Get("/webhooks/{id}", s.getWebhook)
	r.Post("/webhooks/{id}/retry", func(w http.ResponseWriter, req *http.Request) { s.retryWebhook(w, req, worker) })
}

// webhookJSON is a message as the API shows it.
type webhookJSON struct {
	ID               int64           `json:"id"`
	PaymentRequestID string          `json:"payment_request_id"`
	ClientID         string          `json:"client_id"`
	URL              string          `json:"url"`
	Event            string          `json:"event"`
	State            string          `json:"state"`
	Tries            int             `json:"tries"`
	CreatedAt        time.Time       `json:"created_at"`
	NextAt           *time.Time      `json:"next_at"` // pending only
	DeliveredAt      *time.Time      `json:"delivered_at"`
	LastError        string          `json:"last_error"`
	Body             json.RawMessage `json:"body"`
}

// webhookDetail is a message with every try, oldest first.
type webhookDetail struct {
	webhookJSON
	Deliveries []sqlite.WebhookDelivery `json:"deliveries"`
}

func webhookView(m sqlite.WebhookMessage) webhookJSON {
	v := webhookJSON{ID: m.ID, PaymentRequestID: m.RequestID, ClientID: m.ClientID, URL: m.URL, Event: m.Event, State: m.State,
		Tries: m.Tries, CreatedAt: m.CreatedAt, DeliveredAt: m.DeliveredAt, LastError: m.LastError, Body: m.Body}
	if m.State == sqlite.WebhookPending {
		next := m.NextAt
		v.NextAt = &next
	}
	if !json.Valid(m.Body) {
		v.Body, _ = json.Marshal(string(m.Body))
	}
	return v
}

// listWebhooks is GET /api/v1/webhooks?state=pending|delivered|dead&limit=N&before=ID,
// newest first; next_before, when set, is the before of the next page.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := sqlite.WebhookFilter{State: q.Get("state")}
	var err error
	if f.Limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		s.writeErr(w, r, err)
		return
	}
	before, err := queryInt(q.Get("before"), "before")
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	f.Before = int64(before)
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	ms, err := s.db.Webhooks(r.Context(), f)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := struct {
		Webhooks   []webhookJSON `json:"webhooks"`
		NextBefore *int64        `json:"next_before"`
	}{Webhooks: make([]webhookJSON, 0, len(ms))}
	for _, m := range ms {
		out.Webhooks = append(out.Webhooks, webhookView(m))
	}
	if len(ms) == f.Limit {
		last := ms[len(ms)-1].ID
		out.NextBefore = &last
	}
	writeJSON(w, http.StatusOK, out)
}

func queryInt(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalidf("%s=%q: give a whole number from 0", name, v)
	}
	return n, nil
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalidf("webhook id %q: give the id GET /api/v1/webhooks shows", chi.URLParam(r, "id"))
	}
	return id, nil
}

// getWebhook is GET /api/v1/webhooks/{id}: the message and every try.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := webhookID(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	m, ds, err := s.db.Webhook(r.Context(), id)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	v := webhookDetail{webhookView(m), ds}
	if v.Deliveries == nil {
		v.Deliveries = []sqlite.WebhookDelivery{}
	}
	writeJSON(w, http.StatusOK, v)
}

// retryWebhook is POST /api/v1/webhooks/{id}/retry: a dead or waiting
// message is due now with a new 24-hour window; audited with the admin.
func (s *Server) retryWebhook(w http.ResponseWriter, r *http.Request, worker Poker) {
	id, err := webhookID(r)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	actor, ok := auth.ActorFrom(r.Context())
	if !ok {
		writeError(w, http.StatusUnauthorized, apperr.Unauthorized, "no actor: this route needs an API token")
		return
	}
	var m sqlite.WebhookMessage
	err = s.db.WithTx(r.Context(), func(tx *sqlite.Tx) error {
		var err error
		m, err = tx.RetryWebhook(r.Context(), id, actor)
		return err
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if worker != nil {
		worker.Poke()
	}
	writeJSON(w, http.StatusOK, webhookView(m))
}
