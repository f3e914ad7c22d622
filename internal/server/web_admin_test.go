package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// The administrator's pages (web_admin*.go) on the web rig: each page
// with real data, each action through the same store and service calls
// as the API and the CLI, and the refusals.

// auditCount is how many audit lines have action and an actor id.
func auditCount(t *testing.T, rig *webRig, action, actorID string) int {
	t.Helper()
	var n int
	require.NoError(t, rig.db.SQL().GetContext(context.Background(), &n,
		`SELECT COUNT(*) FROM audit_log WHERE action = ? AND actor_kind = 'user' AND actor_id = ?`, action, actorID))
	return n
}

func TestWebAdminTerminalsPageTestAndEndOfDay(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{cards: []zvtsim.Card{{Name: "NAPAS", Slot: "others", PAN: fullPAN, Expiry: "2812"}}})
	req := rig.createRequest("adm-eod-1", requestBody("HS-ADM-EOD"))
	p := rig.settled(rig.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)

	c := rig.login(t, auth.RoleAdmin)
	resp, body := c.get(t, "/admin/terminals")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Máy T1")
	assert.Contains(t, body, "Sẵn sàng")
	assert.Contains(t, body, "Quầy 1")
	assert.Contains(t, body, "Thanh toán 106.000 đ", "the last attempt")
	assert.Contains(t, body, "Máy tính → POS", "its wire, decoded")
	assert.Contains(t, body, "POS → Máy tính")
	assert.Contains(t, body, "970436******7890", "the masked card number at most")
	for _, f := range []string{fullPAN, fullPAN[:12], "97 04 36 12", "2812"} {
		assert.NotContains(t, body, f, "no card data on the page")
	}

	resp, body = c.postForm(t, "/admin/terminals/T1/test", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Máy POS T1 đã trả lời")

	resp, body = c.postForm(t, "/admin/terminals/T1/end-of-day", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã chốt lô giao dịch của máy T1")
	assert.Contains(t, body, "Đã lưu tổng của máy để đối soát")
	assert.Contains(t, body, "106.000 đ")
	var sum int64
	require.NoError(t, rig.db.SQL().GetContext(context.Background(), &sum, `SELECT COALESCE(SUM(amount), 0) FROM reconcile_terminal_totals`))
	assert.EqualValues(t, 106_000, sum, "the totals are stored for reconciliation")

	resp, body = c.postForm(t, "/admin/terminals/T9/test", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "Không có máy POS T9")
}

var (
	otpField   = regexp.MustCompile(`id="otp" type="text" readonly value="([^"]+)"`)
	tokenField = regexp.MustCompile(`id="tok" type="text" readonly value="([^"]+)"`)
	whsecField = regexp.MustCompile(`id="whsec" type="text" readonly value="([^"]+)"`)
)

func TestWebAdminUserCreateOneTimePassword(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	admin := rig.login(t, auth.RoleAdmin)
	resp, body := admin.get(t, "/admin/users")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, admin.User.Username)

	resp, body = admin.postForm(t, "/admin/users", url.Values{"username": {"thu.ngan2"}, "name": {"Phạm Thị Lan"}, "role": {"cashier"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Mật khẩu tạm thời của thu.ngan2")
	m := otpField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	otp := m[1]
	assert.Equal(t, 1, auditCount(t, rig, "user.create", admin.User.ID), "audited with the admin")

	// The page shown again does not show the password.
	_, body = admin.get(t, "/admin/users")
	assert.NotContains(t, body, otp)
	assert.Contains(t, body, "Chưa đổi mật khẩu tạm thời")

	// The one-time password signs in and must be changed first.
	u := rig.loginAs(t, "thu.ngan2", otp)
	resp, _ = u.withoutRedirects().get(t, "/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/password", resp.Header.Get("Location"), "forced to change the one-time password")
	resp, body = u.withoutRedirects().postForm(t, "/password", url.Values{"current": {otp}, "new": {"mật-khẩu-mới-99"}, "confirm": {"mật-khẩu-mới-99"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	assert.Equal(t, "/cashier", resp.Header.Get("Location"), "changed: to the cashier's page")
	resp, _ = u.withoutRedirects().get(t, "/")
	assert.Equal(t, "/cashier", resp.Header.Get("Location"), "no longer sent to /password")

	// A taken name and a bad one: a Vietnamese message, nothing made.
	resp, body = admin.postForm(t, "/admin/users", url.Values{"username": {"thu.ngan2"}, "name": {"Người Khác"}, "role": {"cashier"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "đã có người dùng")
	resp, body = admin.postForm(t, "/admin/users", url.Values{"username": {"Nguyễn"}, "name": {"Nguyễn Văn A"}, "role": {"cashier"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Chưa tạo được tài khoản")
	resp, _ = admin.postForm(t, "/admin/users", url.Values{"username": {"ketoan9"}, "name": {"Nguyễn Văn A"}, "role": {"dossier-system"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "a person never gets a machine's role")
	users, err := rig.db.Users(t.Context())
	require.NoError(t, err)
	assert.Len(t, users, 2)
}

func TestWebAdminUserResetDisableEnable(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	admin := rig.login(t, auth.RoleAdmin)
	cashier := rig.login(t, auth.RoleCashier)

	// Locked by wrong passwords; the reset unlocks, ends the sessions
	// and gives a one-time password.
	for range auth.MaxFailedLogins {
		rig.client(t).signIn(t, cashier.User.Username, "sai-mật-khẩu")
	}
	_, body := admin.get(t, "/admin/users")
	assert.Contains(t, body, "Tạm khoá đến")
	resp, body := admin.postForm(t, "/admin/users/"+cashier.User.Username+"/reset", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := otpField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	assert.Equal(t, 1, auditCount(t, rig, "user.reset", admin.User.ID))
	resp, _ = cashier.withoutRedirects().get(t, "/password")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the old session ended")
	assert.Contains(t, resp.Header.Get("Location"), "/login")
	rig.loginAs(t, cashier.User.Username, m[1])

	resp, body = admin.postForm(t, "/admin/users/"+cashier.User.Username+"/disable", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã khoá tài khoản "+cashier.User.Username)
	assert.Equal(t, 1, auditCount(t, rig, "user.disable", admin.User.ID))
	resp, _ = rig.client(t).withoutRedirects().signIn(t, cashier.User.Username, m[1])
	assert.NotEqual(t, http.StatusSeeOther, resp.StatusCode, "a disabled account cannot sign in")

	resp, body = admin.postForm(t, "/admin/users/"+cashier.User.Username+"/enable", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã mở lại tài khoản")
	assert.Equal(t, 1, auditCount(t, rig, "user.enable", admin.User.ID))

	resp, body = admin.postForm(t, "/admin/users/"+admin.User.Username+"/disable", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "không thể tự khoá")
	resp, _ = admin.postForm(t, "/admin/users/khong-co/reset", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestWebAdminTokens(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	admin := rig.login(t, auth.RoleAdmin)
	resp, body := admin.postForm(t, "/admin/tokens", url.Values{"name": {"Hệ thống một cửa"}, "role": {"dossier-system"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	tok, sec := tokenField.FindStringSubmatch(body), whsecField.FindStringSubmatch(body)
	require.NotNil(t, tok, body)
	require.NotNil(t, sec, "a dossier system gets its webhook secret")
	assert.True(t, strings.HasPrefix(tok[1], "fp_"))
	assert.True(t, strings.HasPrefix(sec[1], "whsec_"))
	actor, err := rig.db.VerifyToken(t.Context(), tok[1])
	require.NoError(t, err)
	assert.Equal(t, auth.RoleDossierSystem, actor.Role)
	assert.Equal(t, 1, auditCount(t, rig, "token.create", admin.User.ID))

	_, body = admin.get(t, "/admin/users")
	assert.Contains(t, body, "Hệ thống một cửa")
	assert.NotContains(t, body, tok[1], "shown once")

	resp, body = admin.postForm(t, "/admin/tokens/"+actor.ID+"/revoke", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã thu hồi mã API số "+actor.ID)
	_, err = rig.db.VerifyToken(t.Context(), tok[1])
	assert.ErrorIs(t, err, auth.ErrBadToken)
	assert.Equal(t, 1, auditCount(t, rig, "token.revoke", admin.User.ID))

	resp, body = admin.postForm(t, "/admin/tokens", url.Values{"name": {"  "}, "role": {"cashier"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Chưa tạo được mã API")
	toks, err := rig.db.Tokens(t.Context())
	require.NoError(t, err)
	assert.Len(t, toks, 1)
}

// adminPosts are the admin's actions, for the refusals.
var adminPosts = []string{
	"/admin/terminals/T1/test", "/admin/terminals/T1/end-of-day", "/admin/fees/import",
	"/admin/users", "/admin/users/x/reset", "/admin/users/x/disable", "/admin/users/x/enable",
	"/admin/tokens", "/admin/tokens/1/revoke", "/admin/webhooks/1/retry",
}

var adminPages = []string{"/admin", "/admin/terminals", "/admin/fees", "/admin/fees/export", "/admin/users", "/admin/webhooks", "/admin/receipts"}

func TestWebAdminRefusals(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	for _, role := range []auth.Role{auth.RoleCashier, auth.RoleAccountant} {
		c := rig.login(t, role)
		for _, p := range adminPages {
			resp, _ := c.get(t, p)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s GET %s", role, p)
		}
		for _, p := range adminPosts {
			resp, _ := c.postForm(t, p, url.Values{"username": {"x1"}, "name": {"X"}, "role": {"admin"}})
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s POST %s", role, p)
		}
	}
	admin := rig.login(t, auth.RoleAdmin)
	for _, p := range adminPosts {
		resp, body := admin.postFormRaw(t, p, url.Values{"username": {"x1"}, "name": {"X"}, "role": {"admin"}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "POST %s without the CSRF token", p)
		assert.Contains(t, body, "CSRF")
	}
	users, err := rig.db.Users(t.Context())
	require.NoError(t, err)
	assert.Len(t, users, 3, "nothing made")
	resp, _ := rig.client(t).withoutRedirects().get(t, "/admin/users")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "not signed in: to the login page")
}
