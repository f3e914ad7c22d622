package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func dropFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A day's signed receipts go to the drop folder, one file each, the bytes
// stored; again later, nothing changes.
func TestReceiptsExportToday(t *testing.T) {
	dbPath, certPath, refs := signedReceiptsDB(t, 0)
	drop := t.TempDir()
	r := feepos(t, "", "--db", dbPath, "receipts", "export", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã chuyển 3 biên lai ngày ")
	assert.Contains(t, r.stdout, "ngày chưa chốt")

	certs, err := receipts.LoadCertificates(certPath)
	require.NoError(t, err)
	db, err := sqlite.Open(context.Background(), dbPath)
	require.NoError(t, err)
	defer db.Close()
	var want []string
	for _, ref := range refs {
		name := "EBL01_0301234567_" + ref.Series + "_" + receipts.PrintedNumber(ref.Number) + ".xml"
		want = append(want, name)
		got, err := os.ReadFile(filepath.Join(drop, name))
		require.NoError(t, err)
		stored, err := db.SignedReceiptXML(context.Background(), ref.Template, ref.Series, ref.Number)
		require.NoError(t, err)
		assert.Equal(t, stored, got, name)
		require.NoError(t, receipts.VerifyXML(got, receipts.TrustCertificates(certs...)), name)
	}
	assert.ElementsMatch(t, want, dropFiles(t, drop))
	// Each receipt handed over has its delivery state (issue 13, item 2).
	open, err := db.OpenDeliveries(context.Background())
	require.NoError(t, err)
	require.Len(t, open, 3)
	for _, d := range open {
		assert.Equal(t, receipts.DeliveryHandedOver, d.State, d.Document)
		assert.Equal(t, receipts.DocReceipt, d.Kind)
		assert.Contains(t, want, d.Document)
	}

	r = feepos(t, "", "--db", dbPath, "--json", "receipts", "export", "--drop", drop, "--org", "UBND-Q1")
	require.Equal(t, 0, r.code, r.stderr)
	var out struct {
		Receipts []receipts.SignedReceipt `json:"receipts"`
		Closure  bool                     `json:"closure"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	assert.Len(t, out.Receipts, 3)
	assert.False(t, out.Closure)
	assert.ElementsMatch(t, want, dropFiles(t, drop), "running again adds nothing")
	again, err := db.OpenDeliveries(context.Background())
	require.NoError(t, err)
	assert.Equal(t, open, again, "nothing handed over twice")
}

// A closed day's export carries its signed closure.
func TestReceiptsExportClosedDay(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "f.db")
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	yesterday := time.Now().In(receipts.Zone).AddDate(0, 0, -1)
	date := yesterday.Format(time.DateOnly)
	db.Now = func() time.Time {
		return time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day(), 10, 0, 0, 0, receipts.Zone)
	}
	series := receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567", Address: "45-47 Lê Duẩn", Letters: "AA"}
	_, err = db.CreateSeries(ctx, series)
	require.NoError(t, err)
	signer, err := receipts.GenerateDemoSigner(series.OrgName, series.TaxCode)
	require.NoError(t, err)
	r1, _, err := db.IssueSignedReceipt(ctx, receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Lê Văn Cường"},
		Lines: []receipts.Line{{Name: "Lệ phí chứng thực", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 2000}},
		Total: 2000, TotalInWords: "Hai nghìn đồng", Method: receipts.Cash, DossierCode: "HS-1"}, signer)
	require.NoError(t, err)
	db.Now = time.Now
	_, closure, err := db.CloseDay(ctx, date, signer)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	drop := t.TempDir()
	r := feepos(t, "", "--db", dbPath, "receipts", "export", "--date", date, "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã chuyển 1 biên lai ngày "+yesterday.Format("02/01/2006"))
	assert.Contains(t, r.stdout, "kèm bản chốt ngày")
	closureName := receipts.ClosureFileName(date)
	assert.ElementsMatch(t, []string{"EBL01_0301234567_" + r1.Series + "_00000001.xml", closureName}, dropFiles(t, drop))
	got, err := os.ReadFile(filepath.Join(drop, closureName))
	require.NoError(t, err)
	assert.Equal(t, closure, got)

	// Today has no receipt: nothing to send, and it says so.
	r = feepos(t, "", "--db", dbPath, "receipts", "export", "--drop", t.TempDir())
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã chuyển 0 biên lai")
}

// An unsigned receipt of the day stops the export before any file is
// written, and names it.
func TestReceiptsExportRefusals(t *testing.T) {
	dbPath, _, refs := signedReceiptsDB(t, 2)
	drop := t.TempDir()
	r := feepos(t, "", "--db", dbPath, "receipts", "export", "--drop", drop)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "nothing was exported: 1 receipt(s)")
	assert.Contains(t, r.stderr, refs[1].String())
	assert.Empty(t, dropFiles(t, drop))

	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"receipts", "export"}, 2, "--drop DIR"},
		{[]string{"receipts", "export", "--drop", drop, "--date", "2026-13-01"}, 2, "YYYY-MM-DD"},
		{[]string{"receipts", "export", "--drop", drop, "--org", "NOPE"}, 1, "has no receipt series"},
		{[]string{"receipts", "export", "--drop", filepath.Join(drop, "missing")}, 1, "does not exist or is not a folder"},
	} {
		r := feepos(t, "", append([]string{"--db", dbPath}, c.args...)...)
		assert.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.says, "%v", c.args)
	}
}
