package receipts_test

import (
	"crypto/x509/pkix"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func TestNeedsReplacement(t *testing.T) {
	for _, k := range []string{"amount", "Amount", "tax_code", "tax-code", "mst", "fee", "fee_name", "refund"} {
		assert.True(t, receipts.NeedsReplacement(k), k)
	}
	for _, k := range []string{"payer_name", "amount_in_words", "other", "spelling", ""} {
		assert.False(t, receipts.NeedsReplacement(k), k)
	}
}

func TestCertificateOfTaxCode(t *testing.T) {
	for name, tc := range map[string]struct {
		uids []string
		ok   bool
	}{
		"no MST: nothing to compare":  {nil, true},
		"only a budget code":          {[]string{"MNS:1047665"}, true},
		"its MST":                     {[]string{"CCCD:001099012345", "MST:0101234567"}, true},
		"another MST":                 {[]string{"MST:0109999999"}, false},
		"a unit's MST is not its own": {[]string{"MST:0101234567-001"}, false},
	} {
		subject := pkix.Name{CommonName: "Đơn vị thử"}
		for _, u := range tc.uids {
			subject.ExtraNames = append(subject.ExtraNames, pkix.AttributeTypeAndValue{Type: oidUID, Value: u})
		}
		ok, _ := receipts.CertificateOfTaxCode(certFor(t, subject).Certificate(), "0101234567")
		assert.Equal(t, tc.ok, ok, name)
	}
}

// The notice signs and verifies like a receipt; a changed row does not.
func TestSignedNoticeVerifies(t *testing.T) {
	s := testSigner(t) // MST 0101234567, as summaryOrg's
	unsigned, err := receipts.NoticeXML(fixtureNotice())
	require.NoError(t, err)
	signed, err := s.SignXML(unsigned)
	require.NoError(t, err)
	again, err := s.SignXML(unsigned)
	require.NoError(t, err)
	assert.Equal(t, signed, again, "the same notice and key give the same bytes")
	require.NoError(t, receipts.VerifyXML(signed, receipts.TrustCertificates(s.Certificate())))
	changed := strings.Replace(string(signed), "Nhụng", "Nhung", 1)
	assert.Error(t, receipts.VerifyXML([]byte(changed), receipts.TrustCertificates(s.Certificate())))
}
