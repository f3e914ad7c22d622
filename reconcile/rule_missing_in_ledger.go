package reconcile

import "fmt"

// missingInLedger is rule missing_in_ledger: every line no rule took —
// money the acquirer settled (or a refund it paid out) that the ledger
// does not know.
func (r *run) missingInLedger() {
	for lk := range int32(len(r.line)) {
		if r.lineUsed[lk] {
			continue
		}
		r.lineUsed[lk] = true
		l := r.l(lk)
		what := "Giao dịch"
		switch l.Type {
		case Refund:
			what = "Giao dịch hoàn tiền"
		case Void:
			what = "Lệnh hủy (VOID)"
		}
		r.except(Exception{
			Kind:             MissingInLedger,
			SettlementID:     l.ID,
			TerminalID:       l.TerminalID,
			TraceNo:          l.TraceNo,
			ApprovalCode:     l.ApprovalCode,
			RRN:              l.RRN,
			SettlementAmount: ptr(l.Amount),
			Detail: fmt.Sprintf("%s %s đồng trong file quyết toán (máy %s, số trace %d, mã chuẩn chi %s, ngày %s) không có trong sổ cái.",
				what, vnd(l.Amount), l.TerminalID, l.TraceNo, l.ApprovalCode, l.SettlementDate),
		})
	}
}
