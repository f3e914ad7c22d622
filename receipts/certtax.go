package receipts

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// Which organisation a certificate belongs to (docs/RECEIPTS.md,
// "Signature"). Vietnamese CAs write an organisation's tax code (mã số
// thuế, MST) in the certificate's subject as a UID attribute (OID
// 0.9.2342.19200300.100.1.1) "MST:0100109106", a dependent unit's as
// "MST:0100109106-001". The subject may carry other UIDs beside it
// ("CCCD:…" or "CMND:…" for a person, "MNS:…" for the budget-relation code
// of a state body), which are not tax codes; a state body's certificate
// sometimes carries only "MNS:…".

// mstPrefix starts the UID value that holds a tax code.
const mstPrefix = "MST:"

// CertificateTaxCodes is the tax codes (MST) in the certificate's subject
// UIDs, in order, without the "MST:" prefix; none when it carries none.
func CertificateTaxCodes(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, atv := range c.Subject.Names {
		if !atv.Type.Equal(oidUID) {
			continue
		}
		v, ok := atv.Value.(string)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) > len(mstPrefix) && strings.EqualFold(v[:len(mstPrefix)], mstPrefix) {
			out = append(out, strings.TrimSpace(v[len(mstPrefix):]))
		}
	}
	return out
}

// sameTaxCode compares two tax codes as written, ignoring spaces and the
// dash before a dependent unit's three digits ("0100109106-001" and
// "0100109106001" are one code). A dependent unit's code is not its
// parent's.
func sameTaxCode(a, b string) bool {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '-' || r == ' ' {
				return -1
			}
			return r
		}, s)
	}
	return clean(a) != "" && clean(a) == clean(b)
}

// taxCodeMismatch says why cert is not a certificate of org, or "" when it
// is, or when it carries no tax code (nothing to compare; the Trust of the
// check decides alone which certificates may sign).
func taxCodeMismatch(cert *x509.Certificate, org Organisation) string {
	ok, codes := CertificateOfTaxCode(cert, org.TaxCode)
	if ok {
		return ""
	}
	name := cert.Subject.CommonName
	if name == "" {
		name = cert.Subject.String()
	}
	return fmt.Sprintf("signed with the certificate of %q, tax code (MST) %s, but the receipt's organisation %s has tax code %s: each organisation signs its receipts with its own certificate",
		name, strings.Join(codes, ", "), org.Code, org.TaxCode)
}

// CertificateOfTaxCode says whether cert may sign for the organisation with
// this tax code: true when one of its MSTs is taxCode (compared as
// sameTaxCode does), or when it carries no MST at all (nothing to compare;
// the configured keys decide, as for receipts). codes is the MSTs it
// carries, for a message.
func CertificateOfTaxCode(cert *x509.Certificate, taxCode string) (ok bool, codes []string) {
	codes = CertificateTaxCodes(cert)
	if len(codes) == 0 {
		return true, nil
	}
	for _, c := range codes {
		if sameTaxCode(c, taxCode) {
			return true, codes
		}
	}
	return false, codes
}
