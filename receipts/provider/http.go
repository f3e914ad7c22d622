// Package provider holds the adapters that hand feepos's documents to a
// licensed e-receipt provider beyond the drop folder (receipts.FileDrop):
// HTTP is a client of a provider's REST API (docs/RECEIPTS.md "The provider
// hand-off").
package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/feepos/feepos/receipts"
)

// HTTP hands documents to a provider's REST API:
//
//	PUT {Endpoint}/documents/{name}          the document, as is
//	    Authorization: Bearer {Token}
//	    Content-Type: application/xml
//	    Idempotency-Key: {name}               the same name is the same document
//	    X-Feepos-Kind: receipt|summary|notice|closure
//	    X-Feepos-SHA256: {hex}                of the body
//	  → 200/201/202 {"document": name, "status": "received"|"accepted"|"rejected",
//	                 "reason": "…", "id": "…"}
//	  → 409 the name is taken by other content: an error, never retried
//	  → 400/422 the provider refuses the document: rejected, with
//	            {"error": "…"} or {"reasons": [{"code", "text"}]} as the reason
//	  → 401/403 the credentials: an error, never retried (fix the config)
//	  → 5xx, 429, a network error, a timeout: retried with backoff, then an error
//	GET {Endpoint}/documents/{name}           the status (Poll)
//	  → 200 {"document", "status", "reason" | "reasons", "form", "number",
//	         "date", "tax_office_code"}; 404: not known (yet)
//
// PUT to the document's own URL makes a retry idempotent by construction:
// the provider stores one document per name; the Idempotency-Key header says
// so to APIs that key on it. A provider whose API differs gets a small
// adapter of this shape (docs/RECEIPTS.md).
type HTTP struct {
	Endpoint string // https://provider.example/api/v1
	Token    string
	// Timeout bounds each attempt; 0 means 30 s.
	Timeout time.Duration
	// Retries is how many times a 5xx, 429 or network failure is tried
	// again; 0 means 4, negative none.
	Retries int
	// Backoff is the wait before the first retry, doubled each time (at
	// most 1 min); 0 means 1 s.
	Backoff time.Duration
	// Client is the HTTP client; nil means a client with Timeout.
	Client *http.Client
	// Sleep waits between attempts; nil waits on a timer. Tests pass
	// one that does not wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

var (
	_ receipts.Transmitter = (*HTTP)(nil)
	_ receipts.Submitter   = (*HTTP)(nil)
	_ receipts.Poller      = (*HTTP)(nil)
)

// Check says what is wrong with the settings.
func (h *HTTP) Check() error {
	u, err := url.Parse(h.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return receipts.Invalidf("provider endpoint %q: give the API's base address, e.g. https://provider.example/api/v1", h.Endpoint)
	}
	if h.Token == "" {
		return receipts.Invalidf("provider endpoint %s: no credentials: set [receipts.provider] token_env (default FEEPOS_PROVIDER_TOKEN) or token", h.Endpoint)
	}
	return nil
}

// answer is the provider's JSON answer.
type answer struct {
	Document      string                  `json:"document"`
	Status        string                  `json:"status"`
	Reason        string                  `json:"reason"`
	Error         string                  `json:"error"`
	Reasons       []receipts.AnswerReason `json:"reasons"`
	ID            string                  `json:"id"`
	Form          string                  `json:"form"`
	Number        string                  `json:"number"`
	Date          string                  `json:"date"`
	TaxOfficeCode string                  `json:"tax_office_code"`
}

func (a answer) reason() string {
	if r := (receipts.Answer{Reasons: a.Reasons}).Reason(); r != "" {
		return r
	}
	if a.Reason != "" {
		return a.Reason
	}
	return a.Error
}

// Send hands the document over; a refusal is an error too (use Submit to
// tell them apart).
func (h *HTTP) Send(ctx context.Context, kind receipts.DocKind, name string, payload []byte) error {
	res, err := h.Submit(ctx, kind, name, payload)
	if err == nil && res.State == receipts.DeliveryRejected {
		return receipts.Invalidf("the provider refused %s: %s", name, res.Reason)
	}
	return err
}

// Submit hands the document over and maps the answer to a delivery state.
func (h *HTTP) Submit(ctx context.Context, kind receipts.DocKind, name string, payload []byte) (receipts.HandOver, error) {
	if err := h.Check(); err != nil {
		return receipts.HandOver{}, err
	}
	sum := sha256.Sum256(payload)
	var out receipts.HandOver
	err := h.do(ctx, "hand "+name+" over", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, h.docURL(name), bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set("Idempotency-Key", name)
		req.Header.Set("X-Feepos-Kind", string(kind))
		req.Header.Set("X-Feepos-SHA256", hex.EncodeToString(sum[:]))
		return req, nil
	}, func(code int, a answer) error {
		switch {
		case code >= 200 && code < 300:
			switch a.Status {
			case "accepted":
				out = receipts.HandOver{State: receipts.DeliveryAccepted, Ref: a.ID}
			case "rejected":
				out = receipts.HandOver{State: receipts.DeliveryRejected, Reason: orDefault(a.reason(), "refused without a reason"), Ref: a.ID}
			default: // received, queued, processing…: the answer comes later
				out = receipts.HandOver{State: receipts.DeliveryHandedOver, Ref: a.ID}
			}
			return nil
		case code == http.StatusConflict:
			return receipts.Conflictf("the provider already holds %s with other content: a document handed over is never replaced; send a correction as a new document (%s)", name, a.reason())
		case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
			out = receipts.HandOver{State: receipts.DeliveryRejected, Reason: orDefault(a.reason(), fmt.Sprintf("HTTP %d without a reason", code))}
			return nil
		}
		return fmt.Errorf("provider %s answered HTTP %d to the hand-over of %s: %s (check [receipts.provider] endpoint)", h.Endpoint, code, name, orDefault(a.reason(), "no reason given"))
	})
	return out, err
}

// Poll asks where each document stands; documents the provider has no
// answer for yet are left out.
func (h *HTTP) Poll(ctx context.Context, documents []string) ([]receipts.Answer, error) {
	if err := h.Check(); err != nil {
		return nil, err
	}
	var out []receipts.Answer
	for _, name := range documents {
		var got *receipts.Answer
		err := h.do(ctx, "ask about "+name, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, h.docURL(name), nil)
		}, func(code int, a answer) error {
			if code == http.StatusNotFound || code < 200 || code >= 300 {
				return nil
			}
			var state receipts.DeliveryState
			switch a.Status {
			case "accepted":
				state = receipts.DeliveryAccepted
			case "rejected":
				state = receipts.DeliveryRejected
			default:
				return nil
			}
			form := a.Form
			if form == "" {
				form = receipts.AnswerProvider
			}
			ans := receipts.Answer{Form: form, Number: a.Number, Date: a.Date, Document: name, Result: state, TaxOfficeCode: a.TaxOfficeCode, Reasons: a.Reasons}
			if state == receipts.DeliveryRejected && ans.Reason() == "" {
				ans.Reasons = []receipts.AnswerReason{{Text: orDefault(a.reason(), "refused without a reason")}}
			}
			got = &ans
			return nil
		})
		if err != nil {
			return out, err
		}
		if got != nil {
			out = append(out, *got)
		}
	}
	return out, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func (h *HTTP) docURL(name string) string {
	return strings.TrimRight(h.Endpoint, "/") + "/documents/" + url.PathEscape(name)
}

func (h *HTTP) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	t := h.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	return &http.Client{Timeout: t}
}

// transient is a failure worth trying again.
type transient struct{ err error }

func (t transient) Error() string { return t.err.Error() }
func (t transient) Unwrap() error { return t.err }

// do runs one request with retries: build makes a fresh request per
// attempt, handle reads a final (non-transient) answer.
func (h *HTTP) do(ctx context.Context, what string, build func(context.Context) (*http.Request, error), handle func(int, answer) error) error {
	retries := h.Retries
	if retries == 0 {
		retries = 4
	}
	if retries < 0 {
		retries = 0
	}
	wait := h.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	sleep := h.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var last error
	for attempt := 0; ; attempt++ {
		err := h.once(ctx, build, handle)
		var tr transient
		if err == nil || !errors.As(err, &tr) {
			return err
		}
		last = tr.err
		if attempt >= retries || ctx.Err() != nil {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			break
		}
		wait = min(2*wait, time.Minute)
	}
	return fmt.Errorf("provider %s: %s: %w (tried %d times; the document stays queued and is sent again)", h.Endpoint, what, last, retries+1)
}

func (h *HTTP) once(ctx context.Context, build func(context.Context) (*http.Request, error), handle func(int, answer) error) error {
	req, err := build(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := h.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return transient{err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return transient{err}
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return transient{fmt.Errorf("HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(body)))}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		// Not a refusal of the document: nothing goes until the
		// credentials are fixed, which is an outage (its deadline runs).
		return fmt.Errorf("provider %s answered HTTP %d: the credentials are refused: check [receipts.provider] token_env", h.Endpoint, resp.StatusCode)
	}
	var a answer
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &a); err != nil && resp.StatusCode < 300 {
			return fmt.Errorf("provider %s answered HTTP %d with a body that is not its JSON answer: %w", h.Endpoint, resp.StatusCode, err)
		} else if err != nil {
			a.Error = strings.TrimSpace(string(body))
		}
	}
	if err := handle(resp.StatusCode, a); err != nil {
		return err
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity &&
		resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("provider %s answered HTTP %d: %s", h.Endpoint, resp.StatusCode, orDefault(a.reason(), "no reason given"))
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
