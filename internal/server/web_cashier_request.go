package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/terminals"
)

// GET /cashier/requests/{id}: a request's fee lines, its total in figures
// and words, the payer, and the two ways to take the money:
// POST …/card (a terminal chosen; the payment page then follows the
// terminal live) and POST …/cash (the amount tendered; the change is
// shown as it is typed by cashier.js and checked again here).

type cashierTerminal struct {
	ID, Counter, State string
	Tone               string // ok | warn | bad: the state's colour
	Ready              bool
	Checked            bool
}

// cashierLine is a fee line as the page shows it.
type cashierLine struct {
	payments.Item
	KindLabel string
}

type cashierRequestData struct {
	Req        payments.Request
	StatusText string
	Payable    bool
	Last       *payments.Payment // the request's latest payment, if any
	Terminals  []cashierTerminal
	Lines      []cashierLine
	NotPayable string // why the forms are closed ("": payable)
	Tendered   string // the cash form's value, kept after an error
	CardError  string
	CashError  string
}

// requestStatusVI is a request's status as the cashier reads it.
var requestStatusVI = map[payments.RequestStatus]string{
	payments.RequestPending:     "Chờ thanh toán",
	payments.RequestProcessing:  "Đang thanh toán",
	payments.RequestPaid:        "Đã thanh toán",
	payments.RequestNeedsReview: "Chưa rõ kết quả: chờ kế toán xử lý",
	payments.RequestCancelled:   "Đã hủy",
	payments.RequestRefunded:    "Đã hoàn tiền",
}

// terminalStateVI is a terminal's state as the cashier reads it, and its
// tone.
func terminalStateVI(st terminals.Status) (string, string) {
	switch st {
	case terminals.StatusIdle:
		return "Sẵn sàng", "ok"
	case terminals.StatusInTransaction:
		return "Đang giao dịch", "warn"
	case terminals.StatusAwaitingRecord:
		return "Đang ghi nhận giao dịch", "warn"
	case terminals.StatusInDoubt:
		return "Có giao dịch chưa rõ kết quả", "warn"
	case terminals.StatusOffline:
		return "Mất kết nối", "bad"
	}
	return string(st), "warn"
}

func (s *Server) cashierTerminals(chosen string) []cashierTerminal {
	if s.terminals == nil {
		return nil
	}
	var out []cashierTerminal
	for _, st := range s.terminals.Status() {
		label, tone := terminalStateVI(st.Status)
		out = append(out, cashierTerminal{ID: st.ID, Counter: st.Counter, State: label, Tone: tone,
			Ready: st.Status == terminals.StatusIdle, Checked: st.ID == chosen})
	}
	if chosen == "" {
		for i := range out {
			if out[i].Ready {
				out[i].Checked = true
				return out
			}
		}
		if len(out) > 0 {
			out[0].Checked = true
		}
	}
	return out
}

// renderCashierRequest shows the request page, with d's errors and form
// values.
func (s *Server) renderCashierRequest(w http.ResponseWriter, r *http.Request, status int, req payments.Request, d cashierRequestData) {
	d.Req = req
	d.StatusText = requestStatusVI[req.Status]
	d.Payable = req.Status == payments.RequestPending
	if !d.Payable {
		d.NotPayable = notPayable(req)
	}
	for _, it := range req.Items {
		d.Lines = append(d.Lines, cashierLine{Item: it, KindLabel: kindLabel(it.Kind)})
	}
	if n := len(req.Payments); n > 0 {
		last := req.Payments[n-1]
		d.Last = &last
	}
	d.Terminals = s.cashierTerminals(r.PostFormValue("terminal"))
	s.renderPage(w, r, status, "cashier_request", "Hồ sơ "+req.DossierCode, d)
}

func (s *Server) cashierRequest(w http.ResponseWriter, r *http.Request) (*payments.Service, payments.Request, bool) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return nil, payments.Request{}, false
	}
	req, err := svc.Request(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		status, msg := cashierErrVI(err)
		if status >= 500 {
			s.webErr(w, r, err)
		} else {
			s.webError(w, r, status, msg)
		}
		return nil, payments.Request{}, false
	}
	return svc, req, true
}

func (s *Server) handleCashierRequest(w http.ResponseWriter, r *http.Request) {
	if _, req, ok := s.cashierRequest(w, r); ok {
		s.renderCashierRequest(w, r, http.StatusOK, req, cashierRequestData{})
	}
}

// notPayable is the error the forms show on a request that is not
// pending (nothing is written).
func notPayable(req payments.Request) string {
	switch req.Status {
	case payments.RequestPaid:
		return "Hồ sơ này đã được thanh toán: KHÔNG thu tiền lần nữa."
	case payments.RequestNeedsReview:
		return "Giao dịch trước của hồ sơ này chưa rõ kết quả: KHÔNG thanh toán lại cho đến khi kế toán xử lý xong."
	case payments.RequestProcessing:
		return "Hồ sơ này đang được thanh toán: chờ kết quả của giao dịch đang chạy."
	}
	return "Yêu cầu này " + strings.ToLower(requestStatusVI[req.Status]) + ": không thể thu tiền."
}

func (s *Server) handleCashierCard(w http.ResponseWriter, r *http.Request) {
	svc, req, ok := s.cashierRequest(w, r)
	if !ok {
		return
	}
	term := strings.TrimSpace(r.PostFormValue("terminal"))
	fail := func(status int, msg string) {
		s.renderCashierRequest(w, r, status, req, cashierRequestData{CardError: msg})
	}
	if req.Status != payments.RequestPending {
		fail(http.StatusConflict, notPayable(req))
		return
	}
	if s.terminals == nil {
		fail(http.StatusServiceUnavailable, "Chưa có máy POS nào được cấu hình: hãy thu tiền mặt, hoặc báo quản trị viên.")
		return
	}
	known := false
	for _, t := range s.terminals.Terminals() {
		known = known || t.ID == term
	}
	if !known {
		fail(http.StatusUnprocessableEntity, "Hãy chọn một máy POS trong danh sách.")
		return
	}
	// Record the terminal's events from now on: the payment page, opened
	// after the redirect, replays those it missed.
	attemptEvents(s.terminals)
	p, err := svc.Charge(r.Context(), actorOf(r), req.ID, payments.ChargeInput{Method: payments.MethodCard, Terminal: term})
	if err != nil {
		s.cashierChargeErr(w, r, req, err, true)
		return
	}
	http.Redirect(w, r, "/cashier/payments/"+url.PathEscape(p.ID), http.StatusSeeOther)
}

func (s *Server) handleCashierCash(w http.ResponseWriter, r *http.Request) {
	svc, req, ok := s.cashierRequest(w, r)
	if !ok {
		return
	}
	raw := r.PostFormValue("tendered")
	fail := func(status int, msg string) {
		s.renderCashierRequest(w, r, status, req, cashierRequestData{CashError: msg, Tendered: raw})
	}
	if req.Status != payments.RequestPending {
		fail(http.StatusConflict, notPayable(req))
		return
	}
	tendered, ok := parseDong(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		fail(http.StatusUnprocessableEntity, "Hãy nhập số tiền khách đưa.")
		return
	case !ok:
		fail(http.StatusUnprocessableEntity, "Số tiền khách đưa “"+raw+"” không hợp lệ: nhập số đồng, ví dụ 500.000.")
		return
	case tendered < req.Total:
		fail(http.StatusUnprocessableEntity, "Số tiền khách đưa ("+webMoney(tendered)+") ít hơn số tiền phải thu ("+webMoney(req.Total)+
			"). Chưa ghi nhận gì: nhận đủ tiền rồi thực hiện lại.")
		return
	}
	p, err := svc.Charge(r.Context(), actorOf(r), req.ID, payments.ChargeInput{Method: payments.MethodCash, Tendered: tendered})
	if err != nil {
		s.cashierChargeErr(w, r, req, err, false)
		return
	}
	http.Redirect(w, r, "/cashier/payments/"+url.PathEscape(p.ID), http.StatusSeeOther)
}

// cashierChargeErr shows a refused charge on the request page, read
// again (its status may have changed).
func (s *Server) cashierChargeErr(w http.ResponseWriter, r *http.Request, req payments.Request, err error, card bool) {
	status, msg := cashierErrVI(err)
	if status >= 500 {
		s.webErr(w, r, err)
		return
	}
	if fresh, rerr := s.payments.Request(r.Context(), req.ID); rerr == nil {
		req = fresh
	}
	d := cashierRequestData{Tendered: r.PostFormValue("tendered")}
	if card {
		d.CardError = msg
	} else {
		d.CashError = msg
	}
	s.renderCashierRequest(w, r, status, req, d)
}
