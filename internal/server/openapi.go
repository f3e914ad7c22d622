package server

import (
	"net/http"

	"github.com/feepos/feepos/internal/server/apispec"
)

// routeOpenAPI serves the API's OpenAPI 3.1 description, without a
// token: a client reads it before it has one.
func (s *Server) routeOpenAPI() {
	s.apiRouter().Get("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(apispec.JSON)
	})
}
