package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/auth"
)

// Sessions and CSRF of the web pages (docs/WEB.md). The session cookie
// holds a random token whose hash names the session in the database
// (sqlite.DB.Session); every request of the pages goes through webSession,
// which puts the user, as an auth.Actor, in the context so the services'
// audit lines name the person. A form or fetch that changes something
// sends the session's CSRF token back (field csrf_token or header
// X-CSRF-Token); before signing in, the token is a random cookie of its
// own (double submit), so the login form is protected too.

const (
	sessionCookie = "feepos_session"
	preCSRFCookie = "feepos_csrf" // the CSRF token before a session exists
	csrfFormField = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
)

// webCtx is what webSession learned about a request.
type webCtx struct {
	user    auth.User
	session auth.Session
	token   string // the session cookie's token ("" : not signed in)
	csrf    string
	nonce   string
}

func (c webCtx) signedIn() bool { return c.token != "" }

func (c webCtx) actor() auth.Actor {
	if !c.signedIn() {
		return auth.Actor{}
	}
	return c.user.Actor()
}

type webCtxKey struct{}

func webCtxFrom(r *http.Request) webCtx {
	c, _ := r.Context().Value(webCtxKey{}).(webCtx)
	return c
}

// webUser is the signed-in user of r; ok is false when none.
func webUser(r *http.Request) (auth.User, bool) {
	c := webCtxFrom(r)
	return c.user, c.signedIn()
}

func random32() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the system has no randomness left: nothing is safe
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// webSession finds the request's session and checks its CSRF token; see
// the file's comment.
func (s *Server) webSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc := webCtx{nonce: random32()[:22]}
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			u, sess, err := s.db.Session(r.Context(), c.Value, s.clock())
			switch {
			case err == nil:
				wc.user, wc.session, wc.token, wc.csrf = u, sess, c.Value, sess.CSRF
			case errors.Is(err, auth.ErrNoSession):
				clearSessionCookie(w, r)
			default:
				s.log.Error("read web session", "err", err)
				s.webError(w, r, http.StatusInternalServerError, "")
				return
			}
		}
		if !wc.signedIn() {
			if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 32 {
				wc.csrf = c.Value
			} else {
				wc.csrf = random32()
				http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: wc.csrf, Path: "/", HttpOnly: true,
					SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			}
		}
		ctx := context.WithValue(r.Context(), webCtxKey{}, wc)
		if wc.signedIn() {
			ctx = auth.WithActor(ctx, wc.user.Actor())
		}
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && !csrfOK(r, wc.csrf) {
			s.webError(w, r, http.StatusForbidden, "Yêu cầu bị từ chối vì thiếu mã bảo vệ (CSRF) hoặc mã đã hết hạn. "+
				"Hãy tải lại trang rồi thực hiện lại thao tác.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// csrfOK compares the token sent (header first, then the form field) with
// want, in constant time. A multipart form is parsed here (up to 64 MiB in
// memory, the rest in temporary files): its handler reads
// r.MultipartForm.
func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(64 << 20); err != nil {
				return false
			}
		}
		got = r.PostFormValue(csrfFormField)
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	// No Expires: the cookie ends with the browser; the server ends the
	// session after SessionIdle unused or SessionMax in all.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// webNeed is the middleware of pages open to roles (admin passes every
// check, as auth.Actor.Has says; no roles: any signed-in user). Without a
// session it redirects to /login?next=PATH; with another role it answers
// the 403 page. A user with a one-time password is sent to /password
// first.
func (s *Server) webNeed(roles ...auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wc := webCtxFrom(r)
			if !wc.signedIn() {
				if r.Header.Get("Accept") == "text/event-stream" || r.Header.Get(csrfHeader) != "" {
					s.webError(w, r, http.StatusUnauthorized, auth.ErrNoSession.Error())
					return
				}
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if wc.user.MustChange && r.URL.Path != "/password" && r.URL.Path != "/logout" {
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
			if len(roles) > 0 && !wc.user.Actor().Has(roles...) {
				s.webError(w, r, http.StatusForbidden, "")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// safeNext is where to go after signing in: a path on this server only,
// never another site ("//evil", "https://…", "/\evil").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}

// homeOf is the first page of a role.
func homeOf(r auth.Role) string {
	switch r {
	case auth.RoleCashier:
		return "/cashier"
	case auth.RoleAccountant:
		return "/accountant"
	case auth.RoleAdmin:
		return "/admin"
	}
	return "/login"
}
