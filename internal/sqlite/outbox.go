package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The webhook outbox (migration 0009, docs/API.md "Webhooks"). The
// payment workflow enqueues a message in the transaction that records the
// change it announces; internal/webhook delivers it.

// WebhookMessage is one message to a dossier system.
type WebhookMessage struct {
	ID        int64
	RequestID string // the payment request: delivery keeps order per request
	ClientID  string // the API client (token id) whose webhook secret signs it
	URL       string
	Event     string // e.g. "payment_request.paid"
	Body      []byte // the exact JSON sent and signed
	CreatedAt time.Time
	State     string // pending, delivered, dead
	Tries     int
	NextAt    time.Time
	LastError string

	DeliveredAt *time.Time
	WindowStart time.Time // the retry window's start: CreatedAt, or an admin's last retry
	WindowTries int       // tries in that window (the backoff's exponent)
	RetriedBy   string    // the admin whose retry is not tried yet
}

// EnqueueWebhook writes m to the outbox, due now; its id is returned.
func (tx *Tx) EnqueueWebhook(ctx context.Context, m WebhookMessage) (int64, error) {
	if m.RequestID == "" || m.URL == "" || m.Event == "" || len(m.Body) == 0 {
		return 0, errors.New("webhook message: request, URL, event and body are required")
	}
	now := outboxTime(tx.Now)
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_outbox
		(request_id, client_id, url, event, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.RequestID, m.ClientID, m.URL, m.Event, m.Body, now, now)
	if err != nil {
		return 0, fmt.Errorf("enqueue webhook %s for %s: %w", m.Event, m.RequestID, err)
	}
	return res.LastInsertId()
}
