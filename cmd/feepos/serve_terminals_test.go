package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve --demo runs two simulated terminals in the process and the
// terminal manager on them: both come online (registered, idle), /metrics
// shows them, and they stop with the service.
func TestServeDemoRunsSimulatedTerminals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feepos-data")
	metrics := func(base string) string {
		resp, err := http.Get(base + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	log := serveUntil(t, func(base string) {
		require.Eventually(t, func() bool {
			m := metrics(base)
			return strings.Contains(m, `feepos_terminal_online{terminal="DEMO-ZVT"} 1`) &&
				strings.Contains(m, `feepos_terminal_online{terminal="DEMO-CONCERT"} 1`)
		}, time.Minute, 50*time.Millisecond, "the demo terminals come online")
		m := metrics(base)
		assert.Contains(t, m, `feepos_terminal_state{state="idle",terminal="DEMO-ZVT"} 1`)
		assert.Contains(t, m, `feepos_terminal_in_doubt{terminal="DEMO-CONCERT"} 0`)
	}, "--demo", "--db", filepath.Join(dir, "feepos.db"))
	assert.Contains(t, log, "terminal id=DEMO-ZVT protocol=zvt")
	assert.Contains(t, log, "terminal id=DEMO-CONCERT protocol=concert")
	assert.Contains(t, log, "terminal state")
}

// A configured terminal that is not there does not stop the service: it
// is offline, and said so.
func TestServeWithAnAbsentTerminal(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(`[[terminals]]
id = "T1"
protocol = "zvt"
counter = "Quầy 1"
port = "`+filepath.Join(dir, "no-such-tty")+`"
`), 0o600))
	log := serveUntil(t, func(base string) {
		resp, err := http.Get(base + "/metrics")
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(b), `feepos_terminal_online{terminal="T1"} 0`)
	}, "--config", cfg, "--db", filepath.Join(dir, "f.db"))
	assert.Contains(t, log, "terminal id=T1 protocol=zvt")
}
