package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

const renderBase = "https://bienlai.example.gov.vn"

// pdfFileText extracts the text of a PDF file with pdftotext (poppler-utils),
// failing like receipts/render_pdf_test.go when it is missing.
func pdfFileText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (apt-get install poppler-utils; .ci/run does it)")
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err, "pdftotext %s", path)
	return norm.NFC.String(string(out))
}

// replaceReceipt issues a receipt that replaces r, in the same series.
func replaceReceipt(t *testing.T, dbPath string, r receipts.Receipt) receipts.Receipt {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	ref := r.Ref
	repl, err := db.IssueReceipt(ctx, receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 5000}},
		Total:        5000,
		TotalInWords: "Năm nghìn đồng", Method: receipts.Cash, DossierCode: "HS-2026-000123", Replaces: &ref})
	require.NoError(t, err)
	return repl
}

func TestReceiptsRenderPDFToFile(t *testing.T) {
	db, r := printDB(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bienlai.pdf")

	res := feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--format", "pdf", "--out", out, "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, "Đã xuất biên lai EBL01 "+r.Ref.String()+" ra tệp "+out+" (PDF, khổ A5)\n", res.stdout)
	assert.Empty(t, res.stderr)

	got, err := os.ReadFile(out)
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, receipts.RenderPDF(&want, r, receipts.PDFOptions{VerifyBase: renderBase, SignedBy: printSignedBy}))
	assert.True(t, bytes.Equal(want.Bytes(), got), "the file is not the receipt's PDF (%d bytes, want %d)", len(got), want.Len())

	text := pdfFileText(t, out)
	for _, s := range []string{
		"BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ",
		"Ký hiệu: " + r.Series,
		"Số: 00000001",
		"Số tiền bằng chữ: Tám nghìn đồng",
		"Nguyễn Văn An",
		renderBase + "/verify/EBL01/" + r.Series + "/00000001",
		"Đã ký số bởi " + printSignedBy,
		"Thời điểm ký: ",
	} {
		assert.Contains(t, text, s)
	}
	assert.NotContains(t, text, "thay thế")

	// Only the file: the temporary file was renamed, not left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "bienlai.pdf", entries[0].Name())
}

func TestReceiptsRenderHTMLToStdout(t *testing.T) {
	db, r := printDB(t)
	verifyURL := renderBase + "/verify/EBL01/" + r.Series + "/00000001"

	res := feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--format", "html", "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Empty(t, res.stderr)
	var want bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&want, r, receipts.HTMLOptions{VerifyBase: renderBase, SignedBy: printSignedBy}))
	assert.Equal(t, want.String(), res.stdout)
	assert.Contains(t, res.stdout, "<h1>BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ</h1>")
	assert.Contains(t, res.stdout, `href="`+verifyURL+`"`)
	assert.Contains(t, res.stdout, "Tám nghìn đồng")
	assert.Contains(t, res.stdout, "size: A5 portrait")

	// 80 mm roll, and the default QR address with its warning.
	res = feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--format", "html", "--paper", "80mm", "--template", "EBL01")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stderr, "the QR code points to http://127.0.0.1:8080")
	assert.Contains(t, res.stdout, "size: 80mm 297mm")
	assert.Contains(t, res.stdout, "http://127.0.0.1:8080/verify/EBL01/"+r.Series+"/00000001")
}

func TestReceiptsRenderMarksReplacedReceipt(t *testing.T) {
	db, r := printDB(t)
	repl := replaceReceipt(t, db, r)
	out := filepath.Join(t.TempDir(), "bienlai.html")

	res := feepos(t, "", "--db", db, "--json", "receipts", "render", r.Series, "1", "--format", "html", "--out", out, "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	var got struct {
		Receipt    string        `json:"receipt"`
		Status     string        `json:"status"`
		ReplacedBy *receipts.Ref `json:"replaced_by"`
		Format     string        `json:"format"`
		Paper      string        `json:"paper"`
		VerifyURL  string        `json:"verify_url"`
		File       string        `json:"file"`
		Bytes      int           `json:"bytes"`
		SHA256     string        `json:"sha256"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got), res.stdout)
	assert.Equal(t, r.Ref.String(), got.Receipt)
	assert.Equal(t, "replaced", got.Status)
	require.NotNil(t, got.ReplacedBy)
	assert.Equal(t, repl.Ref, *got.ReplacedBy)
	assert.Equal(t, "html", got.Format)
	assert.Equal(t, out, got.File)
	assert.Equal(t, renderBase+"/verify/EBL01/"+r.Series+"/00000001", got.VerifyURL)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, len(page), got.Bytes)
	assert.Len(t, got.SHA256, 64)
	assert.Contains(t, string(page), `<p class="status">Đã bị thay thế bởi biên lai ký hiệu mẫu EBL01, ký hiệu `+r.Series+`, số 00000002</p>`)

	// The PDF of the original says so too; the replacement names it.
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	res = feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--out", pdf, "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "(biên lai đã bị thay thế)")
	assert.Contains(t, pdfFileText(t, pdf), "Đã bị thay thế bởi biên lai")

	res = feepos(t, "", "--db", db, "receipts", "render", r.Series, "2", "--format", "html", "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "Thay thế cho biên lai mẫu số EBL01, ký hiệu "+r.Series+", số 00000001 ngày ")
	assert.Contains(t, res.stdout, "Năm nghìn đồng")
}

func TestReceiptsRenderErrors(t *testing.T) {
	db, r := printDB(t)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "r.pdf")
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no such receipt", []string{r.Series, "2", "--out", pdf, "--verify-base", renderBase}, 1, "receipt EBL01 " + r.Series + "-00000002 does not exist"},
		{"other template", []string{r.Series, "1", "--template", "EBL02", "--out", pdf}, 1, "receipts use template EBL01"},
		{"bad format", []string{r.Series, "1", "--format", "docx", "--out", pdf}, 2, `format "docx": use pdf or html`},
		{"pdf to stdout", []string{r.Series, "1"}, 2, "a PDF file is binary: give --out FILE"},
		{"pdf on a roll", []string{r.Series, "1", "--paper", "80mm", "--out", pdf}, 2, "the PDF is A5 only"},
		{"bad paper", []string{r.Series, "1", "--format", "html", "--paper", "a4"}, 2, "write --paper a5 or --paper 80mm"},
		{"json to stdout", []string{r.Series, "1", "--format", "html", "--json"}, 2, "--json describes the file written"},
		{"bad number", []string{r.Series, "x", "--out", pdf}, 2, "write the number in digits"},
		{"one argument", []string{r.Series}, 2, "a series and a number"},
		{"bad verify base", []string{r.Series, "1", "--out", pdf, "--verify-base", "bienlai.example.gov.vn"}, 2, "verification base URL"},
		{"no such folder", []string{r.Series, "1", "--out", filepath.Join(dir, "missing", "r.pdf"), "--verify-base", renderBase}, 1, "write "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := feepos(t, "", append([]string{"--db", db, "receipts", "render"}, c.args...)...)
			assert.Equal(t, c.code, res.code, res.stderr)
			assert.Contains(t, res.stderr, c.says)
			assert.Empty(t, res.stdout)
		})
	}
	// Nothing was written by the refused runs.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// A receipt is printed as signed only when its stored signature holds: an
// unsigned one, or one whose signature no longer matches, prints without,
// with a warning.
func TestReceiptsRenderClaimsOnlyAHoldingSignature(t *testing.T) {
	db, r := printDB(t)
	repl := replaceReceipt(t, db, r) // issued without a signature

	res := feepos(t, "", "--db", db, "receipts", "render", repl.Series, "2", "--format", "html", "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stderr, "receipt "+repl.Ref.String()+" is not signed")
	assert.Contains(t, res.stdout, "Thời điểm lập:")
	assert.NotContains(t, res.stdout, "Đã ký số")

	// Another certificate is trusted: the signature of receipt 1 does not hold.
	other, err := receipts.GenerateDemoSigner("Đơn vị khác", "0309999999")
	require.NoError(t, err)
	dir := filepath.Dir(db)
	require.NoError(t, other.WritePEM(filepath.Join(dir, "demo-signing.key"), filepath.Join(dir, "demo-signing.crt")))
	res = feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--format", "html", "--verify-base", renderBase)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stderr, "the signature of receipt "+r.Ref.String()+" does not hold")
	assert.NotContains(t, res.stdout, "Đã ký số")
}
