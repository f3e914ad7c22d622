package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
)

func TestLoadVerifyBaseAndAddr(t *testing.T) {
	c, err := Load(write(t, "[service]\naddr = \":8080\"\n[receipts]\nverify_base = \"https://bienlai.example.gov.vn\"\n"))
	require.NoError(t, err)
	assert.Equal(t, "https://bienlai.example.gov.vn", c.Receipts.VerifyBase)

	for name, tc := range map[string]struct{ body, want string }{
		"addr without port":    {"[service]\naddr = \"garbage\"\n", `[service] addr: listen address "garbage" is not HOST:PORT (missing port in address)`},
		"addr with bad port":   {"[service]\naddr = \"127.0.0.1:http2\"\n", "port must be a number"},
		"port out of range":    {"[service]\naddr = \"127.0.0.1:70000\"\n", "port must be a number"},
		"verify_base no http":  {"[receipts]\nverify_base = \"bienlai.example.gov.vn\"\n", "[receipts] verify_base"},
		"verify_base w/ query": {"[receipts]\nverify_base = \"https://x.example/?a=1\"\n", "remove the query"},
	} {
		_, err := Load(write(t, tc.body))
		assert.ErrorContains(t, err, tc.want, name)
		assert.Equal(t, apperr.Invalid, apperr.Code(err), name)
	}
}

// A configuration the user got wrong is the user's to fix, never an
// internal error.
func TestLoadErrorsCarryCodes(t *testing.T) {
	_, err := Load(write(t, "[service]\nadress = \"x\"\n"))
	assert.Equal(t, apperr.Invalid, apperr.Code(err))
	_, err = Load(write(t, "[service\n"))
	assert.Equal(t, apperr.Invalid, apperr.Code(err))
	_, err = Load(filepath.Join(t.TempDir(), "missing.toml"))
	assert.Equal(t, apperr.NotFound, apperr.Code(err))
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8080", ":8080", "localhost:0", "[::1]:9000", "0.0.0.0:65535"} {
		assert.NoError(t, CheckAddr(ok), ok)
	}
	for _, bad := range []string{"garbage", "8080", "127.0.0.1", "127.0.0.1:-1", "127.0.0.1:65536", "::1:80", ""} {
		assert.Error(t, CheckAddr(bad), bad)
	}
}
