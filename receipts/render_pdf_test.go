package receipts_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/receipts"
)

// -pdf-out keeps the rendered PDF to look at it:
// go test ./receipts/ -run RenderPDF -pdf-out /tmp/receipt-a5.pdf
var pdfOut = flag.String("pdf-out", "", "also write the test receipt's PDF to this file")

// pdfText extracts the text of a PDF with pdftotext (poppler-utils), the
// way a person or an auditor's tool reads it, in NFC.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (apt-get install poppler-utils; .ci/run does it)")
	}
	path := filepath.Join(t.TempDir(), "receipt.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o644))
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err, "pdftotext %s", path)
	return norm.NFC.String(string(out))
}

func renderPDF(t *testing.T, r receipts.Receipt) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderPDF(&buf, r, receipts.PDFOptions{VerifyBase: testVerifyBase}))
	return buf.Bytes()
}

func TestRenderPDFText(t *testing.T) {
	pdf := renderPDF(t, renderedReceipt())
	if *pdfOut != "" {
		require.NoError(t, os.WriteFile(*pdfOut, pdf, 0o644))
	}
	text := pdfText(t, pdf)
	for _, want := range []string{
		"BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ",
		"Ký hiệu mẫu: EBL01",
		"Ký hiệu: 26TAA",
		"Số: 00000123",
		"Ủy ban nhân dân phường Hoàn Kiếm",
		"Mã số thuế: 0101234567",
		"Họ tên người nộp: Nguyễn Thị Hồng Nhung",
		"Lệ phí đăng ký hộ kinh doanh",
		"100.000 đ",
		"50.000 đ",
		"Tổng cộng: 150.000 đ",
		"Số tiền bằng chữ: Một trăm năm mươi nghìn đồng",
		"Hình thức thanh toán: Thẻ (POS)",
		"Mã hồ sơ: H26.12.345-261125-0001",
		"Máy POS: HKPOS001 · Số trace: 000321 · Mã chuẩn chi: A1B2C3 · Số thẻ: 422151******5678",
		"Ngày 25/11/2026",
		"Thời điểm lập: 14:30:05 ngày 25/11/2026",
		"http://127.0.0.1:8080/verify/EBL01/26TAA/00000123",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "thay thế")
	assert.NotContains(t, text, "trang 1/", "a one-page receipt has no page numbers")
}

func TestRenderPDFReplacement(t *testing.T) {
	text := pdfText(t, renderPDF(t, renderedReplacement()))
	assert.Contains(t, text, "Đã bị thay thế bởi biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000124")
	assert.Contains(t, text, "Thay thế cho biên lai mẫu số EBL01, ký hiệu 26TAA, số 00000122")
	assert.Contains(t, text, "Số tiền bằng chữ: Một trăm năm mươi nghìn đồng")
}

func TestRenderPDFIsDeterministic(t *testing.T) {
	a, b := renderPDF(t, renderedReceipt()), renderPDF(t, renderedReceipt())
	assert.True(t, bytes.Equal(a, b), "the same receipt gives the same PDF bytes")
	assert.Contains(t, string(a), "/CreationDate (D:20261125143005)")
}

// A receipt with many fees runs onto a second page, with the heading
// repeated and every line and the total present.
func TestRenderPDFManyLines(t *testing.T) {
	r := renderedReceipt()
	r.Lines = nil
	r.Total = 0
	for range 40 {
		r.Lines = append(r.Lines, receipts.Line{Name: "Lệ phí chứng thực bản sao từ bản chính", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 2_000})
		r.Total += 2_000
	}
	r.TotalInWords = ""
	text := pdfText(t, renderPDF(t, r))
	assert.Contains(t, text, "Tổng cộng: 80.000 đ")
	assert.Contains(t, text, "Tám mươi nghìn đồng")
	assert.Regexp(t, `26TAA-00000123 – trang 1/[23]`, text, "pages are numbered")
	assert.Regexp(t, `26TAA-00000123 – trang 2/[23]`, text)
	for i := 1; i <= 40; i++ {
		assert.Regexp(t, fmt.Sprintf(`(?m)^ *%d +Lệ phí chứng thực bản sao từ bản chính +Lệ phí +2\.000 đ$`, i), text)
	}
	assert.Equal(t, 2, strings.Count(text, "Tên phí, lệ phí"), "the heading is repeated on the second page")
}

// BenchmarkRenderPDF renders the two-line card receipt to PDF (A5, embedded
// font, QR). Target: ≤ 50 ms (issue 4); p50-ms and p99-ms are per render.
//
//	go test -run '^$' -bench RenderPDF -benchtime 300x ./receipts/
func BenchmarkRenderPDF(b *testing.B) {
	r := renderedReceipt()
	var buf bytes.Buffer
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		buf.Reset()
		if err := receipts.RenderPDF(&buf, r, receipts.PDFOptions{VerifyBase: testVerifyBase}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// A signed receipt says so: the time of issue is labelled as the signing
// time, and the signer is named, on paper as in the PDF and HTML.
func TestRenderSignedReceipt(t *testing.T) {
	r := renderedReceipt()
	const by = "Ủy ban nhân dân phường Hoàn Kiếm"
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderPDF(&buf, r, receipts.PDFOptions{VerifyBase: testVerifyBase, SignedBy: by}))
	text := pdfText(t, buf.Bytes())
	assert.Contains(t, text, "Thời điểm ký: 14:30:05 ngày 25/11/2026")
	assert.Contains(t, text, "Đã ký số bởi "+by)
	assert.NotContains(t, text, "Thời điểm lập")

	buf.Reset()
	require.NoError(t, receipts.RenderHTML(&buf, r, receipts.HTMLOptions{VerifyBase: testVerifyBase, SignedBy: by}))
	assert.Contains(t, buf.String(), `Thời điểm ký:</span> 14:30:05 ngày 25/11/2026`)
	assert.Contains(t, buf.String(), "Đã ký số bởi "+by)
}
