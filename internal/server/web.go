package server

import (
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"
)

// The web pages of the counter and the back office (docs/WEB.md):
// server-rendered html/template pages, their CSS and JavaScript embedded
// in the binary (web/), sessions and CSRF in web_session.go, rendering in
// web_render.go. Each part of the app owns one file of routes:
// web_cashier.go, web_accountant.go, web_admin.go (signed-in users) and
// web_public.go (no sign-in).

// defaultCenter names the center in the pages' header until
// SetCenterName says otherwise.
const defaultCenter = "Trung tâm Phục vụ hành chính công"

// SetCenterName sets the center's name the pages' header shows. Call it
// before serving.
func (s *Server) SetCenterName(name string) {
	if name = strings.TrimSpace(name); name != "" {
		s.center = name
	}
}

// routeWeb mounts the pages on s.router (New calls it).
func (s *Server) routeWeb() {
	wt, err := loadWebTemplates()
	if err != nil {
		// The templates are embedded: a broken one is a bug of this
		// binary, which TestWebTemplatesParse catches before release.
		panic("feepos web templates: " + err.Error())
	}
	s.web, s.center = wt, defaultCenter
	s.loginRate = httprate.NewRateLimiter(loginsPerMinute, time.Minute)

	static, _ := fs.Sub(webStaticFiles, "web/static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	s.router.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if h, ok := wt.static[name]; ok && r.URL.Query().Get("v") == h {
			// A fingerprinted URL ({{static "app.css"}}) never changes.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})

	s.router.Group(func(r chi.Router) {
		r.Use(s.webSession)
		r.Get("/login", s.handleLoginPage)
		r.Post("/login", s.handleLogin)
		r.Post("/logout", s.handleLogout)
		s.routePublicPages(r)
		r.Group(func(r chi.Router) {
			r.Use(s.webNeed())
			r.Get("/", s.handleWebHome)
			r.Get("/password", s.handlePasswordPage)
			r.Post("/password", s.handlePassword)
			s.routeCashierPages(r)
			s.routeAccountantPages(r)
			s.routeAdminPages(r)
		})
	})

	// Unknown pages get the Vietnamese 404 page; the API keeps its own
	// answers.
	notFound := s.webSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.webError(w, r, http.StatusNotFound, "")
	}))
	s.router.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.NotFound(w, r)
			return
		}
		notFound.ServeHTTP(w, r)
	})
}

// handleWebHome sends a user to the first page of their role.
func (s *Server) handleWebHome(w http.ResponseWriter, r *http.Request) {
	u, _ := webUser(r)
	http.Redirect(w, r, homeOf(u.Role), http.StatusSeeOther)
}
