package reconcile

import "fmt"

const ruleVoid = "void"

// voids is rule void: a VOID line cancels the SALE line of the same
// terminal with the same trace number (else the same approval code) and
// amount. The pair moves no money, so it matches nothing in the ledger:
//   - the ledger has neither the sale nor a reversal: a match of the two
//     lines alone (the cashier voided before the payment was recorded);
//   - the ledger has the sale and its reversal (a ledger refund with the
//     same keys): a match of both payments and both lines;
//   - the ledger has the sale but no reversal: missing_in_settlement (the
//     ledger counts money the acquirer will never pay);
//   - the ledger has only a reversal: missing_in_settlement for it.
//
// A VOID whose SALE is not among the lines (an earlier file) matches a
// ledger reversal by the strong keys, else it is missing_in_ledger.
// Runs before the key rules, which would otherwise settle the voided sale.
func (r *run) voids() {
	type vkey struct {
		terminal string
		trace    int64
		approval string
	}
	waiting := map[vkey][]int32{}
	n := 0
	for lk := range int32(len(r.line)) {
		l := r.l(lk)
		if r.lineUsed[lk] || l.Type != Void {
			continue
		}
		n++
		if l.TraceNo != 0 {
			waiting[vkey{l.TerminalID, l.TraceNo, ""}] = append(waiting[vkey{l.TerminalID, l.TraceNo, ""}], lk)
		}
		if l.ApprovalCode != "" {
			waiting[vkey{l.TerminalID, 0, l.ApprovalCode}] = append(waiting[vkey{l.TerminalID, 0, l.ApprovalCode}], lk)
		}
	}
	if n == 0 {
		return
	}
	// Each SALE in canonical order takes the first waiting VOID that fits.
	for sk := range int32(len(r.line)) {
		s := r.l(sk)
		if r.lineUsed[sk] || s.Type != Sale {
			continue
		}
		for _, key := range []vkey{{s.TerminalID, s.TraceNo, ""}, {s.TerminalID, 0, s.ApprovalCode}} {
			if (key.trace == 0 && key.approval == "") || r.lineUsed[sk] {
				continue
			}
			for _, vk := range waiting[key] {
				if !r.lineUsed[vk] && r.l(vk).Amount == s.Amount {
					r.voidPair(sk, vk)
					break
				}
			}
		}
	}
	for vk := range int32(len(r.line)) {
		if v := r.l(vk); !r.lineUsed[vk] && v.Type == Void {
			r.orphanVoid(vk)
		}
	}
}

// findExact is a free ledger payment (not in review) that line lk settles
// exactly under the given polarity, by the strong keys in their order.
func (r *run) findExact(lk int32, pol int64) int32 {
	l := r.l(lk)
	if k, exact := r.findByTrace(l, lk, pol, false); exact {
		return k
	}
	if k := r.findByApproval(l, lk, pol); k >= 0 {
		return k
	}
	if k, exact := r.findByRRN(l, lk, pol); exact {
		return k
	}
	return -1
}

func (r *run) voidPair(sk, vk int32) {
	r.lineUsed[sk], r.lineUsed[vk] = true, true
	s, v := r.l(sk), r.l(vk)
	sale := r.findExact(sk, 0)
	rev := r.findExact(vk, 1)
	if rev < 0 {
		rev = r.findExact(sk, 1)
	}
	switch {
	case sale < 0 && rev < 0:
		r.lineOK[sk], r.lineOK[vk] = true, true
		r.matches = append(r.matches, Match{
			Rule: ruleVoid, Settlement: r.strs(s.ID, v.ID), Amount: s.Amount,
			Explanation: fmt.Sprintf("Giao dịch %s đồng (máy %s, số trace %d) đã bị hủy (VOID) trên máy POS trước khi ghi sổ: không có tiền quyết toán.", vnd(s.Amount), s.TerminalID, s.TraceNo),
		})
	case sale >= 0 && rev >= 0:
		r.claim(sale, payMatched)
		r.claim(rev, payMatched)
		r.lineOK[sk], r.lineOK[vk] = true, true
		r.matches = append(r.matches, Match{
			Rule: ruleVoid, PaymentIDs: r.strs(r.p(sale).ID, r.p(rev).ID), Settlement: r.strs(s.ID, v.ID), Amount: s.Amount,
			Explanation: fmt.Sprintf("Giao dịch %s đồng (máy %s, số trace %d) đã bị hủy (VOID); sổ cái có bút toán hủy tương ứng.", vnd(s.Amount), s.TerminalID, s.TraceNo),
		})
	case sale >= 0:
		p := r.p(sale)
		r.payStat[sale] = payDone
		r.except(Exception{
			Kind: MissingInSettlement, PaymentID: p.ID, SettlementID: v.ID, TerminalID: s.TerminalID, TraceNo: s.TraceNo,
			ApprovalCode: s.ApprovalCode, RRN: s.RRN, LedgerAmount: ptr(p.Amount), SettlementAmount: ptr(0),
			Detail: fmt.Sprintf("Giao dịch %s đồng (máy %s, số trace %d) đã bị hủy (VOID) trên máy POS nhưng sổ cái vẫn ghi đã thu: cần ghi bút toán hủy hoặc kiểm tra lại.", vnd(p.Amount), s.TerminalID, s.TraceNo),
		})
	default:
		p := r.p(rev)
		r.payStat[rev] = payDone
		r.except(Exception{
			Kind: MissingInSettlement, PaymentID: p.ID, SettlementID: v.ID, TerminalID: s.TerminalID, TraceNo: s.TraceNo,
			ApprovalCode: s.ApprovalCode, LedgerAmount: ptr(-p.Amount), SettlementAmount: ptr(0),
			Detail: fmt.Sprintf("Sổ cái ghi hủy/hoàn %s đồng (máy %s, số trace %d) nhưng không có giao dịch bán tương ứng trong sổ cái.", vnd(p.Amount), s.TerminalID, s.TraceNo),
		})
	}
}

func (r *run) orphanVoid(vk int32) {
	v := r.l(vk)
	if rev := r.findExact(vk, 1); rev >= 0 {
		r.claim(rev, payMatched)
		r.lineUsed[vk], r.lineOK[vk] = true, true
		r.matches = append(r.matches, Match{
			Rule: ruleVoid, PaymentIDs: r.strs(r.p(rev).ID), Settlement: r.strs(v.ID), Amount: v.Amount, Fee: v.Fee, Net: v.Net,
			Explanation: "Lệnh hủy (VOID) của một giao dịch đã quyết toán trước đó; khớp với bút toán hủy trong sổ cái.",
		})
	}
	// Otherwise missing_in_ledger reports it with the other lines.
}
