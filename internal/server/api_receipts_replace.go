package server

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/receipts"
)

// POST /api/v1/receipts/{template}/{series}/{number}/replace (docs/API.md
// "Receipts"): an accountant's or admin's correction of a receipt by a
// replacement receipt. The rules, the money side and the one transaction
// are payments.Service.ReplaceReceipt's, as for `feepos receipts replace`.

func (s *Server) receiptReplaceRoutes(r chi.Router) {
	r.With(s.api(auth.RoleAccountant)).Post("/receipts/{template}/{series}/{number}/replace", s.handleReplaceReceipt)
}

// replaceJSON is the answer: what the workflow did, and the replacement
// as GET /receipts/… shows it.
type replaceJSON struct {
	payments.ReplaceResult
	Receipt receiptJSON `json:"receipt"`
}

func (s *Server) handleReplaceReceipt(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	ref, problems := parseVerifyRef(chi.URLParam(r, "template"), chi.URLParam(r, "series"), chi.URLParam(r, "number"))
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "the receipt's address is /api/v1/receipts/"+receipts.Template+"/26TAA/00000123/replace: "+strings.Join(problems, " "))
		return
	}
	var in payments.Replacement
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	res, err := svc.ReplaceReceipt(r.Context(), actorOf(r), ref, in)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	sig, signedBy, _, err := s.receiptSignature(r, res.Receipt)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	rc := res.Receipt
	writeJSON(w, http.StatusCreated, replaceJSON{ReplaceResult: res,
		Receipt: receiptJSON{Receipt: rc, VerifyURL: receipts.VerifyURL(s.publicBase(r), rc), Signature: sig, SignedBy: signedBy}})
}
