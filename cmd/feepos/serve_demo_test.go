package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// serveUntil runs serve with args on a free port, waits until it answers,
// calls during with its base URL, then stops it and returns its log.
func serveUntil(t *testing.T, during func(base string), args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var serveErr bytes.Buffer
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), strings.NewReader(""), &bytes.Buffer{}, &serveErr)
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}, time.Minute, 20*time.Millisecond, "serve did not answer")
	if during != nil {
		during(base)
	}
	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, serveErr.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop when its context ended")
	}
	return serveErr.String()
}

func TestServeDemoMakesSigningKeyAndSeries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feepos-data")
	dbPath := filepath.Join(dir, "feepos.db")
	keyFile, certFile := filepath.Join(dir, "demo-signing.key"), filepath.Join(dir, "demo-signing.crt")

	log := serveUntil(t, nil, "--demo", "--db", dbPath)
	assert.Contains(t, log, "demo signing key created")
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	cert1, err := os.ReadFile(certFile)
	require.NoError(t, err)
	key1, err := os.ReadFile(keyFile)
	require.NoError(t, err)

	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	series, err := db.Series(ctx, "UBND-DEMO")
	require.NoError(t, err)
	assert.Equal(t, "AA", series.Letters)
	assert.Equal(t, "Ủy ban nhân dân huyện Demo", series.OrgName)

	// The demo payments: a card payment of a dossier with fees of both
	// organisations (one entry, two receipts) and a cash one.
	year := receipts.YearOf(time.Now())
	aa, ab := receipts.SeriesSymbol(year, "AA"), receipts.SeriesSymbol(year, "AB")
	assert.Contains(t, log, "demo receipt issued")
	assert.Regexp(t, `verify="http://127\.0\.0\.1:\d+/verify/EBL01/`+ab+`/00000001\?c=[0-9A-Z]{10}"`, log, "the full address, with the lookup code")
	card, err := db.Receipt(ctx, receipts.Template, aa, 1)
	require.NoError(t, err)
	police, err := db.Receipt(ctx, receipts.Template, ab, 1)
	require.NoError(t, err)
	cash, err := db.Receipt(ctx, receipts.Template, aa, 2)
	require.NoError(t, err)
	assert.Equal(t, card.DossierCode, police.DossierCode, "one dossier, a receipt per organisation")
	assert.Equal(t, receipts.Card, police.Method)
	assert.Equal(t, "411111******1111", police.Card.PANMasked)
	assert.Equal(t, "Công an huyện Demo", police.Org.Name)
	assert.Equal(t, receipts.Cash, cash.Method)
	assert.EqualValues(t, 100_000+20_000, card.Total+police.Total)
	assert.Equal(t, "Một trăm nghìn đồng", card.TotalInWords)
	demoTrust := receipts.Trust{}
	for _, f := range []string{certFile, filepath.Join(dir, "demo-signing-CA-DEMO.crt")} {
		certs, err := receipts.LoadCertificates(f)
		require.NoError(t, err)
		demoTrust.Certs = append(demoTrust.Certs, certs...)
	}
	srep, err := db.VerifyReceiptSignatures(ctx, demoTrust)
	require.NoError(t, err)
	require.True(t, srep.OK, "%+v", srep)
	assert.EqualValues(t, 3, srep.Signed)
	lrep, err := db.Verify(ctx)
	require.NoError(t, err)
	require.True(t, lrep.OK, "%+v", lrep)
	assert.EqualValues(t, 2, lrep.Entries, "one ledger entry per demo payment")

	// A receipt signed with the demo key, for the page of the second start.
	signer, err := receipts.LoadPEM(keyFile, certFile)
	require.NoError(t, err)
	rc, _, err := db.IssueSignedReceipt(ctx, receipts.NewReceipt{OrgCode: "UBND-DEMO", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
		Lines:        []receipts.Line{{Name: "Lệ phí chứng thực", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 10000}},
		Total:        10000,
		TotalInWords: "Mười nghìn đồng", Method: receipts.Cash, DossierCode: "HS-DEMO-1"}, signer)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// The second start reuses the key and the series.
	log = serveUntil(t, func(base string) {
		require.EqualValues(t, 3, rc.Number, "after the two demo receipts of the district")
		resp, err := http.Get(receipts.VerifyURL(base, rc))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(body), "<dt>Chữ ký số</dt><dd>hợp lệ (đơn vị ký: Ủy ban nhân dân huyện Demo)</dd>")

		resp, err = http.Get(receipts.VerifyURL(base, rc) + "&format=json")
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		resp.Body.Close()
		assert.Equal(t, "valid", got["signature"])
	}, "--demo", "--db", dbPath)
	assert.Contains(t, log, "demo signing key loaded")
	assert.NotContains(t, log, "demo signing key created")
	assert.NotContains(t, log, "demo receipt issued", "the demo payments are made once")
	cert2, err := os.ReadFile(certFile)
	require.NoError(t, err)
	key2, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	assert.Equal(t, cert1, cert2)
	assert.Equal(t, key1, key2)

	// Without --demo and without [receipts], serve says receipts are not signed.
	log = serveUntil(t, nil, "--db", filepath.Join(t.TempDir(), "f.db"))
	assert.Contains(t, log, "receipts will not be signed")
}

func TestServeDemoRefusesHalfAKeyPair(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo-signing.crt"), []byte("x"), 0o644))
	r := feepos(t, "", "serve", "--demo", "--db", filepath.Join(dir, "f.db"), "--addr", freeAddr(t))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "found only one of")
}

func TestReceiptsClose(t *testing.T) {
	dbPath, certPath, _ := signedReceiptsDB(t, 0)
	dir := filepath.Dir(dbPath)
	today := time.Now().In(receipts.Zone).Format(time.DateOnly)
	yesterday := time.Now().In(receipts.Zone).AddDate(0, 0, -1).Format(time.DateOnly)

	// No key configured and no demo key: how to configure one.
	r := feepos(t, "", "--db", dbPath, "receipts", "close", "--date", yesterday)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no signing key: set [receipts] p12_file")
	assert.Contains(t, r.stderr, "feepos serve --demo")

	r = feepos(t, "", "--db", dbPath, "receipts", "close")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--date is required")
	r = feepos(t, "", "--db", dbPath, "receipts", "close", "--date", "01/07/2026")
	assert.Equal(t, 2, r.code)

	cfg := filepath.Join(dir, "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\nkey_file = \""+filepath.Join(dir, "key.pem")+"\"\ncert_file = \""+certPath+"\"\n"), 0o600))

	// Today is not over.
	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "close", "--date", today)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "business date "+today+" is not over yet")
	// A day before the series was created had nothing to close.
	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "close", "--date", "1900-01-01")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "business date 1900-01-01 is before ")
	assert.Contains(t, r.stderr, "the first day with a receipt series: there is nothing to close on it; close a date from ")

	r = feepos(t, "", "--db", dbPath, "--config", cfg, "--json", "receipts", "close", "--date", yesterday)
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		receipts.Closure
		SignedBy string `json:"signed_by"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, yesterday, got.BusinessDate)
	assert.EqualValues(t, 0, got.Count) // the receipts were issued today
	assert.Equal(t, "Ủy ban nhân dân Quận 1", got.SignedBy)

	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "close", "--date", yesterday)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "already closed")

	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "3 biên lai, 3 đã ký, 1 bản chốt ngày")
}

func TestReceiptsCloseUsesDemoKey(t *testing.T) {
	dir := t.TempDir()
	dbPath := createDatabase(t, filepath.Join(dir, "f.db"))
	signer, err := receipts.GenerateDemoSigner("Ủy ban nhân dân huyện Demo", "0100000001")
	require.NoError(t, err)
	require.NoError(t, signer.WritePEM(filepath.Join(dir, "demo-signing.key"), filepath.Join(dir, "demo-signing.crt")))

	// An empty database has no day to close.
	r := feepos(t, "", "--db", dbPath, "receipts", "close", "--date", "2026-01-05")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no receipt series exists yet")
	// A series created on 5 January 2026, with no receipt yet.
	db, err := sqlite.Open(context.Background(), dbPath)
	require.NoError(t, err)
	db.Now = func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, receipts.Zone) }
	_, err = db.CreateSeries(context.Background(), receipts.Series{OrgCode: "UBND-DEMO", OrgName: "Ủy ban nhân dân huyện Demo",
		TaxCode: "0100000001", Address: "Demo", Letters: "AA"})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	r = feepos(t, "", "--db", dbPath, "receipts", "close", "--date", "2026-01-05")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã chốt ngày 05/01/2026: 0 biên lai, tổng 0 đ; ký số bởi Ủy ban nhân dân huyện Demo")
	assert.Contains(t, r.stdout, "(demo key)")

	// verify trusts the demo certificate next to the database.
	r = feepos(t, "", "--db", dbPath, "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 bản chốt ngày (chữ ký bằng chứng thư số mẫu trong "+filepath.Join(dir, "demo-signing.crt")+")")
}
