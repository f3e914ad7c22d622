package reconcile

import "fmt"

// dateLag is rule date_lag, for the payments no line took. A payment
// after the acquirer's cut-off settles the next day (Options.LagDays), so
// a payment of date P may still be settled up to P+LagDays: until then it
// is pending (Result.Pending, Summary.PendingCount), not an exception; on
// day P+LagDays with no line it is missing_in_settlement. A payment an
// open exception already names is left to carry_over. Payments in review
// are left to their review (rule offer_in_doubt).
func (r *run) dateLag() {
	open := r.openPayments()
	dueBy := map[int32]string{}
	for k := range int32(len(r.pay)) {
		p := r.p(k)
		if r.payStat[k] != payFree || p.InReview {
			continue
		}
		r.payStat[k] = payDone
		if open[p.ID] {
			continue
		}
		due := r.payDay[k] + r.lag
		if r.payDay[k] != noDay && r.date != noDay && r.date < due {
			r.pendingAmount += paySign(p) * p.Amount
			if _, ok := dueBy[due]; !ok {
				dueBy[due] = dayString(due)
			}
			r.pending = append(r.pending, Pending{PaymentID: p.ID, TerminalID: p.TerminalID, TraceNo: p.TraceNo, Amount: p.Amount, Date: p.Date, DueBy: dueBy[due]})
			continue
		}
		what := "Giao dịch thẻ"
		if p.Refund {
			what = "Giao dịch hoàn tiền"
		}
		r.except(Exception{
			Kind:         MissingInSettlement,
			PaymentID:    p.ID,
			TerminalID:   p.TerminalID,
			TraceNo:      p.TraceNo,
			ApprovalCode: p.ApprovalCode,
			RRN:          p.RRN,
			LedgerAmount: ptr(p.Amount),
			Detail: fmt.Sprintf("%s %s đồng ngày %s (máy %s, số trace %d, mã chuẩn chi %s) chưa có trong file quyết toán, đã quá %d ngày chờ.",
				what, vnd(p.Amount), p.Date, p.TerminalID, p.TraceNo, p.ApprovalCode, r.lag),
		})
	}
}

// openPayments are the payments Day.Open's exceptions name.
func (r *run) openPayments() map[string]bool {
	m := map[string]bool{}
	for _, e := range r.day.Open {
		if e.PaymentID != "" {
			m[e.PaymentID] = true
		}
	}
	return m
}
