package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Two organisations collecting at one centre: the district and the police.
var (
	q1District = receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, TP. Hồ Chí Minh", Letters: "AA"}
	q1Police = receipts.Series{OrgCode: "CA-Q1", OrgName: "Công an Quận 1", TaxCode: "0301234999-002",
		Address: "73 Yersin, TP. Hồ Chí Minh", Letters: "AB"}
)

var (
	twoKeysOnce               sync.Once
	districtKey, policeKey    *receipts.KeySigner
	districtKeyErr, policeErr error
)

// twoKeys are the organisations' demo signers, made once for the package.
func twoKeys(t *testing.T) (district, police *receipts.KeySigner) {
	t.Helper()
	twoKeysOnce.Do(func() {
		districtKey, districtKeyErr = receipts.GenerateDemoSigner(q1District.OrgName, q1District.TaxCode)
		policeKey, policeErr = receipts.GenerateDemoSigner(q1Police.OrgName, q1Police.TaxCode)
	})
	require.NoError(t, districtKeyErr)
	require.NoError(t, policeErr)
	return districtKey, policeKey
}

// twoOrgDB makes a database with both series, writes each organisation's
// key as PEM into its directory (ubnd.key/.crt, ca.key/.crt) and a config
// giving each its own [[receipts.signers]] entry, and issues a dossier's
// two receipts, one per organisation. With policeSignedBy set, the police
// receipt is signed with that key instead of its own.
func twoOrgDB(t *testing.T, policeSignedBy *receipts.KeySigner) (dbPath, cfgPath string, refs []receipts.Ref) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "f.db")
	district, police := twoKeys(t)
	require.NoError(t, district.WritePEM(filepath.Join(dir, "ubnd.key"), filepath.Join(dir, "ubnd.crt")))
	require.NoError(t, police.WritePEM(filepath.Join(dir, "ca.key"), filepath.Join(dir, "ca.crt")))
	cfgPath = filepath.Join(dir, "feepos.toml")
	writeConfig(t, cfgPath, fmt.Sprintf(`[receipts]
closure_org = "UBND-Q1"

[[receipts.signers]]
org_code = "UBND-Q1"
key_file = %q
cert_file = %q

[[receipts.signers]]
org_code = "CA-Q1"
key_file = %q
cert_file = %q
`, filepath.Join(dir, "ubnd.key"), filepath.Join(dir, "ubnd.crt"), filepath.Join(dir, "ca.key"), filepath.Join(dir, "ca.crt")))

	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	// The series exist since 5 January 2026, so that day can be closed.
	db.Now = func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, receipts.Zone) }
	for _, s := range []receipts.Series{q1District, q1Police} {
		_, err := db.CreateSeries(ctx, s)
		require.NoError(t, err)
	}
	db.Now = time.Now
	keys := receipts.NewKeyring(nil)
	require.NoError(t, keys.Add(q1District.OrgCode, district))
	require.NoError(t, keys.Add(q1Police.OrgCode, police))
	for _, org := range []string{q1District.OrgCode, q1Police.OrgCode} {
		nr := receipts.NewReceipt{OrgCode: org, Payer: receipts.Payer{Name: "Nguyễn Văn An"},
			Lines:        []receipts.Line{{Name: "Lệ phí " + org, Kind: receipts.LePhi, FeeCode: "LP-" + org, Amount: 50_000}},
			Total:        50_000,
			TotalInWords: "Năm mươi nghìn đồng", Method: receipts.Cash, DossierCode: "HS-1"}
		var k receipts.Keys = keys
		if org == q1Police.OrgCode && policeSignedBy != nil {
			k = policeSignedBy
		}
		r, _, err := db.IssueSignedReceipt(ctx, nr, k)
		require.NoError(t, err)
		refs = append(refs, r.Ref)
	}
	return dbPath, cfgPath, refs
}

func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
}

func TestReceiptsVerifyWithTwoSigners(t *testing.T) {
	dbPath, cfg, refs := twoOrgDB(t, nil)
	dir := filepath.Dir(cfg)

	// Each receipt carries its own organisation's certificate.
	for i, want := range []string{q1District.OrgName, q1Police.OrgName} {
		r := feepos(t, "", "--db", dbPath, "receipts", "xml", "EBL01", refs[i].Series, "1")
		require.Equal(t, 0, r.code, r.stderr)
		cert, err := receipts.SigningCertificate([]byte(r.stdout))
		require.NoError(t, err)
		assert.Equal(t, want, cert.Subject.CommonName)
	}

	r := feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Biên lai toàn vẹn: 2 biên lai, 2 đã ký, 0 bản chốt ngày (chữ ký bằng chứng thư số trong "+
		filepath.Join(dir, "ubnd.crt")+", "+filepath.Join(dir, "ca.crt")+")")

	// The closure is signed by closure_org's key, and verify holds after it.
	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "close", "--date", "2026-01-05")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ký số bởi Ủy ban nhân dân Quận 1 ("+filepath.Join(dir, "ubnd.key")+" (UBND-Q1))")
	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "2 biên lai, 2 đã ký, 1 bản chốt ngày")

	// Only the district's certificate: the police receipt is named.
	r = feepos(t, "", "--db", dbPath, "receipts", "verify", "--cert", filepath.Join(dir, "ubnd.crt"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+refs[1].String()+": signed by")
}

func TestReceiptsVerifyNamesReceiptSignedByAnotherOrganisation(t *testing.T) {
	district, _ := twoKeys(t)
	dbPath, cfg, refs := twoOrgDB(t, district)

	r := feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+refs[1].String()+`: signed with the certificate of "Ủy ban nhân dân Quận 1", tax code (MST) 0301234567, but the receipt's organisation CA-Q1 has tax code 0301234999-002`)

	r = feepos(t, "", "--db", dbPath, "--config", cfg, "--json", "receipts", "verify")
	assert.Equal(t, 1, r.code)
	var rep receipts.SignatureReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, refs[1].String(), rep.Bad)
	assert.EqualValues(t, 1, rep.Signed)
}

func TestReceiptsCloseChoosesClosureKey(t *testing.T) {
	dbPath, cfg, _ := twoOrgDB(t, nil)
	dir := filepath.Dir(cfg)
	body, err := os.ReadFile(cfg)
	require.NoError(t, err)

	// Two organisations, no default key and no closure_org: which one?
	noClosureOrg := filepath.Join(dir, "no-closure-org.toml")
	writeConfig(t, noClosureOrg, strings.Replace(string(body), "closure_org = \"UBND-Q1\"\n", "", 1))
	r := feepos(t, "", "--db", dbPath, "--config", noClosureOrg, "receipts", "close", "--date", "2026-01-05")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "set [receipts] closure_org to one of them")

	// closure_org names the police.
	police := filepath.Join(dir, "police.toml")
	writeConfig(t, police, strings.Replace(string(body), `closure_org = "UBND-Q1"`, `closure_org = "CA-Q1"`, 1))
	r = feepos(t, "", "--db", dbPath, "--config", police, "receipts", "close", "--date", "2026-01-05")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ký số bởi Công an Quận 1")
}

func TestReceiptsConfigNamesMissingSignerFile(t *testing.T) {
	dbPath, cfg, _ := twoOrgDB(t, nil)
	dir := filepath.Dir(cfg)
	require.NoError(t, os.Remove(filepath.Join(dir, "ca.crt")))

	r := feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `[[receipts.signers]] org_code "CA-Q1": cert_file `+filepath.Join(dir, "ca.crt")+" does not exist")

	r = feepos(t, "", "--db", dbPath, "--config", cfg, "receipts", "close", "--date", "2026-01-05")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `[[receipts.signers]] org_code "CA-Q1": cert_file`)

	dup := filepath.Join(dir, "dup.toml")
	writeConfig(t, dup, "[[receipts.signers]]\norg_code = \"CA-Q1\"\np12_file = \"a.p12\"\n[[receipts.signers]]\norg_code = \"CA-Q1\"\np12_file = \"b.p12\"\n")
	r = feepos(t, "", "--db", dbPath, "--config", dup, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `both have org_code "CA-Q1"`)

	// A p12 entry whose password variable is not set.
	p12 := filepath.Join(dir, "p12.toml")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.p12"), []byte("x"), 0o600))
	writeConfig(t, p12, "[[receipts.signers]]\norg_code = \"CA-Q1\"\np12_file = \""+filepath.Join(dir, "ca.p12")+"\"\np12_password_env = \"FEEPOS_TEST_UNSET_PASSWORD\"\n")
	r = feepos(t, "", "--db", dbPath, "--config", p12, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `[[receipts.signers]] org_code "CA-Q1" p12_password_env names FEEPOS_TEST_UNSET_PASSWORD, which is not set`)
}

// serve --demo registers two organisations, each with its series and its
// own key; a second start reuses both; each receipt verifies against its
// own organisation's certificate on the /verify page, and a police receipt
// signed with the district's key does not.
func TestServeDemoTwoOrganisations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feepos-data")
	dbPath := filepath.Join(dir, "feepos.db")
	files := []string{"demo-signing.key", "demo-signing.crt", "demo-signing-CA-DEMO.key", "demo-signing-CA-DEMO.crt"}

	log := serveUntil(t, nil, "--demo", "--db", dbPath)
	assert.Contains(t, log, "demo signing key created")
	assert.Contains(t, log, "org=CA-DEMO")
	before := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		before[f] = b
	}
	fi, err := os.Stat(filepath.Join(dir, "demo-signing-CA-DEMO.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	police, err := db.Series(ctx, "CA-DEMO")
	require.NoError(t, err)
	assert.Equal(t, "AB", police.Letters)
	assert.Equal(t, "Công an huyện Demo", police.OrgName)
	assert.Equal(t, "0100000002", police.TaxCode)

	// The keys serve made, as receipts close finds them next to the database.
	keys, err := signing.ReceiptKeys(config.Receipts{}, dbPath)
	require.NoError(t, err)
	assert.Equal(t, []string{"CA-DEMO"}, keys.Orgs())
	issue := func(org string, k receipts.Keys) receipts.Receipt {
		rc, _, err := db.IssueSignedReceipt(ctx, receipts.NewReceipt{OrgCode: org, Payer: receipts.Payer{Name: "Nguyễn Văn An"},
			Lines:        []receipts.Line{{Name: "Lệ phí", Kind: receipts.LePhi, FeeCode: "LP-1", Amount: 10000}},
			Total:        10000,
			TotalInWords: "Mười nghìn đồng", Method: receipts.Cash, DossierCode: "HS-DEMO-1"}, k)
		require.NoError(t, err)
		return rc
	}
	district := issue("UBND-DEMO", keys)
	own := issue("CA-DEMO", keys)
	wrong := issue("CA-DEMO", keys.Default())
	require.NoError(t, db.Close())

	page := func(base string, rc receipts.Receipt) string {
		resp, err := http.Get(receipts.VerifyURL(base, rc)) // with its lookup code, as the QR code
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	log = serveUntil(t, func(base string) {
		assert.Contains(t, page(base, district), "hợp lệ (đơn vị ký: Ủy ban nhân dân huyện Demo)")
		assert.Contains(t, page(base, own), "hợp lệ (đơn vị ký: Công an huyện Demo)")
		assert.Contains(t, page(base, wrong), "không hợp lệ: chứng thư số đã ký không phải của đơn vị thu")
	}, "--demo", "--db", dbPath)
	assert.NotContains(t, log, "demo signing key created")
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, before[f], b, "%s is reused", f)
	}

	// verify trusts both demo certificates and names the wrong receipt.
	r := feepos(t, "", "--db", dbPath, "receipts", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipt "+wrong.Ref.String()+": signed with the certificate of \"Ủy ban nhân dân huyện Demo\"")
}
