package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// Signing in and out, and changing one's password (docs/WEB.md).

type loginData struct {
	Username string
	Next     string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if u, ok := webUser(r); ok {
		if next == "" {
			next = homeOf(u.Role)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderPage(w, r, http.StatusOK, "login", "Đăng nhập", loginData{Next: next})
}

// loginsPerMinute bounds the sign-in attempts from one address: with the
// lockout of each account, it slows a guess of many accounts' passwords.
// A counter's PC never comes near it.
const loginsPerMinute = 60

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.loginRate.OnLimit(w, r, addressKey(r)) {
		w.Header().Set("Retry-After", "60")
		s.renderWeb(w, r, http.StatusTooManyRequests, "login", webPage{Title: "Đăng nhập",
			Error: "Có quá nhiều lần đăng nhập từ máy này. Vui lòng đợi một phút rồi thử lại.", Data: loginData{}})
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	fail := func(status int, msg string) {
		s.renderWeb(w, r, status, "login", webPage{Title: "Đăng nhập", Error: msg, Data: loginData{Username: username, Next: next}})
	}
	if username == "" || password == "" {
		fail(http.StatusUnprocessableEntity, "Vui lòng nhập tên đăng nhập và mật khẩu.")
		return
	}
	if len(username) > 200 || len(password) > 4*auth.MaxPasswordLen {
		fail(http.StatusUnauthorized, auth.ErrBadLogin.Error())
		return
	}
	u, ns, err := s.db.Login(r.Context(), username, password, s.clock())
	var locked auth.LockedError
	switch {
	case errors.As(err, &locked):
		fail(http.StatusForbidden, locked.Error())
		return
	case errors.Is(err, auth.ErrBadLogin):
		fail(http.StatusUnauthorized, err.Error())
		return
	case err != nil:
		s.webErr(w, r, err)
		return
	}
	setSessionCookie(w, r, ns.Token)
	s.log.Info("web login", "user", u.Username, "role", u.Role)
	switch {
	case u.MustChange:
		next = "/password"
	case next == "":
		next = homeOf(u.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	wc := webCtxFrom(r)
	if wc.signedIn() {
		if err := s.db.Logout(r.Context(), wc.token, s.clock()); err != nil {
			s.webErr(w, r, err)
			return
		}
	}
	clearSessionCookie(w, r)
	s.redirectFlash(w, r, "/login", "Bạn đã đăng xuất.")
}

type passwordData struct {
	MustChange bool
}

func (s *Server) handlePasswordPage(w http.ResponseWriter, r *http.Request) {
	u, _ := webUser(r)
	s.renderPage(w, r, http.StatusOK, "password", "Đổi mật khẩu", passwordData{MustChange: u.MustChange})
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	wc := webCtxFrom(r)
	current, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	fail := func(status int, msg string) {
		s.renderWeb(w, r, status, "password", webPage{Title: "Đổi mật khẩu", Error: msg, Data: passwordData{MustChange: wc.user.MustChange}})
	}
	if next != again {
		fail(http.StatusUnprocessableEntity, "Mật khẩu mới và mật khẩu nhập lại không khớp.")
		return
	}
	err := s.db.ChangePassword(r.Context(), wc.user.ID, current, next, sqlite.SessionToken(wc.token), s.clock())
	var policy auth.PolicyError
	var locked auth.LockedError
	switch {
	case errors.As(err, &locked):
		clearSessionCookie(w, r) // the lock ended the session
		s.redirectFlash(w, r, "/login", locked.Error())
		return
	case errors.As(err, &policy):
		fail(http.StatusUnprocessableEntity, policy.Error())
		return
	case apperr.Code(err) == apperr.NotFound:
		clearSessionCookie(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	case err != nil:
		s.webErr(w, r, err)
		return
	}
	s.redirectFlash(w, r, homeOf(wc.user.Role), "Đã đổi mật khẩu.")
}
