package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
)

func enqueue(t *testing.T, db *sqlite.DB, request, event string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, db.WithTx(context.Background(), func(tx *sqlite.Tx) error {
		var err error
		id, err = tx.EnqueueWebhook(context.Background(), sqlite.WebhookMessage{RequestID: request, ClientID: "1",
			URL: "http://127.0.0.1:1/hook", Event: event, Body: []byte(`{"event":"` + event + `"}`)})
		return err
	}))
	return id
}

func dueIDs(t *testing.T, db *sqlite.DB, now time.Time) []int64 {
	t.Helper()
	ms, err := db.DueWebhooks(context.Background(), now, 0)
	require.NoError(t, err)
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// Only the oldest message of a request not yet delivered is due: one
// backing off or dead holds its successors back.
func TestDueWebhooksKeepOrderPerRequest(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	now := testNow
	db.Now = func() time.Time { return now }
	a1 := enqueue(t, db, "PR-A", "payment_request.processing")
	a2 := enqueue(t, db, "PR-A", "payment_request.paid")
	b1 := enqueue(t, db, "PR-B", "payment_request.paid")

	assert.Equal(t, []int64{a1, b1}, dueIDs(t, db, now))
	// a1 fails: a2 is not due, not even once a1's next try is.
	require.NoError(t, db.WebhookFailed(ctx, a1, sqlite.WebhookTry{At: now, Status: 500, Response: "oops"}, now.Add(5*time.Second), false))
	assert.Equal(t, []int64{b1}, dueIDs(t, db, now))
	assert.ElementsMatch(t, []int64{a1, b1}, dueIDs(t, db, now.Add(5*time.Second)))
	// a1 dead: a2 still waits.
	require.NoError(t, db.WebhookFailed(ctx, a1, sqlite.WebhookTry{At: now, Error: "refused"}, now, true))
	assert.Equal(t, []int64{b1}, dueIDs(t, db, now.Add(time.Hour)))
	// An admin's retry makes a1 due again, then a1 delivered lets a2 go.
	_, _, err := db.Webhook(ctx, 99)
	assert.Equal(t, apperr.NotFound, apperr.Code(err))
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		m, err := tx.RetryWebhook(ctx, a1, cliActor)
		assert.Equal(t, sqlite.WebhookPending, m.State)
		assert.True(t, now.Equal(m.WindowStart))
		assert.Zero(t, m.WindowTries)
		return err
	}))
	assert.ElementsMatch(t, []int64{a1, b1}, dueIDs(t, db, now))
	require.NoError(t, db.WebhookDelivered(ctx, a1, sqlite.WebhookTry{At: now, Status: 204, Latency: 3 * time.Millisecond}))
	assert.ElementsMatch(t, []int64{a2, b1}, dueIDs(t, db, now))

	m, ds, err := db.Webhook(ctx, a1)
	require.NoError(t, err)
	assert.Equal(t, sqlite.WebhookDelivered, m.State)
	assert.Equal(t, 3, m.Tries)
	require.Len(t, ds, 3)
	assert.Equal(t, 500, ds[0].Status)
	assert.Equal(t, "oops", ds[0].Response)
	assert.Equal(t, "refused", ds[1].Error)
	assert.Equal(t, cliActor.String(), ds[2].Actor, "the try after a retry names who asked")
	assert.EqualValues(t, 3, ds[2].LatencyMS)

	// Delivered cannot be retried.
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { _, err := tx.RetryWebhook(ctx, a1, cliActor); return err })
	assert.Equal(t, apperr.Conflict, apperr.Code(err))

	list, err := db.Webhooks(ctx, sqlite.WebhookFilter{State: "pending"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, b1, list[0].ID)
	list, err = db.Webhooks(ctx, sqlite.WebhookFilter{Before: b1, Limit: 1})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, a2, list[0].ID)
	_, err = db.Webhooks(ctx, sqlite.WebhookFilter{State: "lost"})
	assert.Equal(t, apperr.Invalid, apperr.Code(err))

	audit, err := db.AuditLog(ctx, sqlite.AuditFilter{Action: "webhook.retry"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Contains(t, string(audit[0].Detail), `"from_state":"dead"`)
}

// next_at compares as text: sub-second times must not sort wrongly.
func TestDueWebhooksSubSecond(t *testing.T) {
	db := newTestDB(t)
	base := testNow.Truncate(time.Second).Add(500 * time.Millisecond)
	db.Now = func() time.Time { return base.Add(10 * time.Microsecond) } // …05.50001
	id := enqueue(t, db, "PR-A", "x")
	assert.Empty(t, dueIDs(t, db, base)) // …05.5 is before it
	assert.Equal(t, []int64{id}, dueIDs(t, db, base.Add(10*time.Microsecond)))
}
