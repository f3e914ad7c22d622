package receipts_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/feepos/feepos/receipts"
)

// sealedReceipt is the rendering fixture with its hashes, as stored.
func sealedReceipt() receipts.Receipt {
	r := renderedReceipt()
	r.Seal(receipts.GenesisHash)
	return r
}

func TestReceiptXMLGolden(t *testing.T) {
	got, err := receipts.ReceiptXML(sealedReceipt())
	require.NoError(t, err)
	golden(t, "receipt.xml", got)

	again, err := receipts.ReceiptXML(sealedReceipt())
	require.NoError(t, err)
	assert.Equal(t, got, again, "the same receipt gives the same bytes")

	s := string(got)
	for _, want := range []string{
		`<Receipt xmlns="urn:feepos:receipt:1" version="1">`,
		"<Title>BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ</Title>",
		"<Series>26TAA</Series>", "<Number>123</Number>", "<IssueDate>2026-11-25</IssueDate>",
		"<SigningTime>2026-11-25T14:30:05+07:00</SigningTime>",
		"<PANMasked>422151******5678</PANMasked>", `<Total currency="VND">150000</Total>`,
		"<TotalInWords>Một trăm năm mươi nghìn đồng</TotalInWords>", `<Payment method="card">`,
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "<Replaces>")
	assert.NotContains(t, s, "<IDNumber>", "absent when not given")

	rep := renderedReplacement()
	rep.Seal(receipts.GenesisHash)
	got, err = receipts.ReceiptXML(rep)
	require.NoError(t, err)
	golden(t, "receipt_replacement.xml", got)
	assert.Contains(t, string(got), "<Replaces>")
	assert.NotContains(t, string(got), "replaced", "the status changes after issue and is not signed")
}

func TestReceiptXMLRefusesCharactersXMLCannotCarry(t *testing.T) {
	r := sealedReceipt()
	r.Payer.Name = "An\x01"
	_, err := receipts.ReceiptXML(r)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "U+0001")
}

var (
	demoOnce   sync.Once
	demoSigner *receipts.KeySigner
)

// testSigner is one demo signer for the package's tests (RSA key
// generation takes a while under -race).
func testSigner(t *testing.T) *receipts.KeySigner {
	t.Helper()
	demoOnce.Do(func() {
		var err error
		demoSigner, err = receipts.GenerateDemoSigner("Ủy ban nhân dân phường Hoàn Kiếm", "0101234567")
		if err != nil {
			panic(err)
		}
	})
	return demoSigner
}

func signedReceipt(t *testing.T) (receipts.Receipt, []byte) {
	t.Helper()
	r := sealedReceipt()
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	signed, err := testSigner(t).SignXML(doc)
	require.NoError(t, err)
	return r, signed
}

func TestSignThenVerify(t *testing.T) {
	r, signed := signedReceipt(t)
	s := string(signed)
	assert.Contains(t, s, `Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`)
	assert.Contains(t, s, `Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"`)
	assert.Contains(t, s, `Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"`)
	assert.Contains(t, s, "<ds:X509Certificate>")
	assert.True(t, strings.HasSuffix(s, "</ds:Signature></Receipt>\n"), "the signature is the root's last child")

	trust := receipts.TrustCertificates(testSigner(t).Certificate())
	require.NoError(t, receipts.VerifyXML(signed, trust))
	require.NoError(t, receipts.VerifyXML(signed, receipts.Trust{}))
	require.NoError(t, receipts.CheckSignedReceipt(signed, r, trust))

	pool := x509.NewCertPool()
	pool.AddCert(testSigner(t).Certificate())
	require.NoError(t, receipts.VerifyXML(signed, receipts.Trust{Roots: pool}), "a self-signed certificate is its own root")

	other, err := receipts.GenerateDemoSigner("Kẻ giả mạo", "0109999999")
	require.NoError(t, err)
	err = receipts.VerifyXML(signed, receipts.TrustCertificates(other.Certificate()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "receipt 26TAA-00000123: signed by")
	assert.Contains(t, err.Error(), "not the trusted certificate")
}

func TestVerifyNamesAChangedByte(t *testing.T) {
	r, signed := signedReceipt(t)
	trust := receipts.TrustCertificates(testSigner(t).Certificate())

	// One byte of the amount: 150000 → 150001.
	changed := bytes.Replace(signed, []byte(`<Total currency="VND">150000<`), []byte(`<Total currency="VND">150001<`), 1)
	require.NotEqual(t, signed, changed)
	err := receipts.VerifyXML(changed, trust)
	require.Error(t, err)
	assert.Equal(t, "receipt 26TAA-00000123: the signed content was changed after signing (its digest no longer matches the signature)", err.Error())
	var se *receipts.SignatureError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "receipt 26TAA-00000123", se.Doc)

	// One byte of the signature value.
	i := bytes.Index(signed, []byte("<ds:SignatureValue>")) + len("<ds:SignatureValue>") + 10
	changed = bytes.Clone(signed)
	if changed[i] == 'A' {
		changed[i] = 'B'
	} else {
		changed[i] = 'A'
	}
	err = receipts.VerifyXML(changed, trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "receipt 26TAA-00000123: the signature value does not match")

	// The signed XML is intact but the stored receipt says otherwise.
	stored := r
	stored.Payer.Name = "Nguyễn Thị Hồng Nhung B"
	err = receipts.CheckSignedReceipt(signed, stored, trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `receipt 26TAA-00000123: its signed XML no longer matches the stored receipt: /Receipt/Payer/Name: signed "Nguyễn Thị Hồng Nhung", stored "Nguyễn Thị Hồng Nhung B"`)

	// No signature at all.
	unsigned, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	err = receipts.VerifyXML(unsigned, trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "receipt 26TAA-00000123: not signed")
}

func TestPKCS12RoundTrip(t *testing.T) {
	demo := testSigner(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, err = pkcs12.Modern.Encode(key, demo.Certificate(), nil, "mật-khẩu")
	require.NoError(t, err)

	// A p12 of a fresh key and its own certificate.
	src, err := receipts.GenerateDemoSigner("Công an Quận 1", "0301234999-002")
	require.NoError(t, err)
	p12, err := pkcs12.Modern.Encode(src.PrivateKey(), src.Certificate(), nil, "mật-khẩu")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "org.p12")
	require.NoError(t, os.WriteFile(path, p12, 0o600))

	s, err := receipts.LoadPKCS12(path, "mật-khẩu")
	require.NoError(t, err)
	assert.True(t, s.Certificate().Equal(src.Certificate()))
	doc, err := receipts.ReceiptXML(sealedReceipt())
	require.NoError(t, err)
	signed, err := s.SignXML(doc)
	require.NoError(t, err)
	require.NoError(t, receipts.VerifyXML(signed, receipts.TrustCertificates(src.Certificate())))

	_, err = receipts.LoadPKCS12(path, "sai")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wrong password")

	// A key that is not the certificate's is refused.
	bad, err := pkcs12.Modern.Encode(key, src.Certificate(), nil, "x")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, bad, 0o600))
	_, err = receipts.LoadPKCS12(path, "x")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not belong to the certificate")
}

func TestPEMRoundTrip(t *testing.T) {
	src := testSigner(t)
	dir := t.TempDir()
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	require.NoError(t, src.WritePEM(keyFile, certFile))
	s, err := receipts.LoadPEM(keyFile, certFile)
	require.NoError(t, err)
	assert.True(t, s.Certificate().Equal(src.Certificate()))
	certs, err := receipts.LoadCertificates(certFile)
	require.NoError(t, err)
	require.Len(t, certs, 1)
}

func TestClosureSignedAndVerified(t *testing.T) {
	c := receipts.Closure{BusinessDate: "2026-11-25", ClosedAt: "2026-11-25T17:05:00Z", Count: 2, Total: 158000,
		Series: []receipts.ClosureSeries{{Template: "EBL01", Letters: "AA", OrgCode: "UBND-HK", TaxCode: "0101234567",
			Count: 2, Total: 158000, FirstNumber: 4, LastNumber: 5, HeadSeries: "26TAA", HeadNumber: 5, Head: strings.Repeat("ab", 32)}}}
	doc, err := receipts.ClosureXML(c)
	require.NoError(t, err)
	golden(t, "closure.xml", doc)
	signed, err := testSigner(t).SignXML(doc)
	require.NoError(t, err)
	trust := receipts.TrustCertificates(testSigner(t).Certificate())
	require.NoError(t, receipts.CheckSignedClosure(signed, c, trust))

	other := c
	other.Series = []receipts.ClosureSeries{c.Series[0]}
	other.Series[0].Head = strings.Repeat("cd", 32)
	err = receipts.CheckSignedClosure(signed, other, trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "closure of 2026-11-25: its signed XML no longer matches the receipts stored for that date: /DailyClosure/Series/Head/Hash")

	err = receipts.VerifyXML(bytes.Replace(signed, []byte("<Count>2</Count>"), []byte("<Count>3</Count>"), 1), trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "closure of 2026-11-25: the signed content was changed")
}

// SignReceipt signs the tree it builds; the bytes are those of signing the
// written document (RSA PKCS #1 v1.5 is deterministic), for receipts with
// and without card, address, replacement or escaped text.
func TestSignReceiptEqualsSignXMLOfReceiptXML(t *testing.T) {
	s := testSigner(t)
	tricky := renderedReceipt()
	tricky.Payer.Name = `Nguyễn "A" & <B> 'C'`
	tricky.Lines[0].Name = "Lệ phí\tchứng thực"
	for name, r := range map[string]receipts.Receipt{"sealed": sealedReceipt(), "rendered": renderedReceipt(), "tricky": tricky} {
		doc, err := receipts.ReceiptXML(r)
		require.NoError(t, err, name)
		want, err := s.SignXML(doc)
		require.NoError(t, err, name)
		got, err := receipts.SignReceipt(r, s)
		require.NoError(t, err, name)
		require.Equal(t, string(want), string(got), name)
		require.NoError(t, receipts.CheckSignedReceipt(got, r, receipts.TrustCertificates(s.Certificate())), name)
	}
}
