package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// The generated days: a public-service centre's counters taking card
// payments on several terminals, each closing two or three batches a day,
// the acquirer's settlement file for the day, the bank's statement with
// its credits (per batch, per terminal or for the whole day, one of them a
// camt batch entry with details), the terminals' end-of-day totals and
// the bank's closing balance. A clean day reconciles with no exception;
// each injection adds exactly one known exception.

const (
	genDate  = "2026-11-20"
	genPrev  = "2026-11-19"
	genPrev2 = "2026-11-18"
	genPrev3 = "2026-11-17"
)

var ict = time.FixedZone("ICT", 7*3600)

// inject says which exceptions a generated day carries.
type inject struct {
	MissingInSettlement, MissingInLedger, AmountMismatch, Duplicate,
	TerminalTotal, BankCredit, CarriedOver, Balance bool
}

func (in inject) all() inject {
	return inject{true, true, true, true, true, true, true, true}
}

// genDay is a generated day and what the engine must find in it.
type genDay struct {
	Day
	want        []string // excKey of every exception expected, sorted
	wantPending int
	wantOffers  int
	wantLagged  int // matches with LagDays > 0
	resolvedID  string
}

// excKey names an exception by its kind and what it is about.
func excKey(e Exception) string {
	switch e.Kind {
	case MissingInSettlement, AmountMismatch:
		return string(e.Kind) + "|" + e.PaymentID
	case MissingInLedger, DuplicateInSettlement, CarriedOver:
		return string(e.Kind) + "|" + e.SettlementID + e.PaymentID
	case TerminalTotalMismatch, BankCreditMismatch:
		return string(e.Kind) + "|" + e.TerminalID
	}
	return string(e.Kind) + "|"
}

var genAmounts = []int64{20_000, 50_000, 75_000, 100_000, 150_000, 200_000, 250_000, 300_000, 500_000, 1_000_000, 1_500_000, 2_350_000}
var genBrands = []string{"VISA", "MASTERCARD", "NAPAS", "JCB"}

func generate(seed uint64, n, terminals int, in inject) *genDay {
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &genDay{}
	g.Date = genDate
	terms := make([]string, terminals)
	trace := make([]int64, terminals)
	for t := range terms {
		terms[t] = fmt.Sprintf("T%04d", t+1)
		trace[t] = int64(rnd.IntN(900_000)) + 1
	}
	approvalBase := rnd.IntN(1_000_000)
	seq := 0
	next := func(t int) (int64, string, string) {
		seq++
		trace[t]++
		return trace[t], fmt.Sprintf("%06d", (approvalBase+seq*7919)%1_000_000), fmt.Sprintf("6%011d", 32_000_000+seq)
	}
	day := func(date string) time.Time { t, _ := time.ParseInLocation(time.DateOnly, date, ict); return t }
	batchOf := func(t int, at time.Time) string {
		b := 1
		if h := at.Hour(); h >= 14 {
			b = 3
		} else if h >= 11 {
			b = 2
		}
		return fmt.Sprintf("%03d%03d", t+1, b)
	}
	const source = "9f2c6d0e4b1a7c3d5e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"
	var lines []SettlementLine
	addLine := func(p *Payment, typ TxnType, batchNo string) *SettlementLine {
		fee := p.Amount * 11 / 1000
		if typ != Sale {
			fee = 0
		}
		lines = append(lines, SettlementLine{
			ID: fmt.Sprintf("L%07d", len(lines)+1), Source: source, SettlementDate: genDate,
			TerminalID: p.TerminalID, MerchantID: "MID0042", BatchNo: batchNo, TraceNo: p.TraceNo,
			RRN: p.RRN, ApprovalCode: p.ApprovalCode, PANMasked: p.PANMasked, CardBrand: p.Brand,
			Type: typ, TxnTime: p.PaidAt, Amount: p.Amount, Fee: fee, Net: p.Amount - fee, Currency: "VND",
		})
		return &lines[len(lines)-1]
	}
	newPayment := func(t int, date string, at time.Time) Payment {
		tr, ap, rrn := next(t)
		return Payment{
			ID: fmt.Sprintf("P%07d", seq), TerminalID: terms[t], TraceNo: tr, ApprovalCode: ap, RRN: rrn,
			PANMasked: "970436******" + fmt.Sprintf("%04d", rnd.IntN(10_000)), Brand: genBrands[rnd.IntN(len(genBrands))],
			Amount: genAmounts[rnd.IntN(len(genAmounts))], PaidAt: at, Date: date,
		}
	}
	cutoff := day(genDate).Add(16*time.Hour + 30*time.Minute)
	var regular []int // payments of the day with a plain line: injection targets

	// The day's payments, 07:30–17:00; after the 16:30 cut-off they settle
	// tomorrow (pending today). Some have no trace on one side (matched by
	// approval code), some lines carry only the RRN.
	for range n {
		t := rnd.IntN(terminals)
		at := day(genDate).Add(7*time.Hour + 30*time.Minute + time.Duration(rnd.IntN(int(9*time.Hour+30*time.Minute)/int(time.Second)))*time.Second)
		p := newPayment(t, genDate, at)
		g.Payments = append(g.Payments, p)
		if !at.Before(cutoff) {
			g.wantPending++
			continue
		}
		l := addLine(&p, Sale, batchOf(t, at))
		switch x := rnd.IntN(100); {
		case x < 4:
			g.Payments[len(g.Payments)-1].TraceNo = 0 // the terminal's answer lacked it
		case x < 7:
			l.TraceNo, l.ApprovalCode = 0, ""
		default:
			regular = append(regular, len(g.Payments)-1)
		}
	}
	// Yesterday after the cut-off: settled today, a day late.
	lagged := []int{}
	for range max(3, n/30) {
		t := rnd.IntN(terminals)
		p := newPayment(t, genPrev, day(genPrev).Add(16*time.Hour+35*time.Minute+time.Duration(rnd.IntN(1500))*time.Second))
		g.Payments = append(g.Payments, p)
		lagged = append(lagged, len(lines))
		addLine(&p, Sale, batchOf(t, cutoff.Add(-8*time.Hour)))
		g.wantLagged++
	}
	// Two days ago, reported missing yesterday; its line comes today.
	{
		p := newPayment(0, genPrev2, day(genPrev2).Add(16*time.Hour+50*time.Minute))
		g.Payments = append(g.Payments, p)
		addLine(&p, Sale, batchOf(0, cutoff.Add(-8*time.Hour)))
		g.wantLagged++
		g.resolvedID = p.ID
		g.Open = append(g.Open, Exception{Kind: MissingInSettlement, PaymentID: p.ID, TerminalID: p.TerminalID, TraceNo: p.TraceNo,
			LedgerAmount: ptr(p.Amount), Since: genPrev, Detail: "Giao dịch thẻ chưa có trong file quyết toán."})
	}
	// Voided at the terminal before it was recorded: the pair, no payment.
	for range 3 {
		t := rnd.IntN(terminals)
		p := newPayment(t, genDate, day(genDate).Add(9*time.Hour+time.Duration(rnd.IntN(7200))*time.Second))
		addLine(&p, Sale, batchOf(t, p.PaidAt))
		addLine(&p, Void, batchOf(t, p.PaidAt))
	}
	// Voided after it was recorded: the ledger has the sale and its reversal.
	{
		t := rnd.IntN(terminals)
		p := newPayment(t, genDate, day(genDate).Add(10*time.Hour))
		rev := p
		rev.ID, rev.Refund = p.ID+"R", true
		g.Payments = append(g.Payments, p, rev)
		addLine(&p, Sale, batchOf(t, p.PaidAt))
		addLine(&p, Void, batchOf(t, p.PaidAt))
	}
	// A refund of an earlier day's payment.
	{
		t := rnd.IntN(terminals)
		p := newPayment(t, genDate, day(genDate).Add(11*time.Hour+15*time.Minute))
		p.Refund = true
		g.Payments = append(g.Payments, p)
		addLine(&p, Refund, batchOf(t, p.PaidAt))
	}
	// In doubt: the terminal's answer was lost; the acquirer settled it.
	{
		t := rnd.IntN(terminals)
		p := newPayment(t, genDate, day(genDate).Add(13*time.Hour))
		addLine(&p, Sale, batchOf(t, p.PaidAt))
		p.InReview, p.ApprovalCode = true, ""
		g.Payments = append(g.Payments, p)
		g.wantOffers++
	}

	// Injections, each on its own payment.
	rnd.Shuffle(len(regular), func(i, j int) { regular[i], regular[j] = regular[j], regular[i] })
	pick := func() int { i := regular[0]; regular = regular[1:]; return i }
	lineOf := func(pi int) int {
		p := &g.Payments[pi]
		return slices.IndexFunc(lines, func(l SettlementLine) bool {
			return l.TerminalID == p.TerminalID && l.TraceNo == p.TraceNo && l.Type == Sale
		})
	}
	if in.MissingInSettlement {
		li := lagged[rnd.IntN(len(lagged))]
		pi := slices.IndexFunc(g.Payments, func(p Payment) bool { return p.TraceNo == lines[li].TraceNo && p.TerminalID == lines[li].TerminalID })
		g.want = append(g.want, string(MissingInSettlement)+"|"+g.Payments[pi].ID)
		lines = slices.Delete(lines, li, li+1)
	}
	if in.MissingInLedger {
		pi := pick()
		g.want = append(g.want, string(MissingInLedger)+"|"+lines[lineOf(pi)].ID)
		g.Payments[pi].ID = "" // removed below
	}
	if in.AmountMismatch {
		pi := pick()
		l := &lines[lineOf(pi)]
		l.Amount += 10_000
		l.Net += 10_000
		g.want = append(g.want, string(AmountMismatch)+"|"+g.Payments[pi].ID)
	}
	if in.Duplicate {
		d := lines[lineOf(pick())]
		d.ID += "D"
		lines = append(lines, d)
		g.want = append(g.want, string(DuplicateInSettlement)+"|"+d.ID)
	}
	g.Payments = slices.DeleteFunc(g.Payments, func(p Payment) bool { return p.ID == "" })
	for i := range lines {
		lines[i].Line = i + 2 // after the header row
	}
	g.Settlement = lines

	// The terminals' end-of-day totals, as the ledger has them (a terminal
	// that disagrees is the injection); the first terminal per brand too.
	type tk struct{ terminal, brand string }
	totals := map[tk]*TerminalTotal{}
	for _, p := range g.Payments {
		if p.Date != genDate {
			continue
		}
		for _, b := range []string{"", p.Brand} {
			if b != "" && p.TerminalID != terms[0] {
				continue
			}
			t := totals[tk{p.TerminalID, b}]
			if t == nil {
				t = &TerminalTotal{TerminalID: p.TerminalID, Date: genDate, Brand: b, Source: "terminal"}
				totals[tk{p.TerminalID, b}] = t
			}
			t.Count += int(paySign(&p))
			t.Amount += paySign(&p) * p.Amount
		}
	}
	for _, t := range totals {
		g.Totals = append(g.Totals, *t)
	}
	slices.SortFunc(g.Totals, func(a, b TerminalTotal) int { return compareStrings(a.TerminalID+a.Brand, b.TerminalID+b.Brand) })
	if in.TerminalTotal {
		i := slices.IndexFunc(g.Totals, func(t TerminalTotal) bool { return t.TerminalID == terms[2%terminals] && t.Brand == "" })
		g.Totals[i].Amount += 50_000
		g.Totals[i].Source = "slip"
		g.want = append(g.want, string(TerminalTotalMismatch)+"|"+terms[2%terminals])
	}

	// The bank: terminal 1 in one camt batch entry with a detail per batch,
	// terminal 2 one credit per batch, terminals 3–4 one per day, the rest
	// in one credit for the day; a bank charge debit the engine ignores.
	type bk struct{ terminal, batch string }
	nets := map[bk]int64{}
	for _, l := range g.Settlement {
		nets[bk{l.TerminalID, l.BatchNo}] += lineSign(&l) * l.Net
	}
	keys := make([]bk, 0, len(nets))
	for k := range nets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b bk) int { return compareStrings(a.terminal+a.batch, b.terminal+b.batch) })
	entry := func(amount int64, text string, details ...BankDetail) {
		g.Bank = append(g.Bank, BankEntry{ID: fmt.Sprintf("B%04d", len(g.Bank)+1), Source: "camt053", Line: len(g.Bank) + 1, Account: "0071000123456",
			BookingDate: genDate, ValueDate: genDate, Amount: amount, Currency: "VND", Text: text, Details: details})
	}
	var first []BankDetail
	var firstSum, rest int64
	perTerminal := map[string]int64{}
	tIndex := func(id string) int { return slices.Index(terms, id) }
	for _, k := range keys {
		net := nets[k]
		switch ti := tIndex(k.terminal); {
		case ti == 0:
			first = append(first, BankDetail{Amount: net, Reference: k.batch})
			firstSum += net
		case ti == 1:
			if in.BankCredit && !slices.Contains(g.want, string(BankCreditMismatch)+"|"+k.terminal) {
				net -= 5_000
				g.want = append(g.want, string(BankCreditMismatch)+"|"+k.terminal)
			}
			entry(net, "TT QUYET TOAN LO "+k.batch)
		case ti <= 3:
			perTerminal[k.terminal] += net
		default:
			rest += net
		}
	}
	for _, t := range terms {
		if v, ok := perTerminal[t]; ok {
			entry(v, "TT QUYET TOAN MAY "+t)
		}
	}
	if firstSum != 0 {
		entry(firstSum, "TT QUYET TOAN THE", first...)
	}
	if rest != 0 {
		entry(rest, "TT QUYET TOAN NGAY "+genDate)
	}
	entry(-22_000, "PHI QUAN LY TAI KHOAN")
	var closing int64 = 1_250_000_000
	for _, e := range g.Bank {
		closing += e.Amount
	}
	g.Balances = []BankBalance{
		{Account: "0071000123456", Kind: "opening", Final: true, Date: genDate, Amount: 1_250_000_000, Currency: "VND"},
		{Account: "0071000123456", Kind: "closing", Final: true, Date: genDate, Amount: closing, Currency: "VND"},
	}
	ledgerBank := closing
	if in.Balance {
		ledgerBank += 1_000
		g.want = append(g.want, string(BalanceMismatch)+"|")
	}
	g.LedgerBank = &ledgerBank

	if in.CarriedOver {
		g.Open = append(g.Open, Exception{Kind: MissingInLedger, SettlementID: "L-OLD-17", TerminalID: terms[0], TraceNo: 77,
			SettlementAmount: ptr(300_000), Since: genPrev3, Detail: "Giao dịch 300.000 đồng trong file quyết toán không có trong sổ cái."})
		g.want = append(g.want, string(CarriedOver)+"|L-OLD-17")
	}
	slices.Sort(g.want)
	return g
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
