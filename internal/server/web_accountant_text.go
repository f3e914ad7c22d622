package server

import (
	"regexp"
	"time"

	"github.com/feepos/feepos/ledger"
)

// acctRefusal is a refusal of the accountant's pages themselves, already
// in Vietnamese.
type acctRefusal string

func (e acctRefusal) Error() string     { return string(e) }
func (e acctRefusal) ErrorCode() string { return "invalid" }

func parseDay(d string) (time.Time, error) { return time.Parse(ledger.DateLayout, d) }

// The importers explain a bad row in English (the CLI's language); the
// page says the usual ones in Vietnamese and keeps the importer's words
// beside them. A reason not listed here is shown as the importer wrote it.
var reasonsVI = []struct {
	re *regexp.Regexp
	vi string
}{
	{regexp.MustCompile(`^is empty: this column is required`), "bỏ trống: cột này bắt buộc"},
	{regexp.MustCompile(`^is empty: the settlement date is required`), "bỏ trống: cần ngày quyết toán"},
	{regexp.MustCompile(`^is empty: the amount is required`), "bỏ trống: cần số tiền"},
	{regexp.MustCompile(`^is empty: the fee is required`), "bỏ trống: cần phí (ghi 0 nếu không có)"},
	{regexp.MustCompile(`^is empty: the net amount is required`), "bỏ trống: cần số tiền thực nhận"},
	{regexp.MustCompile(`^is empty: the currency is required`), "bỏ trống: cần loại tiền (VND)"},
	{regexp.MustCompile(`^is empty: SALE, VOID or REFUND`), "bỏ trống: cần loại giao dịch (SALE, VOID hoặc REFUND)"},
	{regexp.MustCompile(`^(".*") is not a whole number of đồng`), "$1 không phải số đồng nguyên"},
	{regexp.MustCompile(`^(".*") is not a date in the format (.*)`), "$1 không phải ngày theo dạng $2"},
	{regexp.MustCompile(`^(".*") is not an Excel date`), "$1 không phải ngày của Excel"},
	{regexp.MustCompile(`^(".*") is not an amount in this profile's format`), "$1 không phải số tiền theo định dạng của mẫu tệp"},
	{regexp.MustCompile(`^(".*") is not an? (12-digit )?amount`), "$1 không phải số tiền hợp lệ"},
	{regexp.MustCompile(`^(".*") is not a total amount`), "$1 không phải tổng tiền hợp lệ"},
	{regexp.MustCompile(`^(".*") is not a record count`), "$1 không phải số bản ghi hợp lệ"},
	{regexp.MustCompile(`^(".*") is not a settlement date YYYYMMDD`), "$1 không phải ngày quyết toán dạng YYYYMMDD"},
	{regexp.MustCompile(`^(".*") is not a tagged record`), "$1 không phải bản ghi có thẻ đánh dấu (XX[TAG]giá trị…)"},
	{regexp.MustCompile(`^the trailer's total (\d+) is not the sum of the details' \[F4\] (\d+)`), "tổng ở dòng cuối $1 khác tổng các dòng chi tiết $2: tệp thiếu hoặc đã bị sửa"},
	{regexp.MustCompile(`^(".*") is not a trace number`), "$1 không phải số hóa đơn máy POS (chỉ gồm chữ số)"},
	{regexp.MustCompile(`^(".*") is not a transaction type of profile (\S+)`), "$1 không phải loại giao dịch của mẫu tệp $2"},
	{regexp.MustCompile(`^is a full card number`), "là số thẻ đầy đủ: tệp chỉ được chứa số thẻ đã che (ví dụ 970436******1234)"},
	{regexp.MustCompile(`^amount (-?\d+) must be > 0`), "số tiền $1 phải lớn hơn 0 (hoàn tiền ghi bằng dòng REFUND với số dương)"},
	{regexp.MustCompile(`^fee (-?\d+) must be ≥ 0`), "phí $1 không được âm"},
	{regexp.MustCompile(`^fee (\d+) is more than the amount (\d+)`), "phí $1 lớn hơn số tiền $2"},
	{regexp.MustCompile(`^net (-?\d+) is not amount − fee \((.*)\)`), "thực nhận $1 khác số tiền − phí ($2)"},
	{regexp.MustCompile(`^net (-?\d+) must be between 0 and the amount (\d+)`), "thực nhận $1 phải từ 0 đến số tiền $2"},
	{regexp.MustCompile(`^currency "?([^":]+)"?: feepos reconciles VND only`), "loại tiền $1: chỉ đối soát tiền đồng (VND)"},
	{regexp.MustCompile(`^(\S+) is not VND`), "loại tiền $1: chỉ đối soát tiền đồng (VND)"},
	{regexp.MustCompile(`^settlement date (\S+) is before the transaction`), "ngày quyết toán $1 trước ngày giao dịch"},
	{regexp.MustCompile(`^has no date`), "không có ngày: thiếu cả ngày quyết toán và thời gian giao dịch"},
	{regexp.MustCompile(`^duplicate line: same line id (".*") as line (\d+)`), "trùng dòng: cùng mã dòng $1 với dòng $2"},
	{regexp.MustCompile(`^the same line as line (\d+)`), "trùng với dòng $1"},
	{regexp.MustCompile(`^the line has no id`), "dòng không có mã"},
	{regexp.MustCompile(`^missing$`), "bỏ trống"},
	{regexp.MustCompile(`^… and (\d+) more problem\(s\) not listed`), "… và $1 lỗi khác không liệt kê"},
}

// reasonVI is a bad row's reason in Vietnamese; ok is false when it is
// the importer's own words.
func reasonVI(reason string) (string, bool) {
	for _, r := range reasonsVI {
		if m := r.re.FindStringSubmatchIndex(reason); m != nil {
			return string(r.re.ExpandString(nil, r.vi, reason, m)), true
		}
	}
	return reason, false
}

// Dates as the templates show them (dd/mm/yyyy); the shared func "date"
// takes times, the close's dates are YYYY-MM-DD.

func (d acctReconcileData) DateVN() string { return dayVN(d.Date) }
func (d acctDayData) DateVN() string       { return dayVN(d.Date) }
func (d acctLedgerData) DateVN() string    { return dayVN(d.Date) }
func (d acctSummaryData) DateVN() string   { return dayVN(d.Date) }
func (x acctExc) SinceVN() string          { return dayVN(x.Since) }

// IsToday tells the day page it shows today.
func (d acctDayData) IsToday() bool { return d.Date == d.Today }
