package server

import "github.com/go-chi/chi/v5"

// routeCashierPages adds the cashier's pages (/cashier…) to r, a router
// whose requests have a signed-in user. Each route states its roles with
// s.webNeed(auth.RoleCashier) (docs/WEB.md "Adding a page").
func (s *Server) routeCashierPages(r chi.Router) {}
