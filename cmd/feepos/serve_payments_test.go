package main

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve wires the payment API: its routes are served (and closed without
// a token).
func TestServeWiresPaymentAPI(t *testing.T) {
	dir := t.TempDir()
	serveUntil(t, func(base string) {
		for _, p := range []string{"/api/v1/payment-requests", "/api/v1/terminals", "/api/v1/receipts/EBL01/26TAA/00000001.pdf"} {
			resp, err := http.Get(base + p)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", p, b)
		}
	}, "--db", filepath.Join(dir, "f.db"))
}

// Without [receipts] verify_base, the payments' receipts name the address
// served (not an empty verify_url); a port picked at listen time is not
// known before, so none.
func TestListenBase(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		":8080":          "http://localhost:8080",
		"[::]:8080":      "http://localhost:8080",
		"127.0.0.1:0":    "",
	} {
		assert.Equal(t, want, listenBase(addr), addr)
	}
}
