package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// summaryCLI runs feepos with args.
func summaryCLI(t *testing.T, args ...string) result {
	t.Helper()
	return feepos(t, "", args...)
}

// summaryDB makes a database with two receipts of 01/07/2026, the second
// replacing the first, and one of the day after.
func summaryDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.CreateSeries(ctx, receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh", Letters: "AA"})
	require.NoError(t, err)
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, receipts.Zone)
	db.Now = func() time.Time { at = at.Add(time.Hour); return at }
	nr := receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
		Lines: []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 80_000},
			{Name: "Phí cấp bản sao trích lục", Kind: receipts.Phi, FeeCode: "P-BS", Amount: 8_000}},
		Total: 88_000, TotalInWords: "Tám mươi tám nghìn đồng", Method: receipts.Cash, DossierCode: "HS-1"}
	first, err := db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	nr.Lines, nr.Total, nr.Replaces = nr.Lines[:1], 80_000, &first.Ref
	_, err = db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	at = time.Date(2026, 7, 2, 0, 0, 0, 0, receipts.Zone)
	nr.Replaces = nil
	_, err = db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	return path
}

func TestReceiptsSummaryXMLToStdout(t *testing.T) {
	dbPath := summaryDB(t)
	r := summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, `<?xml version="1.0" encoding="UTF-8"?>`))
	assert.Contains(t, r.stdout, `<Rows count="3">`)
	assert.Contains(t, r.stdout, `<Status code="replaced">Đã bị thay thế</Status>`)
	assert.Contains(t, r.stdout, `<Status code="replacement">Thay thế</Status>`)
	assert.Contains(t, r.stdout, `<Name>Ủy ban nhân dân Quận 1</Name>`)
	assert.NotContains(t, r.stdout, "2026-07-02")

	r = summaryCLI(t, "--db", dbPath, "--json", "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Date   string                 `json:"date"`
		Rows   []receipts.SummaryRow  `json:"rows"`
		Totals receipts.SummaryTotals `json:"totals"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, "2026-07-01", got.Date)
	assert.Len(t, got.Rows, 3)
	assert.Equal(t, receipts.SummaryTotals{Receipts: 2, Rows: 3, Amount: 168_000, InForce: 80_000, Replaced: 1}, got.Totals)
}

func TestReceiptsSummaryXLSXToDropFolder(t *testing.T) {
	dbPath := summaryDB(t)
	drop := t.TempDir()
	args := []string{"--db", dbPath, "--json", "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--format", "xlsx", "--drop", drop}
	r := summaryCLI(t, args...)
	require.Equal(t, 0, r.code, r.stderr)
	var res struct {
		File   string `json:"file"`
		Rows   int    `json:"rows"`
		Amount int64  `json:"amount"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, filepath.Join(drop, "01TH-BLDT_0301234567_20260701.xlsx"), res.File)
	assert.Equal(t, 3, res.Rows)

	f, err := excelize.OpenFile(res.File)
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(receipts.SummarySheet)
	require.NoError(t, err)
	assert.Equal(t, "Tên tổ chức thu phí, lệ phí: Ủy ban nhân dân Quận 1", rows[3][0])
	assert.Equal(t, "Lệ phí đăng ký khai sinh", rows[8][5])
	assert.Equal(t, "80,000", rows[8][6])

	// A different file of the same name is never overwritten.
	require.NoError(t, os.WriteFile(filepath.Join(drop, "01TH-BLDT_0301234567_20260701.xml"), []byte("sent before"), 0o600))
	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--drop", drop)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "never overwritten")
	kept, _ := os.ReadFile(filepath.Join(drop, "01TH-BLDT_0301234567_20260701.xml"))
	assert.Equal(t, "sent before", string(kept))

	out := filepath.Join(t.TempDir(), "s.xml")
	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-02", "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Ngày 02/07/2026: 1 biên lai, 1 dòng, tổng 80.000 đ")
	x, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<Period type="day">2026-07-02</Period>`)
}

func TestReceiptsSummaryBadUsage(t *testing.T) {
	dbPath := summaryDB(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--date", "2026-07-01"}, 2, "--org"},
		{[]string{"--org", "UBND-Q1", "--date", "01/07/2026"}, 2, "YYYY-MM-DD"},
		{[]string{"--org", "UBND-Q1", "--format", "pdf"}, 2, `format "pdf"`},
		{[]string{"--org", "UBND-Q1", "--format", "xlsx"}, 2, "binary"},
		{[]string{"--org", "UBND-Q1", "--out", "a", "--drop", "b"}, 2, "not both"},
		{[]string{"--org", "NOBODY", "--date", "2026-07-01"}, 1, "has no receipt series"},
	} {
		r := summaryCLI(t, append([]string{"--db", dbPath, "receipts", "summary"}, tc.args...)...)
		assert.Equal(t, tc.code, r.code, "%q: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, "%q", tc.args)
		assert.Empty(t, r.stdout, "%q", tc.args)
	}
}
