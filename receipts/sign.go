package receipts

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"software.sslmate.com/src/go-pkcs12"
)

// Signing (docs/RECEIPTS.md, "Signature"): the collecting organisation
// signs each receipt's XML with its digital signature (Decree 254/2026/
// NĐ-CP Art. 23–29: an e-receipt carries the digital signature of the
// organisation that collects; the key sits in a certificate issued to the
// organisation, given to feepos as a PKCS#12 or PEM file). XMLDSig,
// enveloped (the ds:Signature is the last child of the signed root, and the
// reference URI "" covers the whole document but the signature), exclusive
// C14N 1.0, RSA-SHA256, the signing certificate (and its chain) in KeyInfo.

// Signer signs an XML document feepos wrote.
type Signer interface {
	// SignXML returns the document with an enveloped signature added as
	// the last child of its root element.
	SignXML(unsigned []byte) ([]byte, error)
	// Certificate is the certificate the signatures carry.
	Certificate() *x509.Certificate
}

// Keys finds the signer of a collecting organisation: each organisation
// signs its own receipts with its own certificate (Decree 254/2026/NĐ-CP
// Art. 23–29; a vertical agency's receipt is not the district's). A
// *KeySigner is Keys for an installation with one organisation's key.
type Keys interface {
	// SignerFor is the signer of the organisation with this code (the
	// series' OrgCode); an error says which key to configure.
	SignerFor(orgCode string) (Signer, error)
}

// KeySigner signs with an RSA key and its certificate.
type KeySigner struct {
	key   *rsa.PrivateKey
	cert  *x509.Certificate
	chain [][]byte // DER: the certificate, then intermediates
}

var _ Signer = (*KeySigner)(nil)

// NewSigner checks that key belongs to cert. Only RSA keys are taken: the
// signature method is RSA-SHA256. intermediates go into KeyInfo after the
// certificate.
func NewSigner(key crypto.PrivateKey, cert *x509.Certificate, intermediates ...*x509.Certificate) (*KeySigner, error) {
	if cert == nil {
		return nil, Invalidf("signing certificate is missing")
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, Invalidf("signing key is %T: receipts are signed with RSA-SHA256, use an RSA key", key)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&rk.PublicKey) {
		return nil, Invalidf("signing key does not belong to the certificate %q: give the key and certificate of one pair", cert.Subject.String())
	}
	if rk.N.BitLen() < 2048 {
		return nil, Invalidf("signing key has %d bits: use an RSA key of at least 2048 bits", rk.N.BitLen())
	}
	s := &KeySigner{key: rk, cert: cert, chain: [][]byte{cert.Raw}}
	for _, c := range intermediates {
		s.chain = append(s.chain, c.Raw)
	}
	return s, nil
}

// Certificate is the signing certificate.
func (s *KeySigner) Certificate() *x509.Certificate { return s.cert }

// SignerFor is s itself, whatever the organisation: one key signs for all.
func (s *KeySigner) SignerFor(string) (Signer, error) { return s, nil }

var _ Keys = (*KeySigner)(nil)

// SignXML signs the document's root element (enveloped signature).
func (s *KeySigner) SignXML(unsigned []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(unsigned); err != nil {
		return nil, fmt.Errorf("sign: read XML: %w", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("sign: the document has no root element")
	}
	return s.signElement(root)
}

// signElement signs root, the root element of a document, and writes the
// signed document.
func (s *KeySigner) signElement(root *etree.Element) ([]byte, error) {
	ctx, err := dsig.NewSigningContext(s.key, s.chain)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	signed, err := ctx.SignEnveloped(root)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return serialize(signed)
}

// LoadPKCS12 reads a key, its certificate and any CA certificates from a
// PKCS#12 (.p12, .pfx) file, the form a Vietnamese CA hands out a signing
// certificate in.
func LoadPKCS12(path, password string) (*KeySigner, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, Invalidf("signing key %s: %v (wrong password, or not a PKCS#12 file with one key and certificate)", path, err)
	}
	return NewSigner(key, cert, cas...)
}

// LoadPEM reads a PEM private key (PKCS#1 or PKCS#8) and a PEM certificate
// file whose first certificate is the signing one and the rest its chain.
func LoadPEM(keyFile, certFile string) (*KeySigner, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	var key crypto.PrivateKey
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, Invalidf("signing key %s: %v", keyFile, err)
		}
		break
	}
	if key == nil {
		return nil, Invalidf("signing key %s holds no unencrypted PEM private key (RSA PRIVATE KEY or PRIVATE KEY); for an encrypted key use a PKCS#12 file", keyFile)
	}
	certs, err := parseCertsPEM(certPEM)
	if err != nil {
		return nil, Invalidf("signing certificate %s: %v", certFile, err)
	}
	return NewSigner(key, certs[0], certs[1:]...)
}

func parseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE in it")
	}
	return out, nil
}

// LoadCertificates reads trusted certificates from a PEM file.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertsPEM(data)
	if err != nil {
		return nil, Invalidf("certificate file %s: %v", path, err)
	}
	return certs, nil
}

// GenerateDemoSigner makes an RSA-2048 key and a self-signed certificate for
// the organisation (its name and tax code in the subject), valid from
// 01/01/2020 (so that receipts of tests and demo data dated in the past
// verify) to ten years from now. For --demo and tests only: a receipt is
// legally signed with a certificate from a licensed CA.
func GenerateDemoSigner(orgName, mst string) (*KeySigner, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   orgName,
			Organization: []string{orgName},
			Country:      []string{"VN"},
			// The MST as Vietnamese CAs write it in a certificate's UID.
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "MST:" + mst}},
		},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own root
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return NewSigner(key, cert)
}

var oidUID = []int{0, 9, 2342, 19200300, 100, 1, 1}

// CertFingerprint is the hex SHA-256 of a certificate's DER bytes.
func CertFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

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

// PrivateKey is the signing key, for writing it to a file (tests, --demo).
func (s *KeySigner) PrivateKey() *rsa.PrivateKey { return s.key }

// WritePEM writes the key (PKCS#8, mode 0600) and the certificate chain as
// PEM files that LoadPEM reads.
func (s *KeySigner) WritePEM(keyFile, certFile string) error {
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	var certs []byte
	for _, c := range s.chain {
		certs = append(certs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c})...)
	}
	return os.WriteFile(certFile, certs, 0o644)
}
