package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The harness's side of the HTTP API (CONTRACTS.md, "HTTP API for the
// dossier system"): the dossier system creates payment requests, the
// cashier charges them, both read them back.

// fee is one line of GET /api/v1/fees.
type fee struct {
	FeeCode    string `json:"fee_code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	OrgCode    string `json:"org_code"`
	AgencyCode string `json:"agency_code"`
	UnitAmount *int64 `json:"unit_amount"`
	Unit       string `json:"unit"`
}

type payer struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

type item struct {
	FeeCode  string `json:"fee_code"`
	Quantity int64  `json:"quantity,omitempty"`
	Amount   int64  `json:"amount"`
}

// createRequest is the body of POST /api/v1/payment-requests.
type createRequest struct {
	DossierCode string `json:"dossier_code"`
	Payer       payer  `json:"payer"`
	Items       []item `json:"items"`
	CallbackURL string `json:"callback_url,omitempty"`
}

// paymentRequest is what the API returns of a request.
type paymentRequest struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Total       int64  `json:"total"`
	DossierCode string `json:"dossier_code"`
	PaymentID   string `json:"payment_id,omitempty"`
}

// payment is GET /api/v1/payments/{id}.
type payment struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

// apiError is an answer that is not 2xx; a transport error (feepos not
// running) is not one.
type apiError struct {
	Status int
	Code   string
	Msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg) }

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// client calls feepos with one bearer token.
type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(base, token string) *client {
	return &client{base: base, token: token, http: &http.Client{Timeout: 10 * time.Second}}
}

// do sends body (JSON, if not nil) and decodes a 2xx answer into out.
func (c *client) do(ctx context.Context, method, path string, hdr map[string]string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Error.Message == "" {
			e.Error.Message = string(b)
		}
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Code: e.Error.Code, Msg: e.Error.Message}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, nil
}

func (c *client) fees(ctx context.Context) ([]fee, error) {
	var out []fee
	_, err := c.do(ctx, http.MethodGet, "/api/v1/fees", nil, nil, &out)
	return out, err
}

func (c *client) create(ctx context.Context, key string, body createRequest) (paymentRequest, int, error) {
	var out paymentRequest
	code, err := c.do(ctx, http.MethodPost, "/api/v1/payment-requests", map[string]string{"Idempotency-Key": key}, body, &out)
	return out, code, err
}

func (c *client) request(ctx context.Context, id string) (paymentRequest, error) {
	var out paymentRequest
	_, err := c.do(ctx, http.MethodGet, "/api/v1/payment-requests/"+id, nil, nil, &out)
	return out, err
}

func (c *client) charge(ctx context.Context, id, terminal string) (string, error) {
	var out struct {
		PaymentID string `json:"payment_id"`
	}
	_, err := c.do(ctx, http.MethodPost, "/api/v1/payment-requests/"+id+"/charge", nil,
		map[string]string{"method": "card", "terminal": terminal}, &out)
	return out.PaymentID, err
}

func (c *client) payment(ctx context.Context, id string) (payment, error) {
	var out payment
	_, err := c.do(ctx, http.MethodGet, "/api/v1/payments/"+id, nil, nil, &out)
	return out, err
}

func (c *client) cancel(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodPost, "/api/v1/payment-requests/"+id+"/cancel", nil, struct{}{}, nil)
	return err
}
