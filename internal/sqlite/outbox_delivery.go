package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
)

// Delivering the webhook outbox (migration 0009, docs/API.md "Webhooks"):
// what internal/webhook's worker reads and records, and what an admin
// lists and retries. The backoff policy is the worker's; the store only
// keeps per-request order and the state.

// outboxTimeLayout is RFC 3339 in UTC with always nine digits of
// nanoseconds: the outbox's times then compare as text in SQL (next_at <=
// now), which RFC3339Nano's trimmed fractions do not ("…05.5Z" sorts after
// "…05.50001Z").
const outboxTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func outboxTime(t time.Time) string { return t.UTC().Format(outboxTimeLayout) }

// WebhookDelivery is one try to deliver a message.
type WebhookDelivery struct {
	ID        int64     `json:"id"`
	MessageID int64     `json:"-"`
	At        time.Time `json:"at"`
	Status    int       `json:"status"`   // HTTP status, 0: no answer
	Response  string    `json:"response"` // the receiver's answer, truncated
	Error     string    `json:"error"`
	LatencyMS int64     `json:"latency_ms"`
	Actor     string    `json:"actor"` // the admin whose retry led to this try
}

// WebhookTry is the outcome of one try, as the worker saw it.
type WebhookTry struct {
	At       time.Time
	Status   int
	Response string
	Error    string
	Latency  time.Duration
}

// Webhook states.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookDead      = "dead"
)

type outboxRow struct {
	ID          int64          `db:"id"`
	RequestID   string         `db:"request_id"`
	ClientID    string         `db:"client_id"`
	URL         string         `db:"url"`
	Event       string         `db:"event"`
	Body        []byte         `db:"body"`
	CreatedAt   string         `db:"created_at"`
	State       string         `db:"state"`
	Tries       int            `db:"tries"`
	NextAt      string         `db:"next_at"`
	LastError   string         `db:"last_error"`
	DeliveredAt sql.NullString `db:"delivered_at"`
	WindowStart sql.NullString `db:"window_start"`
	WindowTries int            `db:"window_tries"`
	RetriedBy   string         `db:"retried_by"`
}

const outboxColumns = `id, request_id, client_id, url, event, body, created_at, state, tries, next_at, last_error,
	delivered_at, window_start, window_tries, retried_by`

func parseOutboxTime(id int64, what, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("webhook message %d: %s %q: %w", id, what, s, err)
	}
	return t, nil
}

func (r outboxRow) message() (WebhookMessage, error) {
	m := WebhookMessage{ID: r.ID, RequestID: r.RequestID, ClientID: r.ClientID, URL: r.URL, Event: r.Event, Body: r.Body,
		State: r.State, Tries: r.Tries, LastError: r.LastError, WindowTries: r.WindowTries, RetriedBy: r.RetriedBy}
	var err error
	if m.CreatedAt, err = parseOutboxTime(r.ID, "created_at", r.CreatedAt); err != nil {
		return m, err
	}
	if m.NextAt, err = parseOutboxTime(r.ID, "next_at", r.NextAt); err != nil {
		return m, err
	}
	m.WindowStart = m.CreatedAt
	if r.WindowStart.Valid {
		if m.WindowStart, err = parseOutboxTime(r.ID, "window_start", r.WindowStart.String); err != nil {
			return m, err
		}
	}
	if r.DeliveredAt.Valid {
		at, err := parseOutboxTime(r.ID, "delivered_at", r.DeliveredAt.String)
		if err != nil {
			return m, err
		}
		m.DeliveredAt = &at
	}
	return m, nil
}

func outboxMessages(rows []outboxRow) ([]WebhookMessage, error) {
	out := make([]WebhookMessage, 0, len(rows))
	for _, r := range rows {
		m, err := r.message()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// DueWebhooks lists up to limit messages the worker may try at now: each
// is pending, due, and the oldest message of its payment request not yet
// delivered. A message waits while an older one of its request is pending
// (backing off) or dead: the receiver sees a request's events in order,
// and a dead message blocks its successors until an admin retries it.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]WebhookMessage, error) {
	if limit <= 0 {
		limit = 64
	}
	var rows []outboxRow
	err := db.db.SelectContext(ctx, &rows, `SELECT `+outboxColumns+` FROM webhook_outbox o
		WHERE o.state = 'pending' AND o.next_at <= ?
		  AND NOT EXISTS (SELECT 1 FROM webhook_outbox p
		                  WHERE p.request_id = o.request_id AND p.id < o.id AND p.state <> 'delivered')
		ORDER BY o.next_at, o.id LIMIT ?`, outboxTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("read due webhooks: %w", err)
	}
	return outboxMessages(rows)
}

// NextWebhookAt is when the earliest pending message is due (ok false:
// none is pending). The worker sleeps until then at most.
func (db *DB) NextWebhookAt(ctx context.Context) (at time.Time, ok bool, err error) {
	var next sql.NullString
	if err := db.db.GetContext(ctx, &next, `SELECT MIN(next_at) FROM webhook_outbox WHERE state = 'pending'`); err != nil {
		return time.Time{}, false, fmt.Errorf("read the next webhook due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	at, err = parseOutboxTime(0, "next_at", next.String)
	return at, err == nil, err
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// maxResponse is how much of a receiver's answer a delivery row keeps.
const maxResponse = 1024

func (tx *Tx) recordTry(ctx context.Context, id int64, try WebhookTry) (outboxRow, error) {
	var r outboxRow
	err := tx.GetContext(ctx, &r, `SELECT `+outboxColumns+` FROM webhook_outbox WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFoundf("there is no webhook message %d", id)
	}
	if err != nil {
		return r, fmt.Errorf("read webhook message %d: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (message_id, at, status, response, error, latency_ms, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, outboxTime(try.At), try.Status, truncateUTF8(try.Response, maxResponse),
		truncateUTF8(try.Error, maxResponse), try.Latency.Milliseconds(), r.RetriedBy)
	if err != nil {
		return r, fmt.Errorf("record a try of webhook message %d: %w", id, err)
	}
	return r, nil
}

// WebhookDelivered records try (the receiver answered 2xx) and marks the
// message delivered.
func (db *DB) WebhookDelivered(ctx context.Context, id int64, try WebhookTry) error {
	return db.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.recordTry(ctx, id, try); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = 'delivered', tries = tries + 1,
			window_tries = window_tries + 1, delivered_at = ?, last_error = '', retried_by = '' WHERE id = ?`, outboxTime(try.At), id)
		return err
	})
}

// WebhookFailed records a failed try and schedules the next one at next,
// or, with dead, gives the message up until an admin retries it.
func (db *DB) WebhookFailed(ctx context.Context, id int64, try WebhookTry, next time.Time, dead bool) error {
	state := WebhookPending
	if dead {
		state = WebhookDead
	}
	msg := try.Error
	if msg == "" {
		msg = fmt.Sprintf("the receiver answered HTTP %d", try.Status)
	}
	return db.WithTx(ctx, func(tx *Tx) error {
		r, err := tx.recordTry(ctx, id, try)
		if err != nil {
			return err
		}
		if r.State != WebhookPending {
			return nil // an admin changed it meanwhile: the try is kept, the state is theirs
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = ?, tries = tries + 1, window_tries = window_tries + 1,
			next_at = ?, last_error = ?, retried_by = '' WHERE id = ?`, state, outboxTime(next), truncateUTF8(msg, maxResponse), id)
		return err
	})
}

// WebhookFilter selects messages for an admin; empty fields select all.
type WebhookFilter struct {
	State  string // pending, delivered, dead
	Before int64  // page: messages with a smaller id
	Limit  int    // default 50, at most 500
}

// Webhooks lists messages, newest first.
func (db *DB) Webhooks(ctx context.Context, f WebhookFilter) ([]WebhookMessage, error) {
	switch f.State {
	case "", WebhookPending, WebhookDelivered, WebhookDead:
	default:
		return nil, coded{apperr.Invalid, fmt.Errorf("webhook state %q: use pending, delivered or dead", f.State)}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	var rows []outboxRow
	err := db.db.SelectContext(ctx, &rows, `SELECT `+outboxColumns+` FROM webhook_outbox
		WHERE (? = '' OR state = ?) AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`,
		f.State, f.State, f.Before, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	return outboxMessages(rows)
}

// Webhook is one message and every try to deliver it, oldest first.
func (db *DB) Webhook(ctx context.Context, id int64) (WebhookMessage, []WebhookDelivery, error) {
	var r outboxRow
	err := db.db.GetContext(ctx, &r, `SELECT `+outboxColumns+` FROM webhook_outbox WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookMessage{}, nil, notFoundf("there is no webhook message %d: GET /api/v1/webhooks lists them", id)
	}
	if err != nil {
		return WebhookMessage{}, nil, fmt.Errorf("read webhook message %d: %w", id, err)
	}
	m, err := r.message()
	if err != nil {
		return m, nil, err
	}
	var rows []struct {
		ID        int64  `db:"id"`
		MessageID int64  `db:"message_id"`
		At        string `db:"at"`
		Status    int    `db:"status"`
		Response  string `db:"response"`
		Error     string `db:"error"`
		LatencyMS int64  `db:"latency_ms"`
		Actor     string `db:"actor"`
	}
	if err := db.db.SelectContext(ctx, &rows, `SELECT id, message_id, at, status, response, error, latency_ms, actor
		FROM webhook_deliveries WHERE message_id = ? ORDER BY id`, id); err != nil {
		return m, nil, fmt.Errorf("read the tries of webhook message %d: %w", id, err)
	}
	ds := make([]WebhookDelivery, 0, len(rows))
	for _, d := range rows {
		at, err := parseOutboxTime(id, "delivery at", d.At)
		if err != nil {
			return m, nil, err
		}
		ds = append(ds, WebhookDelivery{ID: d.ID, MessageID: d.MessageID, At: at, Status: d.Status, Response: d.Response,
			Error: d.Error, LatencyMS: d.LatencyMS, Actor: d.Actor})
	}
	return m, ds, nil
}

// RetryWebhook makes a dead or pending message due now, with a new 24-hour
// retry window, and writes an audit line naming by. A delivered message
// is a conflict: it arrived.
func (tx *Tx) RetryWebhook(ctx context.Context, id int64, by auth.Actor) (WebhookMessage, error) {
	var r outboxRow
	err := tx.GetContext(ctx, &r, `SELECT `+outboxColumns+` FROM webhook_outbox WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookMessage{}, notFoundf("there is no webhook message %d: GET /api/v1/webhooks lists them", id)
	}
	if err != nil {
		return WebhookMessage{}, fmt.Errorf("read webhook message %d: %w", id, err)
	}
	if r.State == WebhookDelivered {
		return WebhookMessage{}, coded{apperr.Conflict, fmt.Errorf("webhook message %d was already delivered: the receiver answered 2xx, nothing to retry", id)}
	}
	now := outboxTime(tx.Now)
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET state = 'pending', next_at = ?, window_start = ?, window_tries = 0,
		retried_by = ? WHERE id = ?`, now, now, by.String(), id); err != nil {
		return WebhookMessage{}, fmt.Errorf("retry webhook message %d: %w", id, err)
	}
	detail, _ := json.Marshal(map[string]any{"from_state": r.State, "tries": r.Tries, "payment_request_id": r.RequestID})
	if err := tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "webhook.retry", Object: fmt.Sprintf("webhook:%d", id), Detail: detail}); err != nil {
		return WebhookMessage{}, err
	}
	if err := tx.GetContext(ctx, &r, `SELECT `+outboxColumns+` FROM webhook_outbox WHERE id = ?`, id); err != nil {
		return WebhookMessage{}, err
	}
	return r.message()
}

func notFoundf(format string, a ...any) error {
	return coded{apperr.NotFound, fmt.Errorf(format, a...)}
}
