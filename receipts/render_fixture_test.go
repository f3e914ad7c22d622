package receipts_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// -update rewrites the golden files: go test ./receipts/ -run Render -update.
// Another test file of the package may declare the same flag for its own
// golden files; it is registered only once and read by name.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/golden")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const testVerifyBase = "http://127.0.0.1:8080"

// renderedReceipt is the fixed receipt of the rendering tests: a card payment
// issued at 14:30:05 on 25/11/2026 in Hà Nội (07:30:05 UTC).
func renderedReceipt() receipts.Receipt {
	return receipts.Receipt{
		ID:       123,
		Ref:      receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 123},
		IssuedAt: "2026-11-25T07:30:05Z",
		Org: receipts.Organisation{
			Code:    "UBND-HK",
			Name:    "Ủy ban nhân dân phường Hoàn Kiếm",
			TaxCode: "0101234567",
			Address: "Số 126 phố Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội",
		},
		NewReceipt: receipts.NewReceipt{
			OrgCode: "UBND-HK",
			Payer:   receipts.Payer{Name: "Nguyễn Thị Hồng Nhung", Address: "Số 5 ngõ Huế, phường Hai Bà Trưng, Hà Nội"},
			Lines: []receipts.Line{
				{Name: "Lệ phí đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "LP-DKKD", Amount: 100_000},
				{Name: "Phí cung cấp thông tin về đăng ký hộ kinh doanh (bản sao có chứng thực)", Kind: receipts.Phi, FeeCode: "P-TTDK", Amount: 50_000},
			},
			Total:        150_000,
			TotalInWords: "Một trăm năm mươi nghìn đồng",
			Method:       receipts.Card,
			DossierCode:  "H26.12.345-261125-0001",
			Card: &receipts.CardPayment{
				TerminalID: "HKPOS001", TraceNo: "000321", ApprovalCode: "A1B2C3", PANMasked: "422151******5678",
			},
		},
		Currency: receipts.Currency,
		Status:   receipts.Valid,
	}
}

// renderedReplacement replaces receipt 122 and was itself replaced by 124.
func renderedReplacement() receipts.Receipt {
	r := renderedReceipt()
	r.Replaces = &receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 122}
	r.Status = receipts.Replaced
	r.ReplacedBy = &receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 124}
	r.TotalInWords = "" // rendered from the total
	return r
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if updating() {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./receipts/ -run Render -update and review the result")
	if string(want) != string(got) {
		out := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(out, got, 0o644))
		t.Fatalf("%s differs from the golden file %s (new output in %s); if the change is intended, run with -update and review the diff", name, path, out)
	}
}
