package server

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
)

// Payment requests (docs/API.md "Payment requests" and
// "Charging"): the dossier system creates, reads, lists and cancels them;
// the cashier reads them and charges them. The rules (amounts, catalogue,
// idempotency, statuses) are internal/payments'; this file reads the
// HTTP request and writes the answer.

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 200

func (s *Server) paymentRequestRoutes(r chi.Router) {
	dossier := s.api(auth.RoleDossierSystem)
	readers := s.api(auth.RoleDossierSystem, auth.RoleCashier, auth.RoleAccountant)
	r.With(dossier).Post("/payment-requests", s.handleCreateRequest)
	r.With(readers).Get("/payment-requests", s.handleListRequests)
	r.With(readers).Get("/payment-requests/{id}", s.handleGetRequest)
	r.With(dossier).Post("/payment-requests/{id}/cancel", s.handleCancelRequest)
	r.With(s.api(auth.RoleCashier)).Post("/payment-requests/{id}/charge", s.handleCharge)
}

func (s *Server) handleCreateRequest(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	switch {
	case key == "":
		writeError(w, http.StatusBadRequest, apperr.Invalid, "the Idempotency-Key header is required: send a key of your own (e.g. a UUID) per payment request, and the same key when you retry it")
		return
	case len(key) > MaxIdempotencyKey:
		writeError(w, http.StatusBadRequest, apperr.Invalid, "the Idempotency-Key header is longer than "+strconv.Itoa(MaxIdempotencyKey)+" characters: use a shorter key (e.g. a UUID)")
		return
	}
	var in payments.NewRequest
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	req, created, err := svc.CreateRequest(r.Context(), actorOf(r), key, in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	status := http.StatusOK // the same key and body again: the request made the first time
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/payment-requests/"+req.ID)
	}
	writeJSON(w, status, req)
}

func (s *Server) handleGetRequest(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	req, err := svc.RequestFor(r.Context(), actorOf(r), chi.URLParam(r, "id"))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// requestPage is a page of the list: next is the after= of the next
// page, absent on the last.
type requestPage struct {
	Items []payments.Request `json:"items"`
	Next  string             `json:"next,omitempty"`
}

func (s *Server) handleListRequests(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "dossier_code", "status", "limit", "after":
		default:
			writeError(w, http.StatusBadRequest, apperr.Invalid, "unknown query parameter "+strconv.Quote(name)+": the list takes dossier_code, status, limit and after")
			return
		}
	}
	f := payments.Filter{DossierCode: q.Get("dossier_code"), Status: q.Get("status"), After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, apperr.Invalid, "limit "+strconv.Quote(l)+" is not a whole number from 1: give how many requests a page holds (default 50, at most 500)")
			return
		}
		f.Limit = n
	}
	page, err := svc.Requests(r.Context(), payments.FilterFor(actorOf(r), f))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := requestPage{Items: page.Items, Next: page.Next}
	if out.Items == nil {
		out.Items = []payments.Request{}
	}
	writeJSON(w, http.StatusOK, out)
}

// reasonBody is the body of the actions that take a reason.
type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) handleCancelRequest(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	var in reasonBody // the body is optional here
	if err := readOptionalJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	req, err := svc.CancelRequest(r.Context(), actorOf(r), chi.URLParam(r, "id"), strings.TrimSpace(in.Reason))
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// chargeAccepted is the answer to a charge: the payment to follow
// (GET /api/v1/payments/{id}, ?wait= to wait for its end).
type chargeAccepted struct {
	PaymentID string                 `json:"payment_id"`
	Status    payments.PaymentStatus `json:"status"`
	Message   string                 `json:"message,omitempty"`
}

func (s *Server) handleCharge(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	var in payments.ChargeInput
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	p, err := svc.Charge(r.Context(), actorOf(r), chi.URLParam(r, "id"), in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/payments/"+p.ID)
	writeJSON(w, http.StatusAccepted, chargeAccepted{PaymentID: p.ID, Status: p.Status, Message: p.Message})
}

// paymentService is the payment workflow, or a 503 when this server has
// none (SetPayments was not called).
func (s *Server) paymentService(w http.ResponseWriter) (*payments.Service, bool) {
	if s.payments == nil {
		writeError(w, http.StatusServiceUnavailable, apperr.Unavailable, "this feepos takes no payments: it was started without the payment workflow")
		return nil, false
	}
	return s.payments, true
}

// actorOf is the actor s.api put in the request's context.
func actorOf(r *http.Request) auth.Actor {
	a, _ := auth.ActorFrom(r.Context())
	return a
}

// readOptionalJSON is readJSON for a body that may be left out.
func readOptionalJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return invalidf("the request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return readJSON(r, v)
}
