package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// signedReceiptsDB makes a database with three receipts of the district's
// series, signed by a demo key whose certificate it writes to cert.pem, and,
// when unsigned > 0, receipt number unsigned issued without a signature.
func signedReceiptsDB(t *testing.T, unsigned int64) (dbPath, certPath string, refs []receipts.Ref) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "f.db")
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	// The series was created the day before, so that day can be closed.
	db.Now = func() time.Time { return time.Now().AddDate(0, 0, -1) }
	_, err = db.CreateSeries(ctx, receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, TP. Hồ Chí Minh", Letters: "AA"})
	require.NoError(t, err)
	db.Now = time.Now
	signer, err := receipts.GenerateDemoSigner("Ủy ban nhân dân Quận 1", "0301234567")
	require.NoError(t, err)
	certPath = filepath.Join(dir, "cert.pem")
	require.NoError(t, signer.WritePEM(filepath.Join(dir, "key.pem"), certPath))
	for i := int64(1); i <= 3; i++ {
		nr := receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
			Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: 8000 * i}},
			Total:        8000 * i,
			TotalInWords: "(bằng chữ)", Method: receipts.Cash, DossierCode: fmt.Sprintf("HS-%d", i)}
		var r receipts.Receipt
		if i == unsigned {
			r, err = db.IssueReceipt(ctx, nr)
		} else {
			r, _, err = db.IssueSignedReceipt(ctx, nr, signer)
		}
		require.NoError(t, err)
		refs = append(refs, r.Ref)
	}
	return dbPath, certPath, refs
}

func TestReceiptsVerifyAndXML(t *testing.T) {
	db, cert, refs := signedReceiptsDB(t, 0)
	r := feepos(t, "", "--db", db, "receipts", "verify", "--cert", cert)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Biên lai toàn vẹn: 3 biên lai, 3 đã ký, 0 bản chốt ngày (chữ ký bằng chứng thư số trong "+cert+")")

	r = feepos(t, "", "--db", db, "--json", "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	var rep receipts.SignatureReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.True(t, rep.OK)
	assert.EqualValues(t, 3, rep.Signed)
	assert.Contains(t, rep.Trust, "no trusted certificate configured")

	// The trusted certificate from the config file.
	cfg := filepath.Join(t.TempDir(), "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\ncert_file = \""+cert+"\"\n"), 0o644))
	r = feepos(t, "", "--db", db, "--config", cfg, "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)

	// Another organisation's certificate is not trusted.
	other, err := receipts.GenerateDemoSigner("Khác", "0109999999")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, other.WritePEM(filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")))
	r = feepos(t, "", "--db", db, "receipts", "verify", "--cert", filepath.Join(dir, "c.pem"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+refs[0].String()+": signed by")

	r = feepos(t, "", "--db", db, "receipts", "xml", "EBL01", refs[1].Series, "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "<Number>2</Number>")
	require.NoError(t, receipts.VerifyXML([]byte(r.stdout), receipts.Trust{}))

	r = feepos(t, "", "--db", db, "receipts", "xml", "EBL01", refs[1].Series, "9")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "does not exist")
	r = feepos(t, "", "--db", db, "receipts", "xml", "EBL01", refs[1].Series, "x")
	assert.Equal(t, 2, r.code)
}

func TestReceiptsVerifyNamesChangedReceipt(t *testing.T) {
	db, cert, refs := signedReceiptsDB(t, 0)
	tamper(t, db, `DROP TRIGGER receipts_no_update`, `UPDATE receipts SET payer_name = 'Người khác' WHERE number = 2`)
	r := feepos(t, "", "--db", db, "receipts", "verify", "--cert", cert)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+refs[1].String()+": content changed after issue")
	assert.Empty(t, r.stdout)

	r = feepos(t, "", "--db", db, "--json", "receipts", "verify", "--cert", cert)
	assert.Equal(t, 1, r.code)
	var rep receipts.SignatureReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.False(t, rep.OK)
	assert.Equal(t, refs[1].String(), rep.Bad)
}

func TestReceiptsVerifyNamesUnsignedReceipt(t *testing.T) {
	db, cert, refs := signedReceiptsDB(t, 3)
	r := feepos(t, "", "--db", db, "receipts", "verify", "--cert", cert)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+refs[2].String()+" is not signed")
}

func TestReceiptsConfigRefusesHalfAKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\nkey_file = \"k.pem\"\n"), 0o644))
	r := feepos(t, "", "--db", filepath.Join(t.TempDir(), "f.db"), "--config", cfg, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "key_file needs cert_file")
}
