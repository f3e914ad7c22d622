package signing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/receipts"
)

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

// Keys is a keyring and where each of its keys comes from, for
// messages.
type Keys struct {
	*receipts.Keyring
	from map[string]string // org code ("" for the default signer) → file
}

// From says where the signer of org ("" for the default) comes from.
func (k Keys) From(org string) string { return k.from[org] }

// ReceiptKeys is the keyring that signs receipts and closures: the
// [receipts] settings, else the demo keys next to dbPath. With neither,
// the error says how to configure one.
func ReceiptKeys(cfg config.Receipts, dbPath string) (Keys, error) {
	if hasKeyConfig(cfg) {
		return loadKeyring(cfg)
	}
	k, found, err := loadDemoKeyring(dbPath)
	if err != nil || found {
		return k, err
	}
	keyFile, _ := DemoKeyPaths(dbPath, DemoOrgs[0])
	return Keys{}, fmt.Errorf("no signing key: set [receipts] p12_file (and p12_password_env), or key_file and cert_file, or one [[receipts.signers]] entry per organisation, in the config file given with --config; for a demo, run 'feepos serve --demo' once to create %s next to the database", keyFile)
}

// ClosureSigner is the key that signs the daily closure
// (receipts.Keyring.ClosureSigner) and where it comes from.
func ClosureSigner(cfg config.Receipts, dbPath string) (*receipts.KeySigner, string, error) {
	k, err := ReceiptKeys(cfg, dbPath)
	if err != nil {
		return nil, "", err
	}
	s, org, err := k.ClosureSigner()
	if err != nil {
		return nil, "", err
	}
	return s, k.From(org), nil
}

// loadKeyring builds the keyring of the [receipts] settings: the default
// key, each [[receipts.signers]] entry's, and closure_org.
func loadKeyring(cfg config.Receipts) (Keys, error) {
	k := Keys{from: map[string]string{}}
	var def *receipts.KeySigner
	if cfg.HasKey() {
		var err error
		if def, err = loadSigner(cfg); err != nil {
			return Keys{}, err
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
			return Keys{}, err
		}
		if err := k.Add(e.OrgCode, s); err != nil {
			return Keys{}, fmt.Errorf("%s: %w", e.Name(i), err)
		}
		k.from[strings.TrimSpace(e.OrgCode)] = file + " (" + strings.TrimSpace(e.OrgCode) + ")"
	}
	if cfg.ClosureOrg != "" {
		if err := k.SetClosureOrg(cfg.ClosureOrg); err != nil {
			return Keys{}, err
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
