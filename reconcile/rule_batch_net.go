package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Rule names of the bank matches.
const (
	ruleBatchNet       = "batch_net"
	ruleTerminalDayNet = "terminal_day_net"
	ruleDayNet         = "day_net"
)

// batch is one settled batch: the acquirer's lines of one settlement
// date, terminal and batch number, summed with their signs (a VOID or
// REFUND counts negative).
type batch struct {
	date, terminal, no string
	gross, fee, net    int64
	bank               []string // the bank entries that carry its net
	done               bool
}

// credit is a bank credit the acquirer's net may be: an entry, or one
// transaction of a batch entry (camt TxDtls) whose details add up to it.
type credit struct {
	entry  string
	date   string
	amount int64
	used   bool
}

// batchNet is rule batch_net, the acquirer ↔ bank leg of the three-way
// check, one-to-one and many-to-one. Each batch's net is looked for among
// the bank's credits (same amount); the batches left over are summed per
// terminal and settlement date and looked for again; what is still left is
// summed per settlement date (one credit for the acquirer's whole day).
// What no level explains is a bank_credit_mismatch with both amounts. It
// also makes the postings: one per batch that moves money, keyed
// settle:<date>:<terminal>:<batch> so that re-running a day posts nothing
// twice. With no bank entry at all (the statement is not imported yet)
// only the postings are made.
func (r *run) batchNet() {
	bs := r.batches()
	credits := r.credits()
	if len(r.day.Bank) > 0 {
		r.matchCredits(bs, credits)
	}
	for i := range bs {
		b := &bs[i]
		if b.gross == 0 && b.net == 0 {
			continue
		}
		r.postings = append(r.postings, Posting{
			Key:        "settle:" + b.date + ":" + b.terminal + ":" + b.no,
			TerminalID: b.terminal, BatchNo: b.no,
			Gross: b.gross, Fee: b.gross - b.net, Net: b.net,
			Bank: b.bank,
		})
	}
}

func (r *run) batches() []batch {
	type bkey struct{ date, terminal, no string }
	at := map[bkey]int{}
	var bs []batch
	last, lastI := bkey{}, -1
	for lk := range int32(len(r.line)) {
		l := r.l(lk)
		key := bkey{l.SettlementDate, l.TerminalID, l.BatchNo}
		i := lastI
		if i < 0 || key != last {
			var ok bool
			if i, ok = at[key]; !ok {
				i = len(bs)
				at[key] = i
				bs = append(bs, batch{date: key.date, terminal: key.terminal, no: key.no})
			}
			last, lastI = key, i
		}
		s := lineSign(l)
		bs[i].gross += s * l.Amount
		bs[i].fee += s * l.Fee
		bs[i].net += s * l.Net
	}
	slices.SortFunc(bs, func(a, b batch) int {
		return cmp.Or(strings.Compare(a.date, b.date), strings.Compare(a.terminal, b.terminal), strings.Compare(a.no, b.no))
	})
	return bs
}

func (r *run) credits() []credit {
	es := order(len(r.day.Bank), func(a, b int32) int {
		x, y := &r.day.Bank[a], &r.day.Bank[b]
		return cmp.Or(strings.Compare(x.BookingDate, y.BookingDate), strings.Compare(x.ID, y.ID),
			strings.Compare(x.Source, y.Source), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Amount, y.Amount))
	})
	var cs []credit
	for _, i := range es {
		e := &r.day.Bank[i]
		if e.Amount <= 0 || e.Reversal {
			continue
		}
		var sum int64
		split := len(e.Details) > 1
		for _, d := range e.Details {
			sum += d.Amount
			split = split && d.Amount > 0
		}
		if split && sum == e.Amount {
			for _, d := range e.Details {
				cs = append(cs, credit{entry: e.ID, date: e.BookingDate, amount: d.Amount})
			}
			continue
		}
		cs = append(cs, credit{entry: e.ID, date: e.BookingDate, amount: e.Amount})
	}
	return cs
}

func (r *run) matchCredits(bs []batch, cs []credit) {
	byAmount := map[int64][]int{}
	for i, c := range cs {
		byAmount[c.amount] = append(byAmount[c.amount], i)
	}
	take := func(amount int64) int {
		if amount <= 0 {
			return -1
		}
		for _, i := range byAmount[amount] {
			if !cs[i].used {
				cs[i].used = true
				return i
			}
		}
		return -1
	}
	settle := func(rule string, group []int, c int, what string) {
		var net int64
		for _, i := range group {
			bs[i].bank, bs[i].done = []string{cs[c].entry}, true
			net += bs[i].net
		}
		r.matches = append(r.matches, Match{Rule: rule, Bank: r.strs(cs[c].entry), Amount: net, Net: net,
			Explanation: fmt.Sprintf("Tiền về %s đồng = số thực nhận của %s.", vnd(net), what)})
	}
	// One batch, one credit.
	for i := range bs {
		if bs[i].net == 0 {
			bs[i].done = true
			continue
		}
		if c := take(bs[i].net); c >= 0 {
			settle(ruleBatchNet, []int{i}, c, fmt.Sprintf("lô %s máy %s ngày %s", bs[i].no, bs[i].terminal, bs[i].date))
		}
	}
	// A terminal's day, then the whole day, in one credit.
	for _, level := range []struct {
		rule string
		same func(a, b *batch) bool
		what func(b *batch, n int) string
	}{
		{ruleTerminalDayNet, func(a, b *batch) bool { return a.date == b.date && a.terminal == b.terminal },
			func(b *batch, n int) string {
				return fmt.Sprintf("%d lô của máy %s ngày %s", n, b.terminal, b.date)
			}},
		{ruleDayNet, func(a, b *batch) bool { return a.date == b.date },
			func(b *batch, n int) string { return fmt.Sprintf("%d lô còn lại ngày %s", n, b.date) }},
	} {
		for _, g := range groups(bs, level.same) {
			var sum int64
			for _, i := range g {
				sum += bs[i].net
			}
			if c := take(sum); c >= 0 {
				settle(level.rule, g, c, level.what(&bs[g[0]], len(g)))
			}
		}
	}
	r.dayNetButOne(bs, take, settle)
	r.creditMismatches(bs, cs)
}

// groups are the batches not done yet, grouped by same (bs is sorted, so
// a group is contiguous).
func groups(bs []batch, same func(a, b *batch) bool) [][]int {
	var gs [][]int
	for i := range bs {
		if bs[i].done {
			continue
		}
		if n := len(gs); n > 0 && same(&bs[gs[n-1][0]], &bs[i]) {
			gs[n-1] = append(gs[n-1], i)
			continue
		}
		gs = append(gs, []int{i})
	}
	return gs
}

// creditMismatches pairs what is left: each terminal's day of unexplained
// batches against the unexplained credits. One credit left: it is the
// whole rest. Several: each goes to the terminal's day nearest in amount.
// A terminal's day with no credit, or a credit with no batch, is reported
// alone.
func (r *run) creditMismatches(bs []batch, cs []credit) {
	type unit struct {
		terminal, date string
		net            int64
		paired         bool
	}
	var us []unit
	for _, g := range groups(bs, func(a, b *batch) bool { return a.date == b.date && a.terminal == b.terminal }) {
		u := unit{terminal: bs[g[0]].terminal, date: bs[g[0]].date}
		for _, i := range g {
			u.net += bs[i].net
		}
		us = append(us, u)
	}
	var left []int
	for i := range cs {
		if !cs[i].used {
			left = append(left, i)
		}
	}
	pair := func(terminal, date string, net int64, c *credit) {
		r.except(Exception{
			Kind: BankCreditMismatch, BankID: c.entry, TerminalID: terminal,
			SettlementAmount: ptr(net), BankAmount: ptr(c.amount),
			Detail: fmt.Sprintf("Tiền về tài khoản %s đồng (bút toán %s ngày %s) nhưng file quyết toán %s cho số thực nhận %s đồng (chênh %s đồng).",
				vnd(c.amount), c.entry, c.date, scope(terminal, date), vnd(net), vnd(abs(c.amount-net))),
		})
	}
	if len(left) == 1 && len(us) > 1 {
		var net int64
		for _, u := range us {
			net += u.net
		}
		pair("", us[0].date, net, &cs[left[0]])
		return
	}
	for _, ci := range left {
		best := -1
		for ui := range us {
			if us[ui].paired {
				continue
			}
			if best < 0 || abs(us[ui].net-cs[ci].amount) < abs(us[best].net-cs[ci].amount) {
				best = ui
			}
		}
		c := &cs[ci]
		if best < 0 {
			r.except(Exception{
				Kind: BankCreditMismatch, BankID: c.entry, BankAmount: ptr(c.amount),
				Detail: fmt.Sprintf("Khoản tiền về %s đồng (bút toán %s ngày %s) không khớp với số thực nhận của lô, máy hay ngày quyết toán nào.",
					vnd(c.amount), c.entry, c.date),
			})
			continue
		}
		us[best].paired = true
		pair(us[best].terminal, us[best].date, us[best].net, c)
	}
	for _, u := range us {
		if u.paired {
			continue
		}
		r.except(Exception{
			Kind: BankCreditMismatch, TerminalID: u.terminal, SettlementAmount: ptr(u.net),
			Detail: fmt.Sprintf("File quyết toán %s cho số thực nhận %s đồng nhưng sao kê ngân hàng không có khoản tiền về tương ứng.",
				scope(u.terminal, u.date), vnd(u.net)),
		})
	}
}

func scope(terminal, date string) string {
	if terminal == "" {
		return "ngày " + date
	}
	return "của máy " + terminal + " ngày " + date
}

// dayNetButOne: the day's credit is the rest of the day but for one
// terminal whose own credit is wrong (or missing). Without it one wrong
// credit would leave the whole day's credit unexplained too, and the
// report would blame every terminal instead of one.
func (r *run) dayNetButOne(bs []batch, take func(int64) int, settle func(string, []int, int, string)) {
	for _, day := range groups(bs, func(a, b *batch) bool { return a.date == b.date }) {
		var sum int64
		for _, i := range day {
			sum += bs[i].net
		}
		units := groups(bs, func(a, b *batch) bool { return a.date == b.date && a.terminal == b.terminal })
		for _, u := range units {
			if bs[u[0]].date != bs[day[0]].date || len(units) < 3 {
				continue
			}
			var odd int64
			for _, i := range u {
				odd += bs[i].net
			}
			c := take(sum - odd)
			if c < 0 {
				continue
			}
			rest := slices.DeleteFunc(slices.Clone(day), func(i int) bool { return slices.Contains(u, i) })
			settle(ruleDayNet, rest, c, fmt.Sprintf("%d lô còn lại ngày %s (trừ máy %s)", len(rest), bs[day[0]].date, bs[u[0]].terminal))
			break
		}
	}
}
