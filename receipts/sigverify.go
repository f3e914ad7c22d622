package receipts

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Checking signatures (docs/RECEIPTS.md, "Verifying signatures"): which
// certificates are trusted, the shape and value of an enveloped XMLDSig
// signature, and that a receipt's signed content is the stored receipt.

// Trust says which signing certificates VerifyXML accepts. With Certs, the
// certificate in KeyInfo must be one of them; with Roots, it must chain to
// one of them (KeyInfo's other certificates serve as intermediates); with
// both, either. The zero Trust accepts the certificate each document
// carries: the signature then proves the document unchanged since signing,
// not who signed it.
type Trust struct {
	Certs []*x509.Certificate
	Roots *x509.CertPool
}

// TrustCertificates accepts exactly these certificates.
func TrustCertificates(certs ...*x509.Certificate) Trust { return Trust{Certs: certs} }

// IsZero says whether t accepts any certificate.
func (t Trust) IsZero() bool { return len(t.Certs) == 0 && t.Roots == nil }

// SignatureError is a document whose signature does not hold. Message
// names the document ("receipt 26TAA-00000007", "closure of 2026-07-01")
// when it could be read, and what failed.
type SignatureError struct {
	Doc     string // what the document says it is, or ""
	Problem string
}

func (e *SignatureError) Error() string {
	if e.Doc == "" {
		return "signed XML: " + e.Problem
	}
	return e.Doc + ": " + e.Problem
}

// ErrorCode marks a failed signature as a conflict for the CLI and API.
func (e *SignatureError) ErrorCode() string { return EConflict }

// VerifyXML checks a signed document: one enveloped XMLDSig signature as
// the last child of the root, covering the whole document, by a
// certificate trust accepts, valid when the document says it was signed
// (its SigningTime or ClosedAt; now without one). The error is a
// *SignatureError naming the document and what failed.
func VerifyXML(doc []byte, trust Trust) error {
	_, _, err := verifySigned(doc, trust)
	return err
}

// verifySigned verifies doc and returns its signed content, the root
// element without the signature, as verified bytes parsed back, and the
// signing certificate.
func verifySigned(doc []byte, trust Trust) (*etree.Element, *x509.Certificate, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, nil, &SignatureError{Problem: "not well-formed XML: " + err.Error()}
	}
	root := d.Root()
	if root == nil {
		return nil, nil, &SignatureError{Problem: "no root element"}
	}
	name := docName(root)
	fail := func(format string, args ...any) (*etree.Element, *x509.Certificate, error) {
		return nil, nil, &SignatureError{Doc: name, Problem: fmt.Sprintf(format, args...)}
	}

	// Shape: exactly one signature, the last element child of the root, so
	// that nothing outside it is left unsigned or wrapped.
	var sigs []*etree.Element
	for _, el := range root.FindElements("//Signature") {
		if el.NamespaceURI() == dsig.Namespace {
			sigs = append(sigs, el)
		}
	}
	kids := root.ChildElements()
	switch {
	case len(sigs) == 0:
		return fail("not signed: the document has no ds:Signature")
	case len(sigs) > 1:
		return fail("%d signatures where one is expected", len(sigs))
	case len(kids) == 0 || kids[len(kids)-1] != sigs[0]: // the root itself may be a ds:Signature
		return fail("the signature is not the last element of <%s>: it must be enveloped in the document it signs", root.Tag)
	}
	if m := sigs[0].FindElement("./SignedInfo/SignatureMethod"); m == nil || m.SelectAttrValue("Algorithm", "") != dsig.RSASHA256SignatureMethod {
		return fail("signature method is not RSA-SHA256")
	}
	certs, err := keyInfoCerts(sigs[0])
	if err != nil {
		return fail("%v", err)
	}
	at := signedAt(root)

	leaf := certs[0]
	if err := trust.accepts(certs, at); err != nil {
		return fail("%v", err)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{leaf}})
	ctx.Clock = dsig.NewFakeClockAt(at)
	content, err := ctx.Validate(root)
	if err != nil {
		return fail("%s", signatureProblem(err, leaf, at))
	}
	return content, leaf, nil
}

// docName is what the document says it is, for messages.
func docName(root *etree.Element) string {
	switch root.Tag {
	case "Receipt":
		n, err := strconv.ParseInt(strings.TrimSpace(childText(root, "Number")), 10, 64)
		if err == nil {
			return "receipt " + Ref{Series: childText(root, "Series"), Number: n}.String()
		}
		return "receipt"
	case "DailyClosure":
		return "closure of " + childText(root, "BusinessDate")
	}
	return "<" + root.Tag + ">"
}

func childText(el *etree.Element, tag string) string {
	if c := el.SelectElement(tag); c != nil {
		return c.Text()
	}
	return ""
}

// SigningCertificate is the certificate a signed document carries first in
// KeyInfo (the signing one), read without checking the signature: for
// naming the signer after VerifyXML or CheckSignedReceipt accepted doc.
func SigningCertificate(doc []byte) (*x509.Certificate, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, &SignatureError{Problem: "not well-formed XML: " + err.Error()}
	}
	root := d.Root()
	if root == nil {
		return nil, &SignatureError{Problem: "no root element"}
	}
	for _, el := range root.ChildElements() {
		if el.Tag == "Signature" && el.NamespaceURI() == dsig.Namespace {
			certs, err := keyInfoCerts(el)
			if err != nil {
				return nil, &SignatureError{Doc: docName(root), Problem: err.Error()}
			}
			return certs[0], nil
		}
	}
	return nil, &SignatureError{Doc: docName(root), Problem: "not signed: the document has no ds:Signature"}
}

// signedAt is when the document says it was signed.
func signedAt(root *etree.Element) time.Time {
	for _, tag := range []string{"SigningTime", "ClosedAt"} {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(childText(root, tag))); err == nil {
			return t
		}
	}
	return time.Now()
}

func keyInfoCerts(sig *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, el := range sig.FindElements("./KeyInfo/X509Data/X509Certificate") {
		der, err := decodeBase64(el.Text())
		if err != nil {
			return nil, fmt.Errorf("KeyInfo certificate is not base64: %v", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("KeyInfo certificate does not parse: %v", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("the signature carries no certificate in KeyInfo")
	}
	return out, nil
}

func (t Trust) accepts(certs []*x509.Certificate, at time.Time) error {
	leaf := certs[0]
	if t.IsZero() {
		return nil
	}
	for _, c := range t.Certs {
		if c.Equal(leaf) {
			return nil
		}
	}
	if t.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: t.Roots, Intermediates: inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil {
			return nil
		}
		return fmt.Errorf("signed by %q (SHA-256 %s), which does not chain to a trusted CA: %v", leaf.Subject.String(), CertFingerprint(leaf)[:16], err)
	}
	return fmt.Errorf("signed by %q (SHA-256 %s), which is not the trusted certificate", leaf.Subject.String(), CertFingerprint(leaf)[:16])
}

// signatureProblem turns goxmldsig's errors into what failed.
func signatureProblem(err error, cert *x509.Certificate, at time.Time) string {
	msg := err.Error()
	switch {
	case errors.Is(err, dsig.ErrMissingSignature):
		return "the signature does not reference the whole document"
	case msg == "Signature could not be verified":
		return "the signed content was changed after signing (its digest no longer matches the signature)"
	case msg == "Cert is not valid at this time":
		return fmt.Sprintf("the certificate %q was not valid when the document was signed (%s; valid %s to %s)",
			cert.Subject.String(), at.Format(time.RFC3339), cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	case errors.Is(err, rsa.ErrVerification) || strings.Contains(msg, "verification error"):
		return "the signature value does not match its SignedInfo (the signature or its references were changed, or another key signed it)"
	}
	return "signature does not verify: " + msg
}

// canonical is the exclusive C14N form of an element.
func canonical(el *etree.Element) ([]byte, error) {
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(el.Copy())
}

// CheckSignedReceipt verifies a receipt's signed XML and that it says what
// the stored receipt says: signature by a trusted certificate, then the
// signed content equal to ReceiptXML(r), then a certificate of the
// receipt's organisation: one that carries a tax code (MST, certtax.go)
// must carry the receipt's Org.TaxCode (one without an MST is accepted:
// trust already says which certificates may sign). The error names the
// receipt and, for a difference, the first element that differs.
func CheckSignedReceipt(doc []byte, r Receipt, trust Trust) error {
	content, cert, err := verifySigned(doc, trust)
	if err != nil {
		return err
	}
	want, err := receiptElement(r)
	if err != nil {
		return &SignatureError{Doc: "receipt " + r.Ref.String(), Problem: "the stored receipt cannot be written as XML: " + err.Error()}
	}
	if err := sameContent(content, want, "receipt "+r.Ref.String(), "the stored receipt"); err != nil {
		return err
	}
	if problem := taxCodeMismatch(cert, r.Org); problem != "" {
		return &SignatureError{Doc: "receipt " + r.Ref.String(), Problem: problem}
	}
	return nil
}

// sameContent compares signed content with the document rebuilt from the
// database, by their canonical forms.
func sameContent(signed, stored *etree.Element, name, what string) error {
	d := etree.NewDocument()
	d.SetRoot(stored.Copy())
	d.Indent(2)
	a, err := canonical(signed)
	if err != nil {
		return &SignatureError{Doc: name, Problem: "canonicalize signed content: " + err.Error()}
	}
	b, err := canonical(d.Root())
	if err != nil {
		return &SignatureError{Doc: name, Problem: "canonicalize " + what + ": " + err.Error()}
	}
	if bytes.Equal(a, b) {
		return nil
	}
	diff := firstDifference(signed, d.Root(), "")
	if diff == "" {
		diff = "whitespace or layout differs"
	}
	return &SignatureError{Doc: name, Problem: "its signed XML no longer matches " + what + ": " + diff}
}

// firstDifference names the first element whose name, attributes or text
// differ between a (signed) and b (stored).
func firstDifference(a, b *etree.Element, path string) string {
	path += "/" + a.Tag
	if a.Tag != b.Tag {
		return fmt.Sprintf("%s: signed element <%s>, stored <%s>", path, a.Tag, b.Tag)
	}
	if len(a.Attr) != len(b.Attr) {
		return fmt.Sprintf("%s: attributes differ", path)
	}
	for _, at := range a.Attr { // canonical XML sorts attributes: compare by name
		if v := b.SelectAttrValue(at.FullKey(), "\x00"); v != at.Value {
			return fmt.Sprintf("%s/@%s: signed %q, stored %q", path, at.FullKey(), at.Value, strings.TrimPrefix(v, "\x00"))
		}
	}
	ak, bk := a.ChildElements(), b.ChildElements()
	if len(ak) == 0 && len(bk) == 0 {
		if a.Text() != b.Text() {
			return fmt.Sprintf("%s: signed %q, stored %q", path, a.Text(), b.Text())
		}
	}
	for i := 0; i < len(ak) && i < len(bk); i++ {
		if d := firstDifference(ak[i], bk[i], path); d != "" {
			return d
		}
	}
	if len(ak) != len(bk) {
		return fmt.Sprintf("%s: signed has %d child elements, stored %d", path, len(ak), len(bk))
	}
	return ""
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// SignatureReport is VerifyReport with the signatures and closures
// checked after the chains.
type SignatureReport struct {
	VerifyReport
	Signed   int64 `json:"signed"`   // receipts whose signed XML holds
	Closures int64 `json:"closures"` // daily closures that hold
	// Trust says which certificates were accepted, for a person.
	Trust string `json:"trust,omitempty"`
}
