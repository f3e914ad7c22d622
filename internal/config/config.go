// Package config reads feepos's optional TOML configuration file.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// DefaultAddr is where the service listens unless told otherwise: loopback
// only, since the cashiers' browsers and the dossier system reach it through
// the centre's reverse proxy.
const DefaultAddr = "127.0.0.1:8080"

// Config is the whole file. Every field is optional.
type Config struct {
	Service   Service    `toml:"service"`
	Ledger    Ledger     `toml:"ledger"`
	Receipts  Receipts   `toml:"receipts"`
	Terminals []Terminal `toml:"terminals"`
}

// Receipts holds the signing keys of the collecting organisations
// (docs/RECEIPTS.md, "Signature" and "Demo keys and configuration").
//
// The top-level key is the default signer: it signs the receipts of every
// organisation without a [[receipts.signers]] entry, and the daily closure.
// It is either a PKCS#12 file whose password is read from the environment
// variable named by p12_password_env, or a PEM key file and a PEM
// certificate file (the certificate first, then its chain). cert_file alone
// is a certificate verify trusts.
//
// Each [[receipts.signers]] entry gives one organisation (org_code, the
// OrgCode of its receipt series) its own key, in the same two forms: one
// receipt per collecting organisation, signed by that organisation's
// certificate (Decree 254/2026/NĐ-CP Art. 23–29). closure_org names the
// entry whose key signs the daily closure; it is needed only when there are
// entries but no default key and more than one entry.
//
// verify_base is the public address of the receipt check pages (/verify),
// which the QR code of a printed or rendered receipt points to, e.g.
// "https://bienlai.example.gov.vn": the address a payer's phone reaches,
// not the loopback one serve listens on behind the reverse proxy.
type Receipts struct {
	VerifyBase     string   `toml:"verify_base"`
	KeyFile        string   `toml:"key_file"`
	CertFile       string   `toml:"cert_file"`
	P12File        string   `toml:"p12_file"`
	P12PasswordEnv string   `toml:"p12_password_env"`
	ClosureOrg     string   `toml:"closure_org"`
	Signers        []Signer `toml:"signers"`
	// SummaryAt is when serve hands over each organisation's daily summary
	// 01/TH-BLĐT, "HH:MM" in Asia/Ho_Chi_Minh; "" means 23:30. Used only
	// when a provider is configured.
	SummaryAt string   `toml:"summary_at"`
	Provider  Provider `toml:"provider"`
	// TaxOffice, TaxOfficeCode and TaxOffices: the tax office the notices
	// 04/SS-CTĐT are addressed to (taxoffice.go).
	TaxOffice     string      `toml:"tax_office"`
	TaxOfficeCode string      `toml:"tax_office_code"`
	TaxOffices    []TaxOffice `toml:"tax_offices"`
}

// Provider is [receipts.provider]: how documents reach the licensed
// provider (docs/RECEIPTS.md "The provider hand-off").
//
//	kind = "file": write into drop (receipts.FileDrop)
//	kind = "http": PUT to endpoint (receipts/provider.HTTP), with the token
//	       read from the variable token_env (default FEEPOS_PROVIDER_TOKEN)
//	       or, less safely, token in this file
//
// inbox is the folder the provider drops the tax office's answers into;
// every (default "10m") is how often serve looks at the schedule, the
// queue, the inbox and the provider's status; ack_hours (default 24) is how
// long a handed-over document may wait for an answer before it is a warning.
type Provider struct {
	Kind     string   `toml:"kind"`
	Drop     string   `toml:"drop"`
	Inbox    string   `toml:"inbox"`
	Every    Duration `toml:"every"`
	AckHours int      `toml:"ack_hours"`
	Endpoint string   `toml:"endpoint"`
	Token    string   `toml:"token"`
	TokenEnv string   `toml:"token_env"`
	Timeout  Duration `toml:"timeout"`
	Retries  int      `toml:"retries"`
	// Unsigned hands summaries over unsigned, for a provider that signs
	// them itself.
	Unsigned bool `toml:"unsigned"`
}

// DefaultProviderTokenEnv is the variable the provider's API token is read
// from when token_env is not set.
const DefaultProviderTokenEnv = "FEEPOS_PROVIDER_TOKEN"

// Configured says whether a provider is set.
func (p Provider) Configured() bool { return p.Kind != "" }

func (p Provider) check() error {
	switch p.Kind {
	case "":
		if p.Drop != "" || p.Endpoint != "" {
			return fmt.Errorf("[receipts.provider]: kind is missing: give kind = \"file\" (with drop) or kind = \"http\" (with endpoint)")
		}
	case "file":
		if p.Drop == "" {
			return fmt.Errorf("[receipts.provider] kind = \"file\" needs drop, the folder the provider's agent picks files up from")
		}
	case "http":
		if !strings.HasPrefix(p.Endpoint, "https://") && !strings.HasPrefix(p.Endpoint, "http://") {
			return fmt.Errorf("[receipts.provider] kind = \"http\" needs endpoint, the API's base address, e.g. https://provider.example/api/v1")
		}
	default:
		return fmt.Errorf("[receipts.provider] kind %q: use \"file\" or \"http\"", p.Kind)
	}
	if p.AckHours < 0 || p.Retries < 0 {
		return fmt.Errorf("[receipts.provider]: ack_hours and retries cannot be negative")
	}
	return nil
}

// Signer is one [[receipts.signers]] entry: an organisation's own key.
type Signer struct {
	OrgCode        string `toml:"org_code"`
	KeyFile        string `toml:"key_file"`
	CertFile       string `toml:"cert_file"`
	P12File        string `toml:"p12_file"`
	P12PasswordEnv string `toml:"p12_password_env"`
}

// Name says which entry s is, for messages.
func (s Signer) Name(i int) string {
	if strings.TrimSpace(s.OrgCode) == "" {
		return fmt.Sprintf("[[receipts.signers]] entry %d", i+1)
	}
	return fmt.Sprintf("[[receipts.signers]] org_code %q", strings.TrimSpace(s.OrgCode))
}

// HasKey says whether the top-level [receipts] names a key (not just a
// certificate to trust).
func (r Receipts) HasKey() bool { return r.P12File != "" || r.KeyFile != "" }

func (r Receipts) check() error {
	if r.SummaryAt != "" {
		if t, err := time.Parse("15:04", r.SummaryAt); err != nil || t.Format("15:04") != r.SummaryAt {
			return fmt.Errorf("[receipts] summary_at %q: write the time of day as HH:MM, e.g. \"23:30\"", r.SummaryAt)
		}
	}
	if err := r.Provider.check(); err != nil {
		return err
	}
	switch {
	case r.P12File != "" && r.KeyFile != "":
		return fmt.Errorf("[receipts]: give either p12_file or key_file and cert_file, not both")
	case r.KeyFile != "" && r.CertFile == "":
		return fmt.Errorf("[receipts]: key_file needs cert_file, the certificate of that key")
	case r.P12PasswordEnv != "" && r.P12File == "":
		return fmt.Errorf("[receipts]: p12_password_env is set but p12_file is not")
	}
	seen := map[string]int{}
	for i, s := range r.Signers {
		name := s.Name(i)
		code := strings.TrimSpace(s.OrgCode)
		switch {
		case code == "":
			return fmt.Errorf("%s: org_code is missing: give the org_code of the organisation's receipt series", name)
		case s.P12File != "" && (s.KeyFile != "" || s.CertFile != ""):
			return fmt.Errorf("%s: give either p12_file or key_file and cert_file, not both", name)
		case s.P12File == "" && s.KeyFile == "" && s.CertFile == "":
			return fmt.Errorf("%s: no key: give p12_file (and p12_password_env), or key_file and cert_file", name)
		case s.KeyFile != "" && s.CertFile == "":
			return fmt.Errorf("%s: key_file needs cert_file, the certificate of that key", name)
		case s.CertFile != "" && s.KeyFile == "":
			return fmt.Errorf("%s: cert_file needs key_file: an entry signs, so it needs the key (a certificate only to trust goes in [receipts] cert_file)", name)
		case s.P12PasswordEnv != "" && s.P12File == "":
			return fmt.Errorf("%s: p12_password_env is set but p12_file is not", name)
		}
		if j, dup := seen[code]; dup {
			return fmt.Errorf("[[receipts.signers]] entries %d and %d both have org_code %q: one key per organisation", j+1, i+1, code)
		}
		seen[code] = i
	}
	if err := r.checkTaxOffices(); err != nil {
		return err
	}
	if c := strings.TrimSpace(r.ClosureOrg); c != "" {
		if _, ok := seen[c]; !ok {
			return fmt.Errorf("[receipts] closure_org %q: no [[receipts.signers]] entry has that org_code", c)
		}
	}
	return nil
}

// Service holds where the service listens and logs.
type Service struct {
	Addr     string `toml:"addr"`
	DB       string `toml:"db"`
	LogLevel string `toml:"log_level"` // debug, info, warn, error
	// RateLimit is the API requests per minute per token (per address
	// without one): 0 is the default (600), a negative number no limit.
	RateLimit int `toml:"rate_limit"`
}

// Ledger holds chart-of-accounts overrides, merged into the default chart
// by code (see ledger.Chart.Override and docs/LEDGER.md).
type Ledger struct {
	Accounts []ledger.Account `toml:"accounts"`
}

// Error is a configuration file that cannot be used: the user's to fix
// (code "invalid"; "not_found" for a file that is not there).
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode lets internal/apperr map the error.
func (e *Error) ErrorCode() string {
	if errors.Is(e.Err, fs.ErrNotExist) {
		return "not_found"
	}
	return "invalid"
}

// CheckAddr checks a listen address: HOST:PORT, HOST an IP address, a name
// or empty (every interface), PORT a number from 0 (any free port) to
// 65535.
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		why := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			why = ae.Err
		}
		return fmt.Errorf("listen address %q is not HOST:PORT (%s): write e.g. %s, or :8080 for every interface", addr, why, DefaultAddr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("listen address %q: the port must be a number from 0 to 65535, e.g. %s", addr, DefaultAddr)
	}
	return nil
}

// Load reads the file at path. An unknown key is an error, so a typo such
// as "adress" is reported instead of silently ignored. Errors are *Error.
func Load(path string) (Config, error) {
	c, err := load(path)
	if err != nil {
		return Config{}, &Error{err}
	}
	return c, nil
}

func load(path string) (Config, error) {
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
	if c.Service.Addr != "" {
		if err := CheckAddr(c.Service.Addr); err != nil {
			return Config{}, fmt.Errorf("config %s: [service] addr: %w", path, err)
		}
	}
	if err := CheckTerminals(c.Terminals); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if c.Receipts.VerifyBase != "" {
		if err := receipts.CheckVerifyBase(c.Receipts.VerifyBase); err != nil {
			return Config{}, fmt.Errorf("config %s: [receipts] verify_base: %w", path, err)
		}
	}
	return c, nil
}

// Chart is the default chart with this file's overrides.
func (c Config) Chart() (ledger.Chart, error) {
	return ledger.DefaultChart().Override(c.Ledger.Accounts)
}
