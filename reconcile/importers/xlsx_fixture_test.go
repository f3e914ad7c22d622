package importers

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// TestWriteXLSXFixture rewrites testdata/settlement/vn-bank-pos.xlsx
// (FEEPOS_WRITE_FIXTURES=1): the vn-bank-pos.csv lines as a bank's Excel
// export has them, a title block, dates as date cells, amounts and trace
// numbers as number cells, the time as text.
func TestWriteXLSXFixture(t *testing.T) {
	if os.Getenv("FEEPOS_WRITE_FIXTURES") == "" {
		t.Skip("FEEPOS_WRITE_FIXTURES is not set")
	}
	f := excelize.NewFile()
	sh := "Quyết toán"
	require.NoError(t, f.SetSheetName(f.GetSheetName(0), sh))
	d := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	dt := func(day, h, m, s int) time.Time { return time.Date(2026, 3, day, h, m, s, 0, time.UTC) }
	rows := [][]any{
		{"BÁO CÁO QUYẾT TOÁN GIAO DỊCH THẺ"},
		{"Đơn vị chấp nhận thẻ: TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"},
		{"Từ ngày 02/03/2026 đến ngày 02/03/2026"},
		{"STT", "Ngày quyết toán", "Mã đơn vị", "Mã thiết bị", "Số lô", "Số hóa đơn", "Số tham chiếu", "Mã chuẩn chi", "Số thẻ", "Loại thẻ", "Loại giao dịch", "Ngày giờ giao dịch", "Số tiền giao dịch", "Phí", "Thực nhận", "Loại tiền"},
		{1, d, "MID000000000001", "T0000001", "000012", 101, "606109000101", "A1B2C3", "970436******1234", "NAPAS", "Thanh toán", dt(2, 8, 15, 2), 150000, 1650, 148350, "VND"},
		{2, d, "MID000000000001", "T0000001", "000012", 102, "606109000102", "D4E5F6", "411111******1111", "VISA", "Thanh toán", "02/03/2026 09:40:11", "2.500.000 đ", "27.500 đ", "2.472.500 đ", "VND"},
		{3, d, "MID000000000001", "T0000001", "000012", 103, "606109000103", "G7H8I9", "520000******0007", "MASTERCARD", "Thanh toán", dt(2, 10, 5, 59), 35000, 385, 34615, "VND"},
		{4, d, "MID000000000001", "T0000001", "000012", 103, "606109000103", "G7H8I9", "520000******0007", "MASTERCARD", "Hủy", dt(2, 10, 7, 30), 35000, 385, 34615, "VND"},
		{5, "02/03/2026", "MID000000000001", "T0000002", "000007", 44, "606109000044", "J1K2L3", "970405******9876", "NAPAS", "Hoàn tiền", dt(1, 16, 30, 0), 50000, 0, 50000, "VND"},
		{},
		{"Tổng cộng"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, f.SetSheetRow(sh, cell, &r))
	}
	require.NoError(t, f.SaveAs("testdata/settlement/vn-bank-pos.xlsx"))
}
