package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
)

// The cashier's pages (docs/WEB.md "Cashier"): the queue of pending
// payment requests with the scan field (web_cashier_queue.go), a
// request's fee lines and the card and cash actions
// (web_cashier_request.go), a payment's page with its live status by
// Server-Sent Events (web_cashier_payment.go, web_cashier_events.go),
// the receipts to print (web_cashier_receipts.go), the payments waiting
// for an accountant (web_cashier_review.go) and the shift close
// (web_cashier_shift.go). Every write goes through payments.Service, as
// the JSON API's does; the pages only read, check the form and show.

// routeCashierPages adds the cashier's pages (/cashier…) to r, a router
// whose requests have a signed-in user: cashiers and admins.
func (s *Server) routeCashierPages(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.webNeed(auth.RoleCashier))
		r.Get("/cashier", s.handleCashierQueue)
		r.Get("/cashier/requests/{id}", s.handleCashierRequest)
		r.Post("/cashier/requests/{id}/card", s.handleCashierCard)
		r.Post("/cashier/requests/{id}/cash", s.handleCashierCash)
		r.Get("/cashier/payments/{id}", s.handleCashierPayment)
		r.Get("/cashier/payments/{id}/events", s.handleCashierPaymentEvents)
		r.Get("/cashier/receipts/{template}/{series}/{number}", s.handleCashierReceipt)
		r.Get("/cashier/review", s.handleCashierReview)
		r.Get("/cashier/shift", s.handleCashierShiftPage)
		r.Post("/cashier/shift", s.handleCashierShift)
	})
}

// cashierService is the payment workflow, or the 503 page when the
// server has none.
func (s *Server) cashierService(w http.ResponseWriter, r *http.Request) (*payments.Service, bool) {
	if s.payments == nil {
		s.webError(w, r, http.StatusServiceUnavailable, "Chức năng thu tiền chưa được bật trên máy chủ này. Báo quản trị viên.")
		return nil, false
	}
	return s.payments, true
}

// cashierErrVI is what the cashier reads for an error of the payment
// service (whose messages are English, for the API's clients).
func cashierErrVI(err error) (status int, msg string) {
	switch apperr.Code(err) {
	case apperr.Conflict:
		return http.StatusConflict, "Không thể thu tiền: yêu cầu này đang được thanh toán, đã thanh toán, đang chờ kế toán xử lý hoặc đã bị hủy. " +
			"Tải lại trang để xem trạng thái; KHÔNG thu lại tiền của khách."
	case apperr.NotFound:
		return http.StatusNotFound, "Không tìm thấy yêu cầu thanh toán hoặc giao dịch này. Kiểm tra lại mã hồ sơ."
	case apperr.Unavailable:
		return http.StatusServiceUnavailable, "Chưa có máy POS nào được cấu hình: hãy thu tiền mặt, hoặc báo quản trị viên."
	case apperr.Invalid, apperr.Unprocessable:
		return http.StatusUnprocessableEntity, "Dữ liệu không hợp lệ. Kiểm tra lại rồi thực hiện lại."
	}
	return http.StatusInternalServerError, ""
}

// parseDong reads an amount as a cashier types it: "500000", "500.000",
// "500 000 đ". Only whole đồng; ok false for anything else.
func parseDong(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "đ")
	s = strings.TrimSuffix(strings.TrimSpace(s), "VND")
	s = strings.NewReplacer(".", "", " ", "", "\u00a0", "", ",", "").Replace(s)
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 15 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// kindLabel is a fee line's kind as printed.
func kindLabel(k string) string {
	switch k {
	case "phi":
		return "Phí"
	case "le_phi":
		return "Lệ phí"
	}
	return k
}
