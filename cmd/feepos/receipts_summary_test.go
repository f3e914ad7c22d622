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

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// summaryCLI runs feepos with args.
func summaryCLI(t *testing.T, args ...string) result {
	t.Helper()
	return feepos(t, "", args...)
}

// summaryDB makes a database with two receipts of 01/07/2026, the second
// replacing the first, and one of the day after; the district's key (MST
// 0301234567, as UBND-Q1's) lies next to it as the demo key, so its
// summaries are signed.
func summaryDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	district, _ := twoKeys(t)
	keyFile, certFile := signing.DemoKeyPaths(path, signing.DemoOrgs[0])
	require.NoError(t, district.WritePEM(keyFile, certFile))
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
	assert.Contains(t, r.stdout, `<TaxCode>0301234567</TaxCode>`)
	assert.NotContains(t, r.stdout, "2026-07-02")
	district, police := twoKeys(t)
	require.NoError(t, receipts.VerifyXML([]byte(r.stdout), receipts.TrustCertificates(district.Certificate())))
	assert.Error(t, receipts.VerifyXML([]byte(r.stdout), receipts.TrustCertificates(police.Certificate())))

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
	assert.Equal(t, filepath.Join(drop, "01TH-BLDT_0301234567_20260701_LD.xlsx"), res.File)
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
	require.NoError(t, os.WriteFile(filepath.Join(drop, "01TH-BLDT_0301234567_20260701_LD.xml"), []byte("sent before"), 0o600))
	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--drop", drop)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "never overwritten")
	kept, _ := os.ReadFile(filepath.Join(drop, "01TH-BLDT_0301234567_20260701_LD.xml"))
	assert.Equal(t, "sent before", string(kept))

	out := filepath.Join(t.TempDir(), "s.xml")
	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-02", "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Ngày 02/07/2026: 1 biên lai, 1 dòng, tổng 80.000 đ")
	assert.Contains(t, r.stdout, "ký số bởi Ủy ban nhân dân Quận 1")
	x, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(x), `<Period type="day">2026-07-02</Period>`)
	district, _ := twoKeys(t)
	require.NoError(t, receipts.VerifyXML(x, receipts.TrustCertificates(district.Certificate())))
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

// issueDate is the business date a stored receipt was issued on.
func issueDate(t *testing.T, dbPath string, ref receipts.Ref) string {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	r, err := db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
	require.NoError(t, err)
	at, err := r.IssuedTime()
	require.NoError(t, err)
	return receipts.SummaryDate(at)
}

// configKeys is the keyring feepos builds from a config file.
func configKeys(t *testing.T, cfgPath, dbPath string) signing.Keys {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	keys, err := signing.ReceiptKeys(cfg.Receipts, dbPath)
	require.NoError(t, err)
	return keys
}

// Each organisation's summary is signed with its own key: the police's with
// the police certificate (its MST is the police's tax code), not the
// district's.
func TestReceiptsSummarySignedByTheOrganisationsKey(t *testing.T) {
	dbPath, cfg, refs := twoOrgDB(t, nil)
	date := issueDate(t, dbPath, refs[1])
	keys := configKeys(t, cfg, dbPath)
	district, police := twoKeys(t)

	for _, tc := range []struct {
		org  receipts.Series
		cert *receipts.KeySigner
	}{{q1Police, police}, {q1District, district}} {
		r := summaryCLI(t, "--db", dbPath, "--config", cfg, "receipts", "summary", "--org", tc.org.OrgCode, "--date", date)
		require.Equal(t, 0, r.code, r.stderr)
		doc := []byte(r.stdout)
		assert.Contains(t, r.stdout, "<TaxCode>"+tc.org.TaxCode+"</TaxCode>")
		require.NoError(t, receipts.VerifyXML(doc, keys.Trust()), tc.org.OrgCode)
		require.NoError(t, receipts.VerifyXML(doc, receipts.TrustCertificates(tc.cert.Certificate())), tc.org.OrgCode)
		cert, err := receipts.SigningCertificate(doc)
		require.NoError(t, err)
		assert.Equal(t, []string{tc.org.TaxCode}, receipts.CertificateTaxCodes(cert), tc.org.OrgCode)
	}

	// The police summary does not verify against the district's certificate.
	r := summaryCLI(t, "--db", dbPath, "--config", cfg, "receipts", "summary", "--org", q1Police.OrgCode, "--date", date)
	require.Equal(t, 0, r.code, r.stderr)
	err := receipts.VerifyXML([]byte(r.stdout), receipts.TrustCertificates(district.Certificate()))
	assert.ErrorContains(t, err, "not the trusted certificate")

	// Written to a file: what signed it, in the summary line and in JSON.
	out := filepath.Join(t.TempDir(), "ca.xml")
	r = summaryCLI(t, "--db", dbPath, "--config", cfg, "receipts", "summary", "--org", q1Police.OrgCode, "--date", date, "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "→ "+out+"; ký số bởi Công an Quận 1")
	r = summaryCLI(t, "--db", dbPath, "--config", cfg, "--json", "receipts", "summary", "--org", q1Police.OrgCode, "--date", date, "--out", out)
	require.Equal(t, 0, r.code, r.stderr)
	var res struct {
		Signed   bool   `json:"signed"`
		SignedBy string `json:"signed_by"`
		Key      string `json:"key"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, true, res.Signed)
	assert.Equal(t, "Công an Quận 1", res.SignedBy)
	assert.Equal(t, filepath.Join(filepath.Dir(cfg), "ca.key")+" (CA-Q1)", res.Key)
}

// Only the district's key is configured, as the default: it is not the
// police's certificate, so the police summary is refused, not signed by the
// wrong organisation.
func TestReceiptsSummaryRefusesAnotherOrganisationsKey(t *testing.T) {
	dbPath, cfg, refs := twoOrgDB(t, nil)
	dir := filepath.Dir(cfg)
	districtOnly := filepath.Join(dir, "district-only.toml")
	writeConfig(t, districtOnly, fmt.Sprintf("[receipts]\nkey_file = %q\ncert_file = %q\n", filepath.Join(dir, "ubnd.key"), filepath.Join(dir, "ubnd.crt")))
	date := issueDate(t, dbPath, refs[1])

	r := summaryCLI(t, "--db", dbPath, "--config", districtOnly, "receipts", "summary", "--org", q1Police.OrgCode, "--date", date)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, `the key for CA-Q1 is the certificate of "Ủy ban nhân dân Quận 1", tax code (MST) 0301234567, but CA-Q1 has tax code 0301234999-002`)
	assert.Contains(t, r.stderr, `add a [[receipts.signers]] entry with org_code = "CA-Q1"`)
	assert.Contains(t, r.stderr, "--unsigned")

	// The district's own summary is signed by the default key.
	r = summaryCLI(t, "--db", dbPath, "--config", districtOnly, "receipts", "summary", "--org", q1District.OrgCode, "--date", date)
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, receipts.VerifyXML([]byte(r.stdout), configKeys(t, districtOnly, dbPath).Trust()))
}

// Without any key the XML summary is refused, saying how to get one or to
// pass --unsigned; --unsigned writes it without a signature; the XLSX file
// never needs a key.
func TestReceiptsSummaryWithoutKey(t *testing.T) {
	dbPath := summaryDB(t)
	keyFile, certFile := signing.DemoKeyPaths(dbPath, signing.DemoOrgs[0])
	require.NoError(t, os.Remove(keyFile))
	require.NoError(t, os.Remove(certFile))
	drop := t.TempDir()

	r := summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--drop", drop)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "sign 01/TH-BLĐT of UBND-Q1: no signing key: set [receipts] p12_file")
	assert.Contains(t, r.stderr, "or pass --unsigned if your provider signs 01/TH-BLĐT itself")
	entries, err := os.ReadDir(drop)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is sent unsigned by mistake")

	r = summaryCLI(t, "--db", dbPath, "--json", "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--out", filepath.Join(drop, "s.xml"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `"code":"invalid"`)

	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--unsigned", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "chưa ký số (--unsigned)")
	x, err := os.ReadFile(filepath.Join(drop, "01TH-BLDT_0301234567_20260701_LD.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(x), `<Rows count="3">`)
	assert.NotContains(t, string(x), "Signature")
	assert.ErrorContains(t, receipts.VerifyXML(x, receipts.Trust{}), "not signed")

	r = summaryCLI(t, "--db", dbPath, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01", "--format", "xlsx", "--drop", drop)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "XLSX không ký số")
}
