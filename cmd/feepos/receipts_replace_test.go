package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// replaceDB is a database with the demo payments taken and signed by the
// demo keys next to it: the district's card receipt (LP-HKD 100.000 đ),
// the police's (LP-CT 20.000 đ), the district's cash receipt (P-CTBS
// 3 × 2.000 đ).
func replaceDB(t *testing.T) (string, []receipts.Receipt) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, _, err := signing.Load(ctx, log, db, config.Receipts{}, path, true)
	require.NoError(t, err)
	rs, err := seedDemoReceipts(ctx, log, db, keys)
	require.NoError(t, err)
	require.Len(t, rs, 3)
	return path, rs
}

func refArgs(r receipts.Receipt) []string {
	return []string{r.Template, r.Series, strconv.FormatInt(r.Number, 10)}
}

// A payer's name corrected: a replacement of the same total, no money
// side; the original reads replaced and links it; the chain and the
// signatures (the replacement's XML carries the original's date) hold; a
// second replacement of the original is refused.
func TestReceiptsReplaceName(t *testing.T) {
	path, rs := replaceDB(t)
	orig := rs[0]
	args := append([]string{"--db", path, "receipts", "replace"}, refArgs(orig)...)
	r := feepos(t, "", append(args, "--reason", "Sai tên người nộp", "--payer-name", "Nguyễn Văn Anh")...)
	require.Equal(t, 0, r.code, r.stderr)
	want := "Thay thế cho biên lai mẫu số EBL01, ký hiệu " + orig.Series + ", số 00000001 ngày " + orig.IssueDate()
	assert.Contains(t, r.stdout, want)
	assert.Contains(t, r.stdout, "Tổng tiền không đổi\n")

	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	o, err := db.Receipt(ctx, orig.Template, orig.Series, orig.Number)
	require.NoError(t, err)
	assert.Equal(t, receipts.Replaced, o.Status)
	require.NotNil(t, o.ReplacedBy)
	repl, err := db.Receipt(ctx, o.ReplacedBy.Template, o.ReplacedBy.Series, o.ReplacedBy.Number)
	require.NoError(t, err)
	assert.Equal(t, "Nguyễn Văn Anh", repl.Payer.Name)
	assert.Equal(t, orig.Payer.Address, repl.Payer.Address)
	assert.Equal(t, orig.Lines, repl.Lines)
	assert.Equal(t, orig.Total, repl.Total)
	assert.Equal(t, orig.Card, repl.Card)
	require.NotNil(t, repl.Replaces)
	assert.Equal(t, orig.Ref, *repl.Replaces)
	issued, err := orig.IssuedTime()
	require.NoError(t, err)
	assert.Equal(t, issued.Format("2006-01-02"), repl.ReplacesDate)
	doc, err := db.SignedReceiptXML(ctx, repl.Template, repl.Series, repl.Number)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "<IssueDate>"+repl.ReplacesDate+"</IssueDate>\n  </Replaces>")

	// The payment lists both; the audit line has the reason.
	pays, err := db.PaymentReceipts(ctx, paymentOf(t, db, orig.Ref))
	require.NoError(t, err)
	require.Len(t, pays, 3)
	assert.Equal(t, "replacement", pays[2].Kind)
	audit, err := db.AuditLog(ctx, sqlite.AuditFilter{Action: "receipt.replace"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, "Sai tên người nộp", audit[0].Reason)
	assert.Equal(t, "receipt:EBL01/"+orig.Series+"/1", audit[0].Object)
	refunds, err := db.ReceiptRefunds(ctx, true)
	require.NoError(t, err)
	assert.Empty(t, refunds)

	v := feepos(t, "", "--db", path, "receipts", "verify")
	require.Equal(t, 0, v.code, v.stderr+v.stdout)

	// Rendered, the replacement prints the words.
	out := filepath.Join(t.TempDir(), "r.html")
	h := feepos(t, "", "--db", path, "receipts", "render", repl.Series, strconv.FormatInt(repl.Number, 10), "--format", "html",
		"--out", out, "--verify-base", renderBase)
	require.Equal(t, 0, h.code, h.stderr)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), want)

	// Replaced once.
	r = feepos(t, "", append(args, "--reason", "again", "--payer-name", "X")...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "was already replaced by "+repl.Ref.String())
}

func paymentOf(t *testing.T, db *sqlite.DB, ref receipts.Ref) string {
	t.Helper()
	var id string
	require.NoError(t, db.SQL().GetContext(context.Background(), &id,
		`SELECT payment_id FROM payment_receipts WHERE template = ? AND series = ? AND number = ?`, ref.Template, ref.Series, ref.Number))
	return id
}

// A lower total: the refund owed and its balanced ledger entry are
// recorded with the replacement; a higher total is refused, saying to
// create a payment request for the further charge.
func TestReceiptsReplaceLowerAndHigher(t *testing.T) {
	path, rs := replaceDB(t)
	orig := rs[2] // P-CTBS 3 × 2.000 đ, cash
	require.Equal(t, int64(6_000), orig.Total)
	args := append([]string{"--db", path, "--json", "receipts", "replace"}, refArgs(orig)...)
	r := feepos(t, "", append(args, "--reason", "Chỉ chứng thực 2 trang", "--fee", "P-CTBS=4000")...)
	require.Equal(t, 0, r.code, r.stderr)
	var res payments.ReplaceResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, int64(-2_000), res.Difference)
	require.NotNil(t, res.Refund)
	assert.Equal(t, int64(2_000), res.Refund.Amount)
	assert.Equal(t, payments.RefundPending, res.Refund.Status)
	assert.Equal(t, res.LedgerEntry, res.Refund.LedgerEntry)
	assert.Equal(t, []receipts.Line{{Name: "Phí chứng thực bản sao từ bản chính (2)", Kind: receipts.Phi, FeeCode: "P-CTBS", Amount: 4_000}}, res.Receipt.Lines)
	assert.Equal(t, "Bốn nghìn đồng", res.Receipt.TotalInWords)

	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	e, err := db.Entry(ctx, res.LedgerEntry)
	require.NoError(t, err)
	var debit, credit int64
	for _, l := range e.Lines {
		if l.Side == ledger.Debit {
			debit += l.Amount
		} else {
			credit += l.Amount
		}
	}
	assert.Equal(t, debit, credit, "balanced")
	require.Len(t, e.Lines, 2)
	assert.Equal(t, "3373", e.Lines[0].Account)
	assert.Equal(t, ledger.Debit, e.Lines[0].Side)
	assert.Equal(t, "P-CTBS", e.Lines[0].Dimensions.FeeCode)
	assert.Equal(t, "3388", e.Lines[1].Account)
	assert.Equal(t, ledger.Credit, e.Lines[1].Side)
	assert.Equal(t, int64(2_000), e.Lines[1].Amount)
	refunds, err := db.ReceiptRefunds(ctx, false)
	require.NoError(t, err)
	require.Len(t, refunds, 1)
	assert.Equal(t, int64(2_000), refunds[0].Amount)
	assert.Equal(t, orig.Number, refunds[0].OriginalNumber)
	assert.Equal(t, res.Receipt.Number, refunds[0].Number)
	assert.Equal(t, "Chỉ chứng thực 2 trang", refunds[0].Reason)

	// Higher than the replacement: refused, nothing issued.
	args = append([]string{"--db", path, "receipts", "replace"}, refArgs(res.Receipt)...)
	r = feepos(t, "", append(args, "--reason", "Thu thiếu", "--fee", "P-CTBS=8000")...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "Create a payment request for the further 4000 đồng")
	latest, err := db.Receipt(ctx, res.Receipt.Template, res.Receipt.Series, res.Receipt.Number)
	require.NoError(t, err)
	assert.Equal(t, receipts.Valid, latest.Status)

	// Usage: no change, no reason.
	r = feepos(t, "", append(args, "--reason", "x")...)
	assert.Equal(t, 2, r.code)
	r = feepos(t, "", append(args, "--payer-name", "x")...)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--reason is required")

	v := feepos(t, "", "--db", path, "receipts", "verify")
	require.Equal(t, 0, v.code, v.stderr+v.stdout)
}
