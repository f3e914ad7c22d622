package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "feepos.toml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoad(t *testing.T) {
	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, Config{}, c)

	c, err = Load(write(t, `
[service]
addr = "127.0.0.1:9000"
log_level = "debug"
[[ledger.accounts]]
code = "112.VCB"
name = "Tiền gửi Vietcombank"
type = "asset"
role = "bank"
[[ledger.accounts]]
code = "112.USD"
name = "Tiền gửi ngoại tệ (USD)"
type = "asset"
currency = "USD"
`))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", c.Service.Addr)
	chart, err := c.Chart()
	require.NoError(t, err)
	code, ok := chart.CodeFor(ledger.RoleBank)
	assert.True(t, ok)
	assert.Equal(t, "112.VCB", code)
	currency := map[string]string{}
	for _, a := range chart.Accounts() {
		currency[a.Code] = a.Currency
	}
	assert.Equal(t, "USD", currency["112.USD"])
	assert.Equal(t, "VND", currency["112.VCB"], "no currency: VND")
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"unknown key":      {"[service]\nport = 8080\n", "service.port"},
		"bad log level":    {"[service]\nlog_level = \"loud\"\n", "log_level"},
		"bad account type": {"[[ledger.accounts]]\ncode = \"119\"\nname = \"x\"\ntype = \"assets\"\n", "type"},
		"bad account code": {"[[ledger.accounts]]\ncode = \"x1\"\nname = \"x\"\ntype = \"asset\"\n", "code"},
		"bad currency":     {"[[ledger.accounts]]\ncode = \"1122\"\nname = \"x\"\ntype = \"asset\"\ncurrency = \"dollar\"\n", "currency"},
		"not toml":         {"[service\n", "config"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing.toml"))
	assert.Error(t, err)
}
