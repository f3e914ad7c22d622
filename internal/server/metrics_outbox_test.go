package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// /metrics shows the webhook outbox by state, so an undelivered message
// is seen before a dossier system asks.
func TestMetricsShowTheWebhookOutbox(t *testing.T) {
	s, db := newTestServer(t)
	rec := get(t, s, "/metrics")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `feepos_webhook_messages{state="pending"} 0`)
	assert.Contains(t, rec.Body.String(), "feepos_webhook_oldest_pending_seconds 0")

	ctx := context.Background()
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: "PR1", URL: "http://127.0.0.1:9/hook", Event: "payment_request.paid", Body: []byte(`{}`)})
		return err
	}))
	rec = get(t, s, "/metrics")
	assert.Contains(t, rec.Body.String(), `feepos_webhook_messages{state="pending"} 1`)
	assert.Contains(t, rec.Body.String(), `feepos_webhook_messages{state="dead"} 0`)
	assert.NotContains(t, rec.Body.String(), "feepos_webhook_oldest_pending_seconds 0\n")
}
