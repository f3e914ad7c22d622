package taxfiling_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/receipts/provider"
)

// Item 11 with item 2: the HTTP adapter's answers become delivery states:
// a refusal is rejected with its reason, a provider down leaves the
// document queued (sent again by Retry), the status poll records the tax
// office's acceptance.
func TestHTTPProviderAnswersBecomeDeliveryStates(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	var mu sync.Mutex
	down := false
	accepted := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		name := strings.TrimPrefix(req.URL.Path, "/documents/")
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if req.Method == http.MethodGet {
			if accepted[name] {
				_ = json.NewEncoder(w).Encode(map[string]string{"status": "accepted", "form": "01/TB-TNĐT", "number": "1"})
				return
			}
			w.WriteHeader(http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(req.Body)
		if strings.Contains(string(body), "BAD") {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "XML không hợp lệ"})
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "received"})
	}))
	defer srv.Close()
	r.svc.To = &provider.HTTP{Endpoint: srv.URL, Token: "t", Retries: 1, Timeout: 5 * time.Second,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	r.svc.Transport = "http"

	bad, err := r.svc.HandOver(ctx, receipts.Delivery{Document: "bad.xml", Kind: receipts.DocNotice}, []byte("<BAD/>"))
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryRejected, bad.State)
	assert.Equal(t, "XML không hợp lệ", bad.Reason)
	assert.Equal(t, receipts.AnswerProvider, bad.AnswerForm)

	mu.Lock()
	down = true
	mu.Unlock()
	_, err = r.svc.HandOver(ctx, receipts.Delivery{Document: "n.xml", Kind: receipts.DocNotice}, []byte("<ok/>"))
	require.ErrorContains(t, err, "HTTP 503")
	q, err := r.db.Delivery(ctx, "n.xml")
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryQueued, q.State)
	assert.Equal(t, 1, q.Attempts, "one failed hand-over (of two HTTP tries)")
	assert.Contains(t, q.LastError, "HTTP 503")

	mu.Lock()
	down = false
	mu.Unlock()
	n, err := r.svc.Retry(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	h, err := r.db.Delivery(ctx, "n.xml")
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryHandedOver, h.State)
	assert.Nil(t, h.FirstFailureAt, "the outage is over")

	mu.Lock()
	accepted["n.xml"] = true
	mu.Unlock()
	changed, err := r.svc.Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, changed)
	a, err := r.db.Delivery(ctx, "n.xml")
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryAccepted, a.State)
	assert.Equal(t, "01/TB-TNĐT", a.AnswerForm)
}
