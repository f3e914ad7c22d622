package receipts

import (
	"bytes"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"
)

// The 01/TH-BLĐT daily summary as a spreadsheet for the organisation's
// accountant and the tax authority (Decree 254/2026/NĐ-CP Art. 23–29).
// One sheet, SummarySheet:
//
//	row 1    the form's title (merged over every column)
//	row 2    Mẫu số: 01/TH-BLĐT
//	row 3    Kỳ dữ liệu: Ngày dd/mm/yyyy
//	row 4    Tên tổ chức thu phí, lệ phí: …
//	row 5    Mã số thuế: …
//	row 6    Đơn vị tiền tệ: VND
//	row 8    the column headers (SummaryHeaders), frozen while scrolling
//	row 9…   one row per fee line (see DailySummary)
//	then     "Tổng cộng" (every row) and "Trong đó còn hiệu lực" (rows of
//	         receipts in force at the end of the day) under the amounts,
//	         each a SUM formula with its value cached, so a reader that
//	         does not calculate still sees the number.
//
// Amounts and the exchange rate are numbers formatted #,##0 (the reader's
// locale shows the separators: 1.500.000 in Vietnamese Excel); the receipt
// number is text with its 8 digits ("00000007"), as printed; the date of
// issue is a date cell formatted dd/mm/yyyy.

// SummarySheet is the sheet's name.
const SummarySheet = "01-TH-BLĐT"

// SummaryHeaders are the column headers of the summary sheet, in order.
var SummaryHeaders = []string{
	"STT",
	"Ký hiệu mẫu biên lai",
	"Ký hiệu biên lai",
	"Số biên lai",
	"Ngày lập",
	"Tên loại phí, lệ phí",
	"Số tiền",
	"Tỷ giá",
	"Trạng thái",
	"Kỳ dữ liệu điều chỉnh",
	"Biên lai liên quan",
	"Giải trình",
	"Ghi chú",
}

// summaryHeaderRow is the sheet row of the column headers; data follows.
const summaryHeaderRow = 8

// SummaryXLSX writes the daily summary as an XLSX workbook. It streams
// the rows (excelize's StreamWriter), so 10,000 rows take tens of
// milliseconds and little memory.
func SummaryXLSX(s DailySummary) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	fail := func(err error) ([]byte, error) { return nil, fmt.Errorf("daily summary XLSX: %w", err) }
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return fail(err)
	}
	font := "Times New Roman" // the font of Vietnamese administrative forms
	style := func(st *excelize.Style) int {
		if st.Font == nil {
			st.Font = &excelize.Font{Family: font, Size: 11}
		}
		id, err := f.NewStyle(st)
		if err != nil {
			panic(err) // fixed styles: cannot fail
		}
		return id
	}
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	var (
		title   = style(&excelize.Style{Font: &excelize.Font{Family: font, Size: 14, Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
		label   = style(&excelize.Style{})
		header  = style(&excelize.Style{Font: &excelize.Font{Family: font, Size: 11, Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
		text    = style(&excelize.Style{Border: border})
		center  = style(&excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center"}})
		integer = style(&excelize.Style{Border: border, NumFmt: 1}) // 0
		money   = style(&excelize.Style{Border: border, NumFmt: 3}) // #,##0
		date    = style(&excelize.Style{Border: border, CustomNumFmt: &summaryDateFormat, Alignment: &excelize.Alignment{Horizontal: "center"}})
		total   = style(&excelize.Style{Font: &excelize.Font{Family: font, Size: 11, Bold: true}, Border: border})
		totalN  = style(&excelize.Style{Font: &excelize.Font{Family: font, Size: 11, Bold: true}, Border: border, NumFmt: 3})
	)

	sw, err := f.NewStreamWriter(SummarySheet)
	if err != nil {
		return fail(err)
	}
	for i, w := range []float64{6, 12, 10, 12, 12, 45, 14, 8, 16, 14, 22, 40, 24} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return fail(err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: summaryHeaderRow, TopLeftCell: fmt.Sprintf("A%d", summaryHeaderRow+1), ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	lastCol, _ := excelize.ColumnNumberToName(len(SummaryHeaders))
	if err := sw.MergeCell("A1", lastCol+"1"); err != nil {
		return fail(err)
	}
	set := func(row int, values ...any) error {
		return sw.SetRow(fmt.Sprintf("A%d", row), values)
	}
	head := [][]any{
		{excelize.Cell{StyleID: title, Value: SummaryTitle}},
		{excelize.Cell{StyleID: label, Value: "Mẫu số: " + SummaryForm}},
		{excelize.Cell{StyleID: label, Value: "Kỳ dữ liệu: " + s.Period()}},
		{excelize.Cell{StyleID: label, Value: "Tên tổ chức thu phí, lệ phí: " + s.Org.Name}},
		{excelize.Cell{StyleID: label, Value: "Mã số thuế: " + s.Org.TaxCode}},
		{excelize.Cell{StyleID: label, Value: "Đơn vị tiền tệ: " + s.Currency}},
	}
	for i, v := range head {
		if err := set(i+1, v...); err != nil {
			return fail(err)
		}
	}
	hs := make([]any, len(SummaryHeaders))
	for i, h := range SummaryHeaders {
		hs[i] = excelize.Cell{StyleID: header, Value: h}
	}
	if err := sw.SetRow(fmt.Sprintf("A%d", summaryHeaderRow), hs, excelize.RowOpts{Height: 32}); err != nil {
		return fail(err)
	}

	row := summaryHeaderRow
	values := make([]any, len(SummaryHeaders))
	cells := make([]excelize.Cell, len(SummaryHeaders))
	for _, r := range s.Rows {
		row++
		day, err := time.Parse(SummaryDateLayout, r.Date)
		if err != nil {
			return fail(fmt.Errorf("row %d: date %q", r.STT, r.Date))
		}
		cells[0] = excelize.Cell{StyleID: center, Value: r.STT}
		cells[1] = excelize.Cell{StyleID: center, Value: r.Template}
		cells[2] = excelize.Cell{StyleID: center, Value: r.Series}
		cells[3] = excelize.Cell{StyleID: center, Value: printedNumber(r.Number)}
		cells[4] = excelize.Cell{StyleID: date, Value: day}
		cells[5] = excelize.Cell{StyleID: text, Value: r.FeeName}
		cells[6] = excelize.Cell{StyleID: money, Value: r.Amount}
		cells[7] = excelize.Cell{StyleID: integer, Value: r.ExchangeRate}
		cells[8] = excelize.Cell{StyleID: text, Value: r.Status.Label()}
		cells[9] = excelize.Cell{StyleID: center, Value: summaryVNDate(r.AdjustmentPeriod)}
		cells[10] = excelize.Cell{StyleID: text, Value: r.Related()}
		cells[11] = excelize.Cell{StyleID: text, Value: r.Explanation}
		cells[12] = excelize.Cell{StyleID: text, Value: r.Notes}
		for i := range cells {
			values[i] = cells[i]
		}
		if err := set(row, values...); err != nil {
			return fail(err)
		}
	}

	t := s.Totals()
	first, last := summaryHeaderRow+1, row
	sum := func(criteria string) string {
		if last < first {
			return ""
		}
		if criteria == "" {
			return fmt.Sprintf("SUM(G%d:G%d)", first, last)
		}
		return fmt.Sprintf(`SUMIF(I%d:I%d,"%s",G%d:G%d)`, first, last, criteria, first, last)
	}
	row++
	if err := set(row, excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total},
		excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total},
		excelize.Cell{StyleID: total, Value: fmt.Sprintf("Tổng cộng (%d biên lai)", t.Receipts)},
		excelize.Cell{StyleID: totalN, Formula: sum(""), Value: t.Amount}); err != nil {
		return fail(err)
	}
	row++
	inForce := excelize.Cell{StyleID: totalN, Value: t.InForce}
	if last >= first {
		// Every status but "Đã bị thay thế": the total minus that one.
		inForce.Formula = fmt.Sprintf(`%s-%s`, sum(""), sum(SummaryReplaced.Label()))
	}
	if err := set(row, excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total},
		excelize.Cell{StyleID: total}, excelize.Cell{StyleID: total},
		excelize.Cell{StyleID: total, Value: fmt.Sprintf("Trong đó còn hiệu lực (%d biên lai đã bị thay thế)", t.Replaced)},
		inForce); err != nil {
		return fail(err)
	}
	if err := sw.Flush(); err != nil {
		return fail(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return fail(err)
	}
	return buf.Bytes(), nil
}

var summaryDateFormat = "dd/mm/yyyy"
