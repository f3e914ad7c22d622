package reconcile

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unit tests, one or two per rule, on hand-made days.

const today = "2026-11-20"

func at(date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, ict)
	if err != nil {
		panic(err)
	}
	return t
}

func pay(id, terminal string, trace, amount int64, date string) Payment {
	return Payment{ID: id, TerminalID: terminal, TraceNo: trace, ApprovalCode: "A" + id, RRN: "R" + id,
		Amount: amount, Date: date, PaidAt: at(date, "10:00"), Brand: "VISA"}
}

// lineFor is the acquirer's line for p, settled on settled.
func lineFor(id string, p Payment, settled string) SettlementLine {
	fee := p.Amount / 100
	return SettlementLine{ID: id, Source: "f", Line: 2, SettlementDate: settled, TerminalID: p.TerminalID, BatchNo: "001",
		TraceNo: p.TraceNo, ApprovalCode: p.ApprovalCode, RRN: p.RRN, Type: Sale, TxnTime: p.PaidAt,
		Amount: p.Amount, Fee: fee, Net: p.Amount - fee, Currency: "VND"}
}

func kinds(res Result) []string {
	var ks []string
	for _, e := range res.Exceptions {
		ks = append(ks, excKey(e))
	}
	return ks
}

func rules(res Result) []string {
	var rs []string
	for _, m := range res.Matches {
		rs = append(rs, m.Rule)
	}
	return rs
}

func TestRuleTerminalTrace(t *testing.T) {
	p := pay("P1", "T1", 11, 200_000, today)
	// The same trace number on another day (the counter wrapped) does
	// not take the line.
	old := pay("P0", "T1", 11, 200_000, "2026-11-10")
	l := lineFor("L1", p, today)
	l.ApprovalCode, l.RRN = "", ""
	res := Run(Day{Date: today, Payments: []Payment{old, p}, Settlement: []SettlementLine{l}})
	require.Equal(t, []string{ruleTerminalTrace}, rules(res))
	assert.Equal(t, []string{"P1"}, res.Matches[0].PaymentIDs)
	assert.Equal(t, []string{"missing_in_settlement|P0"}, kinds(res))
	assert.Equal(t, Summary{LedgerCount: 1, LedgerAmount: 200_000, SettlementCount: 1, SettlementAmount: 200_000,
		MatchedCount: 1, MatchedAmount: 200_000, FeeAmount: 2_000, NetAmount: 198_000, ExceptionCount: 1}, res.Summary)
}

func TestRuleAmountMismatchIsNeverAMatch(t *testing.T) {
	p := pay("P1", "T1", 11, 200_000, today)
	l := lineFor("L1", p, today)
	l.Amount, l.Net = 210_000, 207_900
	res := Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{l}})
	assert.Empty(t, res.Matches)
	require.Equal(t, []string{"amount_mismatch|P1"}, kinds(res))
	e := res.Exceptions[0]
	assert.Equal(t, int64(200_000), *e.LedgerAmount)
	assert.Equal(t, int64(210_000), *e.SettlementAmount)
	assert.Contains(t, e.Detail, "chênh 10.000 đồng")
	assert.Empty(t, res.Pending, "the payment is reported, not pending")
}

func TestRuleApprovalAmount(t *testing.T) {
	p := pay("P1", "T1", 0, 150_000, today) // the terminal's answer had no trace
	l := lineFor("L1", p, today)
	l.TraceNo, l.RRN = 42, ""
	other := pay("P2", "T2", 0, 150_000, today) // same code and amount, another terminal
	other.ApprovalCode = p.ApprovalCode
	res := Run(Day{Date: today, Payments: []Payment{other, p}, Settlement: []SettlementLine{l}})
	require.Equal(t, []string{ruleApprovalAmount}, rules(res))
	assert.Equal(t, []string{"P1"}, res.Matches[0].PaymentIDs)
	assert.Len(t, res.Pending, 1, "P2 may still settle tomorrow")
}

func TestRuleRRN(t *testing.T) {
	p := pay("P1", "T1", 0, 150_000, today)
	p.ApprovalCode = ""
	l := lineFor("L1", p, today)
	l.TerminalID = "ACQ-TID-9" // the acquirer's own terminal id
	res := Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{l}})
	require.Equal(t, []string{ruleRRN}, rules(res))
	assert.Empty(t, res.Exceptions)
}

func TestRuleDateLag(t *testing.T) {
	yesterday := pay("P1", "T1", 11, 100_000, "2026-11-19")
	yesterday.PaidAt = at("2026-11-19", "16:50")
	l := lineFor("L1", yesterday, today)
	late := pay("P2", "T1", 12, 300_000, today) // after today's cut-off
	gone := pay("P3", "T1", 13, 50_000, "2026-11-19")
	res := Run(Day{Date: today, Payments: []Payment{yesterday, late, gone}, Settlement: []SettlementLine{l}})
	require.Len(t, res.Matches, 1)
	assert.Equal(t, 1, res.Matches[0].LagDays)
	assert.Contains(t, res.Matches[0].Explanation, "sau 1 ngày")
	assert.Equal(t, []Pending{{PaymentID: "P2", TerminalID: "T1", TraceNo: 12, Amount: 300_000, Date: today, DueBy: "2026-11-21"}}, res.Pending)
	assert.Equal(t, []string{"missing_in_settlement|P3"}, kinds(res))
	assert.Equal(t, 1, res.Summary.PendingCount)
	assert.Equal(t, int64(300_000), res.Summary.PendingAmount)

	// With two days of lag, yesterday's is still pending.
	res = Run(Day{Date: today, Payments: []Payment{gone}, Options: Options{LagDays: 2}})
	assert.Empty(t, res.Exceptions)
	assert.Len(t, res.Pending, 1)
}

func TestRuleVoid(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, today)
	sale := lineFor("L1", p, today)
	void := sale
	void.ID, void.Line, void.Type, void.Fee, void.Net = "L2", 3, Void, 1_000, 99_000

	// Voided before it was recorded: the lines pair, no payment, no money.
	res := Run(Day{Date: today, Settlement: []SettlementLine{void, sale}})
	require.Equal(t, []string{ruleVoid}, rules(res))
	assert.Empty(t, res.Matches[0].PaymentIDs)
	assert.Empty(t, res.Exceptions)
	assert.Zero(t, res.Summary.SettlementAmount)
	assert.Empty(t, res.Postings, "a batch that moves nothing posts nothing")

	// Recorded and reversed in the ledger: all four pair.
	rev := p
	rev.ID, rev.Refund = "P1R", true
	res = Run(Day{Date: today, Payments: []Payment{p, rev}, Settlement: []SettlementLine{sale, void}})
	require.Equal(t, []string{ruleVoid}, rules(res))
	assert.Equal(t, []string{"P1", "P1R"}, res.Matches[0].PaymentIDs)
	assert.Empty(t, res.Exceptions)
	assert.Zero(t, res.Summary.MatchedAmount)

	// Recorded, not reversed: the ledger counts money that never comes.
	res = Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{sale, void}})
	assert.Empty(t, res.Matches)
	require.Equal(t, []string{"missing_in_settlement|P1"}, kinds(res))
	assert.Contains(t, res.Exceptions[0].Detail, "VOID")
}

func TestRuleRefund(t *testing.T) {
	sale := pay("P1", "T1", 11, 100_000, today)
	refund := pay("P2", "T1", 12, 100_000, today)
	refund.Refund, refund.ApprovalCode = true, sale.ApprovalCode
	l := lineFor("L1", refund, today)
	l.Type, l.Fee, l.Net = Refund, 0, 100_000
	// The sale has the refund's approval code and amount, but a REFUND
	// line never settles a sale.
	res := Run(Day{Date: today, Payments: []Payment{sale, refund}, Settlement: []SettlementLine{l}})
	require.Len(t, res.Matches, 1)
	assert.Equal(t, []string{"P2"}, res.Matches[0].PaymentIDs)
	assert.Equal(t, int64(-100_000), res.Summary.SettlementAmount)
	assert.Equal(t, int64(-100_000), res.Summary.MatchedAmount)
	assert.Len(t, res.Pending, 1)
}

func TestRuleDuplicate(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, today)
	l := lineFor("L1", p, today)
	dup := l
	dup.ID, dup.Line = "L9", 9
	res := Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{dup, l}})
	require.Len(t, res.Matches, 1)
	assert.Equal(t, []string{"L1"}, res.Matches[0].Settlement, "the first line in the file is the line")
	assert.Equal(t, []string{"duplicate_in_settlement|L9"}, kinds(res))
	assert.Contains(t, res.Exceptions[0].Detail, "dòng 2")
}

func TestRuleMissingInLedger(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, today)
	res := Run(Day{Date: today, Settlement: []SettlementLine{lineFor("L1", p, today)}})
	require.Equal(t, []string{"missing_in_ledger|L1"}, kinds(res))
	assert.Equal(t, "Giao dịch 100.000 đồng trong file quyết toán (máy T1, số trace 11, mã chuẩn chi AP1, ngày 2026-11-20) không có trong sổ cái.", res.Exceptions[0].Detail)
}

func TestRuleOfferInDoubt(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, today)
	l := lineFor("L1", p, today)
	p.InReview, p.ApprovalCode = true, "" // the terminal's answer was lost
	res := Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{l}})
	require.Equal(t, []string{ruleOfferInDoubt}, rules(res))
	assert.True(t, res.Matches[0].Offer)
	assert.Contains(t, res.Matches[0].Explanation, "Đề nghị kế toán xác nhận")
	assert.Empty(t, res.Exceptions)
	assert.Zero(t, res.Summary.MatchedCount, "an offer is not a match")

	// Another amount: no offer; the line is missing in the ledger.
	l.Amount = 90_000
	res = Run(Day{Date: today, Payments: []Payment{p}, Settlement: []SettlementLine{l}})
	assert.Equal(t, []string{"missing_in_ledger|L1"}, kinds(res))
}

func TestRuleBatchNet(t *testing.T) {
	var ps []Payment
	var ls []SettlementLine
	for i, term := range []string{"T1", "T1", "T2", "T3", "T3"} {
		p := pay(string(rune('A'+i)), term, int64(10+i), int64(100_000*(i+1)), today)
		l := lineFor("L"+p.ID, p, today)
		l.BatchNo = term + "-" + string(rune('0'+i%2))
		ps, ls = append(ps, p), append(ls, l)
	}
	// T1 has two batches (nets 99.000 and 198.000), T2 one (297.000), T3
	// two (396.000 and 495.000).
	bank := []BankEntry{
		{ID: "B1", BookingDate: today, Amount: 99_000},                                // T1's first batch
		{ID: "B2", BookingDate: today, Amount: 198_000 + 297_000 + 396_000 + 495_000}, // the rest of the day
	}
	res := Run(Day{Date: today, Payments: ps, Settlement: ls, Bank: bank})
	assert.Empty(t, res.Exceptions)
	require.Len(t, res.Postings, 5)
	for _, p := range res.Postings {
		assert.NotEmpty(t, p.Bank, p.Key)
		assert.Equal(t, p.Gross, p.Fee+p.Net)
	}
	assert.Equal(t, "settle:2026-11-20:T1:T1-0", res.Postings[0].Key)
	assert.Equal(t, []string{"B1"}, res.Postings[0].Bank)
	assert.Equal(t, []string{"B2"}, res.Postings[4].Bank)

	// A terminal's day in one credit, and one credit short.
	bank = []BankEntry{
		{ID: "B1", BookingDate: today, Amount: 99_000 + 198_000},
		{ID: "B2", BookingDate: today, Amount: 297_000},
		{ID: "B3", BookingDate: today, Amount: 396_000 + 495_000 - 3_000},
	}
	res = Run(Day{Date: today, Payments: ps, Settlement: ls, Bank: bank})
	require.Equal(t, []string{"bank_credit_mismatch|T3"}, kinds(res))
	e := res.Exceptions[0]
	assert.Equal(t, int64(891_000), *e.SettlementAmount)
	assert.Equal(t, int64(888_000), *e.BankAmount)
	assert.Equal(t, "B3", e.BankID)

	// A camt batch entry with one detail per batch.
	var details []BankDetail
	var sum int64
	for _, v := range []int64{99_000, 198_000, 297_000, 396_000, 495_000} {
		details, sum = append(details, BankDetail{Amount: v}), sum+v
	}
	res = Run(Day{Date: today, Payments: ps, Settlement: ls, Bank: []BankEntry{{ID: "B9", BookingDate: today, Amount: sum, Details: details}}})
	assert.Empty(t, res.Exceptions)

	// No statement yet: postings, no bank check.
	res = Run(Day{Date: today, Payments: ps, Settlement: ls})
	assert.Empty(t, res.Exceptions)
	assert.Len(t, res.Postings, 5)
}

func TestRuleTerminalTotals(t *testing.T) {
	a := pay("P1", "T1", 11, 100_000, today)
	b := pay("P2", "T1", 12, 50_000, today)
	b.Brand = "NAPAS"
	c := pay("P3", "T1", 13, 50_000, today)
	c.Refund = true
	totals := []TerminalTotal{
		{TerminalID: "T1", Date: today, Count: 1, Amount: 100_000, Source: "terminal"},            // net: 2 sales − 1 refund
		{TerminalID: "T1", Date: today, Brand: "visa", Count: 0, Amount: 50_000, Source: "slip"},  // VISA: 100.000 − 50.000
		{TerminalID: "T1", Date: today, Brand: "NAPAS", Count: 1, Amount: 60_000, Source: "slip"}, // wrong
		{TerminalID: "T9", Date: today, Count: 1, Amount: 10_000, Source: "terminal"},             // no payment at all
	}
	res := Run(Day{Date: today, Payments: []Payment{a, b, c}, Totals: totals})
	var mism []string
	for _, e := range res.Exceptions {
		if e.Kind == TerminalTotalMismatch {
			mism = append(mism, e.TerminalID+" "+e.Detail)
		}
	}
	require.Len(t, mism, 2)
	assert.Contains(t, mism[0], "thẻ NAPAS")
	assert.Contains(t, mism[0], "máy báo 1 giao dịch, 60.000 đồng; sổ cái có 1 giao dịch, 50.000 đồng")
	assert.Contains(t, mism[1], "T9")
}

func TestRuleBalance(t *testing.T) {
	ledger := int64(5_000_000)
	balances := []BankBalance{
		{Account: "A", Kind: "opening", Final: true, Date: today, Amount: 1},
		{Account: "A", Kind: "closing", Final: false, Date: today, Amount: 2}, // intermediate (62M)
		{Account: "A", Kind: "closing", Final: true, Date: "2026-11-19", Amount: 3},
		{Account: "A", Kind: "closing", Final: true, Date: today, Amount: 5_000_000},
	}
	res := Run(Day{Date: today, Balances: balances, LedgerBank: &ledger})
	assert.Empty(t, res.Exceptions)

	ledger = 5_100_000
	res = Run(Day{Date: today, Balances: balances, LedgerBank: &ledger})
	require.Equal(t, []string{"balance_mismatch|"}, kinds(res))
	assert.Equal(t, int64(5_000_000), *res.Exceptions[0].BankAmount)
	assert.Contains(t, res.Exceptions[0].Detail, "sổ cái ghi 5.100.000 đồng")

	res = Run(Day{Date: today, Balances: balances}) // not asserted
	assert.Empty(t, res.Exceptions)
}

func TestRuleCarryOver(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, "2026-11-17")
	p.PaidAt = at("2026-11-17", "16:55")
	open := []Exception{
		{Kind: MissingInSettlement, PaymentID: "P1", Since: "2026-11-18", Detail: "chưa có"},
		{Kind: MissingInSettlement, PaymentID: "P2", Since: "2026-11-18", Detail: "Giao dịch thẻ chưa có."},
		{Kind: CarriedOver, OriginKind: MissingInLedger, SettlementID: "L7", Since: "2026-11-10",
			Detail: "Tồn từ ngày 2026-11-10 (9 ngày), chưa xử lý: Dòng không có trong sổ cái."},
	}
	p2 := pay("P2", "T1", 12, 70_000, "2026-11-17")
	res := Run(Day{Date: today, Payments: []Payment{p, p2}, Settlement: []SettlementLine{lineFor("L1", p, today)}, Open: open})
	// P1's line came three days late: matched, the open item resolved.
	require.Len(t, res.Matches, 1)
	assert.Equal(t, 3, res.Matches[0].LagDays)
	require.Len(t, res.Resolved, 1)
	assert.Equal(t, "P1", res.Resolved[0].PaymentID)
	// P2 is still missing: carried over, not reported twice.
	require.Equal(t, []string{"carried_over|L7", "carried_over|P2"}, kinds(res))
	e := res.Exceptions[1]
	assert.Equal(t, MissingInSettlement, e.OriginKind)
	assert.Equal(t, 2, e.AgeDays)
	assert.Equal(t, "Tồn từ ngày 2026-11-18 (2 ngày), chưa xử lý: Giao dịch thẻ chưa có.", e.Detail)
	assert.Equal(t, "Tồn từ ngày 2026-11-10 (10 ngày), chưa xử lý: Dòng không có trong sổ cái.", res.Exceptions[0].Detail)
	assert.Equal(t, MissingInLedger, res.Exceptions[0].OriginKind)
}

func TestRunPanicsOnAPaymentTwice(t *testing.T) {
	p := pay("P1", "T1", 11, 100_000, today)
	assert.PanicsWithValue(t, `reconcile: payment "P1" is twice in Day.Payments: pass each ledger payment once`, func() {
		Run(Day{Date: today, Payments: []Payment{p, p}})
	})
}

func TestVND(t *testing.T) {
	for v, want := range map[int64]string{0: "0", 999: "999", 1000: "1.000", -1234567: "-1.234.567", 100_000_000: "100.000.000"} {
		assert.Equal(t, want, vnd(v))
	}
	assert.Equal(t, int32(0), dayNum("1970-01-01"))
	assert.Equal(t, "2026-11-20", dayString(dayNum("2026-11-20")))
	assert.Equal(t, int32(1), dayNum("2024-03-01")-dayNum("2024-02-29"))
	assert.Equal(t, noDay, dayNum("2026-13-01"))
}
