package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// The administrator's users and API tokens page (docs/WEB.md "Admin"): the
// same store calls as `feepos users` and `feepos tokens`, each audited by
// the store with the signed-in admin as actor. A one-time password, a
// token and a webhook secret are shown once, on the answer of the POST
// that made them (no-store, never redirected through a cookie), and
// never again.

type adminUsersData struct {
	Users  []adminUserRow
	Tokens []sqlite.Token
	Roles  []auth.Role // of people
	// TokenRoles are the roles an API token may have.
	TokenRoles []auth.Role
	Form       adminUserForm
	TokenForm  adminTokenForm
	// Secret is what was just made, shown once.
	Secret *adminSecret
	Self   string // the signed-in admin's user name
}

type adminUserRow struct {
	auth.User
	LockedNow bool
}

type adminUserForm struct {
	Username, Name string
	Role           auth.Role
}

type adminTokenForm struct {
	Name string
	Role auth.Role
}

// adminSecret is a one-time password, or a token with its webhook secret.
type adminSecret struct {
	Kind          string // "password" or "token"
	For           string // whose: the user name, or the token's client
	Password      string
	Token         string
	WebhookSecret string
}

func (s *Server) handleAdminUsers(w http.ResponseWriter, r *http.Request) {
	s.renderAdminUsers(w, r, http.StatusOK, "", adminUsersData{})
}

// renderAdminUsers fills d's lists and renders the page; errMsg, if not
// "", is shown above it.
func (s *Server) renderAdminUsers(w http.ResponseWriter, r *http.Request, status int, errMsg string, d adminUsersData) {
	users, err := s.db.Users(r.Context())
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	now := s.clock()
	for _, u := range users {
		d.Users = append(d.Users, adminUserRow{User: u, LockedNow: u.Locked(now)})
	}
	if d.Tokens, err = s.db.Tokens(r.Context()); err != nil {
		s.webErr(w, r, err)
		return
	}
	d.Roles, d.TokenRoles = auth.WebRoles, auth.Roles
	if d.Form.Role == "" {
		d.Form.Role = auth.RoleCashier
	}
	if d.TokenForm.Role == "" {
		d.TokenForm.Role = auth.RoleDossierSystem
	}
	if u, ok := webUser(r); ok {
		d.Self = u.Username
	}
	s.renderWeb(w, r, status, "admin_users", webPage{Title: "Người dùng và mã API", Error: errMsg, Data: d})
}

func (s *Server) handleAdminUserCreate(w http.ResponseWriter, r *http.Request) {
	f := adminUserForm{Username: strings.TrimSpace(r.PostFormValue("username")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: auth.Role(r.PostFormValue("role"))}
	d := adminUsersData{Form: f}
	// No password: the store makes a one-time one, to be changed at the
	// first sign-in.
	cu, err := s.db.CreateUser(r.Context(), sqlite.NewUser{Username: f.Username, Name: f.Name, Role: f.Role}, adminActor(r))
	switch errCode(err) {
	case "":
	case apperr.Conflict:
		s.renderAdminUsers(w, r, http.StatusConflict, "Tên đăng nhập “"+f.Username+"” đã có người dùng: chọn tên khác, hoặc đặt lại mật khẩu của tài khoản đó.", d)
		return
	case apperr.Invalid:
		s.renderAdminUsers(w, r, http.StatusUnprocessableEntity, "Chưa tạo được tài khoản: tên đăng nhập cần 2–64 ký tự, chỉ gồm chữ a–z không dấu, "+
			"chữ số, dấu chấm, gạch dưới hoặc gạch ngang; họ tên không được để trống; vai trò là Thu ngân, Kế toán hoặc Quản trị.", d)
		return
	default:
		s.webErr(w, r, err)
		return
	}
	s.log.Info("web user created", "user", cu.Username, "role", cu.Role, "by", adminActor(r).String())
	s.renderAdminUsers(w, r, http.StatusOK, "", adminUsersData{Secret: &adminSecret{Kind: "password", For: cu.Username, Password: cu.Password}})
}

func (s *Server) handleAdminUserReset(w http.ResponseWriter, r *http.Request) {
	username := chi.URLParam(r, "username")
	cu, err := s.db.ResetPassword(r.Context(), username, adminActor(r))
	if err != nil {
		s.adminUserErr(w, r, username, err)
		return
	}
	s.log.Info("web user password reset", "user", cu.Username, "by", adminActor(r).String())
	s.renderAdminUsers(w, r, http.StatusOK, "", adminUsersData{Secret: &adminSecret{Kind: "password", For: cu.Username, Password: cu.Password}})
}

func (s *Server) handleAdminUserDisable(w http.ResponseWriter, r *http.Request) {
	s.adminSetDisabled(w, r, true)
}

func (s *Server) handleAdminUserEnable(w http.ResponseWriter, r *http.Request) {
	s.adminSetDisabled(w, r, false)
}

func (s *Server) adminSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	username := chi.URLParam(r, "username")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		reason = "trang quản trị"
	}
	u, err := s.db.SetUserDisabled(r.Context(), username, disabled, reason, adminActor(r))
	if err != nil {
		s.adminUserErr(w, r, username, err)
		return
	}
	msg := "Đã mở lại tài khoản " + u.Username + "."
	if disabled {
		msg = "Đã khoá tài khoản " + u.Username + "; các phiên đăng nhập của tài khoản đã kết thúc."
	}
	s.redirectFlash(w, r, "/admin/users", msg)
}

func (s *Server) adminUserErr(w http.ResponseWriter, r *http.Request, username string, err error) {
	switch apperr.Code(err) {
	case apperr.NotFound:
		s.webError(w, r, http.StatusNotFound, "Không có tài khoản “"+username+"”.")
	case apperr.Invalid:
		// The one refusal SetUserDisabled makes: one's own account.
		s.renderAdminUsers(w, r, http.StatusUnprocessableEntity, "Bạn không thể tự khoá tài khoản của mình: nhờ một quản trị viên khác.", adminUsersData{})
	default:
		s.webErr(w, r, err)
	}
}

func (s *Server) handleAdminTokenCreate(w http.ResponseWriter, r *http.Request) {
	f := adminTokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: auth.Role(r.PostFormValue("role"))}
	var nt sqlite.NewToken
	err := s.db.WithTx(r.Context(), func(tx *sqlite.Tx) error {
		var err error
		nt, err = tx.CreateToken(r.Context(), f.Name, f.Role, adminActor(r))
		return err
	})
	switch errCode(err) {
	case "":
	case apperr.Invalid:
		s.renderAdminUsers(w, r, http.StatusUnprocessableEntity, "Chưa tạo được mã API: nhập tên hệ thống sẽ dùng mã (ví dụ “Hệ thống một cửa”) và chọn một vai trò trong danh sách.",
			adminUsersData{TokenForm: f})
		return
	default:
		s.webErr(w, r, err)
		return
	}
	s.log.Info("API token created", "token", nt.ID, "name", nt.Name, "role", nt.Role, "by", adminActor(r).String())
	s.renderAdminUsers(w, r, http.StatusOK, "", adminUsersData{Secret: &adminSecret{Kind: "token", For: nt.Name, Token: nt.Plaintext, WebhookSecret: nt.WebhookSecret}})
}

func (s *Server) handleAdminTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	err := s.db.WithTx(r.Context(), func(tx *sqlite.Tx) error { return tx.RevokeToken(r.Context(), id, adminActor(r)) })
	switch errCode(err) {
	case "":
	case apperr.NotFound, apperr.Invalid:
		s.webError(w, r, http.StatusNotFound, "Không có mã API số "+id+".")
		return
	case apperr.Conflict:
		s.redirectFlash(w, r, "/admin/users", "Mã API số "+id+" đã bị thu hồi trước đó.")
		return
	default:
		s.webErr(w, r, err)
		return
	}
	s.redirectFlash(w, r, "/admin/users", "Đã thu hồi mã API số "+id+": hệ thống dùng mã này không gọi được API nữa.")
}

// errCode is err's apperr code, "" for nil (apperr.Code says Internal).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return apperr.Code(err)
}

// LockEnd is for the template: the end of a lock, or the zero time.
func (u adminUserRow) LockEnd() time.Time {
	if u.LockedUntil == nil {
		return time.Time{}
	}
	return *u.LockedUntil
}
