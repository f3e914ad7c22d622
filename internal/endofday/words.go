package endofday

import (
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/reconcile"
)

// groupDigits writes 1234567 as 1.234.567.
func groupDigits(n int64) string { return receipts.GroupDigits(n) }

// FormatVND writes an amount as an accountant reads it: "1.234.567 đ".
func FormatVND(n int64) string { return receipts.GroupDigits(n) + " đ" }

// kindVI names an exception kind in Vietnamese.
func kindVI(k reconcile.ExceptionKind) string {
	switch k {
	case reconcile.MissingInSettlement:
		return "có trong sổ, thiếu trong tệp quyết toán"
	case reconcile.MissingInLedger:
		return "có trong tệp quyết toán, thiếu trong sổ"
	case reconcile.AmountMismatch:
		return "lệch số tiền"
	case reconcile.DuplicateInSettlement:
		return "trùng trong tệp quyết toán"
	case reconcile.TerminalTotalMismatch:
		return "lệch tổng cuối ngày của máy POS"
	case reconcile.BankCreditMismatch:
		return "lệch tiền về ngân hàng"
	case reconcile.BalanceMismatch:
		return "lệch số dư ngân hàng"
	case reconcile.CarriedOver:
		return "tồn từ ngày trước"
	}
	return string(k)
}

// KindVI names an exception kind in Vietnamese (for reports).
func KindVI(k reconcile.ExceptionKind) string { return kindVI(k) }
