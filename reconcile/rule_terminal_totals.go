package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// terminalTotals is rule terminal_totals, the ledger ↔ terminal leg: each
// terminal's end-of-day total (of one card brand, or of all: Brand "")
// against the ledger's payments of that terminal and date, counted net (a
// refund or reversal counts -1 and its amount negative, so a voided sale
// with its reversal counts nothing, as on the terminal's slip). Payments
// in review count: the terminal approved them, the ledger just does not
// know it yet. A terminal with no total is not checked.
func (r *run) terminalTotals() {
	if len(r.day.Totals) == 0 {
		return
	}
	type tkey struct{ date, terminal, brand string }
	type agg struct {
		count  int
		amount int64
	}
	sums := map[tkey]*agg{}
	terminals := map[string]bool{}
	for _, t := range r.day.Totals {
		sums[tkey{t.Date, t.TerminalID, brandKey(t.Brand)}] = &agg{}
		terminals[t.TerminalID] = true
	}
	last, lastIn := "", false
	for k := range int32(len(r.pay)) {
		p := r.p(k)
		if p.TerminalID != last { // payments of a terminal often come together
			last, lastIn = p.TerminalID, terminals[p.TerminalID]
		}
		if !lastIn {
			continue
		}
		s := paySign(p)
		for _, brand := range [2]string{"", brandKey(p.Brand)} {
			if a := sums[tkey{p.Date, p.TerminalID, brand}]; a != nil {
				a.count += int(s)
				a.amount += s * p.Amount
			}
			if p.Brand == "" {
				break
			}
		}
	}
	ts := slices.Clone(r.day.Totals)
	slices.SortFunc(ts, func(a, b TerminalTotal) int {
		return cmp.Or(strings.Compare(a.Date, b.Date), strings.Compare(a.TerminalID, b.TerminalID),
			strings.Compare(brandKey(a.Brand), brandKey(b.Brand)), strings.Compare(a.Source, b.Source),
			cmp.Compare(a.Count, b.Count), cmp.Compare(a.Amount, b.Amount))
	})
	for _, t := range ts {
		a := sums[tkey{t.Date, t.TerminalID, brandKey(t.Brand)}]
		if a.count == t.Count && a.amount == t.Amount {
			continue
		}
		brand := ""
		if t.Brand != "" {
			brand = ", thẻ " + t.Brand
		}
		source := "lấy từ máy"
		if t.Source == "slip" {
			source = "nhập từ phiếu in"
		}
		r.except(Exception{
			Kind: TerminalTotalMismatch, TerminalID: t.TerminalID,
			LedgerAmount: ptr(a.amount), SettlementAmount: ptr(t.Amount),
			Detail: fmt.Sprintf("Tổng cuối ngày %s của máy %s%s (%s): máy báo %d giao dịch, %s đồng; sổ cái có %d giao dịch, %s đồng (chênh %s đồng).",
				t.Date, t.TerminalID, brand, source, t.Count, vnd(t.Amount), a.count, vnd(a.amount), vnd(abs(t.Amount-a.amount))),
		})
	}
}

func brandKey(b string) string { return strings.ToUpper(strings.TrimSpace(b)) }
