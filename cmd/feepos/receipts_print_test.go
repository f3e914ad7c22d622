package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/receipts/printer/printersim"
)

// printSignedBy is the signer of printDB's receipt, as the printed receipt
// names it.
const printSignedBy = "Ủy ban nhân dân Quận 1"

var printSigner = sync.OnceValues(func() (*receipts.KeySigner, error) {
	return receipts.GenerateDemoSigner(printSignedBy, "0301234567")
})

// printDB makes a database with one signed card receipt issued in it; the
// key is the demo key next to the database, so the commands trust it.
func printDB(t *testing.T) (dbPath string, r receipts.Receipt) {
	t.Helper()
	ctx := context.Background()
	dbPath = filepath.Join(t.TempDir(), "f.db")
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.CreateSeries(ctx, receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, TP. Hồ Chí Minh", Letters: "AA"})
	require.NoError(t, err)
	signer, err := printSigner()
	require.NoError(t, err)
	dir := filepath.Dir(dbPath)
	require.NoError(t, signer.WritePEM(filepath.Join(dir, "demo-signing.key"), filepath.Join(dir, "demo-signing.crt")))
	issued, _, err := db.IssueSignedReceipt(ctx, receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 8000}},
		Total:        8000,
		TotalInWords: "Tám nghìn đồng", Method: receipts.Card, DossierCode: "HS-2026-000123",
		Card: &receipts.CardPayment{TerminalID: "T1", TraceNo: "000412", ApprovalCode: "A1B2C3", PANMasked: "411111******1111"}}, signer)
	require.NoError(t, err)
	// What the command loads: the stored receipt, status included.
	r, err = db.Receipt(ctx, issued.Template, issued.Series, issued.Number)
	require.NoError(t, err)
	return dbPath, r
}

func escpos(t *testing.T, r receipts.Receipt, dots int, base string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, receipts.RenderESCPOS(&b, r, receipts.ESCPOSOptions{DotsPerLine: dots, VerifyBase: base, SignedBy: printSignedBy}))
	return b.Bytes()
}

func printerSim(t *testing.T) *printersim.TCP {
	t.Helper()
	sim, err := printersim.ListenTCP()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func TestReceiptsPrintOverTCP(t *testing.T) {
	db, r := printDB(t)
	sim := printerSim(t)
	const base = "https://bienlai.example.gov.vn"

	out := feepos(t, "", "--db", db, "receipts", "print", r.Series, "1", "--to", sim.URL(), "--verify-base", base)
	require.Equal(t, 0, out.code, out.stderr)
	assert.Equal(t, "Đã in biên lai EBL01 "+r.Ref.String()+" trên máy in tcp "+sim.Addr()+"\n", out.stdout)
	assert.Empty(t, out.stderr)
	jobs, err := sim.WaitJobs(1, 5*time.Second)
	require.NoError(t, err)
	want := escpos(t, r, receipts.DotsPerLine80mm, base)
	require.True(t, bytes.Equal(want, jobs[0].Data), "the printer got %d bytes, want the %d rendered", len(jobs[0].Data), len(want))
	assert.True(t, bytes.Contains(jobs[0].Data, []byte{0x1d, 0x76, 0x30}), "GS v 0")
	assert.True(t, bytes.HasSuffix(jobs[0].Data, []byte{0x1d, 'V', 66, 0}), "cut")
	assert.Equal(t, []byte{1, 2, 4}, sim.StatusRequests())

	// 58 mm paper, the default QR address (with a warning), JSON out.
	out = feepos(t, "", "--db", db, "--json", "receipts", "print", r.Series, "1", "--to", sim.URL(), "--paper", "58", "--template", "EBL01")
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stderr, "the QR code points to http://127.0.0.1:8080")
	var res struct {
		Receipt string `json:"receipt"`
		Bytes   int    `json:"bytes"`
		Status  *struct {
			PaperOut bool `json:"paper_out"`
		} `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &res), out.stdout)
	assert.Equal(t, r.Ref.String(), res.Receipt)
	require.NotNil(t, res.Status)
	jobs, err = sim.WaitJobs(2, 5*time.Second)
	require.NoError(t, err)
	want = escpos(t, r, receipts.DotsPerLine58mm, "http://127.0.0.1:8080")
	assert.Equal(t, len(want), res.Bytes)
	assert.True(t, bytes.Equal(want, jobs[1].Data), "58 mm job")
}

func TestReceiptsPrintRefusesAndExplains(t *testing.T) {
	db, r := printDB(t)
	sim := printerSim(t)
	sim.SetState(printersim.PaperOut)
	out := feepos(t, "", "--db", db, "receipts", "print", r.Series, "1", "--to", sim.URL(), "--verify-base", "https://bienlai.example.gov.vn")
	assert.Equal(t, 1, out.code)
	assert.Contains(t, out.stderr, "Máy in hết giấy: thay cuộn giấy rồi in lại")
	assert.Empty(t, out.stdout)
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, sim.Received())

	sim.SetState(printersim.PaperNearEnd)
	out = feepos(t, "", "--db", db, "receipts", "print", r.Series, "1", "--to", sim.URL(), "--verify-base", "https://bienlai.example.gov.vn")
	require.Equal(t, 0, out.code, out.stderr)
	assert.Contains(t, out.stderr, "Giấy sắp hết")
	_, err := sim.WaitJobs(1, 5*time.Second)
	require.NoError(t, err)
}

func TestReceiptsPrintErrors(t *testing.T) {
	db, r := printDB(t)
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"no --to", []string{r.Series, "1"}, 2, "no printer: give --to"},
		{"bad --to", []string{r.Series, "1", "--to", "192.168.1.50:9100"}, 2, "write tcp://192.168.1.50:9100"},
		{"bad paper", []string{r.Series, "1", "--to", "tcp://127.0.0.1", "--paper", "76"}, 2, "80 or 58"},
		{"bad number", []string{r.Series, "x", "--to", "tcp://127.0.0.1"}, 2, "write the number in digits"},
		{"one argument", []string{r.Series}, 2, "a series and a number"},
		{"no such receipt", []string{r.Series, "2", "--to", "tcp://127.0.0.1"}, 1, "does not exist"},
		{"no printer there", []string{r.Series, "1", "--to", "file://" + filepath.Join(t.TempDir(), "lp0"), "--verify-base", "https://x.example"}, 1, "Không mở được máy in USB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := feepos(t, "", append([]string{"--db", db, "receipts", "print"}, c.args...)...)
			assert.Equal(t, c.code, out.code, out.stderr)
			assert.Contains(t, out.stderr, c.says)
		})
	}
}
