package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/feepos/feepos/ledger"
)

// Dimension values of a district-level one-stop centre (bộ phận một cửa).
var (
	agencies = []string{"UBND-Q1", "CA-Q1", "CCT-Q1", "VPDKDD-Q1", "PTP-Q1", "PKT-Q1", "PQLDT-Q1"}
	feeCodes = []string{
		"LP-HT-01", "LP-HT-02", "LP-HT-03", "P-CT-01", "P-CT-02", "LP-DKKD-01", "LP-DKKD-02",
		"LP-CCCD-01", "P-KTDL-01", "LP-GPXD-01", "LP-GCN-01", "LP-GCN-02", "P-TDHS-01",
		"LP-LLTP-01", "P-SAO-01", "LP-CN-01", "LP-KH-01", "P-DG-01", "LP-QT-01", "P-TT-01",
	}
	terminals = []string{"T-0101", "T-0102", "T-0201", "T-0202", "T-0301", "T-0302"}
	counters  = []string{"Q01", "Q02", "Q03", "Q04", "Q05", "Q06", "Q07", "Q08", "Q09", "Q10"}
	cashiers  = []string{"nv.lan", "nv.hung", "nv.mai", "nv.tuan", "nv.thao", "nv.minh", "nv.ha", "nv.duc"}
)

// cardPayment is the realistic three-line entry of the posting phases: a
// card payment of two fees for one dossier, 150 000 đ in all.
//
//	D 113  (card clearing)   150 000   terminal, counter, cashier, dossier
//	C 3373 (fees collected)  100 000   agency, fee_code, terminal, …, dossier
//	C 3373 (fees collected)   50 000   agency, fee_code, terminal, …, dossier
func cardPayment(date string, n int64, key bool) ledger.NewEntry {
	dossier := fmt.Sprintf("H29.1-%s-%06d", date[2:4]+date[5:7]+date[8:10], n%1_000_000)
	term, counter, cashier := terminals[n%6], counters[n%10], cashiers[n%8]
	e := ledger.NewEntry{
		Date:        date,
		Description: "Thu phí, lệ phí hồ sơ " + dossier + " qua thẻ",
		Lines: []ledger.Line{
			{Account: "113", Side: ledger.Debit, Amount: 150_000, Currency: "VND",
				Dimensions: ledger.Dimensions{Terminal: term, Counter: counter, Cashier: cashier, Dossier: dossier}},
			{Account: "3373", Side: ledger.Credit, Amount: 100_000, Currency: "VND",
				Dimensions: ledger.Dimensions{Agency: "UBND-Q1", FeeCode: "LP-HT-01", Terminal: term, Counter: counter, Cashier: cashier, Dossier: dossier}},
			{Account: "3373", Side: ledger.Credit, Amount: 50_000, Currency: "VND",
				Dimensions: ledger.Dimensions{Agency: "CA-Q1", FeeCode: "P-CT-01", Terminal: term, Counter: counter, Cashier: cashier, Dossier: dossier}},
		},
	}
	if key {
		e.IdempotencyKey = fmt.Sprintf("pay-card-%s-%d", runID, n)
	}
	return e
}

// runID keeps the keys of this run's postings apart from those of the
// ledger being posted to, which may come from an earlier run.
var runID = strconv.FormatInt(time.Now().UnixNano(), 36)

// mixGen makes the i-th entry of a year-long ledger: the entries are spread
// evenly over days starting at start, in date order, with the mix a
// one-stop centre posts (card and cash payments, settlements, remittances,
// unidentified money), over every account of the default chart but 421.
type mixGen struct {
	start time.Time
	days  int
	total int
	keys  bool
}

func (g mixGen) date(i int) string {
	d := int(int64(i) * int64(g.days) / int64(g.total))
	if d >= g.days {
		d = g.days - 1
	}
	return g.start.AddDate(0, 0, d).Format(ledger.DateLayout)
}

func (g mixGen) entry(i int) ledger.NewEntry {
	r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	date := g.date(i)
	fee := func() int64 { return int64(10+r.IntN(490)) * 1000 } // 10 000 – 499 000 đ
	dims := func(term string) ledger.Dimensions {
		return ledger.Dimensions{
			Agency: agencies[r.IntN(len(agencies))], FeeCode: feeCodes[r.IntN(len(feeCodes))],
			Terminal: term, Counter: counters[r.IntN(len(counters))], Cashier: cashiers[r.IntN(len(cashiers))],
			Dossier: fmt.Sprintf("H29.1-%s-%07d", date[2:4]+date[5:7]+date[8:10], i),
		}
	}
	var e ledger.NewEntry
	switch k := r.IntN(100); {
	case k < 60: // card payment, one to three fees
		term := terminals[r.IntN(len(terminals))]
		e.Description = "Thu phí, lệ phí qua thẻ"
		var total int64
		for n := 1 + r.IntN(3); n > 0; n-- {
			a := fee()
			total += a
			e.Lines = append(e.Lines, ledger.Line{Account: "3373", Side: ledger.Credit, Amount: a, Dimensions: dims(term)})
		}
		d := dims(term)
		d.Agency, d.FeeCode = "", ""
		e.Lines = append([]ledger.Line{{Account: "113", Side: ledger.Debit, Amount: total, Dimensions: d}}, e.Lines...)
		if g.keys {
			e.IdempotencyKey = fmt.Sprintf("pay-card-%d", i)
		}
	case k < 90: // cash payment
		e.Description = "Thu phí, lệ phí bằng tiền mặt"
		a := fee()
		d := dims("")
		e.Lines = []ledger.Line{
			{Account: "111", Side: ledger.Debit, Amount: a, Dimensions: ledger.Dimensions{Counter: d.Counter, Cashier: d.Cashier, Dossier: d.Dossier}},
			{Account: "3373", Side: ledger.Credit, Amount: a, Dimensions: d},
		}
		if g.keys {
			e.IdempotencyKey = fmt.Sprintf("pay-cash-%d", i)
		}
	case k < 95: // acquirer settlement: gross card money arrives less the MDR
		gross := int64(1+r.IntN(200)) * 150_000
		mdr := gross / 100
		term := terminals[r.IntN(len(terminals))]
		e.Description = "Ngân hàng thanh toán giao dịch thẻ, trừ phí MDR"
		e.Lines = []ledger.Line{
			{Account: "112", Side: ledger.Debit, Amount: gross - mdr, Dimensions: ledger.Dimensions{Terminal: term}},
			{Account: "614", Side: ledger.Debit, Amount: mdr, Dimensions: ledger.Dimensions{Terminal: term}},
			{Account: "113", Side: ledger.Credit, Amount: gross, Dimensions: ledger.Dimensions{Terminal: term}},
		}
	case k < 99: // remittance of fees: budget share and retained share
		a := int64(1+r.IntN(100)) * 100_000
		kept := a * 3 / 10
		d := ledger.Dimensions{Agency: agencies[r.IntN(len(agencies))], FeeCode: feeCodes[r.IntN(len(feeCodes))]}
		e.Description = "Kết chuyển phí, lệ phí: phần nộp ngân sách và phần được để lại"
		e.Lines = []ledger.Line{
			{Account: "3373", Side: ledger.Debit, Amount: a, Dimensions: d},
			{Account: "3332", Side: ledger.Credit, Amount: a - kept, Dimensions: d},
			{Account: "514", Side: ledger.Credit, Amount: kept, Dimensions: d},
		}
	default: // money whose purpose is not known yet
		a := fee()
		e.Description = "Tiền chuyển khoản chưa rõ nội dung"
		e.Lines = []ledger.Line{
			{Account: "112", Side: ledger.Debit, Amount: a},
			{Account: "3378", Side: ledger.Credit, Amount: a},
		}
	}
	e.Date = date
	return e
}
