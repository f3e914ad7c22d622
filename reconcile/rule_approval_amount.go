package reconcile

const ruleApprovalAmount = "approval_amount"

// approvalAmount is rule approval_amount: the issuer's approval code and
// the amount, on a date that fits, and the same terminal when both sides
// name one. For a payment whose trace number the terminal never gave
// back (or a line without it). Approval codes are six characters and
// repeat across cards and days, hence the amount and the date.
func (r *run) approvalAmount() {
	for lk := range int32(len(r.line)) {
		if r.lineUsed[lk] {
			continue
		}
		l := r.l(lk)
		if k := r.findByApproval(l, lk, linePol(l)); k >= 0 {
			r.match(ruleApprovalAmount, k, lk)
		}
	}
}

func (r *run) findByApproval(l *SettlementLine, lk int32, pol int64) int32 {
	h, ok := approvalKey(pol, l.ApprovalCode, l.Amount)
	if !ok {
		return -1
	}
	if r.byApproval == nil {
		r.byApproval = r.freeIndex(func(p *Payment) (uint64, bool) { return approvalKey(payPol(p), p.ApprovalCode, p.Amount) })
	}
	for k := r.byApproval.first(h); k >= 0; k = r.byApproval.after(k) {
		p := r.p(k)
		if !r.free(k, false) || payPol(p) != pol || p.ApprovalCode != l.ApprovalCode || p.Amount != l.Amount || !r.dateOK(k, lk) {
			continue
		}
		if p.TerminalID != "" && l.TerminalID != "" && p.TerminalID != l.TerminalID {
			continue
		}
		return k
	}
	return -1
}
