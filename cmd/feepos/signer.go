package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Where feepos finds the organisation's signing key (docs/RECEIPTS.md,
// "Demo keys and configuration"), for serve, receipts close and receipts
// verify alike:
//
//  1. the [receipts] settings of the config file (p12_file, or key_file
//     and cert_file; cert_file alone is a certificate to trust);
//  2. else the demo key next to the database (demo-signing.key and
//     demo-signing.crt), which serve --demo creates;
//  3. else nothing: serve runs without signing, close refuses, verify
//     checks each signature against the certificate it carries.

// Demo key file names, in the database's directory.
const (
	demoKeyName  = "demo-signing.key"
	demoCertName = "demo-signing.crt"
)

// The organisation serve --demo registers a series for and makes the demo
// key for.
var demoSeries = receipts.Series{
	OrgCode: "UBND-DEMO",
	OrgName: "Ủy ban nhân dân huyện Demo",
	TaxCode: "0100000001",
	Address: "Trung tâm Phục vụ hành chính công huyện Demo",
	Letters: "AA",
}

// demoKeyPaths are the demo key and certificate files next to dbPath.
func demoKeyPaths(dbPath string) (keyFile, certFile string) {
	dir := filepath.Dir(dbPath)
	return filepath.Join(dir, demoKeyName), filepath.Join(dir, demoCertName)
}

// hasSignerConfig says whether [receipts] names a key (not just a
// certificate to trust).
func hasSignerConfig(cfg config.Receipts) bool { return cfg.P12File != "" || cfg.KeyFile != "" }

// fileExists is true for an existing file; an error other than "does not
// exist" is returned so that an unreadable key is not taken for a missing one.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// demoSignerFiles says whether both demo files exist next to dbPath; one
// without the other is an error.
func demoSignerFiles(dbPath string) (bool, error) {
	keyFile, certFile := demoKeyPaths(dbPath)
	hasKey, err := fileExists(keyFile)
	if err != nil {
		return false, err
	}
	hasCert, err := fileExists(certFile)
	if err != nil {
		return false, err
	}
	if hasKey != hasCert {
		return false, fmt.Errorf("demo signing key: found only one of %s and %s: delete it to have serve --demo make a new pair", keyFile, certFile)
	}
	return hasKey, nil
}

// ensureDemoSigner loads the demo key next to dbPath, or makes it (RSA-2048,
// self-signed, the key file mode 0600) when neither file exists.
func ensureDemoSigner(dbPath string) (s *receipts.KeySigner, created bool, err error) {
	keyFile, certFile := demoKeyPaths(dbPath)
	exists, err := demoSignerFiles(dbPath)
	if err != nil {
		return nil, false, err
	}
	if exists {
		s, err := receipts.LoadPEM(keyFile, certFile)
		if err != nil {
			return nil, false, fmt.Errorf("demo signing key: %w", err)
		}
		return s, false, nil
	}
	s, err = receipts.GenerateDemoSigner(demoSeries.OrgName, demoSeries.TaxCode)
	if err != nil {
		return nil, false, fmt.Errorf("make demo signing key: %w", err)
	}
	if err := s.WritePEM(keyFile, certFile); err != nil {
		os.Remove(keyFile)
		os.Remove(certFile)
		return nil, false, fmt.Errorf("write demo signing key: %w", err)
	}
	return s, true, nil
}

// ensureDemoSeries registers the demo organisation's series (again with the
// same details is a no-op).
func ensureDemoSeries(ctx context.Context, db *sqlite.DB) (receipts.Series, error) {
	s, err := db.CreateSeries(ctx, demoSeries)
	if err != nil {
		return receipts.Series{}, fmt.Errorf("demo receipt series: %w", err)
	}
	return s, nil
}

// receiptSigner is the key that signs receipts and closures: the
// [receipts] settings, else the demo key next to dbPath. from says which,
// for messages. With neither, the error says how to configure one.
func receiptSigner(cfg config.Receipts, dbPath string) (s *receipts.KeySigner, from string, err error) {
	if hasSignerConfig(cfg) {
		s, err := loadSigner(cfg)
		if err != nil {
			return nil, "", err
		}
		from = cfg.P12File
		if from == "" {
			from = cfg.KeyFile
		}
		return s, from, nil
	}
	exists, err := demoSignerFiles(dbPath)
	if err != nil {
		return nil, "", err
	}
	if exists {
		keyFile, certFile := demoKeyPaths(dbPath)
		s, err := receipts.LoadPEM(keyFile, certFile)
		if err != nil {
			return nil, "", fmt.Errorf("demo signing key: %w", err)
		}
		return s, keyFile + " (demo key)", nil
	}
	keyFile, _ := demoKeyPaths(dbPath)
	return nil, "", fmt.Errorf("no signing key: set [receipts] p12_file (and p12_password_env), or key_file and cert_file, in the config file given with --config; for a demo, run 'feepos serve --demo' once to create %s next to the database", keyFile)
}

// serveTrust is the signer serve uses and the certificates its /verify page
// trusts. --demo: the demo key, made if missing. Otherwise the [receipts]
// settings, or nothing (logged: receipts will not be signed).
func serveTrust(ctx context.Context, log *slog.Logger, db *sqlite.DB, cfg config.Receipts, dbPath string, demo bool) (*receipts.KeySigner, receipts.Trust, error) {
	if demo {
		s, created, err := ensureDemoSigner(dbPath)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		keyFile, certFile := demoKeyPaths(dbPath)
		if created {
			log.Info("demo signing key created", "key", keyFile, "cert", certFile)
		} else {
			log.Info("demo signing key loaded", "key", keyFile, "cert", certFile)
		}
		series, err := ensureDemoSeries(ctx, db)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		log.Info("demo receipt series ready", "org", series.OrgCode, "letters", series.Letters)
		return s, receipts.TrustCertificates(s.Certificate()), nil
	}
	var s *receipts.KeySigner
	if hasSignerConfig(cfg) {
		var err error
		if s, err = loadSigner(cfg); err != nil {
			return nil, receipts.Trust{}, err
		}
		log.Info("receipt signing key loaded", "subject", s.Certificate().Subject.String())
	} else {
		log.Warn("receipts will not be signed: no [receipts] p12_file or key_file in the config (see docs/RECEIPTS.md)")
	}
	trust, how, err := receiptTrust(cfg, "", dbPath)
	if err != nil {
		return nil, receipts.Trust{}, err
	}
	log.Info("receipt check trusts", "trust", how)
	return s, trust, nil
}

// receiptTrust is which signing certificates verify accepts, and a few
// words saying so: --cert, else [receipts] cert_file, else the certificate
// of [receipts] p12_file, else the demo certificate next to dbPath, else
// (the zero Trust) the certificate each signature carries.
func receiptTrust(cfg config.Receipts, certFile, dbPath string) (receipts.Trust, string, error) {
	if certFile == "" {
		certFile = cfg.CertFile
	}
	if certFile != "" {
		certs, err := receipts.LoadCertificates(certFile)
		if err != nil {
			return receipts.Trust{}, "", err
		}
		return receipts.TrustCertificates(certs...), "signatures by the certificate in " + certFile, nil
	}
	if cfg.P12File != "" {
		s, err := loadSigner(cfg)
		if err != nil {
			return receipts.Trust{}, "", err
		}
		return receipts.TrustCertificates(s.Certificate()), "signatures by the certificate in " + cfg.P12File, nil
	}
	if dbPath != "" {
		exists, err := demoSignerFiles(dbPath)
		if err != nil {
			return receipts.Trust{}, "", err
		}
		if exists {
			_, demoCert := demoKeyPaths(dbPath)
			certs, err := receipts.LoadCertificates(demoCert)
			if err != nil {
				return receipts.Trust{}, "", err
			}
			return receipts.TrustCertificates(certs...), "signatures by the demo certificate in " + demoCert, nil
		}
	}
	return receipts.Trust{}, "no trusted certificate configured: each signature checked against the certificate it carries", nil
}

// loadSigner loads the organisation's key from the [receipts] settings.
func loadSigner(cfg config.Receipts) (*receipts.KeySigner, error) {
	switch {
	case cfg.P12File != "":
		var password string
		if cfg.P12PasswordEnv != "" {
			v, ok := os.LookupEnv(cfg.P12PasswordEnv)
			if !ok {
				return nil, fmt.Errorf("[receipts] p12_password_env names %s, which is not set: export the PKCS#12 password in it", cfg.P12PasswordEnv)
			}
			password = v
		}
		return receipts.LoadPKCS12(cfg.P12File, password)
	case cfg.KeyFile != "":
		return receipts.LoadPEM(cfg.KeyFile, cfg.CertFile)
	}
	return nil, fmt.Errorf("no signing key: set [receipts] p12_file, or key_file and cert_file, in the config file")
}
