package endofday

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/reconcile"
)

// The report's exports: CSV and XLSX of the matches and the exceptions
// (docs/RECONCILE-CLOSE.md "Report").

var exportHeader = []string{"section", "rule_or_kind", "payment_ids", "settlement_ids", "bank_ids", "terminal_id", "trace_no",
	"amount", "ledger_amount", "settlement_amount", "fee", "net", "since", "age_days", "detail"}

func opt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func exportRows(rep reconcile.Report) [][]string {
	var rows [][]string
	for _, m := range rep.Matches {
		section := "match"
		if m.Offer {
			section = "offer"
		}
		rows = append(rows, []string{section, m.Rule, strings.Join(m.PaymentIDs, " "), strings.Join(m.Settlement, " "), strings.Join(m.Bank, " "),
			"", "", strconv.FormatInt(m.Amount, 10), "", "", strconv.FormatInt(m.Fee, 10), strconv.FormatInt(m.Net, 10), "", "", m.Explanation})
	}
	for _, e := range rep.Exceptions {
		trace, age := "", ""
		if e.TraceNo != 0 {
			trace = strconv.FormatInt(e.TraceNo, 10)
		}
		if e.AgeDays != 0 {
			age = strconv.Itoa(e.AgeDays)
		}
		rows = append(rows, []string{"exception", string(e.Kind), e.PaymentID, e.SettlementID, e.BankID, e.TerminalID, trace,
			"", opt(e.LedgerAmount), opt(e.SettlementAmount), "", "", e.Since, age, e.Detail})
	}
	return rows
}

// WriteCSV writes the report's matches and exceptions as one CSV (UTF-8
// with a BOM, so a spreadsheet opens the Vietnamese text right).
func WriteCSV(w io.Writer, rep reconcile.Report) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return err
	}
	if err := cw.WriteAll(exportRows(rep)); err != nil {
		return err
	}
	return cw.Error()
}

// WriteXLSX writes the report as a workbook: a summary sheet, the
// matches and the exceptions.
func WriteXLSX(w io.Writer, rep reconcile.Report) error {
	f := excelize.NewFile()
	defer f.Close()
	sum := "Tổng hợp"
	if err := f.SetSheetName("Sheet1", sum); err != nil {
		return err
	}
	s := rep.Summary
	summary := [][]any{
		{"Ngày đối soát", VNDate(rep.Date)},
		{"Số giao dịch trong sổ", s.LedgerCount}, {"Tiền trong sổ (đ)", s.LedgerAmount},
		{"Số dòng quyết toán", s.SettlementCount}, {"Tiền quyết toán (đ)", s.SettlementAmount},
		{"Số giao dịch khớp", s.MatchedCount}, {"Tiền khớp (đ)", s.MatchedAmount},
		{"Phí ngân hàng (đ)", s.FeeAmount}, {"Tiền về (đ)", s.NetAmount}, {"Số ngoại lệ", s.ExceptionCount},
	}
	for i, row := range summary {
		if err := f.SetSheetRow(sum, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	for _, sheet := range []struct {
		name    string
		section func(string) bool
	}{{"Khớp", func(s string) bool { return s != "exception" }}, {"Ngoại lệ", func(s string) bool { return s == "exception" }}} {
		if _, err := f.NewSheet(sheet.name); err != nil {
			return err
		}
		hdr := make([]any, len(exportHeader))
		for i, h := range exportHeader {
			hdr[i] = h
		}
		if err := f.SetSheetRow(sheet.name, "A1", &hdr); err != nil {
			return err
		}
		n := 2
		for _, r := range exportRows(rep) {
			if !sheet.section(r[0]) {
				continue
			}
			row := make([]any, len(r))
			for i, c := range r {
				row[i] = c
				if v, err := strconv.ParseInt(c, 10, 64); err == nil && i >= 6 && i <= 11 {
					row[i] = v // amounts as numbers
				}
			}
			if err := f.SetSheetRow(sheet.name, fmt.Sprintf("A%d", n), &row); err != nil {
				return err
			}
			n++
		}
	}
	return f.Write(w)
}
