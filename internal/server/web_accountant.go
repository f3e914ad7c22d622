package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/ledger"
)

// The accountant's pages (docs/WEB.md "Accountant"): the day at a glance,
// the reconciliation (upload, run, report, exceptions, in-doubt
// payments), the downloads and the ledger. Role accountant; admin passes
// every check. Every write is the day's close (internal/endofday) or the
// payment workflow (internal/payments), as the CLI's `feepos reconcile`
// does; the reads are internal/sqlite's.

// routeAccountantPages adds the accountant's pages (/accountant…) to r, a
// router whose requests have a signed-in user.
func (s *Server) routeAccountantPages(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.webNeed(auth.RoleAccountant))
		r.Get("/accountant", s.handleAcctDay)
		r.Get("/accountant/reconcile", s.handleAcctReconcile)
		r.Post("/accountant/reconcile/import", s.handleAcctImport)
		r.Post("/accountant/reconcile/run", s.handleAcctRun)
		r.Get("/accountant/reconcile/report.{ext}", s.handleAcctReportFile)
		r.Post("/accountant/exceptions/{id}/resolve", s.handleAcctResolve)
		r.Post("/accountant/exceptions/unmatch", s.handleAcctResolve)
		r.Get("/accountant/review", s.handleAcctReview)
		r.Post("/accountant/payments/{id}/confirm", s.handleAcctConfirm)
		r.Post("/accountant/payments/{id}/settle", s.handleAcctSettle)
		r.Get("/accountant/summary", s.handleAcctSummaryPage)
		r.Get("/accountant/summary/download", s.handleAcctSummaryFile)
		r.Get("/accountant/ledger", s.handleAcctLedger)
	})
}

// SetCloser hands the server the day's close the accountant's pages use
// (serve builds it with the payment workflow, so in-doubt payments can be
// confirmed). Without it the pages use a Closer on the server's database
// with the payment workflow set by SetPayments. Call it before serving.
func (s *Server) SetCloser(c *endofday.Closer) { s.acctCloser = c }

// closer is the day's close the pages use.
func (s *Server) closer() *endofday.Closer {
	if s.acctCloser != nil {
		return s.acctCloser
	}
	return endofday.New(s.db, endofday.Options{Payments: s.payments})
}

// acctToday is today's business date in Vietnam.
func (s *Server) acctToday() string { return ledger.BusinessDate(s.clock()) }

// acctDate reads a business date from the query or form field "date":
// YYYY-MM-DD (a date picker) or dd/mm/yyyy; empty is today. ok is false,
// with a Vietnamese message, when it is not a date.
func (s *Server) acctDate(r *http.Request) (date string, msg string) {
	v := strings.TrimSpace(r.FormValue("date"))
	if v == "" {
		return s.acctToday(), ""
	}
	if t, err := time.Parse("02/01/2006", v); err == nil {
		return t.Format(ledger.DateLayout), ""
	}
	if _, err := ledger.ParseDate(v); err != nil {
		return s.acctToday(), "Ngày “" + v + "” không hợp lệ: chọn ngày trên lịch hoặc gõ theo dạng dd/mm/yyyy."
	}
	return v, ""
}

// acctPage reads the page number (1-based) of the query's field.
func acctPage(r *http.Request, field string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(field))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// acctPerPage is how many rows a list shows at once.
const acctPerPage = 50

// acctErrText says a service's refusal for the accountant, in
// Vietnamese, with the service's own words (which name what to fix)
// after it; the status is the refusal's. An internal error is logged and
// not shown.
func (s *Server) acctErrText(r *http.Request, err error) (int, string) {
	code := apperr.Code(err)
	status := apperr.HTTPStatus(code)
	lead := ""
	switch code {
	case apperr.Invalid:
		lead = "Dữ liệu không hợp lệ"
	case apperr.NotFound:
		lead = "Không tìm thấy"
	case apperr.Conflict:
		lead = "Không thể thực hiện do trạng thái hiện tại"
	default:
		if status >= 500 {
			s.log.Error("accountant page failed", "method", r.Method, "path", r.URL.Path, "err", err)
			return status, "Đã có lỗi hệ thống; hệ thống đã ghi lại lỗi. Vui lòng thử lại, và báo quản trị viên nếu lỗi còn lặp lại."
		}
		lead = "Không thực hiện được"
	}
	return status, lead + ". Chi tiết: " + err.Error()
}

// dayVN writes YYYY-MM-DD as dd/mm/yyyy.
func dayVN(d string) string { return endofday.VNDate(d) }
