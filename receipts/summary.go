package receipts

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The daily summary to the tax authority, form 01/TH-BLĐT (Decree
// 254/2026/NĐ-CP Art. 23–29, Circular 91/2026/TT-BTC): sent on the day of
// issue, one per collecting organisation and business date.
//
// Header: the period (the business date in Asia/Ho_Chi_Minh), the
// organisation's name and tax code (MST), the currency (VND).
//
// Rows: ONE ROW PER FEE LINE, not per receipt. The form has a column "fee
// name" with one amount beside it; a receipt listing two fees (a charge and
// a copy fee) would otherwise need its fee names joined into one cell and
// lose the amount of each. So a receipt of two lines gives two rows with the
// same template, series and number; the receipt's total is the sum of its
// rows. STT counts rows (1, 2, 3…).
//
// Columns, in order:
//
//	STT                      row number, from 1
//	Ký hiệu mẫu biên lai     template symbol, EBL01
//	Ký hiệu biên lai         series symbol, e.g. 26TAA
//	Số biên lai              receipt number (printed with 8 digits)
//	Ngày lập                 date of issue in Vietnam
//	Tên loại phí, lệ phí     the fee line's name
//	Số tiền                  the fee line's amount in whole đồng
//	Tỷ giá                   exchange rate: 1, receipts are in VND
//	Trạng thái               status, see SummaryStatus
//	Kỳ dữ liệu điều chỉnh    adjustment period: for a replacement, the date of
//	                         the receipt it replaces (the period whose data it
//	                         corrects); empty otherwise
//	Biên lai liên quan       related receipt: the receipt replaced, and/or the
//	                         one replacing this one
//	Giải trình               explanation in words of the relation
//	Ghi chú                  notes: the dossier code (mã hồ sơ)
//
// Status is as of the END OF THE SUMMARY'S DAY (24:00 Asia/Ho_Chi_Minh), not
// as of the moment the file is made: exporting a past day again gives the
// same file, byte for byte. A receipt replaced on a later day shows "Hợp lệ"
// in its own day's summary; the correction is reported in the later day's
// summary as a row "Thay thế" whose adjustment period is the original's date
// and whose related receipt names the original. This mirrors how the tax
// authority's invoice summaries report corrections of an earlier period.

// Summary form identity.
const (
	SummaryForm  = "01/TH-BLĐT"
	SummaryTitle = "BẢNG TỔNG HỢP DỮ LIỆU BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ"
	// SummaryDateLayout is a business date: YYYY-MM-DD, counted in
	// Asia/Ho_Chi_Minh.
	SummaryDateLayout = "2006-01-02"
)

// SummaryStatus is a row's status in the daily summary.
type SummaryStatus string

const (
	// SummaryValid: an original receipt in force at the end of the day.
	SummaryValid SummaryStatus = "valid"
	// SummaryReplacement: a receipt that replaces another and is itself in
	// force at the end of the day.
	SummaryReplacement SummaryStatus = "replacement"
	// SummaryReplaced: replaced by a receipt issued before the end of the
	// day (whether or not it replaces another itself: no longer in force
	// wins).
	SummaryReplaced SummaryStatus = "replaced"
)

// Label is the status as written in the summary (Vietnamese):
//
//	valid        Hợp lệ
//	replacement  Thay thế
//	replaced     Đã bị thay thế
func (s SummaryStatus) Label() string {
	switch s {
	case SummaryValid:
		return "Hợp lệ"
	case SummaryReplacement:
		return "Thay thế"
	case SummaryReplaced:
		return "Đã bị thay thế"
	}
	return string(s)
}

// DailySummary is the 01/TH-BLĐT of one organisation and one business date.
type DailySummary struct {
	// Date is the period: the business date, YYYY-MM-DD in Asia/Ho_Chi_Minh.
	Date string `json:"date"`
	// Org: the receipts' copy of the organisation's name and tax code (the
	// first receipt of the day), else the series' current details.
	Org      Organisation `json:"org"`
	Currency string       `json:"currency"` // VND
	// Amendment is the filing of the day this summary is: 0 the first
	// filing ([02] "Lần đầu"), n the n-th amendment ([03] "Bổ sung lần
	// thứ n"), which lists the receipts issued after the filing before it.
	Amendment int          `json:"amendment"`
	Rows      []SummaryRow `json:"rows"`
}

// SummaryRow is one fee line of one receipt of the day.
type SummaryRow struct {
	STT int `json:"stt"`
	Ref
	IssuedAt string `json:"issued_at"` // UTC RFC 3339, as stored
	// Date is the date of issue, YYYY-MM-DD in Vietnam (the summary's date).
	Date    string  `json:"date"`
	LineNo  int     `json:"line_no"` // the line on its receipt, from 1
	FeeName string  `json:"fee_name"`
	FeeCode string  `json:"fee_code"`
	Kind    FeeKind `json:"kind"`
	Amount  int64   `json:"amount"`
	// ExchangeRate is 1: receipts are in VND.
	ExchangeRate int64         `json:"exchange_rate"`
	Status       SummaryStatus `json:"status"`
	// AdjustmentPeriod is, for a replacement, the business date
	// (YYYY-MM-DD) of the receipt it replaces; empty otherwise.
	AdjustmentPeriod string `json:"adjustment_period,omitempty"`
	Replaces         *Ref   `json:"replaces,omitempty"`
	ReplacedBy       *Ref   `json:"replaced_by,omitempty"` // before the end of the day
	Explanation      string `json:"explanation,omitempty"`
	Notes            string `json:"notes,omitempty"` // the dossier code
}

// SummaryReceipt is one receipt of the day as the summary needs it: the
// receipt with its lines, ReplacedBy set only when the replacement was
// issued before the end of the day, and the business date of the receipt it
// replaces.
type SummaryReceipt struct {
	Receipt      Receipt
	ReplacesDate string // YYYY-MM-DD; set when Receipt.Replaces is
}

// ParseSummaryDate checks a business date YYYY-MM-DD and returns its first instant
// and the first instant of the next day, in Asia/Ho_Chi_Minh.
func ParseSummaryDate(date string) (from, to time.Time, err error) {
	d, err := time.ParseInLocation(SummaryDateLayout, strings.TrimSpace(date), Zone)
	if err != nil || d.Format(SummaryDateLayout) != strings.TrimSpace(date) {
		return time.Time{}, time.Time{}, Invalidf("date %q: write the business date as YYYY-MM-DD, e.g. 2026-07-01", date)
	}
	return d, d.AddDate(0, 0, 1), nil
}

// SummaryDate is the date of t in Asia/Ho_Chi_Minh, YYYY-MM-DD.
func SummaryDate(t time.Time) string { return t.In(Zone).Format(SummaryDateLayout) }

// summaryVNDate turns YYYY-MM-DD into dd/mm/yyyy; anything else is returned as is.
func summaryVNDate(date string) string {
	t, err := time.Parse(SummaryDateLayout, date)
	if err != nil {
		return date
	}
	return t.Format("02/01/2006")
}

// NewDailySummary builds the summary of date for org from its receipts
// (in any order): one row per fee line, in series and number order. A
// receipt of another organisation or another date is refused: the caller
// selected the wrong ones.
func NewDailySummary(date string, org Organisation, rs []SummaryReceipt) (DailySummary, error) {
	if _, _, err := ParseSummaryDate(date); err != nil {
		return DailySummary{}, err
	}
	s := DailySummary{Date: date, Org: org, Currency: Currency}
	sorted := make([]SummaryReceipt, len(rs))
	copy(sorted, rs)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i].Receipt.Ref, sorted[j].Receipt.Ref
		if a.Template != b.Template {
			return a.Template < b.Template
		}
		if a.Series != b.Series {
			return a.Series < b.Series
		}
		return a.Number < b.Number
	})
	n := 0
	for _, r := range rs {
		n += len(r.Receipt.Lines)
	}
	s.Rows = make([]SummaryRow, 0, n)
	for i, sr := range sorted {
		r := sr.Receipt
		if r.OrgCode != org.Code {
			return DailySummary{}, Invalidf("receipt %s belongs to organisation %s, not %s", r.Ref, r.OrgCode, org.Code)
		}
		t, err := r.IssuedTime()
		if err != nil {
			return DailySummary{}, err
		}
		if d := SummaryDate(t); d != date {
			return DailySummary{}, Invalidf("receipt %s was issued on %s, not on %s", r.Ref, d, date)
		}
		if i > 0 && sorted[i-1].Receipt.Ref == r.Ref {
			return DailySummary{}, Invalidf("receipt %s is listed twice", r.Ref)
		}
		if len(r.Lines) == 0 {
			return DailySummary{}, Invalidf("receipt %s has no fee line: read it with its lines", r.Ref)
		}
		if i == 0 && r.Org.Name != "" {
			s.Org.Name, s.Org.TaxCode, s.Org.Address = r.Org.Name, r.Org.TaxCode, r.Org.Address
		}
		row := SummaryRow{
			Ref:          r.Ref,
			IssuedAt:     r.IssuedAt,
			Date:         date,
			ExchangeRate: 1,
			Status:       SummaryValid,
			Notes:        r.DossierCode,
		}
		var why []string
		if r.Replaces != nil {
			ref := *r.Replaces
			row.Replaces = &ref
			row.Status = SummaryReplacement
			row.AdjustmentPeriod = sr.ReplacesDate
			w := "Thay thế cho biên lai " + refWords(ref)
			if sr.ReplacesDate != "" {
				w += ", ngày " + summaryVNDate(sr.ReplacesDate)
			}
			why = append(why, w)
		}
		if r.ReplacedBy != nil {
			ref := *r.ReplacedBy
			row.ReplacedBy = &ref
			row.Status = SummaryReplaced
			why = append(why, "Đã bị thay thế bởi biên lai "+refWords(ref))
		}
		row.Explanation = strings.Join(why, "; ")
		for li, l := range r.Lines {
			row.STT = len(s.Rows) + 1
			row.LineNo = li + 1
			row.FeeName, row.FeeCode, row.Kind, row.Amount = l.Name, l.FeeCode, l.Kind, l.Amount
			s.Rows = append(s.Rows, row)
		}
	}
	return s, nil
}

// Period is the period as printed: "Ngày dd/mm/yyyy".
func (s DailySummary) Period() string { return "Ngày " + summaryVNDate(s.Date) }

// Related is the related-receipt cell: the receipt replaced and/or the one
// replacing this one, "EBL01 26TAA-00000007".
func (r SummaryRow) Related() string {
	var out []string
	if r.Replaces != nil {
		out = append(out, r.Replaces.Template+" "+r.Replaces.String())
	}
	if r.ReplacedBy != nil {
		out = append(out, r.ReplacedBy.Template+" "+r.ReplacedBy.String())
	}
	return strings.Join(out, "; ")
}

// SummaryTotals are the summary's footer.
type SummaryTotals struct {
	Receipts int `json:"receipts"` // distinct receipts
	Rows     int `json:"rows"`
	// Amount is the sum of every row, replaced receipts included.
	Amount int64 `json:"amount"`
	// InForce is the sum of the rows whose receipt is in force at the end
	// of the day (status valid or replacement): what the day's receipts
	// still say was collected.
	InForce int64 `json:"in_force"`
	// Replaced counts the receipts replaced before the end of the day.
	Replaced int `json:"replaced"`
}

// Totals sums the rows.
func (s DailySummary) Totals() SummaryTotals {
	var t SummaryTotals
	var last Ref
	for i, r := range s.Rows {
		t.Rows++
		t.Amount += r.Amount
		if r.Status != SummaryReplaced {
			t.InForce += r.Amount
		}
		if i == 0 || r.Ref != last {
			t.Receipts++
			if r.Status == SummaryReplaced {
				t.Replaced++
			}
		}
		last = r.Ref
	}
	return t
}

// FileName is the export's file name, ASCII only so any provider's pickup
// accepts it, with the filing it is: 01TH-BLDT_<MST>_<YYYYMMDD>_LD.<ext>
// for the first filing ("lần đầu"), …_BS<nn>.<ext> for the nn-th amendment
// ("bổ sung"), so every filing of a day has its own name.
func (s DailySummary) FileName(ext string) string {
	return "01TH-BLDT_" + s.Org.TaxCode + "_" + strings.ReplaceAll(s.Date, "-", "") + "_" + s.FilingCode() + "." + ext
}

// FilingCode is "LD" for the first filing, "BS01", "BS02"… for amendments.
func (s DailySummary) FilingCode() string {
	if s.Amendment <= 0 {
		return "LD"
	}
	return fmt.Sprintf("BS%02d", s.Amendment)
}

// FilingWords is the filing as the form writes it: "Lần đầu" or "Bổ sung
// lần thứ n".
func (s DailySummary) FilingWords() string {
	if s.Amendment <= 0 {
		return "Lần đầu"
	}
	return fmt.Sprintf("Bổ sung lần thứ %d", s.Amendment)
}
