package receipts_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/receipts"
)

var summaryOrg = receipts.Organisation{
	Code:    "UBND-HK",
	Name:    "Ủy ban nhân dân phường Hoàn Kiếm",
	TaxCode: "0101234567",
	Address: "Số 126 phố Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội",
}

func summaryReceipt(number int64, issuedAt string, lines ...receipts.Line) receipts.Receipt {
	var total int64
	for _, l := range lines {
		total += l.Amount
	}
	return receipts.Receipt{
		Ref:      receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: number},
		IssuedAt: issuedAt,
		Org:      summaryOrg,
		NewReceipt: receipts.NewReceipt{
			OrgCode: summaryOrg.Code, Payer: receipts.Payer{Name: "Nguyễn Thị Hồng Nhung"},
			Lines: lines, Total: total, Method: receipts.Cash, DossierCode: "H26.12.345-261125-" + strings.Repeat("0", 3) + string(rune('0'+number)),
		},
		Currency: receipts.Currency,
		Status:   receipts.Valid,
	}
}

// fixtureSummary is 25/11/2026 at a ward: a two-fee receipt (5), a receipt
// replaced the same day (6) by 7, and 8 replacing receipt 2 of the day
// before. Given out of order: the summary sorts by number.
func fixtureSummary(t *testing.T) receipts.DailySummary {
	t.Helper()
	ref := func(n int64) *receipts.Ref {
		return &receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: n}
	}
	r5 := summaryReceipt(5, "2026-11-24T17:00:00Z", // 00:00:00 on 25/11 in Vietnam
		receipts.Line{Name: "Lệ phí đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "LP-DKKD", Amount: 100_000},
		receipts.Line{Name: "Phí cung cấp thông tin về đăng ký hộ kinh doanh (bản sao có chứng thực)", Kind: receipts.Phi, FeeCode: "P-TTDK", Amount: 50_000})
	r6 := summaryReceipt(6, "2026-11-25T02:15:00.5Z",
		receipts.Line{Name: "Lệ phí chứng thực bản sao từ bản chính", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 20_000})
	r6.Status, r6.ReplacedBy = receipts.Replaced, ref(7)
	r7 := summaryReceipt(7, "2026-11-25T02:20:00Z",
		receipts.Line{Name: "Lệ phí chứng thực bản sao từ bản chính", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 2_000})
	r7.Replaces = ref(6)
	r8 := summaryReceipt(8, "2026-11-25T16:59:59.999Z", // 23:59:59.999 in Vietnam
		receipts.Line{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 8_000})
	r8.Replaces = ref(2)
	s, err := receipts.NewDailySummary("2026-11-25", receipts.Organisation{Code: "UBND-HK"}, []receipts.SummaryReceipt{
		{Receipt: r8, ReplacesDate: "2026-11-24"}, {Receipt: r6}, {Receipt: r5}, {Receipt: r7, ReplacesDate: "2026-11-25"},
	})
	require.NoError(t, err)
	return s
}

func TestDailySummaryRows(t *testing.T) {
	s := fixtureSummary(t)
	assert.Equal(t, summaryOrg, s.Org, "the header takes the receipts' copy of the organisation")
	assert.Equal(t, "VND", s.Currency)
	assert.Equal(t, "Ngày 25/11/2026", s.Period())
	require.Len(t, s.Rows, 5, "one row per fee line")
	type row struct {
		stt    int
		number int64
		line   int
		amount int64
		status string
		adj    string
		rel    string
	}
	var got []row
	for _, r := range s.Rows {
		got = append(got, row{r.STT, r.Number, r.LineNo, r.Amount, r.Status.Label(), r.AdjustmentPeriod, r.Related()})
		assert.EqualValues(t, 1, r.ExchangeRate)
		assert.Equal(t, "2026-11-25", r.Date)
	}
	assert.Equal(t, []row{
		{1, 5, 1, 100_000, "Hợp lệ", "", ""},
		{2, 5, 2, 50_000, "Hợp lệ", "", ""},
		{3, 6, 1, 20_000, "Đã bị thay thế", "", "EBL01 26TAA-00000007"},
		{4, 7, 1, 2_000, "Thay thế", "2026-11-25", "EBL01 26TAA-00000006"},
		{5, 8, 1, 8_000, "Thay thế", "2026-11-24", "EBL01 26TAA-00000002"},
	}, got)
	assert.Equal(t, "Đã bị thay thế bởi biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000007", s.Rows[2].Explanation)
	assert.Equal(t, "Thay thế cho biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000002, ngày 24/11/2026", s.Rows[4].Explanation)
	assert.Equal(t, receipts.SummaryTotals{Receipts: 4, Rows: 5, Amount: 180_000, InForce: 160_000, Replaced: 1}, s.Totals())
	assert.Equal(t, "01TH-BLDT_0101234567_20261125_LD.xml", s.FileName("xml"), "the first filing")
}

func TestDailySummaryRefusesOtherDaysAndOrganisations(t *testing.T) {
	day := func(issuedAt string) error {
		_, err := receipts.NewDailySummary("2026-11-25", summaryOrg, []receipts.SummaryReceipt{{Receipt: summaryReceipt(1, issuedAt,
			receipts.Line{Name: "Lệ phí", Kind: receipts.LePhi, FeeCode: "LP", Amount: 1})}})
		return err
	}
	require.NoError(t, day("2026-11-24T17:00:00Z"))
	require.ErrorContains(t, day("2026-11-24T16:59:59.999Z"), "was issued on 2026-11-24, not on 2026-11-25")
	require.ErrorContains(t, day("2026-11-25T17:00:00Z"), "was issued on 2026-11-26")

	r := summaryReceipt(1, "2026-11-25T01:00:00Z", receipts.Line{Name: "Lệ phí", Kind: receipts.LePhi, FeeCode: "LP", Amount: 1})
	r.OrgCode = "CA-HK"
	_, err := receipts.NewDailySummary("2026-11-25", summaryOrg, []receipts.SummaryReceipt{{Receipt: r}})
	require.ErrorContains(t, err, "belongs to organisation CA-HK")

	for _, d := range []string{"25/11/2026", "2026-11-31", "2026-1-5", ""} {
		_, err := receipts.NewDailySummary(d, summaryOrg, nil)
		require.ErrorContains(t, err, "YYYY-MM-DD", d)
	}
}

func TestDailySummaryXMLGolden(t *testing.T) {
	s := fixtureSummary(t)
	out, err := receipts.SummaryXML(s)
	require.NoError(t, err)
	again, err := receipts.SummaryXML(fixtureSummary(t))
	require.NoError(t, err)
	assert.Equal(t, out, again, "deterministic")
	golden(t, "summary-01TH-BLDT.xml", out)

	// Well-formed, and the Vietnamese text comes back as it went in.
	var doc struct {
		Org struct {
			Name string `xml:"Name"`
		} `xml:"Organisation"`
		Rows []struct {
			FeeName string `xml:"FeeName"`
			Status  string `xml:"Status"`
		} `xml:"Rows>Row"`
	}
	require.NoError(t, xml.Unmarshal(out, &doc))
	assert.Equal(t, summaryOrg.Name, doc.Org.Name)
	require.Len(t, doc.Rows, 5)
	assert.Equal(t, "Phí cung cấp thông tin về đăng ký hộ kinh doanh (bản sao có chứng thực)", doc.Rows[1].FeeName)
	assert.Equal(t, "Đã bị thay thế", doc.Rows[2].Status)

	empty, err := receipts.NewDailySummary("2026-11-26", summaryOrg, nil)
	require.NoError(t, err)
	out, err = receipts.SummaryXML(empty)
	require.NoError(t, err)
	assert.Contains(t, string(out), `<Rows count="0"></Rows>`)
}

func TestDailySummaryXLSX(t *testing.T) {
	s := fixtureSummary(t)
	out, err := receipts.SummaryXLSX(s)
	require.NoError(t, err)

	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{receipts.SummarySheet}, f.GetSheetList())
	rows, err := f.GetRows(receipts.SummarySheet)
	require.NoError(t, err)
	require.Len(t, rows, 8+5+2)

	assert.Equal(t, receipts.SummaryTitle, rows[0][0])
	assert.Equal(t, "Mẫu số: 01/TH-BLĐT", rows[1][0])
	assert.Equal(t, "Kỳ dữ liệu: Ngày 25/11/2026", rows[2][0])
	assert.Equal(t, "Tên tổ chức thu phí, lệ phí: Ủy ban nhân dân phường Hoàn Kiếm", rows[3][0])
	assert.Equal(t, "Mã số thuế: 0101234567", rows[4][0])
	assert.Equal(t, "Đơn vị tiền tệ: VND", rows[5][0])
	assert.Equal(t, receipts.SummaryHeaders, rows[7])
	assert.Equal(t, []string{"STT", "Ký hiệu mẫu biên lai", "Ký hiệu biên lai", "Số biên lai", "Ngày lập", "Tên loại phí, lệ phí",
		"Số tiền", "Tỷ giá", "Trạng thái", "Kỳ dữ liệu điều chỉnh", "Biên lai liên quan", "Giải trình", "Ghi chú"}, rows[7])

	// Formatted as a person sees them: #,##0 amounts, dd/mm/yyyy dates.
	assert.Equal(t, []string{"1", "EBL01", "26TAA", "00000005", "25/11/2026", "Lệ phí đăng ký hộ kinh doanh", "100,000", "1", "Hợp lệ", "", "", "", "H26.12.345-261125-0005"}, rows[8])
	assert.Equal(t, "Phí cung cấp thông tin về đăng ký hộ kinh doanh (bản sao có chứng thực)", rows[9][5])
	assert.Equal(t, []string{"3", "EBL01", "26TAA", "00000006", "25/11/2026", "Lệ phí chứng thực bản sao từ bản chính", "20,000", "1",
		"Đã bị thay thế", "", "EBL01 26TAA-00000007", "Đã bị thay thế bởi biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000007", "H26.12.345-261125-0006"}, rows[10])
	assert.Equal(t, "Thay thế", rows[12][8])
	assert.Equal(t, "24/11/2026", rows[12][9])

	// Totals: the value is cached beside the formula.
	assert.Equal(t, "Tổng cộng (4 biên lai)", rows[13][5])
	assert.Equal(t, "180,000", rows[13][6])
	assert.Equal(t, "Trong đó còn hiệu lực (1 biên lai đã bị thay thế)", rows[14][5])
	assert.Equal(t, "160,000", rows[14][6])
	formula, err := f.GetCellFormula(receipts.SummarySheet, "G14")
	require.NoError(t, err)
	assert.Equal(t, "SUM(G9:G13)", formula)

	// Raw values: amounts are numbers, the date a date serial.
	raw, err := f.GetCellValue(receipts.SummarySheet, "G9", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	assert.Equal(t, "100000", raw)
	typ, err := f.GetCellType(receipts.SummarySheet, "G9")
	require.NoError(t, err)
	assert.NotEqual(t, excelize.CellTypeInlineString, typ)
	raw, err = f.GetCellValue(receipts.SummarySheet, "E9", excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	assert.Equal(t, "46351", raw, "25/11/2026 as an Excel date serial")
}

func TestDailySummaryXLSXWithoutReceipts(t *testing.T) {
	s, err := receipts.NewDailySummary("2026-11-26", summaryOrg, nil)
	require.NoError(t, err)
	out, err := receipts.SummaryXLSX(s)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(out))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(receipts.SummarySheet)
	require.NoError(t, err)
	require.Len(t, rows, 10)
	assert.Equal(t, "Tổng cộng (0 biên lai)", rows[8][5])
	assert.Equal(t, "0", rows[8][6])
}
