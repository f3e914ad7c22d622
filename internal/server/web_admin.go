package server

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/auth"
)

// routeAdminPages adds the administrator's pages (/admin…) to r, a router
// whose requests have a signed-in user. Each route states its roles with
// s.webNeed(auth.RoleAdmin) (docs/WEB.md "Admin"). The handlers call the
// same services and store functions as the JSON API and the CLI:
//
//   - terminals (web_admin_terminals.go): the terminal manager's status,
//     its recovery pass as the test, the end of day with its totals
//     stored for reconciliation, and the wire tap kept with the last
//     attempts;
//   - fees (web_admin_fees.go): the catalogue, its CSV export and import
//     (all of the file or nothing), as `feepos fees`;
//   - users and API tokens (web_admin_users.go), as `feepos users` and
//     `feepos tokens`;
//   - webhooks (web_admin_webhooks.go): the outbox and the retry of a dead
//     message, as /api/v1/webhooks;
//   - receipts (web_admin_receipts.go): the series and their counters,
//     and the signing certificates with their expiry.
func (s *Server) routeAdminPages(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.webNeed(auth.RoleAdmin))
		// The admin's home (homeOf) is the terminals page: what needs a
		// look first on a working day.
		r.Get("/admin", s.handleAdminTerminals)
		r.Get("/admin/terminals", s.handleAdminTerminals)
		r.Post("/admin/terminals/{id}/test", s.handleAdminTerminalTest)
		r.Post("/admin/terminals/{id}/end-of-day", s.handleAdminEndOfDay)

		r.Get("/admin/fees", s.handleAdminFees)
		r.Get("/admin/fees/export", s.handleAdminFeesExport)
		r.Post("/admin/fees/import", s.handleAdminFeesImport)

		r.Get("/admin/users", s.handleAdminUsers)
		r.Post("/admin/users", s.handleAdminUserCreate)
		r.Post("/admin/users/{username}/reset", s.handleAdminUserReset)
		r.Post("/admin/users/{username}/disable", s.handleAdminUserDisable)
		r.Post("/admin/users/{username}/enable", s.handleAdminUserEnable)
		r.Post("/admin/tokens", s.handleAdminTokenCreate)
		r.Post("/admin/tokens/{id}/revoke", s.handleAdminTokenRevoke)

		r.Get("/admin/webhooks", s.handleAdminWebhooks)
		r.Post("/admin/webhooks/{id}/retry", s.handleAdminWebhookRetry)

		r.Get("/admin/receipts", s.handleAdminReceipts)
	})
}

// adminActor is the signed-in admin, as the services' audit lines name
// them (webSession put them in the context).
func adminActor(r *http.Request) auth.Actor {
	a, _ := auth.ActorFrom(r.Context())
	return a
}

// pageParam is the page number of a list (1 when absent or wrong).
func pageParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("trang"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}
