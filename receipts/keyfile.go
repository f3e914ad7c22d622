package receipts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Key files: the organisation's key and certificate as its CA hands them
// out (PKCS#12) or as PEM files, trusted certificates, and the self-signed
// demo key of serve --demo.

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
