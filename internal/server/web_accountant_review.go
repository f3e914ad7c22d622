package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/payments"
)

// The payments in review (GET /accountant/review): each payment whose
// outcome is unknown, with the terminal's evidence, and the form that
// settles it (payments.Service.Settle: charged or not charged, with the
// reason, audited). A payment a reconciliation run offered (the acquirer
// settled it) is confirmed from the reconciliation page instead.

type acctReviewItem struct {
	Payment  payments.Payment
	Dossier  string
	Payer    string
	Reason   string
	Evidence string // the evidence, as indented JSON (masked card numbers only)
}

type acctReviewData struct {
	Items   []acctReviewItem
	Pager   acctPager
	NoPay   bool // the payment workflow is not running
	Date    string
	Outcome string
}

func (s *Server) handleAcctReview(w http.ResponseWriter, r *http.Request) {
	s.renderReview(w, r, http.StatusOK, "")
}

func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	d := acctReviewData{NoPay: s.payments == nil, Date: s.acctToday()}
	rows, err := s.db.PaymentsInStatus(ctx, string(payments.PaymentNeedsReview))
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d.Pager = newPager(len(rows), acctPage(r, "page"), func(n int) string { return "/accountant/review?page=" + strconv.Itoa(n) })
	for _, row := range rows[d.Pager.From:d.Pager.To] {
		it := acctReviewItem{}
		if s.payments != nil {
			if it.Payment, err = s.payments.Payment(ctx, row.ID); err != nil {
				s.webErr(w, r, err)
				return
			}
		} else {
			it.Payment = payments.Payment{ID: row.ID, PaymentRequestID: row.RequestID, Method: row.Method, Status: payments.PaymentStatus(row.Status),
				Amount: row.Amount, Terminal: row.Terminal}
		}
		if req, err := s.db.PaymentRequest(ctx, row.RequestID); err == nil {
			it.Dossier = req.DossierCode
			var p payments.Payer
			if json.Unmarshal([]byte(req.Payer), &p) == nil {
				it.Payer = p.Name
			}
		}
		if rv := it.Payment.Review; rv != nil {
			it.Reason = rv.Reason
			if rv.Evidence != nil {
				b, _ := json.MarshalIndent(rv.Evidence, "", "  ")
				it.Evidence = string(b)
			}
		}
		d.Items = append(d.Items, it)
	}
	s.renderWeb(w, r, status, "accountant_review", webPage{Title: "Giao dịch chờ xử lý", Error: errMsg, Data: d})
}

// handleAcctSettle settles payment {id} in review: "outcome" charged or
// not_charged, "reason" required.
func (s *Server) handleAcctSettle(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if s.payments == nil {
		s.renderReview(w, r, http.StatusServiceUnavailable, "Chức năng thanh toán chưa chạy trên máy chủ này: không xử lý được giao dịch treo.")
		return
	}
	outcome, reason := r.FormValue("outcome"), strings.TrimSpace(r.FormValue("reason"))
	if outcome != payments.OutcomeCharged && outcome != payments.OutcomeNotCharged {
		s.renderReview(w, r, http.StatusUnprocessableEntity, "Giao dịch "+id+": hãy chọn kết quả, “Đã trừ tiền” hoặc “Chưa trừ tiền”.")
		return
	}
	if reason == "" {
		s.renderReview(w, r, http.StatusUnprocessableEntity, "Giao dịch "+id+": hãy ghi lý do (căn cứ: hóa đơn máy POS, sao kê ngân hàng…). Lý do được lưu vào nhật ký kiểm toán.")
		return
	}
	p, err := s.payments.Settle(r.Context(), webCtxFrom(r).actor(), id, outcome, reason)
	if err != nil {
		st, m := s.acctErrText(r, err)
		s.renderReview(w, r, st, m)
		return
	}
	msg := fmt.Sprintf("Giao dịch %s (%s): đã ghi nhận là đã trừ tiền, biên lai đã phát hành.", p.ID, webMoney(p.Amount))
	if outcome == payments.OutcomeNotCharged {
		msg = fmt.Sprintf("Giao dịch %s (%s): đã ghi nhận là chưa trừ tiền; hồ sơ có thể thanh toán lại.", p.ID, webMoney(p.Amount))
	}
	s.redirectFlash(w, r, "/accountant/review?"+url.Values{}.Encode(), msg)
}
