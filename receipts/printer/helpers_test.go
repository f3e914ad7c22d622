package printer_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// testReceipt is a card payment's receipt as issued, with two fee lines.
func testReceipt() receipts.Receipt {
	return receipts.Receipt{
		ID:       7,
		Ref:      receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 7},
		IssuedAt: "2026-11-25T07:30:05Z",
		Org: receipts.Organisation{Code: "UBND-HK", Name: "Ủy ban nhân dân phường Hoàn Kiếm", TaxCode: "0101234567",
			Address: "Số 126 phố Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội"},
		NewReceipt: receipts.NewReceipt{
			OrgCode: "UBND-HK",
			Payer:   receipts.Payer{Name: "Nguyễn Thị Hồng Nhung"},
			Lines: []receipts.Line{
				{Name: "Lệ phí đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "LP-DKKD", Amount: 100_000},
				{Name: "Phí cung cấp thông tin về đăng ký hộ kinh doanh", Kind: receipts.Phi, FeeCode: "P-TTDK", Amount: 50_000},
			},
			Total: 150_000, TotalInWords: "Một trăm năm mươi nghìn đồng", Method: receipts.Card, DossierCode: "H26.12.345-261125-0001",
			Card: &receipts.CardPayment{TerminalID: "HKPOS001", TraceNo: "000321", ApprovalCode: "A1B2C3", PANMasked: "422151******5678"},
		},
		Currency: receipts.Currency,
		Status:   receipts.Valid,
	}
}

var (
	jobsMu sync.Mutex
	jobs   = map[int][]byte{}
)

// renderJob is the receipt's ESC/POS job for a paper width in dots,
// rendered once per width (rendering is the slow part under -race).
func renderJob(t testing.TB, dots int) []byte {
	t.Helper()
	jobsMu.Lock()
	defer jobsMu.Unlock()
	if job, ok := jobs[dots]; ok {
		return job
	}
	var b bytes.Buffer
	require.NoError(t, receipts.RenderESCPOS(&b, testReceipt(), receipts.ESCPOSOptions{DotsPerLine: dots, VerifyBase: "https://bienlai.example.gov.vn"}))
	jobs[dots] = b.Bytes()
	return jobs[dots]
}
