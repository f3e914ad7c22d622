package server

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// The card terminals (docs/API.md "Terminals"): their state for
// the cashier's choice of terminal, and the end of day (the terminal
// closes its batch; the accountant reconciles its totals).

func (s *Server) terminalRoutes(r chi.Router) {
	r.With(s.api(auth.RoleCashier, auth.RoleAccountant)).Get("/terminals", s.handleTerminals)
	r.With(s.api(auth.RoleCashier, auth.RoleAccountant)).Post("/terminals/{id}/end-of-day", s.handleEndOfDay)
}

// terminalJSON is one terminal: the contract's {id, protocol, status,
// counter}, and what helps a cashier see why one is not usable.
type terminalJSON struct {
	ID         string           `json:"id"`
	Protocol   pos.Protocol     `json:"protocol"`
	Status     terminals.Status `json:"status"`
	Counter    string           `json:"counter"`
	TerminalID string           `json:"terminal_id,omitempty"` // the id the terminal reports
	Queue      int              `json:"queue"`
	InDoubt    int              `json:"in_doubt"`
	LastError  string           `json:"last_error,omitempty"`
}

func (s *Server) handleTerminals(w http.ResponseWriter, _ *http.Request) {
	out := []terminalJSON{}
	if s.terminals != nil {
		for _, t := range s.terminals.Status() {
			out = append(out, terminalJSON{ID: t.ID, Protocol: t.Protocol, Status: t.Status, Counter: t.Counter,
				TerminalID: t.TerminalID, Queue: t.Queue, InDoubt: t.InDoubt, LastError: t.LastError})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// endOfDayJSON is the terminal's answer to the end of day.
type endOfDayJSON struct {
	Terminal string `json:"terminal"`
	pos.EndOfDay
}

func (s *Server) handleEndOfDay(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if s.terminals == nil {
		writeError(w, http.StatusNotFound, apperr.NotFound, "terminal "+id+" is not configured: this feepos has no card terminals ([[terminals]] in the config)")
		return
	}
	eod, err := s.terminals.EndOfDay(r.Context(), id)
	if err != nil {
		if errors.Is(err, terminals.ErrUnknownTerminal) {
			writeError(w, http.StatusNotFound, apperr.NotFound, err.Error())
			return
		}
		s.writeErr(w, r, err)
		return
	}
	actor, _ := auth.ActorFrom(r.Context())
	s.log.Info("terminal end of day", "terminal", id, "actor", actor.String(), "status", eod.Outcome, "total", eod.Total)
	if eod.Outcome == pos.Approved {
		// The day's close reconciles the ledger against these totals
		// (docs/RECONCILE-CLOSE.md); the batch is closed whether or not
		// they could be stored, so a failure is logged, not returned.
		if _, err := endofday.New(s.db, endofday.Options{}).StoreEndOfDay(r.Context(), actor, id, s.db.Now(), eod); err != nil {
			s.log.Error("store the terminal's end-of-day totals", "terminal", id, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, endOfDayJSON{Terminal: id, EndOfDay: eod})
}
