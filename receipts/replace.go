package receipts

import "time"

// ReplacesWords is what a replacement receipt prints of the receipt it
// replaces (Circular 91/2026/TT-BTC Art. 20: the replacement names the
// original's template, series, number and date): "Thay thế cho biên lai
// mẫu số EBL01, ký hiệu 26TAA, số 00000122 ngày 05/12/2026". date is
// YYYY-MM-DD; empty (a replacement issued before feepos recorded the
// date) leaves " ngày …" out.
func ReplacesWords(ref Ref, date string) string {
	s := "Thay thế cho biên lai mẫu số " + ref.Template + ", ký hiệu " + ref.Series + ", số " + printedNumber(ref.Number)
	if t, err := time.Parse("2006-01-02", date); err == nil {
		s += " ngày " + t.Format("02/01/2006")
	}
	return s
}
