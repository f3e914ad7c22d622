package server

import (
	"github.com/feepos/feepos/internal/apperr"
	"net/http"
	"strconv"
	"strings"

	"github.com/feepos/feepos/internal/payments"
)

// GET/POST /cashier/shift: the shift close. The page shows the cash the
// cashier took since their last close (what the drawer should hold); the
// cashier counts the drawer and submits; payments.Service.CloseShift
// compares, posts any difference to the variance account with the
// cashier's note (which a difference requires) and closes the shift.

type cashierShiftData struct {
	Payments int   // paid cash payments since the last close
	Expected int64 // their sum
	Counted  string
	Note     string
	Closed   *payments.Shift // the shift just closed
}

func (s *Server) cashierShiftData(w http.ResponseWriter, r *http.Request) (cashierShiftData, bool) {
	u, _ := webUser(r)
	n, total, err := s.db.OpenCash(r.Context(), u.Actor().ID)
	if err != nil {
		s.webErr(w, r, err)
		return cashierShiftData{}, false
	}
	return cashierShiftData{Payments: n, Expected: total}, true
}

func (s *Server) handleCashierShiftPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.cashierService(w, r); !ok {
		return
	}
	if d, ok := s.cashierShiftData(w, r); ok {
		s.renderPage(w, r, http.StatusOK, "cashier_shift", "Kết ca", d)
	}
}

func (s *Server) handleCashierShift(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return
	}
	d, ok := s.cashierShiftData(w, r)
	if !ok {
		return
	}
	d.Counted, d.Note = r.PostFormValue("counted"), strings.TrimSpace(r.PostFormValue("note"))
	fail := func(msg string) {
		s.renderWeb(w, r, http.StatusUnprocessableEntity, "cashier_shift", webPage{Title: "Kết ca", Error: msg, Data: d})
	}
	counted, ok := parseDong(d.Counted)
	switch {
	case strings.TrimSpace(d.Counted) == "":
		fail("Hãy nhập số tiền mặt đếm được trong két (nhập 0 nếu két trống).")
		return
	case !ok:
		fail("Số tiền đếm được “" + d.Counted + "” không hợp lệ: nhập số đồng, ví dụ 1.250.000.")
		return
	case counted != d.Expected && d.Note == "":
		fail("Số tiền đếm được (" + webMoney(counted) + ") khác số tiền theo sổ (" + webMoney(d.Expected) +
			"): hãy ghi chú lý do chênh lệch rồi kết ca lại. Chưa ghi nhận gì.")
		return
	}
	// The expected cash the cashier was shown: the close is refused when it
	// no longer holds, so the same form sent twice (F5 after closing)
	// never posts a second shift or variance.
	seen, err := strconv.ParseInt(r.PostFormValue("expected"), 10, 64)
	if err != nil {
		fail("Trang kết ca đã cũ: hãy tải lại trang, đếm lại tiền rồi kết ca. Chưa ghi nhận gì.")
		return
	}
	shift, err := svc.CloseShiftSeen(r.Context(), actorOf(r), seen, counted, d.Note)
	if apperr.Code(err) == apperr.Conflict {
		fail("Số tiền theo sổ đã thay đổi (" + webMoney(seen) + " → " + webMoney(d.Expected) + "): ca vừa được kết hoặc vừa có thu thêm tiền mặt. " +
			"Hãy đếm lại và kết ca với số mới. Chưa ghi nhận gì.")
		return
	}
	if err != nil {
		status, msg := cashierErrVI(err)
		if status >= 500 {
			s.webErr(w, r, err)
			return
		}
		fail(msg)
		return
	}
	d, ok = s.cashierShiftData(w, r)
	if !ok {
		return
	}
	d.Closed = &shift
	s.renderWeb(w, r, http.StatusOK, "cashier_shift", webPage{Title: "Kết ca", Flash: "Đã kết ca. Biên bản kết ca số " + strconv.FormatInt(shift.ID, 10) + ".", Data: d})
}
