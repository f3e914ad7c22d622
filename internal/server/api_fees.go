package server

import (
	"net/http"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
)

// GET /api/v1/fees: the fee catalogue (docs/API.md), the fees in use, by
// code. Every role may read it: the dossier system builds its payment
// requests from it, the cashier and the accountant read names and
// amounts.
func (s *Server) routeFees() {
	s.apiRouter().With(s.api(auth.RoleDossierSystem, auth.RoleCashier, auth.RoleAccountant)).Get("/fees", s.handleFees)
}

func (s *Server) handleFees(w http.ResponseWriter, r *http.Request) {
	fees, err := s.db.Fees(r.Context())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	out := make([]catalogue.FeeJSON, len(fees))
	for i, f := range fees {
		out[i] = f.JSON()
	}
	writeJSON(w, http.StatusOK, out)
}
