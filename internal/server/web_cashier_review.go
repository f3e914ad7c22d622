package server

import (
	"encoding/json"
	"net/http"

	"github.com/feepos/feepos/internal/payments"
)

// GET /cashier/review: the payments whose outcome is unknown
// (needs_review), with their evidence and what the cashier does: call the
// accountant, never charge the dossier again until it is settled. Read
// only: settling is the accountant's (POST /api/v1/payments/{id}/settle
// and the accountant's pages).

// cashierReviewLimit caps the list: payments in review are few (each is
// a person's work), and the index payments_processing finds them.
const cashierReviewLimit = 200

type cashierReviewRow struct {
	P           payments.Payment
	DossierCode string
	Payer       string
	Evidence    *cashierEvidence
}

type cashierReviewData struct {
	Rows []cashierReviewRow
	More bool
}

func (s *Server) handleCashierReview(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rows, err := s.db.PaymentsInStatus(ctx, string(payments.PaymentNeedsReview))
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d := cashierReviewData{Rows: []cashierReviewRow{}}
	// Newest first.
	for i := len(rows) - 1; i >= 0; i-- {
		if len(d.Rows) == cashierReviewLimit {
			d.More = true
			break
		}
		p, err := svc.Payment(ctx, rows[i].ID)
		if err != nil {
			s.webErr(w, r, err)
			return
		}
		row := cashierReviewRow{P: p, Evidence: evidenceOf(p)}
		// The request's row alone: svc.Request would also read every
		// payment of the request with its receipts, for two fields.
		if req, err := s.db.PaymentRequest(ctx, p.PaymentRequestID); err == nil {
			var payer struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal([]byte(req.Payer), &payer)
			row.DossierCode, row.Payer = req.DossierCode, payer.Name
		}
		d.Rows = append(d.Rows, row)
	}
	s.renderPage(w, r, http.StatusOK, "cashier_review", "Giao dịch chưa rõ kết quả", d)
}
