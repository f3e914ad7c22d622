package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/auth"
)

// Shifts (docs/API.md "Shifts"): the cashier closes the cash
// drawer's shift with the cash counted; internal/payments compares it
// with what the shift's cash payments expect and posts any difference,
// with the cashier's note, to the variance account.

func (s *Server) shiftRoutes(r chi.Router) {
	r.With(s.api(auth.RoleCashier)).Post("/shifts/close", s.handleCloseShift)
}

// closeShiftBody: counted is whole đồng, the cash in the drawer.
type closeShiftBody struct {
	Counted *int64 `json:"counted"`
	Note    string `json:"note"`
}

func (s *Server) handleCloseShift(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.paymentService(w)
	if !ok {
		return
	}
	var in closeShiftBody
	if err := readJSON(r, &in); err != nil {
		s.writeErr(w, r, err)
		return
	}
	if in.Counted == nil {
		s.writeErr(w, r, invalidf("counted is required: the cash in the drawer, in whole đồng (0 when it is empty)"))
		return
	}
	shift, err := svc.CloseShift(r.Context(), actorOf(r), *in.Counted, in.Note)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, shift)
}
