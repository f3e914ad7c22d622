package server

import (
	"context"
	"net/http"
	"time"
)

type health struct {
	Status        string `json:"status"` // "ok" or "unavailable"
	SchemaVersion int    `json:"schema_version,omitempty"`
	Error         string `json:"error,omitempty"`
}

// handleHealth answers 200 when the database answers, 503 otherwise, so a
// supervisor restarts a service whose disk went away.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := health{Status: "ok"}
	status := http.StatusOK
	v, err := s.db.SchemaVersion(ctx)
	if err != nil {
		h = health{Status: "unavailable", Error: "database does not answer: " + err.Error()}
		status = http.StatusServiceUnavailable
	}
	h.SchemaVersion = v
	writeJSON(w, status, h)
}
