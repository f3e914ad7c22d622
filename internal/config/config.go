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
	Service Service `toml:"service"`
	Ledger  Ledger  `toml:"ledger"`
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
	return c, nil
}

// Chart is the default chart with this file's overrides.
func (c Config) Chart() (ledger.Chart, error) {
	return ledger.DefaultChart().Override(c.Ledger.Accounts)
}
