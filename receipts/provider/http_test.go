package provider_test

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

// fakeProvider is a provider's REST API on loopback: it keeps one document
// per name, answers with the script's next status code first, and rejects
// bodies that contain "BAD".
type fakeProvider struct {
	mu      sync.Mutex
	docs    map[string]string
	script  []int // status codes to answer first, one per request
	puts    int
	keys    []string
	status  map[string]string // GET answers
	block   chan struct{}     // when set, PUT waits for it (a timeout)
	lastTok string
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/documents/")
	f.mu.Lock()
	f.lastTok = r.Header.Get("Authorization")
	if len(f.script) > 0 {
		code := f.script[0]
		f.script = f.script[1:]
		f.mu.Unlock()
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "try later")
		return
	}
	block := f.block
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodPut:
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.puts++
		f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
		if strings.Contains(string(body), "BAD") {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_ = json.NewEncoder(w).Encode(map[string]any{"reasons": []map[string]string{{"code": "MST01", "text": "Mã số thuế không đúng"}}})
			return
		}
		if have, ok := f.docs[name]; ok && have != string(body) {
			w.WriteHeader(http.StatusConflict)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "other content"})
			return
		}
		f.docs[name] = string(body)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]string{"document": name, "status": "received", "id": "P-1"})
	case http.MethodGet:
		f.mu.Lock()
		defer f.mu.Unlock()
		st, ok := f.status[name]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		ans := map[string]any{"document": name, "status": st, "form": "01/TB-TNĐT", "number": "7/TB", "date": "2026-07-02"}
		if st == "rejected" {
			ans["reason"] = "Sai định dạng"
		}
		_ = json.NewEncoder(w).Encode(ans)
	}
}

func newFake(t *testing.T) (*fakeProvider, *provider.HTTP, *[]time.Duration) {
	f := &fakeProvider{docs: map[string]string{}, status: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var waits []time.Duration
	h := &provider.HTTP{Endpoint: srv.URL + "/api", Token: "s3cret", Retries: 3, Backoff: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	return f, h, &waits
}

func TestHTTPProviderSuccessAndIdempotency(t *testing.T) {
	ctx := context.Background()
	f, h, waits := newFake(t)
	res, err := h.Submit(ctx, receipts.DocSummary, "01TH-BLDT_0301234567_20260701_LD.xml", []byte("<a/>"))
	require.NoError(t, err)
	assert.Equal(t, receipts.HandOver{State: receipts.DeliveryHandedOver, Ref: "P-1"}, res)
	assert.Equal(t, "Bearer s3cret", f.lastTok)
	assert.Equal(t, []string{"01TH-BLDT_0301234567_20260701_LD.xml"}, f.keys, "the document's name is the idempotency key")
	assert.Empty(t, *waits)

	// The same name and bytes again: the provider holds one document.
	_, err = h.Submit(ctx, receipts.DocSummary, "01TH-BLDT_0301234567_20260701_LD.xml", []byte("<a/>"))
	require.NoError(t, err)
	assert.Len(t, f.docs, 1)
	// Other bytes under that name: a conflict, not retried.
	_, err = h.Submit(ctx, receipts.DocSummary, "01TH-BLDT_0301234567_20260701_LD.xml", []byte("<b/>"))
	var re *receipts.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, receipts.EConflict, re.Code)
	assert.Empty(t, *waits)

	// Poll: an answer for the documents the provider has news of.
	f.status["01TH-BLDT_0301234567_20260701_LD.xml"] = "accepted"
	f.status["x.xml"] = "rejected"
	answers, err := h.Poll(ctx, []string{"01TH-BLDT_0301234567_20260701_LD.xml", "x.xml", "unknown.xml"})
	require.NoError(t, err)
	require.Len(t, answers, 2)
	assert.Equal(t, receipts.DeliveryAccepted, answers[0].Result)
	assert.Equal(t, "01/TB-TNĐT", answers[0].Form)
	assert.Equal(t, receipts.DeliveryRejected, answers[1].Result)
	assert.Equal(t, "Sai định dạng", answers[1].Reason())
}

func TestHTTPProviderRetries5xxWithBackoff(t *testing.T) {
	f, h, waits := newFake(t)
	f.script = []int{503, 502}
	res, err := h.Submit(context.Background(), receipts.DocReceipt, "EBL01_0301234567_26TAA_00000001.xml", []byte("<r/>"))
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryHandedOver, res.State)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, *waits, "backoff doubles")
	assert.Equal(t, 1, f.puts)

	// Down for good: an error after the retries, for the caller to queue.
	*waits = nil
	f.script = []int{500, 500, 500, 500, 500}
	_, err = h.Submit(context.Background(), receipts.DocReceipt, "EBL01_0301234567_26TAA_00000002.xml", []byte("<r/>"))
	require.ErrorContains(t, err, "HTTP 500")
	require.ErrorContains(t, err, "tried 4 times")
	assert.Len(t, *waits, 3)
}

func TestHTTPProviderRejectionWithReason(t *testing.T) {
	_, h, waits := newFake(t)
	res, err := h.Submit(context.Background(), receipts.DocNotice, "04SS-CTDT_0301234567_20260701.xml", []byte("<BAD/>"))
	require.NoError(t, err, "a refusal is an answer, not a failure")
	assert.Equal(t, receipts.DeliveryRejected, res.State)
	assert.Equal(t, "MST01: Mã số thuế không đúng", res.Reason)
	assert.Empty(t, *waits, "a 4xx is not retried")
	require.ErrorContains(t, h.Send(context.Background(), receipts.DocNotice, "n2.xml", []byte("<BAD/>")), "the provider refused n2.xml: MST01")

	h.Token = "wrong"
	_, err = h.Submit(context.Background(), receipts.DocNotice, "n3.xml", []byte("<ok/>"))
	require.ErrorContains(t, err, "credentials are refused")
	h.Token = ""
	_, err = h.Submit(context.Background(), receipts.DocNotice, "n3.xml", []byte("<ok/>"))
	require.ErrorContains(t, err, "FEEPOS_PROVIDER_TOKEN")
}

func TestHTTPProviderTimeout(t *testing.T) {
	f, h, waits := newFake(t)
	f.block = make(chan struct{})
	defer close(f.block)
	h.Timeout = 50 * time.Millisecond // the server never answers: every attempt times out
	h.Retries = 1
	_, err := h.Submit(context.Background(), receipts.DocSummary, "s.xml", []byte("<a/>"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tried 2 times")
	assert.Contains(t, err.Error(), "Timeout")
	assert.Len(t, *waits, 1, "a timeout is retried")
}

// Over HTTPS, as a real provider answers: the client's TLS settings come
// with Client.
func TestHTTPProviderOverTLS(t *testing.T) {
	f := &fakeProvider{docs: map[string]string{}, status: map[string]string{}}
	srv := httptest.NewTLSServer(f)
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 10 * time.Second
	h := &provider.HTTP{Endpoint: srv.URL + "/api", Token: "s3cret", Client: client}
	require.True(t, strings.HasPrefix(h.Endpoint, "https://"))
	res, err := h.Submit(context.Background(), receipts.DocClosure, "CHOTNGAY_20260701.xml", []byte("<c/>"))
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryHandedOver, res.State)

	// Without the provider's certificate trusted, nothing is sent.
	h.Client = nil
	h.Retries = -1
	_, err = h.Submit(context.Background(), receipts.DocClosure, "CHOTNGAY_20260702.xml", []byte("<c/>"))
	require.ErrorContains(t, err, "certificate")
	assert.Len(t, f.docs, 1)
}
