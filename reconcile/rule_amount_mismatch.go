package reconcile

import "fmt"

// amountMismatch reports payment k and line lk, which a strong key pairs,
// as amount_mismatch: a difference in đồng is never matched silently.
// Both are taken, so neither shows up again as missing.
func (r *run) amountMismatch(k, lk int32) {
	p, l := r.p(k), r.l(lk)
	r.payStat[k] = payDone
	r.lineUsed[lk] = true
	r.except(Exception{
		Kind:             AmountMismatch,
		PaymentID:        p.ID,
		SettlementID:     l.ID,
		TerminalID:       l.TerminalID,
		TraceNo:          l.TraceNo,
		ApprovalCode:     l.ApprovalCode,
		RRN:              l.RRN,
		LedgerAmount:     ptr(p.Amount),
		SettlementAmount: ptr(l.Amount),
		Detail: fmt.Sprintf("Lệch số tiền: sổ cái ghi %s đồng, file quyết toán ghi %s đồng (chênh %s đồng) cho giao dịch máy %s, số trace %d.",
			vnd(p.Amount), vnd(l.Amount), vnd(abs(l.Amount-p.Amount)), l.TerminalID, l.TraceNo),
	})
}
