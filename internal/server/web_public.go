package server

import "github.com/go-chi/chi/v5"

// routePublicPages adds the pages open without signing in (the lobby
// kiosk…) to r. A signed-in user, if any, is in the context all the same;
// forms posted here are CSRF-checked too (docs/WEB.md "Adding a page").
func (s *Server) routePublicPages(r chi.Router) {}
