package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/reconcile"
)

// TestReconcileEndToEnd records card payments through the payment
// workflow (as from terminal slips) yesterday, writes the acquirer's
// generic CSV for them with one line the ledger lacks, and runs the
// accountant's commands on the database.
func TestReconcileEndToEnd(t *testing.T) {
	ctx := context.Background()
	path := newDatabase(t)
	dir := t.TempDir()
	yesterday := time.Now().In(ledger.Zone).AddDate(0, 0, -1)
	day := yesterday.Format(ledger.DateLayout)
	at := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day(), 10, 0, 0, 0, ledger.Zone)

	store, err := sqlite.OpenExisting(ctx, path)
	require.NoError(t, err)
	store.Now = func() time.Time { return at }
	require.NoError(t, store.SyncChart(ctx, ledger.DefaultChart()))
	_, err = store.CreateSeries(ctx, receipts.Series{OrgCode: "UBND", OrgName: "Ủy ban nhân dân phường Demo", TaxCode: "0101234567", Address: "Số 1 phố Demo", Letters: "AA"})
	require.NoError(t, err)
	require.NoError(t, store.WithTx(ctx, func(tx *sqlite.Tx) error {
		return tx.PutFee(ctx, catalogue.Fee{Code: "TSDD", Name: "Tiền sử dụng đất", Kind: catalogue.KindLePhi, OrgCode: "UBND", AgencyCode: "UBND", Unit: "hồ sơ", Active: true})
	}))
	signer, err := receipts.GenerateDemoSigner("Ủy ban nhân dân phường Demo", "0101234567")
	require.NoError(t, err)
	svc := payments.New(store, nil, signer, payments.Options{Clock: func() time.Time { return at }})
	dossiers := auth.Actor{Kind: auth.KindToken, ID: "1", Name: "một cửa", Role: auth.RoleDossierSystem}
	cashier := auth.Actor{Kind: auth.KindToken, ID: "2", Name: "Thu ngân", Role: auth.RoleCashier}
	var csv strings.Builder
	csv.WriteString("settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n")
	var total int64
	for i, amount := range []int64{150_000, 2_500_000, 320_000} {
		trace := 101 + i
		req, _, err := svc.CreateRequest(ctx, dossiers, fmt.Sprint("K", i), payments.NewRequest{DossierCode: fmt.Sprint("HS-", i),
			Payer: payments.Payer{Name: "Nguyễn Văn An"}, Items: []payments.NewItem{{FeeCode: "TSDD", Amount: amount}}})
		require.NoError(t, err)
		_, err = svc.RecordCardResult(ctx, cashier, req.ID, "T1", payments.TerminalResult{TraceNo: fmt.Sprint(trace),
			ApprovalCode: fmt.Sprintf("AP%04d", trace), PANMasked: "970436******1234", TerminalID: "T0000001", CardType: "NAPAS"})
		require.NoError(t, err)
		fee := amount * 11 / 1000
		fmt.Fprintf(&csv, "%s,T0000001,MID1,000012,%d,RRN%d,AP%04d,970436******1234,NAPAS,SALE,%sT10:00:00,%d,%d,%d,VND\n",
			day, trace, trace, trace, day, amount, fee, amount-fee)
		total += amount
	}
	// A line the ledger does not have.
	fmt.Fprintf(&csv, "%s,T0000001,MID1,000012,999,RRN999,AP0999,970436******9999,NAPAS,SALE,%sT11:00:00,80000,880,79120,VND\n", day, day)
	svc.Close()
	require.NoError(t, store.Close())
	settlement := filepath.Join(dir, "quyet-toan.csv")
	require.NoError(t, os.WriteFile(settlement, []byte(csv.String()), 0o600))

	// Import, then the same file again: a reported no-op.
	r := feepos(t, "", "--db", path, "reconcile", "import", settlement, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--db", path, "reconcile", "import", settlement)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "already imported on")

	// A bad file: exit 1, every bad row, nothing written.
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(strings.Replace(csv.String(), ",150000,", ",15O000,", 1), ",320000,", ",-5,", 1)), 0o600))
	r = feepos(t, "", "--db", path, "reconcile", "import", bad)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "nothing was written")
	assert.GreaterOrEqual(t, strings.Count(r.stderr, "\n  line "), 2, r.stderr)

	// The terminal's slip.
	r = feepos(t, "", "--db", path, "reconcile", "totals", "--terminal", "T0000001", "--date", day, "--count", "3", "--amount", fmt.Sprint(total), "--receipts", "1-3")
	require.Equal(t, 0, r.code, r.stderr)

	// Bad usage: exit 2.
	assert.Equal(t, 2, feepos(t, "", "--db", path, "reconcile", "run").code)
	assert.Equal(t, 2, feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--format", "pdf").code)
	assert.Equal(t, 2, feepos(t, "", "--db", path, "reconcile", "resolve", "1", "--reason", "x").code)

	// A dry run, then the run (the contract's form: it imports the file,
	// already imported, then runs).
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--dry-run", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--settlement", settlement, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep reconcile.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, day, rep.Date)
	assert.Equal(t, 3, rep.Summary.LedgerCount)
	assert.Equal(t, total, rep.Summary.LedgerAmount)
	assert.Equal(t, 3, rep.Summary.MatchedCount)
	require.Len(t, rep.Sources, 2, "the settlement file and the slip")
	require.Len(t, rep.Exceptions, 1, r.stdout)
	assert.Equal(t, reconcile.MissingInLedger, rep.Exceptions[0].Kind)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw))
	for _, k := range []string{"date", "sources", "summary", "matches", "exceptions"} {
		assert.Contains(t, raw, k)
	}

	ledgerEntries := func() int {
		store, err := sqlite.OpenReadOnly(ctx, path)
		require.NoError(t, err)
		defer store.Close()
		var n int
		require.NoError(t, store.SQL().GetContext(ctx, &n, `SELECT COUNT(*) FROM ledger_entries WHERE idempotency_key LIKE 'reconcile-settlement:%'`))
		return n
	}
	assert.Equal(t, 1, ledgerEntries(), "one settled batch")
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "đã hạch toán từ lần chạy trước")
	assert.Equal(t, 1, ledgerEntries(), "re-running the day posts nothing twice")

	// Exceptions, then a write-off and its undoing.
	r = feepos(t, "", "--db", path, "reconcile", "exceptions", "--open", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var list []sqlite.StoredException
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	id := fmt.Sprint(list[0].ID)
	r = feepos(t, "", "--db", path, "reconcile", "resolve", id, "--write-off", "--reason", "giao dịch thử của ngân hàng", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--db", path, "reconcile", "exceptions", "--open")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Không có ngoại lệ")
	r = feepos(t, "", "--db", path, "reconcile", "resolve", id, "--unmatch", "--reason", "chưa có văn bản")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "mở lại")

	// The report: JSON, CSV, XLSX and HTML.
	r = feepos(t, "", "--db", path, "reconcile", "report", "--date", day, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var again reconcile.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &again))
	assert.Equal(t, rep.Summary, again.Summary)
	htmlPath, csvPath, xlsxPath := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.xlsx")
	r = feepos(t, "", "--db", path, "reconcile", "report", "--date", day, "--html", htmlPath, "--csv", csvPath, "--xlsx", xlsxPath)
	require.Equal(t, 0, r.code, r.stderr)
	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	assert.Contains(t, string(page), "Báo cáo đối soát")
	assert.Contains(t, string(page), "<svg")
	assert.Contains(t, string(page), yesterday.Format("02/01/2006"))
	assert.Contains(t, string(page), "2.970.000 đ")
	for _, external := range []string{"<script", "<link", "src=", "http://", "https://"} {
		assert.NotContains(t, string(page), external, "self-contained")
	}
	out, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	assert.Contains(t, string(out), "missing_in_ledger")
	wb, err := excelize.OpenFile(xlsxPath)
	require.NoError(t, err)
	rows, err := wb.GetRows("Ngoại lệ")
	require.NoError(t, err)
	assert.Len(t, rows, 2)
	require.NoError(t, wb.Close())

	// The audit log has the imports, the run and the resolutions.
	store, err = sqlite.OpenReadOnly(ctx, path)
	require.NoError(t, err)
	defer store.Close()
	log, err := store.AuditLog(ctx, sqlite.AuditFilter{Action: "reconcile.resolve"})
	require.NoError(t, err)
	require.Len(t, log, 2)
	assert.Equal(t, auth.KindCLI, log[0].Actor.Kind)
}
