package reconcile

import "fmt"

const ruleOfferInDoubt = "offer_in_doubt"

// offersInDoubt is rule offer_in_doubt: a payment in needs_review (the
// terminal's answer was lost) that a line shows settled — same terminal,
// trace and amount, and the same approval code when the payment has one —
// is offered: a Match with Offer set and the line as evidence. The engine
// never settles it: an accountant confirms (audited). Runs after the key
// rules, so a line a reviewed payment claims is never one another payment
// matches. A payment in review that no line shows is not an exception
// here: it already waits for a person.
func (r *run) offersInDoubt() {
	for lk := range int32(len(r.line)) {
		l := r.l(lk)
		if r.lineUsed[lk] || l.Type != Sale {
			continue
		}
		h, ok := traceKey(0, l.TerminalID, l.TraceNo)
		if !ok {
			continue
		}
		for k := r.byTrace.first(h); k >= 0; k = r.byTrace.after(k) {
			p := r.p(k)
			if !r.free(k, true) || p.Refund || p.TerminalID != l.TerminalID || p.TraceNo != l.TraceNo || p.Amount != l.Amount ||
				(p.ApprovalCode != "" && p.ApprovalCode != l.ApprovalCode) || !r.dateOK(k, lk) {
				continue
			}
			r.claim(k, payOffered)
			r.lineUsed[lk] = true
			r.matches = append(r.matches, Match{
				Rule: ruleOfferInDoubt, PaymentIDs: r.strs(p.ID), Settlement: r.strs(l.ID),
				Amount: l.Amount, Fee: l.Fee, Net: l.Net, Offer: true,
				Explanation: fmt.Sprintf("Giao dịch đang chờ xem xét, nhưng file quyết toán (tệp %s, dòng %d) cho thấy đã thanh toán: máy %s, số trace %d, %s đồng, mã chuẩn chi %s. Đề nghị kế toán xác nhận; hệ thống không tự ghi nhận.",
					short(l.Source), l.Line, l.TerminalID, l.TraceNo, vnd(l.Amount), l.ApprovalCode),
			})
			break
		}
	}
}

// short is the first 12 characters of a file's SHA-256: enough for a
// person to find it.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
