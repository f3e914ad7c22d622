package server

import "net/http"

// Pages not written yet (this file goes when they are).

func (s *Server) handleAdminFees(w http.ResponseWriter, r *http.Request) { s.webError(w, r, 404, "") }
func (s *Server) handleAdminFeesExport(w http.ResponseWriter, r *http.Request) {
	s.webError(w, r, 404, "")
}
func (s *Server) handleAdminFeesImport(w http.ResponseWriter, r *http.Request) {
	s.webError(w, r, 404, "")
}
func (s *Server) handleAdminWebhooks(w http.ResponseWriter, r *http.Request) {
	s.webError(w, r, 404, "")
}
func (s *Server) handleAdminWebhookRetry(w http.ResponseWriter, r *http.Request) {
	s.webError(w, r, 404, "")
}
func (s *Server) handleAdminReceipts(w http.ResponseWriter, r *http.Request) {
	s.webError(w, r, 404, "")
}
