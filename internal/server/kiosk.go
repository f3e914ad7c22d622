package server

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/receipts"
)

// The lobby kiosk, GET /kiosk[?code=…] (issue 12, item 6; docs/API.md
// "Public pages"): a citizen types or scans a dossier code (mã hồ sơ) and
// sees, in Vietnamese, the fees the dossier's payment requests ask for,
// each request's total in figures and words, its status in plain words,
// and the receipts issued for it with a link to each one's /verify page.
// Anyone in the lobby (or on the center's Wi-Fi) may open it without a
// login, so it is read-only, rate-limited per client IP, and shows
// nothing personal beyond what the receipt itself shows:
//
//   - shown: the dossier code (typed by the citizen), the fee lines (name,
//     kind, quantity, amount), totals, status, the date the request was
//     made, the receipts' template, series, number, date, total and
//     status, and the payer's name MASKED to the first letter of each word
//     (kioskMaskName: "Lê Thị Hoa" → "L** T** H**"), enough for a citizen
//     to recognise the dossier as theirs and useless to anyone else;
//   - never shown: the payer's ID number, tax code, address and phone, the
//     full name, the card (not even masked), terminal and trace numbers,
//     the cashier, the request and payment ids, the callback URL, and any
//     review evidence.
//
// The reads are the ones the JSON API makes for
// GET /api/v1/payment-requests?dossier_code=… (payments.Service.Requests)
// and the stored receipts (sqlite.DB.Receipt); this file only chooses
// what to show and how to say it.
//
// The page needs no script: the field is autofocused, so a
// keyboard-wedge scanner's characters then Enter submit the form; a
// result page goes back to the empty form after KioskResetAfter, so the
// next person in the lobby does not see the last one's dossier.

// Rate limit of the kiosk, per client IP (IPv6 per /64), like /verify.
// The lobby's kiosk PC is one IP for every citizen who uses it and a
// citizen makes one or two look-ups, so 60 a minute is far above a busy
// lobby's pace while it still stops anyone walking through dossier codes.
// Behind a reverse proxy see VerifyRequestsPerWindow's note.
const (
	KioskRequestsPerWindow = 60
	KioskWindow            = time.Minute
	// KioskResetAfter: a result page reloads the empty form after this
	// long (a meta refresh, no script).
	KioskResetAfter = 90 * time.Second
	// kioskMaxRequests is how many of a dossier's requests the page lists,
	// newest first; a dossier has one or two.
	kioskMaxRequests = 20
	// kioskMaxCode: a longer "code" is refused without reading the
	// database (dossier codes are short; a scanner may send garbage).
	kioskMaxCode = 100
)

// kioskLimit is KioskRequestsPerWindow; tests lower it before New.
var kioskLimit = KioskRequestsPerWindow

//go:embed templates/kiosk.html.tmpl
var kioskFS embed.FS

var kioskTmpl = template.Must(template.ParseFS(kioskFS, "templates/kiosk.html.tmpl"))

// kioskRoutes is mounted at /kiosk.
func (s *Server) kioskRoutes() http.Handler {
	r := chi.NewRouter()
	r.Use(kioskHeaders)
	r.Use(middleware.ClientIPFromRemoteAddr)
	r.Use(httprate.LimitBy(kioskLimit, KioskWindow, clientIPKey, httprate.WithLimitHandler(s.kioskTooMany)))
	r.Get("/", s.handleKiosk)
	return r
}

// kioskHeaders: nothing of a dossier is kept by the kiosk's browser or a
// proxy; the page loads nothing from elsewhere, runs no script, and its
// one form goes back to feepos.
func kioskHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// kioskPage is what the template shows.
type kioskPage struct {
	Title  string
	Status int
	Code   string // the code looked up, as typed ("" : the empty form)
	// ResetAfter is the meta refresh back to the empty form, in seconds
	// (0: none).
	ResetAfter int

	// An error or "not found": a heading and what to do.
	Problem     string
	ProblemNote string
	ProblemWarn bool // amber (busy, unavailable) rather than red

	Requests []kioskRequest
	More     bool // the dossier has more than kioskMaxRequests requests
}

type kioskRequest struct {
	Created    string // dd/mm/yyyy
	Payer      string // masked
	Status     string // "Chờ nộp", "Đã nộp", …
	StatusNote string
	StatusTone string // ok | warn | bad | info: the badge's colour
	Lines      []kioskLine
	Total      string
	Words      string
	Receipts   []kioskReceipt
}

type kioskLine struct {
	Name     string
	Kind     string // "Phí" | "Lệ phí"
	Quantity string
	Amount   string
}

type kioskReceipt struct {
	Template string
	Series   string
	Number   string
	Date     string
	Total    string
	Href     string // its /verify page on this feepos
	Note     string // "Biên lai thay thế", "Đã bị thay thế", …
}

func (s *Server) handleKiosk(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	if code == "" {
		s.renderKiosk(w, http.StatusOK, kioskPage{Title: "Tra cứu phí, lệ phí hồ sơ"})
		return
	}
	reset := int(KioskResetAfter / time.Second)
	if utf8.RuneCountInString(code) > kioskMaxCode || !utf8.ValidString(code) || strings.IndexFunc(code, unicode.IsControl) >= 0 {
		s.renderKiosk(w, http.StatusBadRequest, kioskPage{Title: "Mã hồ sơ không đúng", Code: clipCode(code), ResetAfter: reset,
			Problem:     "Mã hồ sơ không đúng",
			ProblemNote: "Mã hồ sơ in trên giấy tiếp nhận hồ sơ (dưới mã vạch), dài không quá " + strconv.Itoa(kioskMaxCode) + " ký tự. Vui lòng quét lại mã vạch hoặc nhập lại."})
		return
	}
	if s.payments == nil {
		s.kioskUnavailable(w, code)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	page, err := s.kioskRequests(ctx, code)
	if err != nil {
		s.log.Error("kiosk: look up dossier", "err", err)
		s.kioskUnavailable(w, code)
		return
	}
	if len(page.Items) == 0 {
		s.renderKiosk(w, http.StatusNotFound, kioskPage{Title: "Không tìm thấy hồ sơ", Code: clipCode(code), ResetAfter: reset,
			Problem:     "Không tìm thấy hồ sơ “" + clipCode(code) + "”",
			ProblemNote: "Chưa có khoản phí, lệ phí nào cần nộp cho mã hồ sơ này. Kiểm tra lại mã in trên giấy tiếp nhận hồ sơ, hoặc hỏi cán bộ tại quầy tiếp nhận."})
		return
	}
	p := kioskPage{Title: "Hồ sơ " + clipCode(code), Status: http.StatusOK, Code: clipCode(code), ResetAfter: reset,
		More: page.Next != ""}
	for _, req := range page.Items {
		kr, err := s.kioskRequest(ctx, req)
		if err != nil {
			s.log.Error("kiosk: read receipts", "request", req.ID, "err", err)
			s.kioskUnavailable(w, code)
			return
		}
		p.Requests = append(p.Requests, kr)
	}
	s.renderKiosk(w, http.StatusOK, p)
}

// kioskRequests lists the dossier's requests as the JSON API's list does
// (cashiers see all; there is no API client here). The code as typed
// first, then in capitals: a code typed by hand on the kiosk's keyboard
// often comes in lower case, and dossier codes are printed in capitals.
func (s *Server) kioskRequests(ctx context.Context, code string) (payments.Page, error) {
	page, err := s.payments.Requests(ctx, payments.Filter{DossierCode: code, Limit: kioskMaxRequests})
	if err != nil || len(page.Items) > 0 {
		return page, err
	}
	if up := strings.ToUpper(code); up != code {
		return s.payments.Requests(ctx, payments.Filter{DossierCode: up, Limit: kioskMaxRequests})
	}
	return page, nil
}

// kioskRequest is what the kiosk shows of one request: see the list at
// the top of this file. Each receipt is read from the store for its date
// and status.
func (s *Server) kioskRequest(ctx context.Context, req payments.Request) (kioskRequest, error) {
	kr := kioskRequest{Created: vnDate(req.CreatedAt), Payer: kioskMaskName(req.Payer.Name),
		Total: receipts.FormatDong(req.Total)}
	kr.Status, kr.StatusNote, kr.StatusTone = kioskStatus(req.Status)
	if words, err := receipts.Words(req.Total); err == nil {
		kr.Words = words
	}
	for _, it := range req.Items {
		kind := "Phí"
		if it.Kind == string(receipts.LePhi) {
			kind = "Lệ phí"
		}
		kr.Lines = append(kr.Lines, kioskLine{Name: it.Name, Kind: kind,
			Quantity: receipts.GroupDigits(it.Quantity), Amount: receipts.FormatDong(it.Amount)})
	}
	for _, pay := range req.Payments {
		for _, ref := range pay.Receipts {
			rc, err := s.db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
			if err != nil {
				return kioskRequest{}, err
			}
			link := newRefLink(rc.Ref)
			kp := kioskReceipt{Template: rc.Template, Series: rc.Series, Number: receipts.PrintedNumber(rc.Number),
				Date: rc.IssueDate(), Total: receipts.FormatDong(rc.Total), Href: link.Href}
			var notes []string
			if ref.Kind == "replacement" || rc.Replaces != nil {
				notes = append(notes, "Biên lai thay thế")
			}
			if rc.Status == receipts.Replaced {
				notes = append(notes, "Đã bị thay thế")
			}
			if pay.Status == payments.PaymentVoided {
				notes = append(notes, "Giao dịch thẻ không thành công: biên lai không có giá trị thanh toán")
			}
			kp.Note = strings.Join(notes, " · ")
			kr.Receipts = append(kr.Receipts, kp)
		}
	}
	return kr, nil
}

// kioskStatus says a request's status to a citizen: the words, what to
// do, and the badge's colour.
func kioskStatus(st payments.RequestStatus) (words, note, tone string) {
	switch st {
	case payments.RequestPending:
		return "Chờ nộp", "Mời ông/bà đến quầy thu để nộp phí, lệ phí (thẻ ngân hàng hoặc tiền mặt).", "warn"
	case payments.RequestProcessing:
		return "Đang thanh toán", "Giao dịch đang được xử lý tại quầy thu.", "info"
	case payments.RequestPaid:
		return "Đã nộp", "Đã nộp đủ. Biên lai được liệt kê bên dưới.", "ok"
	case payments.RequestNeedsReview:
		return "Đang xác minh thanh toán", "Chưa xác định được kết quả giao dịch thẻ. Không thanh toán lại; vui lòng liên hệ quầy thu.", "warn"
	case payments.RequestCancelled:
		return "Đã hủy", "Yêu cầu thu này đã được hủy, không cần nộp.", "info"
	case payments.RequestRefunded:
		return "Đã hoàn tiền", "Khoản đã nộp đã được hoàn trả.", "info"
	}
	return string(st), "", "info"
}

// kioskMaskName keeps the first letter of each word of a name and hides
// the rest behind a fixed "**" (so the length does not show either):
// "Lê Thị Hoa" → "L** T** H**". It is the only trace of the payer the
// kiosk shows (see the top of this file).
func kioskMaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + "**"
	}
	return strings.Join(words, " ")
}

// vnDate is t's date in Vietnam, dd/mm/yyyy.
func vnDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(receipts.Zone).Format("02/01/2006")
}

// clipCode keeps an echoed code short.
func clipCode(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func (s *Server) kioskUnavailable(w http.ResponseWriter, code string) {
	s.renderKiosk(w, http.StatusServiceUnavailable, kioskPage{Title: "Chưa tra cứu được", Code: clipCode(code), ProblemWarn: true,
		Problem:     "Chưa tra cứu được",
		ProblemNote: "Hệ thống tạm thời không đọc được dữ liệu. Vui lòng thử lại sau ít phút hoặc hỏi cán bộ tại quầy thu."})
}

func (s *Server) kioskTooMany(w http.ResponseWriter, r *http.Request) {
	s.renderKiosk(w, http.StatusTooManyRequests, kioskPage{Title: "Quá nhiều lượt tra cứu", ProblemWarn: true,
		Problem:     "Quá nhiều lượt tra cứu",
		ProblemNote: "Mỗi địa chỉ mạng được tra cứu tối đa " + strconv.Itoa(kioskLimit) + " lần mỗi phút. Vui lòng đợi một phút rồi thử lại."})
}

func (s *Server) renderKiosk(w http.ResponseWriter, status int, p kioskPage) {
	p.Status = status
	var b strings.Builder
	if err := kioskTmpl.Execute(&b, p); err != nil {
		s.log.Error("kiosk: render page", "err", err)
		http.Error(w, "Lỗi hiển thị trang tra cứu", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}
