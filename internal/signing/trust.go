package signing

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/receipts"
)

// TrustSource says which certificates a receipt check trusts: in English
// for logs and --json (String), in Vietnamese for a report (VI).
type TrustSource struct {
	Demo  bool     // the demo certificates next to the database
	Files []string // where the trusted certificates come from; none: each signature's own
}

func (t TrustSource) String() string {
	if len(t.Files) == 0 {
		return "no trusted certificate configured: each signature checked against the certificate it carries"
	}
	demo := ""
	if t.Demo {
		demo = "demo "
	}
	return "signatures by the " + demo + plural(len(t.Files), "certificate") + " in " + strings.Join(t.Files, ", ")
}

// VI is String in Vietnamese.
func (t TrustSource) VI() string {
	switch {
	case len(t.Files) == 0:
		return "chưa cấu hình chứng thư số tin cậy: mỗi chữ ký được kiểm tra theo chứng thư đi kèm chữ ký"
	case t.Demo:
		return "chữ ký bằng chứng thư số mẫu trong " + strings.Join(t.Files, ", ")
	}
	return "chữ ký bằng chứng thư số trong " + strings.Join(t.Files, ", ")
}

// Trust is which signing certificates verify accepts, and where they
// come from: --cert; else the certificates of the config file (the
// [receipts] cert_file, or the certificate of its p12_file, and the
// signing certificate of each [[receipts.signers]] entry); else the demo
// certificates next to dbPath; else (the zero Trust) the certificate each
// signature carries. Which trusted certificate may sign which receipt is
// then the tax code check of receipts.CheckSignedReceipt.
func Trust(cfg config.Receipts, certFile, dbPath string) (receipts.Trust, TrustSource, error) {
	if certFile != "" {
		certs, err := receipts.LoadCertificates(certFile)
		if err != nil {
			return receipts.Trust{}, TrustSource{}, err
		}
		return receipts.TrustCertificates(certs...), TrustSource{Files: []string{certFile}}, nil
	}
	var (
		certs []*x509.Certificate
		files []string
	)
	switch {
	case cfg.CertFile != "":
		c, err := receipts.LoadCertificates(cfg.CertFile)
		if err != nil {
			return receipts.Trust{}, TrustSource{}, err
		}
		certs, files = append(certs, c...), append(files, cfg.CertFile)
	case cfg.P12File != "":
		s, err := loadSigner(cfg)
		if err != nil {
			return receipts.Trust{}, TrustSource{}, err
		}
		certs, files = append(certs, s.Certificate()), append(files, cfg.P12File)
	}
	for i, e := range cfg.Signers {
		c, file, err := entryCertificate(e, i)
		if err != nil {
			return receipts.Trust{}, TrustSource{}, err
		}
		certs, files = append(certs, c), append(files, file)
	}
	if len(certs) > 0 {
		return receipts.TrustCertificates(certs...), TrustSource{Files: files}, nil
	}
	if dbPath != "" {
		var demoFiles []string
		for _, org := range DemoOrgs {
			exists, err := demoSignerFiles(dbPath, org)
			if err != nil {
				return receipts.Trust{}, TrustSource{}, err
			}
			if !exists {
				continue
			}
			_, demoCert := DemoKeyPaths(dbPath, org)
			c, err := receipts.LoadCertificates(demoCert)
			if err != nil {
				return receipts.Trust{}, TrustSource{}, err
			}
			certs, demoFiles = append(certs, c...), append(demoFiles, demoCert)
		}
		if len(certs) > 0 {
			return receipts.TrustCertificates(certs...), TrustSource{Demo: true, Files: demoFiles}, nil
		}
	}
	return receipts.Trust{}, TrustSource{}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// entryCertificate is the signing certificate of a [[receipts.signers]]
// entry, for verify: the first certificate of its cert_file (the rest is
// its chain, not signers), read without the key; or that of its p12_file.
func entryCertificate(e config.Signer, i int) (*x509.Certificate, string, error) {
	if e.P12File != "" {
		s, file, err := loadEntrySigner(e, i)
		if err != nil {
			return nil, "", err
		}
		return s.Certificate(), file, nil
	}
	name := e.Name(i)
	if err := requireFiles(name, map[string]string{"cert_file": e.CertFile}); err != nil {
		return nil, "", err
	}
	certs, err := receipts.LoadCertificates(e.CertFile)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return certs[0], e.CertFile, nil
}
