package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// newLightWebRig is the web rig without a terminal: enough for accounts.
func newLightWebRig(t *testing.T) *webRig { return newWebRigWith(t, rigOptions{noTerms: true}) }

// testOnlyPage adds, for a test, a page open to roles at path.
func (rig *webRig) testOnlyPage(path string, roles ...auth.Role) {
	rig.srv.router.With(rig.srv.webSession, rig.srv.webNeed(roles...)).HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		u, _ := webUser(r)
		a, _ := auth.ActorFrom(r.Context())
		rig.srv.renderPage(w, r, http.StatusOK, "error", "Thử", webErrorData{Status: 200, Heading: "Trang thử của " + u.Name, Message: "actor " + a.String()})
	})
}

func auditActions(t *testing.T, db *sqlite.DB, object string) []string {
	t.Helper()
	lines, err := db.AuditLog(t.Context(), sqlite.AuditFilter{Object: object})
	require.NoError(t, err)
	var out []string
	for i := len(lines) - 1; i >= 0; i-- {
		out = append(out, lines[i].Action)
	}
	return out
}

func TestWebLoginGoesToTheRolesHome(t *testing.T) {
	rig := newLightWebRig(t)
	for role, home := range map[auth.Role]string{auth.RoleCashier: "/cashier", auth.RoleAccountant: "/accountant", auth.RoleAdmin: "/admin"} {
		u := rig.createUser(t, "", role)
		c := rig.client(t).withoutRedirects()
		c.get(t, "/login")
		resp, body := c.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {testPassword}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		assert.Equal(t, home, resp.Header.Get("Location"))
		var cookie *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == sessionCookie {
				cookie = ck
			}
		}
		require.NotNil(t, cookie)
		assert.True(t, cookie.HttpOnly)
		assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
		assert.Len(t, cookie.Value, 43, "32 random bytes")
		resp, _ = c.get(t, "/")
		assert.Equal(t, home, resp.Header.Get("Location"), "/ sends a %s home", role)
		assert.Equal(t, []string{"user.create", "user.login"}, auditActions(t, rig.db, "user:"+u.ID))
	}
}

func TestWebLoginPageIsVietnamese(t *testing.T) {
	rig := newLightWebRig(t)
	resp, body := rig.client(t).get(t, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/login", resp.Request.URL.Path, "not signed in: / leads to the login page")
	for _, want := range []string{`<html lang="vi">`, `name="viewport"`, "Tên đăng nhập", "Mật khẩu", "Đăng nhập", `name="csrf_token"`} {
		assert.Contains(t, body, want)
	}
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

func TestWebLoginRefusesAWrongPasswordAndAnUnknownUserAlike(t *testing.T) {
	rig := newLightWebRig(t)
	u := rig.createUser(t, "thu", auth.RoleCashier)
	c := rig.client(t)
	resp1, body1 := c.signIn(t, "thu", "sai-mat-khau")
	resp2, body2 := c.signIn(t, "khongco", "sai-mat-khau")
	for _, a := range []struct {
		resp *http.Response
		body string
	}{{resp1, body1}, {resp2, body2}} {
		assert.Equal(t, http.StatusUnauthorized, a.resp.StatusCode)
		assert.Contains(t, a.body, "Tên đăng nhập hoặc mật khẩu không đúng.")
	}
	assert.Contains(t, body1, `value="thu"`, "the user name is kept in the form")
	resp, _ := c.get(t, "/password")
	assert.Equal(t, "/login", resp.Request.URL.Path, "no session was opened")
	assert.Equal(t, []string{"user.create", "user.login_failed"}, auditActions(t, rig.db, "user:"+u.ID))
	assert.Equal(t, []string{"user.login_failed"}, auditActions(t, rig.db, "username:khongco"))
}

func TestWebLockoutAfterFiveWrongPasswordsForFifteenMinutes(t *testing.T) {
	rig := newLightWebRig(t)
	u := rig.createUser(t, "ketoan1", auth.RoleAccountant)
	c := rig.client(t)
	for i := 1; i <= 4; i++ {
		resp, body := c.signIn(t, "ketoan1", "sai")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d: %s", i, body)
	}
	resp, body := c.signIn(t, "ketoan1", "sai")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "the 5th wrong password locks")
	assert.Contains(t, body, "tạm khóa")
	resp, body = c.signIn(t, "ketoan1", testPassword)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "locked: even the right password is refused")
	assert.Contains(t, body, "tạm khóa")

	rig.clock.Advance(14 * time.Minute)
	resp, _ = c.signIn(t, "ketoan1", testPassword)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "still locked after 14 minutes")

	rig.clock.Advance(61 * time.Second)
	resp, _ = c.signIn(t, "ketoan1", testPassword)
	assert.Equal(t, "/accountant", resp.Request.URL.Path, "unlocked after 15 minutes")
	assert.Equal(t, []string{"user.create", "user.login_failed", "user.login_failed", "user.login_failed", "user.login_failed",
		"user.login_failed", "user.locked", "user.login_locked", "user.login_locked", "user.login"}, auditActions(t, rig.db, "user:"+u.ID))

	// A success resets the count: four more wrong ones do not lock.
	for i := 0; i < 4; i++ {
		resp, _ := rig.client(t).signIn(t, "ketoan1", "sai")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	rig.loginAs(t, "ketoan1", testPassword)
}

func TestWebResetUnlocks(t *testing.T) {
	rig := newLightWebRig(t)
	rig.createUser(t, "thu2", auth.RoleCashier)
	c := rig.client(t)
	for i := 0; i < auth.MaxFailedLogins; i++ {
		c.signIn(t, "thu2", "sai")
	}
	cu, err := rig.db.ResetPassword(t.Context(), "thu2", auth.System("test"))
	require.NoError(t, err)
	assert.Nil(t, cu.LockedUntil)
	resp, _ := c.signIn(t, "thu2", cu.Password)
	assert.Equal(t, "/password", resp.Request.URL.Path, "unlocked, and the one-time password must be changed")
}

func TestWebForcedPasswordChange(t *testing.T) {
	rig := newLightWebRig(t)
	cu, err := rig.db.CreateUser(t.Context(), sqlite.NewUser{Username: "moi", Name: "Người Mới", Role: auth.RoleCashier}, auth.System("test"))
	require.NoError(t, err)
	require.True(t, cu.MustChange)
	require.NotEmpty(t, cu.Password)
	rig.testOnlyPage("/cashier/test", auth.RoleCashier)

	c := rig.client(t)
	resp, body := c.signIn(t, "moi", cu.Password)
	require.Equal(t, "/password", resp.Request.URL.Path)
	assert.Contains(t, body, "mật khẩu tạm thời")
	resp, _ = c.get(t, "/cashier/test")
	assert.Equal(t, "/password", resp.Request.URL.Path, "every page leads to /password first")

	// Refusals: mismatch, policy, wrong current password.
	resp, body = c.postForm(t, "/password", url.Values{"current": {cu.Password}, "new": {"mat-khau-moi-1"}, "confirm": {"khac"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "không khớp")
	resp, body = c.postForm(t, "/password", url.Values{"current": {cu.Password}, "new": {"ngan"}, "confirm": {"ngan"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "ít nhất 8 ký tự")
	resp, body = c.postForm(t, "/password", url.Values{"current": {"sai-roi-nhe"}, "new": {"mat-khau-moi-1"}, "confirm": {"mat-khau-moi-1"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Mật khẩu hiện tại không đúng.")

	resp, body = c.postForm(t, "/password", url.Values{"current": {cu.Password}, "new": {"mat-khau-moi-1"}, "confirm": {"mat-khau-moi-1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, "the cashier's home, the queue: %s", body)
	assert.Equal(t, "/cashier", resp.Request.URL.Path)
	assert.Contains(t, body, "Đã đổi mật khẩu.")
	resp, body = c.get(t, "/cashier/test")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Trang thử của Người Mới")

	// The old password no longer opens; the new one does.
	resp, _ = rig.client(t).signIn(t, "moi", cu.Password)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	rig.loginAs(t, "moi", "mat-khau-moi-1")
}

func TestWebLogout(t *testing.T) {
	rig := newLightWebRig(t)
	c := rig.login(t, auth.RoleAccountant)
	resp, body := c.postForm(t, "/logout", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/login", resp.Request.URL.Path)
	assert.Contains(t, body, "Bạn đã đăng xuất.")
	resp, _ = c.get(t, "/password")
	assert.Equal(t, "/login", resp.Request.URL.Path, "the session has ended")
	assert.Contains(t, auditActions(t, rig.db, "user:"+c.User.ID), "user.logout")
}

func TestWebCSRFRefusals(t *testing.T) {
	rig := newLightWebRig(t)
	c := rig.login(t, auth.RoleCashier)
	form := url.Values{"current": {testPassword}, "new": {"mat-khau-moi-1"}, "confirm": {"mat-khau-moi-1"}}
	for name, token := range map[string]string{"missing": "", "wrong": "x" + c.csrf[1:]} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if token != "" {
			f.Set(csrfFormField, token)
		}
		resp, body := c.postFormRaw(t, "/password", f)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		assert.Contains(t, body, "mã bảo vệ (CSRF)", name)
	}
	resp, _ := c.postFormRaw(t, "/logout", url.Values{})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "logout needs the token too")

	// The header does as well as the field.
	resp, body := c.fetch(t, http.MethodPost, "/logout", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "/login", resp.Request.URL.Path)

	// The login form is protected before any session (double submit).
	anon := rig.client(t)
	anon.get(t, "/login")
	resp, _ = anon.postFormRaw(t, "/login", url.Values{"username": {c.User.Username}, "password": {testPassword}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestWebRoleRefusals(t *testing.T) {
	rig := newLightWebRig(t)
	rig.testOnlyPage("/admin/test", auth.RoleAdmin)
	rig.testOnlyPage("/accountant/test", auth.RoleAccountant)
	cashier := rig.login(t, auth.RoleCashier)
	resp, body := cashier.get(t, "/admin/test")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "Bạn không có quyền")
	resp, _ = cashier.get(t, "/accountant/test")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	admin := rig.login(t, auth.RoleAdmin)
	resp, body = admin.get(t, "/accountant/test")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "admin passes every check")
	assert.Contains(t, body, "actor user:"+admin.User.ID+" (Lê Quản Trị)", "the services see the person as the actor")
	for _, label := range []string{"Hàng đợi", "Tổng quan ngày", "Thiết bị", "Người dùng", "Webhook", "Biên lai"} {
		assert.Contains(t, body, label, "the admin's menu")
	}
	_, body = cashier.get(t, "/password")
	assert.Contains(t, body, "Hàng đợi")
	assert.NotContains(t, body, "Thiết bị", "a cashier's menu has no admin entries")

	resp, _ = rig.client(t).withoutRedirects().get(t, "/admin/test?x=1")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/login?next=%2Fadmin%2Ftest%3Fx%3D1", resp.Header.Get("Location"))

	// After signing in, the login page's next leads back.
	anon := rig.client(t)
	anon.get(t, "/login?next=%2Fadmin%2Ftest")
	u := rig.createUser(t, "", auth.RoleAdmin)
	resp, _ = anon.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {testPassword}, "next": {"/admin/test"}})
	assert.Equal(t, "/admin/test", resp.Request.URL.Path)
	other := rig.client(t)
	other.get(t, "/login")
	resp, _ = other.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {testPassword}, "next": {"//evil.example"}})
	assert.Equal(t, "/admin", resp.Request.URL.Path, "never to another site")
}

func TestWebSessionExpires(t *testing.T) {
	rig := newLightWebRig(t)
	c := rig.login(t, auth.RoleAccountant)
	rig.clock.Advance(auth.SessionIdle - time.Minute)
	resp, _ := c.get(t, "/password")
	require.Equal(t, "/password", resp.Request.URL.Path, "used within 2 h: still open")
	rig.clock.Advance(auth.SessionIdle + time.Minute)
	resp, body := c.get(t, "/password")
	assert.Equal(t, "/login", resp.Request.URL.Path, "idle over 2 h: ended")
	assert.Contains(t, body, "Đăng nhập")
	assert.Contains(t, auditActions(t, rig.db, "user:"+c.User.ID), "user.session_expired")

	// Used every hour, a session still ends 12 h after sign-in.
	c = rig.loginAs(t, c.User.Username, testPassword)
	for i := 0; i < 11; i++ {
		rig.clock.Advance(time.Hour)
		resp, _ := c.get(t, "/password")
		require.Equal(t, "/password", resp.Request.URL.Path, "hour %d", i+1)
	}
	rig.clock.Advance(time.Hour)
	resp, _ = c.get(t, "/password")
	assert.Equal(t, "/login", resp.Request.URL.Path, "12 h after sign-in: ended")
}

func TestWebErrorPages(t *testing.T) {
	rig := newLightWebRig(t)
	resp, body := rig.client(t).get(t, "/khong-co-trang-nay")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "Không tìm thấy trang")
	resp, _ = rig.client(t).get(t, "/api/v1/khong-co")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, resp.Header.Get("Content-Type"), "text/html; charset=utf-8; x", "the API keeps its own 404")
}

func TestWebStaticAssets(t *testing.T) {
	rig := newLightWebRig(t)
	c := rig.client(t)
	_, page := c.get(t, "/login")
	total := len(page)
	for _, name := range []string{"app.css", "app.js"} {
		u := "/static/" + name + "?v=" + rig.srv.web.static[name]
		assert.Contains(t, page, u)
		resp, body := c.get(t, u)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
		total += len(body)
	}
	assert.Less(t, total, 200<<10, "a page and its assets stay under 200 KB")
}

// Over TLS the session cookie is Secure.
func TestWebSessionCookieSecureOverTLS(t *testing.T) {
	rig := newLightWebRig(t)
	u := rig.createUser(t, "", auth.RoleCashier)
	tls := httptest.NewTLSServer(rig.srv)
	t.Cleanup(tls.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := tls.Client()
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &webClient{base: tls.URL, http: hc, noFollow: true}
	resp, _ := c.get(t, "/login")
	require.NotEmpty(t, resp.Cookies(), "the login page sets its CSRF cookie")
	for _, ck := range resp.Cookies() {
		assert.True(t, ck.Secure, ck.Name)
	}
	resp, body := c.postForm(t, "/login", url.Values{"username": {u.Username}, "password": {testPassword}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			found = true
			assert.True(t, ck.Secure)
		}
	}
	assert.True(t, found)
}

func TestWebInternalErrorPageHidesTheCause(t *testing.T) {
	rig := newLightWebRig(t)
	rig.srv.router.With(rig.srv.webSession).Get("/test-500", func(w http.ResponseWriter, r *http.Request) {
		rig.srv.webErr(w, r, errors.New("disk I/O error at /secret/path"))
	})
	resp, body := rig.client(t).get(t, "/test-500")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Contains(t, body, "Lỗi hệ thống")
	assert.NotContains(t, body, "/secret/path")
}

func TestWebLoginAttemptsPerAddressAreLimited(t *testing.T) {
	rig := newLightWebRig(t)
	c := rig.client(t)
	c.get(t, "/login")
	var last *http.Response
	var body string
	for i := 0; i <= loginsPerMinute; i++ {
		// No password: refused before any hashing, but counted all the same.
		last, body = c.postForm(t, "/login", url.Values{"username": {fmt.Sprintf("khongco%d", i)}})
	}
	assert.Equal(t, http.StatusTooManyRequests, last.StatusCode)
	assert.Contains(t, body, "quá nhiều lần đăng nhập")
	assert.Equal(t, "60", last.Header.Get("Retry-After"))
}
