package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Where feepos finds the organisations' signing keys (docs/RECEIPTS.md,
// "Demo keys and configuration"), for serve, receipts close and receipts
// verify alike:
//
//  1. the config file: the [receipts] key (p12_file, or key_file and
//     cert_file; cert_file alone is a certificate to trust) is the default
//     signer, and each [[receipts.signers]] entry one organisation's own;
//  2. else the demo keys next to the database, which serve --demo creates:
//     demo-signing.key/.crt (UBND-DEMO, the default signer) and
//     demo-signing-CA-DEMO.key/.crt (the demo police, its own signer);
//  3. else nothing: serve runs without signing, close refuses, verify
//     checks each signature against the certificate it carries.
//
// Each receipt is signed by the signer of its series' organisation
// (receipts.Keyring); the daily closure by Keyring.ClosureSigner.

// A demoOrg is an organisation serve --demo registers a series for and
// makes a demo key for.
type demoOrg struct {
	series receipts.Series
	// files is the name of its key files in the database's directory,
	// without the .key/.crt extension.
	files string
}

// demoOrgs are the demo organisations, the default signer first: the
// district (UBND-DEMO, whose key files keep the name they had when it was
// the only one) and a vertical agency with its own tax code, series and
// key, so that the demo shows a dossier's two receipts signed by two
// organisations.
var demoOrgs = []demoOrg{
	{files: "demo-signing", series: receipts.Series{
		OrgCode: "UBND-DEMO",
		OrgName: "Ủy ban nhân dân huyện Demo",
		TaxCode: "0100000001",
		Address: "Trung tâm Phục vụ hành chính công huyện Demo",
		Letters: "AA",
	}},
	{files: "demo-signing-CA-DEMO", series: receipts.Series{
		OrgCode: "CA-DEMO",
		OrgName: "Công an huyện Demo",
		TaxCode: "0100000002",
		Address: "Trung tâm Phục vụ hành chính công huyện Demo (quầy Công an)",
		Letters: "AB",
	}},
}

// demoKeyPaths are an organisation's demo key and certificate files next
// to dbPath.
func demoKeyPaths(dbPath string, org demoOrg) (keyFile, certFile string) {
	dir := filepath.Dir(dbPath)
	return filepath.Join(dir, org.files+".key"), filepath.Join(dir, org.files+".crt")
}

// hasKeyConfig says whether [receipts] names any key: a default key or a
// [[receipts.signers]] entry (not just a certificate to trust).
func hasKeyConfig(cfg config.Receipts) bool { return cfg.HasKey() || len(cfg.Signers) > 0 }

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

// demoSignerFiles says whether both of an organisation's demo files exist
// next to dbPath; one without the other is an error.
func demoSignerFiles(dbPath string, org demoOrg) (bool, error) {
	keyFile, certFile := demoKeyPaths(dbPath, org)
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

// ensureDemoSigner loads an organisation's demo key next to dbPath, or
// makes it (RSA-2048, self-signed, the key file mode 0600) when neither
// file exists.
func ensureDemoSigner(dbPath string, org demoOrg) (s *receipts.KeySigner, created bool, err error) {
	keyFile, certFile := demoKeyPaths(dbPath, org)
	exists, err := demoSignerFiles(dbPath, org)
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
	s, err = receipts.GenerateDemoSigner(org.series.OrgName, org.series.TaxCode)
	if err != nil {
		return nil, false, fmt.Errorf("make demo signing key of %s: %w", org.series.OrgCode, err)
	}
	if err := s.WritePEM(keyFile, certFile); err != nil {
		os.Remove(keyFile)
		os.Remove(certFile)
		return nil, false, fmt.Errorf("write demo signing key: %w", err)
	}
	return s, true, nil
}

// ensureDemoSeries registers a demo organisation's series (again with the
// same details is a no-op).
func ensureDemoSeries(ctx context.Context, db *sqlite.DB, org demoOrg) (receipts.Series, error) {
	s, err := db.CreateSeries(ctx, org.series)
	if err != nil {
		return receipts.Series{}, fmt.Errorf("demo receipt series of %s: %w", org.series.OrgCode, err)
	}
	return s, nil
}

// demoKeyring is the keyring of the demo signers, one per demoOrgs entry
// (nil where its files are missing): the district's is the default, the
// others their organisation's own.
func demoKeyring(signers []*receipts.KeySigner) (*receipts.Keyring, error) {
	k := receipts.NewKeyring(signers[0])
	for i, s := range signers[1:] {
		if s == nil {
			continue
		}
		if err := k.Add(demoOrgs[i+1].series.OrgCode, s); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// signingKeys is a keyring and where each of its keys comes from, for
// messages.
type signingKeys struct {
	*receipts.Keyring
	from map[string]string // org code ("" for the default signer) → file
}

// fromOf says where the signer of org ("" for the default) comes from.
func (k signingKeys) fromOf(org string) string { return k.from[org] }

// receiptKeys is the keyring that signs receipts and closures: the
// [receipts] settings, else the demo keys next to dbPath. With neither,
// the error says how to configure one.
func receiptKeys(cfg config.Receipts, dbPath string) (signingKeys, error) {
	if hasKeyConfig(cfg) {
		return loadKeyring(cfg)
	}
	k, found, err := loadDemoKeyring(dbPath)
	if err != nil || found {
		return k, err
	}
	keyFile, _ := demoKeyPaths(dbPath, demoOrgs[0])
	return signingKeys{}, fmt.Errorf("no signing key: set [receipts] p12_file (and p12_password_env), or key_file and cert_file, or one [[receipts.signers]] entry per organisation, in the config file given with --config; for a demo, run 'feepos serve --demo' once to create %s next to the database", keyFile)
}

// loadDemoKeyring loads the demo keys present next to dbPath; found is
// false when there are none.
func loadDemoKeyring(dbPath string) (k signingKeys, found bool, err error) {
	k.from = map[string]string{}
	signers := make([]*receipts.KeySigner, len(demoOrgs))
	for i, org := range demoOrgs {
		exists, err := demoSignerFiles(dbPath, org)
		if err != nil {
			return signingKeys{}, false, err
		}
		if !exists {
			continue
		}
		keyFile, certFile := demoKeyPaths(dbPath, org)
		s, err := receipts.LoadPEM(keyFile, certFile)
		if err != nil {
			return signingKeys{}, false, fmt.Errorf("demo signing key: %w", err)
		}
		signers[i] = s
		code := org.series.OrgCode
		if i == 0 {
			code = ""
		}
		k.from[code] = keyFile + " (demo key)"
	}
	if len(k.from) == 0 {
		return signingKeys{}, false, nil
	}
	k.Keyring, err = demoKeyring(signers)
	return k, err == nil, err
}

// closureSigner is the key that signs the daily closure
// (receipts.Keyring.ClosureSigner) and where it comes from.
func closureSigner(cfg config.Receipts, dbPath string) (*receipts.KeySigner, string, error) {
	k, err := receiptKeys(cfg, dbPath)
	if err != nil {
		return nil, "", err
	}
	s, org, err := k.ClosureSigner()
	if err != nil {
		return nil, "", err
	}
	return s, k.fromOf(org), nil
}

// serveKeys is the keyring serve signs with (nil: receipts are not signed)
// and the certificates its /verify page trusts. --demo: the demo keys and
// series, made if missing. Otherwise the [receipts] settings, or nothing
// (logged: receipts will not be signed).
func serveKeys(ctx context.Context, log *slog.Logger, db *sqlite.DB, cfg config.Receipts, dbPath string, demo bool) (*receipts.Keyring, receipts.Trust, error) {
	if demo {
		signers := make([]*receipts.KeySigner, len(demoOrgs))
		for i, org := range demoOrgs {
			s, created, err := ensureDemoSigner(dbPath, org)
			if err != nil {
				return nil, receipts.Trust{}, err
			}
			keyFile, certFile := demoKeyPaths(dbPath, org)
			if created {
				log.Info("demo signing key created", "org", org.series.OrgCode, "key", keyFile, "cert", certFile)
			} else {
				log.Info("demo signing key loaded", "org", org.series.OrgCode, "key", keyFile, "cert", certFile)
			}
			series, err := ensureDemoSeries(ctx, db, org)
			if err != nil {
				return nil, receipts.Trust{}, err
			}
			log.Info("demo receipt series ready", "org", series.OrgCode, "letters", series.Letters)
			signers[i] = s
		}
		k, err := demoKeyring(signers)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		return k, k.Trust(), nil
	}
	var k *receipts.Keyring
	if hasKeyConfig(cfg) {
		keys, err := loadKeyring(cfg)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		k = keys.Keyring
		if d := k.Default(); d != nil {
			log.Info("receipt signing key loaded", "org", "(default)", "subject", d.Certificate().Subject.String())
		}
		for _, org := range k.Orgs() {
			s, _ := k.SignerFor(org)
			log.Info("receipt signing key loaded", "org", org, "subject", s.Certificate().Subject.String())
		}
	} else {
		log.Warn("receipts will not be signed: no [receipts] p12_file or key_file, and no [[receipts.signers]], in the config (see docs/RECEIPTS.md)")
	}
	trust, how, err := receiptTrust(cfg, "", dbPath)
	if err != nil {
		return nil, receipts.Trust{}, err
	}
	log.Info("receipt check trusts", "trust", how.String())
	return k, trust, nil
}

// trustSource says which certificates a receipt check trusts: in English
// for logs and --json (String), in Vietnamese for a report (VI).
type trustSource struct {
	demo  bool     // the demo certificates next to the database
	files []string // where the trusted certificates come from; none: each signature's own
}

func (t trustSource) String() string {
	if len(t.files) == 0 {
		return "no trusted certificate configured: each signature checked against the certificate it carries"
	}
	demo := ""
	if t.demo {
		demo = "demo "
	}
	return "signatures by the " + demo + plural(len(t.files), "certificate") + " in " + strings.Join(t.files, ", ")
}

// VI is String in Vietnamese.
func (t trustSource) VI() string {
	switch {
	case len(t.files) == 0:
		return "chưa cấu hình chứng thư số tin cậy: mỗi chữ ký được kiểm tra theo chứng thư đi kèm chữ ký"
	case t.demo:
		return "chữ ký bằng chứng thư số mẫu trong " + strings.Join(t.files, ", ")
	}
	return "chữ ký bằng chứng thư số trong " + strings.Join(t.files, ", ")
}

// receiptTrust is which signing certificates verify accepts, and where they
// come from: --cert; else the certificates of the config file (the
// [receipts] cert_file, or the certificate of its p12_file, and the
// signing certificate of each [[receipts.signers]] entry); else the demo
// certificates next to dbPath; else (the zero Trust) the certificate each
// signature carries. Which trusted certificate may sign which receipt is
// then the tax code check of receipts.CheckSignedReceipt.
func receiptTrust(cfg config.Receipts, certFile, dbPath string) (receipts.Trust, trustSource, error) {
	if certFile != "" {
		certs, err := receipts.LoadCertificates(certFile)
		if err != nil {
			return receipts.Trust{}, trustSource{}, err
		}
		return receipts.TrustCertificates(certs...), trustSource{files: []string{certFile}}, nil
	}
	var (
		certs []*x509.Certificate
		files []string
	)
	switch {
	case cfg.CertFile != "":
		c, err := receipts.LoadCertificates(cfg.CertFile)
		if err != nil {
			return receipts.Trust{}, trustSource{}, err
		}
		certs, files = append(certs, c...), append(files, cfg.CertFile)
	case cfg.P12File != "":
		s, err := loadSigner(cfg)
		if err != nil {
			return receipts.Trust{}, trustSource{}, err
		}
		certs, files = append(certs, s.Certificate()), append(files, cfg.P12File)
	}
	for i, e := range cfg.Signers {
		c, file, err := entryCertificate(e, i)
		if err != nil {
			return receipts.Trust{}, trustSource{}, err
		}
		certs, files = append(certs, c), append(files, file)
	}
	if len(certs) > 0 {
		return receipts.TrustCertificates(certs...), trustSource{files: files}, nil
	}
	if dbPath != "" {
		var demoFiles []string
		for _, org := range demoOrgs {
			exists, err := demoSignerFiles(dbPath, org)
			if err != nil {
				return receipts.Trust{}, trustSource{}, err
			}
			if !exists {
				continue
			}
			_, demoCert := demoKeyPaths(dbPath, org)
			c, err := receipts.LoadCertificates(demoCert)
			if err != nil {
				return receipts.Trust{}, trustSource{}, err
			}
			certs, demoFiles = append(certs, c...), append(demoFiles, demoCert)
		}
		if len(certs) > 0 {
			return receipts.TrustCertificates(certs...), trustSource{demo: true, files: demoFiles}, nil
		}
	}
	return receipts.Trust{}, trustSource{}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// loadKeyring builds the keyring of the [receipts] settings: the default
// key, each [[receipts.signers]] entry's, and closure_org.
func loadKeyring(cfg config.Receipts) (signingKeys, error) {
	k := signingKeys{from: map[string]string{}}
	var def *receipts.KeySigner
	if cfg.HasKey() {
		var err error
		if def, err = loadSigner(cfg); err != nil {
			return signingKeys{}, err
		}
		k.from[""] = cfg.P12File
		if k.from[""] == "" {
			k.from[""] = cfg.KeyFile
		}
	}
	k.Keyring = receipts.NewKeyring(def)
	for i, e := range cfg.Signers {
		s, file, err := loadEntrySigner(e, i)
		if err != nil {
			return signingKeys{}, err
		}
		if err := k.Add(e.OrgCode, s); err != nil {
			return signingKeys{}, fmt.Errorf("%s: %w", e.Name(i), err)
		}
		k.from[strings.TrimSpace(e.OrgCode)] = file + " (" + strings.TrimSpace(e.OrgCode) + ")"
	}
	if cfg.ClosureOrg != "" {
		if err := k.SetClosureOrg(cfg.ClosureOrg); err != nil {
			return signingKeys{}, err
		}
	}
	return k, nil
}

// requireFiles names the first of an entry's files that does not exist.
func requireFiles(name string, files map[string]string) error {
	for _, setting := range []string{"p12_file", "key_file", "cert_file"} {
		path := files[setting]
		if path == "" {
			continue
		}
		ok, err := fileExists(path)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", name, setting, path, err)
		}
		if !ok {
			return fmt.Errorf("%s: %s %s does not exist: check the path in the config file", name, setting, path)
		}
	}
	return nil
}

// p12Password reads the password of a PKCS#12 file from the variable
// named by env ("" for none).
func p12Password(name, env string) (string, error) {
	if env == "" {
		return "", nil
	}
	v, ok := os.LookupEnv(env)
	if !ok {
		return "", fmt.Errorf("%s p12_password_env names %s, which is not set: export the PKCS#12 password in it", name, env)
	}
	return v, nil
}

// loadEntrySigner loads the key of a [[receipts.signers]] entry and says
// which file it came from.
func loadEntrySigner(e config.Signer, i int) (*receipts.KeySigner, string, error) {
	name := e.Name(i)
	if err := requireFiles(name, map[string]string{"p12_file": e.P12File, "key_file": e.KeyFile, "cert_file": e.CertFile}); err != nil {
		return nil, "", err
	}
	if e.P12File != "" {
		password, err := p12Password(name, e.P12PasswordEnv)
		if err != nil {
			return nil, "", err
		}
		s, err := receipts.LoadPKCS12(e.P12File, password)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", name, err)
		}
		return s, e.P12File, nil
	}
	s, err := receipts.LoadPEM(e.KeyFile, e.CertFile)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return s, e.KeyFile, nil
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

// loadSigner loads the default key from the [receipts] settings.
func loadSigner(cfg config.Receipts) (*receipts.KeySigner, error) {
	switch {
	case cfg.P12File != "":
		password, err := p12Password("[receipts]", cfg.P12PasswordEnv)
		if err != nil {
			return nil, err
		}
		return receipts.LoadPKCS12(cfg.P12File, password)
	case cfg.KeyFile != "":
		return receipts.LoadPEM(cfg.KeyFile, cfg.CertFile)
	}
	return nil, fmt.Errorf("no signing key: set [receipts] p12_file, or key_file and cert_file, in the config file")
}
