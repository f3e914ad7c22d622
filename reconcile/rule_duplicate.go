package reconcile

import "fmt"

// duplicates is rule duplicate_in_settlement: the same card transaction
// twice in the acquirer's lines (same type, terminal, trace, approval
// code, RRN, amount and time). The first in canonical order (settlement
// date, file, line) is the line; each later one is the exception, and no
// other rule sees it. A line with neither trace, approval code nor RRN
// cannot be told from a different sale of the same amount at the same
// second, so it is never called a duplicate.
func (r *run) duplicates() {
	seen := makeIndex(len(r.line), len(r.line))
	for lk := range int32(len(r.line)) {
		l := r.l(lk)
		if l.TraceNo == 0 && l.ApprovalCode == "" && l.RRN == "" {
			continue
		}
		h := hashString(fnvOffset, string(l.Type))
		h = hashString(h, l.TerminalID)
		h = hashInt(h, l.TraceNo)
		h = hashString(h, l.ApprovalCode)
		h = hashString(h, l.RRN)
		h = hashInt(h, l.Amount)
		h = hashInt(h, l.TxnTime.Unix())
		first := int32(-1)
		for j := seen.first(h); j >= 0; j = seen.after(j) {
			if sameTransaction(r.l(j), l) {
				first = j
				break
			}
		}
		if first < 0 {
			seen.push(h, lk)
			continue
		}
		r.lineUsed[lk] = true
		f := r.l(first)
		r.except(Exception{
			Kind:             DuplicateInSettlement,
			SettlementID:     l.ID,
			TerminalID:       l.TerminalID,
			TraceNo:          l.TraceNo,
			ApprovalCode:     l.ApprovalCode,
			RRN:              l.RRN,
			SettlementAmount: ptr(l.Amount),
			Detail: fmt.Sprintf("Dòng quyết toán %s đồng (máy %s, số trace %d, mã chuẩn chi %s) lặp lại dòng %d (mã dòng %s): ngân hàng thanh toán có thể đã tính tiền hai lần.",
				vnd(l.Amount), l.TerminalID, l.TraceNo, l.ApprovalCode, f.Line, f.ID),
		})
	}
}

func sameTransaction(a, b *SettlementLine) bool {
	return a.Type == b.Type && a.TerminalID == b.TerminalID && a.TraceNo == b.TraceNo &&
		a.ApprovalCode == b.ApprovalCode && a.RRN == b.RRN && a.Amount == b.Amount && a.TxnTime.Equal(b.TxnTime)
}
