package server

import "github.com/go-chi/chi/v5"

// routeAccountantPages adds the accountant's pages (/accountant…) to r, a
// router whose requests have a signed-in user. Each route states its roles
// with s.webNeed(auth.RoleAccountant) (docs/WEB.md "Adding a page").
func (s *Server) routeAccountantPages(r chi.Router) {}
