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
// The pairing runs before the key rules, which would otherwise settle the
// voided sale; the pairs look for their ledger payments after rule rrn
// (settleVoids), by the same strong keys.
func (r *run) voids() {
	// The VOIDs by terminal + trace and by terminal + approval code (few:
	// the SALEs, a million, only look up).
	n := 0
	for vk := range int32(len(r.line)) {
		if v := r.l(vk); !r.lineUsed[vk] && v.Type == Void {
			n++
		}
	}
	if n == 0 {
		return
	}
	waiting := makeIndex(len(r.line), 2*n)
	for vk := int32(len(r.line)) - 1; vk >= 0; vk-- {
		v := r.l(vk)
		if r.lineUsed[vk] || v.Type != Void {
			continue
		}
		if h, ok := traceKey(30, v.TerminalID, v.TraceNo); ok {
			waiting.push(h, vk)
		}
		if h, ok := approvalKey(40, v.ApprovalCode, 0); ok && v.TerminalID != "" {
			waiting.push(hashString(h, v.TerminalID), vk)
		}
	}
	// Each SALE in canonical order takes the first waiting VOID that fits.
	for sk := range int32(len(r.line)) {
		s := r.l(sk)
		if r.lineUsed[sk] || s.Type != Sale {
			continue
		}
		hs := [2]uint64{}
		oks := [2]bool{}
		hs[0], oks[0] = traceKey(30, s.TerminalID, s.TraceNo)
		if h, ok := approvalKey(40, s.ApprovalCode, 0); ok && s.TerminalID != "" {
			hs[1], oks[1] = hashString(h, s.TerminalID), true
		}
	keys:
		for i := range 2 {
			if !oks[i] {
				continue
			}
			for vk := waiting.first(hs[i]); vk >= 0; vk = waiting.after(vk) {
				v := r.l(vk)
				same := v.TerminalID == s.TerminalID && ((i == 0 && v.TraceNo == s.TraceNo) || (i == 1 && v.ApprovalCode == s.ApprovalCode))
				if !r.lineUsed[vk] && same && v.Amount == s.Amount {
					r.lineUsed[sk], r.lineUsed[vk] = true, true
					r.voidPairs = append(r.voidPairs, [2]int32{sk, vk})
					break keys
				}
			}
		}
	}
	for vk := range int32(len(r.line)) {
		if v := r.l(vk); !r.lineUsed[vk] && v.Type == Void {
			r.lineUsed[vk] = true
			r.voidPairs = append(r.voidPairs, [2]int32{-1, vk})
		}
	}
}

// settleVoids looks for the ledger's side of each voided pair (and of each
// VOID without its SALE).
func (r *run) settleVoids() {
	for _, pair := range r.voidPairs {
		if pair[0] < 0 {
			r.orphanVoid(pair[1])
			continue
		}
		r.voidPair(pair[0], pair[1])
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
		r.lineOK[vk] = true
		r.matches = append(r.matches, Match{
			Rule: ruleVoid, PaymentIDs: r.strs(r.p(rev).ID), Settlement: r.strs(v.ID), Amount: v.Amount, Fee: v.Fee, Net: v.Net,
			Explanation: "Lệnh hủy (VOID) của một giao dịch đã quyết toán trước đó; khớp với bút toán hủy trong sổ cái.",
		})
		return
	}
	r.lineUsed[vk] = false // missing_in_ledger reports it with the other lines
}
