// Package config reads feepos's optional TOML configuration file.
package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/feepos/feepos/ledger"
)

// DefaultAddr is where the service listens unless told otherwise: loopback
// only, since the cashiers' browsers and the dossier system reach it through
// the centre's reverse proxy.
const DefaultAddr = "127.0.0.1:8080"

// Config is the whole file. Every field is optional.
type Config struct {
	Service  Service  `toml:"service"`
	Ledger   Ledger   `toml:"ledger"`
	Receipts Receipts `toml:"receipts"`
}

// Receipts holds the collecting organisation's signing key and certificate
// (docs/RECEIPTS.md, "Signature"): either a PKCS#12 file whose password is
// read from the environment variable named by p12_password_env, or a PEM
// key file and a PEM certificate file (the certificate first, then its
// chain). cert_file alone is the certificate verify trusts.
type Receipts struct {
	KeyFile        string `toml:"key_file"`
	CertFile       string `toml:"cert_file"`
	P12File        string `toml:"p12_file"`
	P12PasswordEnv string `toml:"p12_password_env"`
}

func (r Receipts) check() error {
	switch {
	case r.P12File != "" && r.KeyFile != "":
		return fmt.Errorf("[receipts]: give either p12_file or key_file and cert_file, not both")
	case r.KeyFile != "" && r.CertFile == "":
		return fmt.Errorf("[receipts]: key_file needs cert_file, the certificate of that key")
	case r.P12PasswordEnv != "" && r.P12File == "":
		return fmt.Errorf("[receipts]: p12_password_env is set but p12_file is not")
	}
	return nil
}

// Service holds where the service listens and logs.
type Service struct {
	Addr     string `toml:"addr"`
	DB       string `toml:"db"`
	LogLevel string `toml:"log_level"` // debug, info, warn, error
}

// Ledger holds chart-of-accounts overrides, merged into the default chart
// by code (see ledger.Chart.Override and docs/LEDGER.md).
type Ledger struct {
	Accounts []ledger.Account `toml:"accounts"`
}

// Load reads the file at path. An unknown key is an error, so a typo such
// as "adress" is reported instead of silently ignored.
func Load(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return Config{}, fmt.Errorf("config %s: unknown setting(s) %s: check the spelling against README.md", path, strings.Join(keys, ", "))
	}
	switch c.Service.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return Config{}, fmt.Errorf("config %s: log_level %q: use debug, info, warn or error", path, c.Service.LogLevel)
	}
	if _, err := c.Chart(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Receipts.check(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Chart is the default chart with this file's overrides.
func (c Config) Chart() (ledger.Chart, error) {
	return ledger.DefaultChart().Override(c.Ledger.Accounts)
}
