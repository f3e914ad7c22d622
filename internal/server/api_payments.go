package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
)

// Payments (docs/API.md "Payments"): one charge of a request,
// with the terminal's result and the receipts; an accountant settles one
// in needs_review, a cashier or accountant reverses a card payment the
// same day, an accountant refunds one later. Each action is audited by
// internal/payments with the actor and the reason given here.

// MaxWait is the longest GET /payments/{id}?wait= holds a request open.
const MaxWait = 60 * time.Second

// SetPayments hands the server the payment workflow: the payment request,
// payment and shift routes answer 503 without it. Call it before serving.
func (s *Server) SetPayments(svc *payments.Service) { s.payments = svc }

// paymentAPIRoutes adds the payment API's resources to /api/v1 (one
// file each). Called by New.
func (s *Server) paymentAPIRoutes() {
	r := s.apiRouter()
	s.paymentRequestRoutes(r)
	s.paymentRoutes(r)
	s.receiptRoutes(r)
	s.receiptReplaceRoutes(r)
	s.terminalRoutes(r)
	s.shiftRoutes(r)
}

func (s *Server) paymentRoutes(r chi.Router) {
	r.With(s.api(auth.RoleDossierSystem, auth.RoleCashier, auth.RoleAccountant)).Get("/payments/{id}", s.handleGetPayment)
	r.With(s.api(auth.RoleAccountant)).Post("/payments/{id}/settle", s.handleSettle)
	r.With(s.api(auth.RoleCashier, auth.RoleAccountant)).Post("/payments/{id}/reverse", s.handleReverse)
	r.With(s.api(auth.RoleAccountant)).Post("/payments/{id}/refund", s.handleRefund)
}

// paymentJSON is a payment as the API shows it: the workflow's payment,
// and "receipt", the first receipt it issued (the contract's single
// receipt; a payment for several organisations has one per organisation
// in "receipts").
type paymentJSON struct {
	payments.Payment
	Receipt *payments.ReceiptRef `json:"receipt,omitempty"`
}

func newPaymentJSON(p payments.Payment) paymentJSON {
	out := paymentJSON{Payment: p}
	if out.Receipts == nil {
		out.Receipts = []payments.ReceiptRef{}
	}
	for i := range out.Receipts {
		if k := out.Receipts[i].Kind; k == "" || k == "issued" {
			out.Receipt = &out.Receipts[i]
			break
		}
	}
	return out
}

// handleGetPayment answers the payment; with ?wait=SECONDS (at most 60)
// it first waits, that long at most, for the payment to leave
// "processing" — the cashier's page and scripts follow a charge so.
func (s *Server) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	// A dossier-system client sees the payments of its own requests only.
	p, err := svc.PaymentFor(r.Context(), actorOf(r), id)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if v := r.URL.Query().Get("wait"); v != "" {
		secs, perr := strconv.ParseFloat(v, 64)
		if perr != nil || secs < 0 || secs > MaxWait.Seconds() {
			writeError(w, http.StatusBadRequest, apperr.Invalid, "wait "+strconv.Quote(v)+": give the seconds to wait for the payment's end, from 0 to "+strconv.Itoa(int(MaxWait.Seconds())))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(secs*float64(time.Second)))
		p, err = svc.Wait(ctx, id)
		cancel()
		if err != nil && ctx.Err() != nil && r.Context().Err() == nil {
			// Still processing when the wait ran out: say where it is.
			p, err = svc.Payment(r.Context(), id)
		}
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPaymentJSON(p))
}

// settleBody is an accountant's settlement of a payment in doubt, from
// the terminal's printed slip.
type settleBody struct {
	Outcome string `json:"outcome"` // charged | not_charged
	Reason  string `json:"reason"`
}

func (s *Server) handleSettle(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	var in settleBody
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	p, err := svc.Settle(r.Context(), actorOf(r), chi.URLParam(r, "id"), in.Outcome, in.Reason)
	s.answerPayment(w, r, p, err)
}

func (s *Server) handleReverse(w http.ResponseWriter, r *http.Request) {
	s.reasonAction(w, r, (*payments.Service).Reverse)
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) {
	s.reasonAction(w, r, (*payments.Service).Refund)
}

// reasonAction runs an action on a payment that takes a reason.
func (s *Server) reasonAction(w http.ResponseWriter, r *http.Request,
	action func(*payments.Service, context.Context, auth.Actor, string, string) (payments.Payment, error)) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	var in reasonBody
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	p, err := action(svc, r.Context(), actorOf(r), chi.URLParam(r, "id"), in.Reason)
	s.answerPayment(w, r, p, err)
}

func (s *Server) answerPayment(w http.ResponseWriter, r *http.Request, p payments.Payment, err error) {
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPaymentJSON(p))
}
