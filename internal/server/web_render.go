package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// The web pages' rendering (docs/WEB.md). web/templates/layout.tmpl is the
// frame of every page; each other NAME.tmpl is one page defining
// "content" (and, if it needs them, "head" and "scripts"); files named
// _NAME.tmpl are partials every page may use ({{template "NAME" .}} of
// their {{define}}s). Each page is parsed at start into its own set, a
// clone of the layout and partials, so pages never see one another's
// definitions and a page is added by adding a file.

//go:embed web/templates/*.tmpl
var webTemplateFiles embed.FS

//go:embed web/static/*
var webStaticFiles embed.FS

// webPage is what every page's template gets as its dot.
type webPage struct {
	Title  string
	User   auth.Actor // the signed-in user (Kind "" when none)
	CSRF   string     // the token forms send back (csrfField writes it)
	Nav    string     // the menu entry lit: the href of the section shown
	Flash  string     // a one-shot message from the previous request (redirectFlash)
	Error  string     // an error to show above the content
	Data   any        // the page's own data
	Nonce  string     // the CSP nonce: <script nonce="{{$.Nonce}}">
	Center string     // the center's name, for the header
	Menu   []navItem  // the menu of the user's role
	Status int        // the HTTP status the page is answered with
	Bare   bool       // no header and menu: a kiosk or a phone page
}

type navItem struct{ Label, Href string }

// webMenus are the menus by role; admin gets every entry.
var (
	menuCashier    = []navItem{{"Hàng đợi", "/cashier"}, {"Chưa rõ kết quả", "/cashier/review"}, {"Ca làm việc", "/cashier/shift"}}
	menuAccountant = []navItem{{"Tổng quan ngày", "/accountant"}, {"Đối soát", "/accountant/reconcile"}, {"Sổ sách", "/accountant/ledger"}}
	menuAdmin      = []navItem{{"Thiết bị", "/admin/terminals"}, {"Danh mục phí", "/admin/fees"}, {"Người dùng", "/admin/users"},
		{"Webhook", "/admin/webhooks"}, {"Biên lai", "/admin/receipts"}}
)

func menuFor(r auth.Role) []navItem {
	switch r {
	case auth.RoleCashier:
		return menuCashier
	case auth.RoleAccountant:
		return menuAccountant
	case auth.RoleAdmin:
		m := append([]navItem{}, menuCashier...)
		m = append(m, menuAccountant...)
		return append(m, menuAdmin...)
	}
	return nil
}

// navFor is the menu entry lit for path: the longest href path starts
// with.
func navFor(menu []navItem, p string) string {
	best := ""
	for _, it := range menu {
		if (p == it.Href || strings.HasPrefix(p, it.Href+"/")) && len(it.Href) > len(best) {
			best = it.Href
		}
	}
	return best
}

// webTemplates are the parsed pages, by name (the file name without
// .tmpl), and the static files' fingerprints.
type webTemplates struct {
	pages  map[string]*template.Template
	static map[string]string // file name → short hash, for cache-busting URLs
}

func webFuncs(static map[string]string) template.FuncMap {
	return template.FuncMap{
		"money":     webMoney,
		"date":      func(v any) string { return webTime(v, "02/01/2006") },
		"datetime":  func(v any) string { return webTime(v, "02/01/2006 15:04:05") },
		"words":     webWords,
		"csrfField": func(token string) template.HTML { return csrfField(token) },
		"static": func(name string) string {
			if h, ok := static[name]; ok {
				return "/static/" + name + "?v=" + h
			}
			return "/static/" + name
		},
		"roleLabel": func(r auth.Role) string { return auth.RoleLabel(r) },
	}
}

// webMoney writes whole đồng as pages show them: 1234000 → "1.234.000 đ".
// It takes any integer type.
func webMoney(v any) string {
	switch n := v.(type) {
	case int64:
		return receipts.FormatDong(n)
	case int:
		return receipts.FormatDong(int64(n))
	case int32:
		return receipts.FormatDong(int64(n))
	case *int64:
		if n == nil {
			return ""
		}
		return receipts.FormatDong(*n)
	}
	return fmt.Sprint(v)
}

// webWords writes an amount in Vietnamese words, as receipts do.
func webWords(v any) string {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case *int64:
		if x == nil {
			return ""
		}
		n = *x
	default:
		return ""
	}
	w, err := receipts.Words(n)
	if err != nil {
		return ""
	}
	return w
}

// webTime writes a time in Vietnam's zone; it takes a time.Time, a
// *time.Time (nil: "") or an RFC 3339 string. The zero time is "".
func webTime(v any, layout string) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return x
		}
		t = p
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	return t.In(ledger.Zone).Format(layout)
}

func csrfField(token string) template.HTML {
	return template.HTML(`<input type="hidden" name="csrf_token" value="` + template.HTMLEscapeString(token) + `">`)
}

// loadWebTemplates parses every page with the layout and partials.
func loadWebTemplates() (*webTemplates, error) {
	wt := &webTemplates{pages: map[string]*template.Template{}, static: map[string]string{}}
	statics, err := fs.Glob(webStaticFiles, "web/static/*")
	if err != nil {
		return nil, err
	}
	for _, f := range statics {
		b, err := webStaticFiles.ReadFile(f)
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(b)
		wt.static[path.Base(f)] = hex.EncodeToString(h[:4])
	}
	base := template.New("layout.tmpl").Funcs(webFuncs(wt.static))
	if _, err := base.ParseFS(webTemplateFiles, "web/templates/layout.tmpl"); err != nil {
		return nil, fmt.Errorf("web layout: %w", err)
	}
	files, err := fs.Glob(webTemplateFiles, "web/templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	var pages []string
	for _, f := range files {
		name := path.Base(f)
		switch {
		case name == "layout.tmpl":
		case strings.HasPrefix(name, "_"):
			if _, err := base.ParseFS(webTemplateFiles, f); err != nil {
				return nil, fmt.Errorf("web partial %s: %w", name, err)
			}
		default:
			pages = append(pages, f)
		}
	}
	for _, f := range pages {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(webTemplateFiles, f); err != nil {
			return nil, fmt.Errorf("web page %s: %w", path.Base(f), err)
		}
		wt.pages[strings.TrimSuffix(path.Base(f), ".tmpl")] = t
	}
	return wt, nil
}

// renderPage answers r with the page name (web/templates/name.tmpl) in
// the layout, titled title, with data as .Data.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	s.renderWeb(w, r, status, name, webPage{Title: title, Data: data})
}

// renderWeb answers r with the page name, filling what p leaves empty of
// the user, CSRF token, menu, lit entry, flash message and nonce.
func (s *Server) renderWeb(w http.ResponseWriter, r *http.Request, status int, name string, p webPage) {
	t, ok := s.web.pages[name]
	if !ok {
		s.log.Error("web page has no template", "page", name, "path", r.URL.Path)
		http.Error(w, "Lỗi hệ thống: trang "+name+" không có mẫu.", http.StatusInternalServerError)
		return
	}
	wc := webCtxFrom(r)
	if p.User.Kind == "" {
		p.User = wc.actor()
	}
	if p.CSRF == "" {
		p.CSRF = wc.csrf
	}
	if p.Menu == nil {
		p.Menu = menuFor(p.User.Role)
	}
	if p.Nav == "" {
		p.Nav = navFor(p.Menu, r.URL.Path)
	}
	if p.Flash == "" {
		p.Flash = takeFlash(w, r)
	}
	p.Nonce = wc.nonce
	p.Center = s.center
	p.Status = status
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render web page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Lỗi hệ thống khi hiển thị trang. Vui lòng thử lại hoặc báo quản trị viên.", http.StatusInternalServerError)
		return
	}
	webHeaders(w, wc.nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// webHeaders are the security headers of every page: scripts only from
// /static or with the request's nonce, no framing, no sniffing.
func webHeaders(w http.ResponseWriter, nonce string) {
	h := w.Header()
	script := "'self'"
	if nonce != "" {
		script += " 'nonce-" + nonce + "'"
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src "+script+"; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// webErrorData is the error page's data.
type webErrorData struct {
	Status  int
	Heading string
	Message string
	Back    string // where "Quay lại" leads
}

// webError answers r with the Vietnamese error page; msg "" gives the
// status's usual message.
func (s *Server) webError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := webErrorData{Status: status, Back: "/"}
	switch status {
	case http.StatusForbidden:
		d.Heading = "Bạn không có quyền truy cập"
		if msg == "" {
			msg = "Bạn không có quyền xem trang này hoặc thực hiện thao tác này. Nếu cần, hãy nhờ quản trị viên cấp quyền."
		}
	case http.StatusNotFound:
		d.Heading = "Không tìm thấy trang"
		if msg == "" {
			msg = "Trang hoặc mục bạn tìm không tồn tại. Kiểm tra lại địa chỉ hoặc quay về trang chính."
		}
	case http.StatusUnauthorized:
		d.Heading = "Chưa đăng nhập"
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		d.Heading = "Dữ liệu không hợp lệ"
	case http.StatusConflict:
		d.Heading = "Không thể thực hiện"
	case http.StatusServiceUnavailable:
		d.Heading = "Dịch vụ tạm thời không sẵn sàng"
	default:
		if status >= 500 {
			d.Heading = "Lỗi hệ thống"
			if msg == "" {
				msg = "Đã có lỗi xảy ra. Hệ thống đã ghi lại lỗi; vui lòng thử lại, và báo quản trị viên nếu lỗi còn lặp lại."
			}
		} else {
			d.Heading = http.StatusText(status)
		}
	}
	d.Message = msg
	s.renderPage(w, r, status, "error", d.Heading, d)
}

// webErr answers r with the error page for err from a service: its code
// gives the status; an internal error is logged and not shown.
func (s *Server) webErr(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.Code(err)
	status := apperr.HTTPStatus(code)
	if status >= 500 && code == apperr.Internal {
		s.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		s.webError(w, r, status, "")
		return
	}
	s.webError(w, r, status, err.Error())
}

const flashCookie = "feepos_flash"

// redirectFlash redirects (303) to target with a one-shot message the next
// page shows (.Flash).
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, target, msg string) {
	if msg != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 60})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > 1000 {
		return ""
	}
	return string(b)
}
