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

// Items 1 and 2 from the command line: summary --drop files the first
// filing, then an amendment of what came after it (a second drop of the
// day used to be refused); each filing and its answers are tracked;
// status lists what the tax office has not accepted; inbox records answers.
func TestReceiptsSummaryAmendmentStatusAndInbox(t *testing.T) {
	// 2 July: the fixture's last receipt (01:00) is of that day, so a
	// receipt issued that evening keeps the series in time order.
	dbPath := summaryDB(t)
	drop := t.TempDir()
	r := summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-02", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Lần đầu: 1 biên lai")

	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-02", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "không có biên lai mới")

	// A receipt of the same day issued after the first filing.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	db.Now = func() time.Time { return time.Date(2026, 7, 2, 23, 45, 0, 0, receipts.Zone) }
	_, err = db.IssueReceipt(ctx, receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Trần Thị Bình"},
		Lines: []receipts.Line{{Name: "Lệ phí chứng thực", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 10_000}},
		Total: 10_000, TotalInWords: "Mười nghìn đồng", Method: receipts.Cash, DossierCode: "HS-9"})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	r = summaryCLI(t, "--db", dbPath, "--json", "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-02", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		File      string `json:"file"`
		Amendment int    `json:"amendment"`
		Rows      int    `json:"rows"`
		State     string `json:"state"`
		Signed    bool   `json:"signed"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, filepath.Join(drop, "01TH-BLDT_0301234567_20260702_BS01.xml"), got.File)
	assert.Equal(t, 1, got.Amendment)
	assert.Equal(t, 1, got.Rows, "only the receipt issued after the first filing")
	assert.Equal(t, "handed_over", got.State)
	assert.True(t, got.Signed)
	x, err := os.ReadFile(got.File)
	require.NoError(t, err)
	assert.Contains(t, string(x), "<AmendmentNumber>1</AmendmentNumber>")

	r = summaryCLI(t, "--db", dbPath, "--json", "receipts", "status")
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Open []receipts.Delivery `json:"open"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	require.Len(t, st.Open, 2, "two filings, none answered")

	inbox := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(inbox, "tb.json"), []byte(`{"answers": [
		{"form": "01/TB-TNĐT", "document": "01TH-BLDT_0301234567_20260702_LD.xml", "result": "accepted"},
		{"form": "01/TB-TNĐT", "document": "01TH-BLDT_0301234567_20260702_BS01.xml", "result": "rejected",
		 "reasons": [{"code": "TH05", "text": "Trùng dữ liệu"}]}]}`), 0o600))
	r = summaryCLI(t, "--db", dbPath, "receipts", "inbox", inbox)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã xử lý 1 tệp trả lời (0 không dùng được)")
	assert.FileExists(t, filepath.Join(inbox, "processed", "tb.json"))

	r = summaryCLI(t, "--db", dbPath, "receipts", "status")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 chứng từ chưa được cơ quan thuế tiếp nhận")
	assert.Contains(t, r.stdout, "01TH-BLDT_0301234567_20260702_BS01.xml")
	assert.Contains(t, r.stdout, "Cơ quan thuế không tiếp nhận: TH05: Trùng dữ liệu")
	assert.NotContains(t, r.stdout, "_LD.xml")

	// An answer about a document feepos never sent: moved aside, exit 1.
	require.NoError(t, os.WriteFile(filepath.Join(inbox, "x.json"), []byte(`{"form": "01/TB-KTDL", "document": "OTHER.xml", "result": "accepted"}`), 0o600))
	r = summaryCLI(t, "--db", dbPath, "receipts", "inbox", inbox)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "could not be used")
	assert.FileExists(t, filepath.Join(inbox, "failed", "x.json.error.txt"))
}
