package receipts_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

var (
	policeOnce   sync.Once
	policeSigner *receipts.KeySigner
)

// policeOrg is a vertical agency collecting at the same centre as the
// district of the rendering fixture.
var policeOrg = receipts.Organisation{Code: "CA-HK", Name: "Công an phường Hoàn Kiếm", TaxCode: "0101234999-002",
	Address: "Số 1 phố Hàng Trống, Hà Nội"}

// testPoliceSigner is the agency's own demo signer, made once.
func testPoliceSigner(t *testing.T) *receipts.KeySigner {
	t.Helper()
	policeOnce.Do(func() {
		var err error
		policeSigner, err = receipts.GenerateDemoSigner(policeOrg.Name, policeOrg.TaxCode)
		if err != nil {
			panic(err)
		}
	})
	return policeSigner
}

// policeReceipt is the rendering fixture issued in the agency's series.
func policeReceipt() receipts.Receipt {
	r := renderedReceipt()
	r.Ref.Series = "26TAB"
	r.Org, r.OrgCode = policeOrg, policeOrg.Code
	r.Seal(receipts.GenesisHash)
	return r
}

func signWith(t *testing.T, s receipts.Signer, r receipts.Receipt) []byte {
	t.Helper()
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	signed, err := s.SignXML(doc)
	require.NoError(t, err)
	return signed
}

// certFor makes a self-signed certificate of district's key with this
// subject, for the tax code tests (no new RSA key).
func certFor(t *testing.T, subject pkix.Name) *receipts.KeySigner {
	t.Helper()
	key := testSigner(t).PrivateKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	s, err := receipts.NewSigner(key, cert)
	require.NoError(t, err)
	return s
}

var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

func TestKeyringSignerFor(t *testing.T) {
	district, police := testSigner(t), testPoliceSigner(t)

	k := receipts.NewKeyring(district)
	require.NoError(t, k.Add(policeOrg.Code, police))
	s, err := k.SignerFor(policeOrg.Code)
	require.NoError(t, err)
	assert.Same(t, police, s)
	s, err = k.SignerFor("UBND-HK")
	require.NoError(t, err)
	assert.Same(t, district, s, "an organisation without its own key: the default signer")
	assert.Equal(t, []string{"CA-HK"}, k.Orgs())
	assert.Equal(t, 2, k.Len())

	// Without a default, an organisation without a key is named.
	k = receipts.NewKeyring(nil)
	require.NoError(t, k.Add("UBND-HK", district))
	_, err = k.SignerFor("POLICE")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no signing key for organisation POLICE: add a [[receipts.signers]] entry with org_code = "POLICE"`)
	assert.Contains(t, err.Error(), "keys are configured for UBND-HK")
	var re *receipts.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, receipts.EInvalid, re.Code)

	err = k.Add(" UBND-HK ", police)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "organisation UBND-HK has two signing keys")
	require.Error(t, k.Add("", police))
	require.Error(t, k.Add("X", nil))
}

func TestKeyringTrustAcceptsEachSigner(t *testing.T) {
	district, police := testSigner(t), testPoliceSigner(t)
	k := receipts.NewKeyring(district)
	require.NoError(t, k.Add(policeOrg.Code, police))
	require.NoError(t, k.Add("UBND-HK", district)) // the same certificate twice is trusted once
	certs := k.Certificates()
	require.Len(t, certs, 2)
	assert.True(t, certs[0].Equal(district.Certificate()), "the default first")
	assert.True(t, certs[1].Equal(police.Certificate()))

	trust := k.Trust()
	r, signed := signedReceipt(t)
	require.NoError(t, receipts.CheckSignedReceipt(signed, r, trust))
	pr := policeReceipt()
	require.NoError(t, receipts.CheckSignedReceipt(signWith(t, police, pr), pr, trust))

	other, err := receipts.GenerateDemoSigner("Khác", "0109999999")
	require.NoError(t, err)
	err = receipts.VerifyXML(signWith(t, other, r), trust)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not the trusted certificate")
}

func TestKeyringClosureSigner(t *testing.T) {
	district, police := testSigner(t), testPoliceSigner(t)

	// The default signer, when there is one.
	k := receipts.NewKeyring(district)
	require.NoError(t, k.Add(policeOrg.Code, police))
	s, org, err := k.ClosureSigner()
	require.NoError(t, err)
	assert.Same(t, district, s)
	assert.Empty(t, org)

	// closure_org wins over the default.
	require.NoError(t, k.SetClosureOrg(policeOrg.Code))
	s, org, err = k.ClosureSigner()
	require.NoError(t, err)
	assert.Same(t, police, s)
	assert.Equal(t, policeOrg.Code, org)
	err = k.SetClosureOrg("NOPE")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `closure_org "NOPE" has no signing key`)

	// The only organisation.
	k = receipts.NewKeyring(nil)
	require.NoError(t, k.Add(policeOrg.Code, police))
	s, org, err = k.ClosureSigner()
	require.NoError(t, err)
	assert.Same(t, police, s)
	assert.Equal(t, policeOrg.Code, org)

	// Two organisations, no default, no closure_org.
	require.NoError(t, k.Add("UBND-HK", district))
	_, _, err = k.ClosureSigner()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set [receipts] closure_org to one of them")
	require.NoError(t, k.SetClosureOrg("UBND-HK"))
	s, _, err = k.ClosureSigner()
	require.NoError(t, err)
	assert.Same(t, district, s)

	_, _, err = receipts.NewKeyring(nil).ClosureSigner()
	require.Error(t, err)
}

// A receipt of the police signed with the district's key is refused even
// though both certificates are trusted: the certificate's MST is not the
// receipt's organisation's.
func TestCheckSignedReceiptRefusesAnotherOrganisationsCertificate(t *testing.T) {
	district, police := testSigner(t), testPoliceSigner(t)
	k := receipts.NewKeyring(district)
	require.NoError(t, k.Add(policeOrg.Code, police))
	pr := policeReceipt()
	signed := signWith(t, district, pr)

	require.NoError(t, receipts.VerifyXML(signed, k.Trust()), "the signature itself holds")
	for _, trust := range []receipts.Trust{k.Trust(), {}} {
		err := receipts.CheckSignedReceipt(signed, pr, trust)
		require.Error(t, err)
		var se *receipts.SignatureError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "receipt 26TAB-00000123", se.Doc)
		assert.Equal(t, `receipt 26TAB-00000123: signed with the certificate of "Ủy ban nhân dân phường Hoàn Kiếm", tax code (MST) 0101234567, but the receipt's organisation CA-HK has tax code 0101234999-002: each organisation signs its receipts with its own certificate`, err.Error())
		assert.Equal(t, receipts.EConflict, se.ErrorCode())
	}

	// And the other way round.
	r, _ := signedReceipt(t)
	err := receipts.CheckSignedReceipt(signWith(t, police, r), r, k.Trust())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tax code (MST) 0101234999-002, but the receipt's organisation UBND-HK has tax code 0101234567")
}

func TestCertificateTaxCodes(t *testing.T) {
	assert.Equal(t, []string{"0101234567"}, receipts.CertificateTaxCodes(testSigner(t).Certificate()))
	assert.Nil(t, receipts.CertificateTaxCodes(nil))

	// A person's certificate within an organisation: the MST beside a CCCD.
	s := certFor(t, pkix.Name{CommonName: "NGUYEN VAN A", ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: oidUID, Value: "CCCD:001099012345"}, {Type: oidUID, Value: "mst: 0101234567-001 "}, {Type: oidUID, Value: "MNS:1047665"}}})
	assert.Equal(t, []string{"0101234567-001"}, receipts.CertificateTaxCodes(s.Certificate()))
}

func TestCheckSignedReceiptTaxCodeForms(t *testing.T) {
	r := sealedReceipt() // MST 0101234567
	cases := map[string]struct {
		uids []string
		ok   bool
	}{
		"no MST at all: accepted, trust decides": {nil, true},
		"only a budget code (MNS)":               {[]string{"MNS:1047665"}, true},
		"the MST among other UIDs":               {[]string{"CCCD:001099012345", "MST:0101234567"}, true},
		"another MST":                            {[]string{"MST:0109999999"}, false},
		"the parent's MST is not a unit's":       {[]string{"MST:0101234567-001"}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			subject := pkix.Name{CommonName: "Đơn vị thử"}
			for _, u := range tc.uids {
				subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidUID, Value: u})
			}
			s := certFor(t, subject)
			err := receipts.CheckSignedReceipt(signWith(t, s, r), r, receipts.TrustCertificates(s.Certificate()))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "but the receipt's organisation UBND-HK has tax code 0101234567")
		})
	}

	// A dependent unit's code written without its dash is the same code.
	unit := policeReceipt() // 0101234999-002
	s := certFor(t, pkix.Name{CommonName: "Công an", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "MST:0101234999002"}}})
	require.NoError(t, receipts.CheckSignedReceipt(signWith(t, s, unit), unit, receipts.Trust{}))
}
