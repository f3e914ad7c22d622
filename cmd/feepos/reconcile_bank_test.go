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

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/reconcile"
)

// camt053Of is a camt.053.001.08 statement of one VND account for date:
// OPBD opening, one booked credit per net, CLBD = opening + nets.
func camt053Of(date string, opening int64, nets ...int64) string {
	closing := opening
	var entries strings.Builder
	for i, n := range nets {
		closing += n
		fmt.Fprintf(&entries, `<Ntry><Amt Ccy="VND">%d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>%s</Dt></BookgDt><AcctSvcrRef>FT%s%03d</AcctSvcrRef><AddtlNtryInf>Thanh toán thẻ</AddtlNtryInf></Ntry>
`, n, date, strings.ReplaceAll(date, "-", ""), i+1)
	}
	bal := func(code string, v int64) string {
		return fmt.Sprintf(`<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="VND">%d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>
`, code, v, date)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M-` + date + `</MsgId><CreDtTm>` + date + `T23:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>S-` + date + `</Id><Acct><Id><Othr><Id>12010000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
` + bal("OPBD", opening) + bal("CLBD", closing) + entries.String() + `</Stmt></BkToCstmrStmt></Document>
`
}

// TestReconcileRunWithBankStatement: the contract's command with a
// settlement CSV and a camt.053 bank statement of the same day, where
// everything agrees (ledger ↔ acquirer, acquirer net ↔ bank credit, the
// bank's closing balance ↔ the ledger's bank account): no exception, one
// posting, and a re-run posts nothing twice. Bad bank files are refused
// with their rows and write nothing.
func TestReconcileRunWithBankStatement(t *testing.T) {
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
	var net int64
	for i, amount := range []int64{150_000, 2_500_000} {
		trace := 201 + i
		req, _, err := svc.CreateRequest(ctx, dossiers, fmt.Sprint("B", i), payments.NewRequest{DossierCode: fmt.Sprint("HS-B", i),
			Payer: payments.Payer{Name: "Phạm Văn Cường"}, Items: []payments.NewItem{{FeeCode: "TSDD", Amount: amount}}})
		require.NoError(t, err)
		_, err = svc.RecordCardResult(ctx, cashier, req.ID, "T1", payments.TerminalResult{TraceNo: fmt.Sprint(trace),
			ApprovalCode: fmt.Sprintf("AP%04d", trace), PANMasked: "970436******1234", TerminalID: "T0000001", CardType: "NAPAS"})
		require.NoError(t, err)
		fee := amount * 11 / 1000
		fmt.Fprintf(&csv, "%s,T0000001,MID1,000021,%d,RRN%d,AP%04d,970436******1234,NAPAS,SALE,%sT10:00:00,%d,%d,%d,VND\n",
			day, trace, trace, trace, day, amount, fee, amount-fee)
		net += amount - fee
	}
	svc.Close()
	require.NoError(t, store.Close())
	settlement := filepath.Join(dir, "quyet-toan.csv")
	require.NoError(t, os.WriteFile(settlement, []byte(csv.String()), 0o600))
	statement := filepath.Join(dir, "sao-ke.xml")
	good := camt053Of(day, 0, net)
	require.NoError(t, os.WriteFile(statement, []byte(good), 0o600))

	count := func(table string) int {
		store, err := sqlite.OpenReadOnly(ctx, path)
		require.NoError(t, err)
		defer store.Close()
		var n int
		require.NoError(t, store.SQL().GetContext(ctx, &n, "SELECT COUNT(*) FROM "+table))
		return n
	}

	// Bad bank files: truncated XML; a non-numeric amount and a balance
	// that does not add up. Refused with their rows, nothing written.
	truncated := filepath.Join(dir, "cut.xml")
	require.NoError(t, os.WriteFile(truncated, []byte(good[:len(good)/2]), 0o600))
	r := feepos(t, "", "--db", path, "reconcile", "import", truncated, "--format", "camt053")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "nothing was written")
	broken := filepath.Join(dir, "broken.xml")
	require.NoError(t, os.WriteFile(broken, []byte(strings.Replace(good, fmt.Sprintf(`<Amt Ccy="VND">%d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>`, net),
		`<Amt Ccy="VND">12x34</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>`, 1)), 0o600))
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--settlement", settlement, "--bank", broken, "--json")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, "12x34", "the bad row is named")
	assert.Equal(t, 0, count("reconcile_bank_entries"), "nothing of a bad bank file is written")
	assert.Equal(t, 0, count("reconcile_bank_balances"))
	assert.Equal(t, 0, count("reconcile_runs"), "no run on a refused file")

	// The contract's command; --format names the bank file's format, the
	// settlement file is detected.
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--settlement", settlement, "--bank", statement, "--format", "camt053", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep reconcile.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Empty(t, rep.Exceptions, "everything agrees: %+v", rep.Exceptions)
	assert.Equal(t, 2, rep.Summary.MatchedCount)
	assert.Equal(t, net, rep.Summary.NetAmount)
	var formats []string
	for _, s := range rep.Sources {
		formats = append(formats, s.Format)
	}
	assert.ElementsMatch(t, []string{"csv", "camt053"}, formats)
	var bankMatch bool
	for _, m := range rep.Matches {
		bankMatch = bankMatch || (m.Rule == "batch_net" && len(m.Bank) == 1)
	}
	assert.True(t, bankMatch, "the bank credit is the batch's net: %s", r.stdout)
	assert.Equal(t, 1, count(`ledger_entries WHERE idempotency_key LIKE 'reconcile-settlement:%'`))

	// Again, files and all: both are reported as imported before, the
	// report is the same, and nothing is posted twice.
	r = feepos(t, "", "--db", path, "reconcile", "run", "--date", day, "--settlement", settlement, "--bank", statement, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stderr, "already imported on"), r.stderr)
	var again reconcile.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &again))
	assert.Empty(t, again.Exceptions)
	assert.Equal(t, rep.Summary, again.Summary)
	assert.Equal(t, 1, count(`ledger_entries WHERE idempotency_key LIKE 'reconcile-settlement:%'`), "re-running posts nothing twice")
	assert.Equal(t, 2, count("reconcile_files"))
}
