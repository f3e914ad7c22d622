package server

import "github.com/go-chi/chi/v5"

// routeAdminPages adds the administrator's pages (/admin…) to r, a router
// whose requests have a signed-in user. Each route states its roles with
// s.webNeed(auth.RoleAdmin) (docs/WEB.md "Adding a page").
func (s *Server) routeAdminPages(r chi.Router) {}
