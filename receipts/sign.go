package receipts

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
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

// PrivateKey is the signing key, for writing it to a file (tests, --demo).
func (s *KeySigner) PrivateKey() *rsa.PrivateKey { return s.key }
