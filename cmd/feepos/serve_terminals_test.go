package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
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

// The demo's simulated terminals take payments through the terminal
// manager with the real drivers, each with its own protocol's hold: a
// ZVT approval confirmed; a Concert approval confirmed, and one rejected,
// whose charge stands and which the Concert driver's orphan settles.
func TestDemoTerminalsTakePayments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feepos-data")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "feepos.db"))
	require.NoError(t, err)
	defer db.Close()
	m, stop, err := startTerminals(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), db, nil, true)
	require.NoError(t, err)
	defer stop()
	idle := func(id string) bool {
		for _, s := range m.Status() {
			if s.ID == id {
				return s.Status == terminals.StatusIdle
			}
		}
		return false
	}
	require.Eventually(t, func() bool { return idle(demoZVT) && idle(demoConcert) }, time.Minute, 20*time.Millisecond)

	for _, id := range []string{demoZVT, demoConcert} {
		c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: id, Amount: 25_000, Cashier: "demo"})
		require.NoError(t, err, id)
		require.Equal(t, pos.Approved, c.Result().Outcome, id)
		assert.True(t, c.Deadline().After(time.Now()), "held until the driver's deadline")
		require.NoError(t, c.Confirm(ctx), id)
		assert.Equal(t, terminals.StateConfirmed, c.State(), id)
	}

	c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: demoConcert, Amount: 30_000})
	require.NoError(t, err)
	require.ErrorIs(t, c.Reject(ctx), pos.ErrConfirmUncertain, "a Concert terminal keeps the charge")
	require.Eventually(t, func() bool {
		rec, err := m.Attempt(ctx, c.AttemptID())
		return err == nil && rec.State == terminals.StateSettledCharged
	}, time.Minute, 20*time.Millisecond, "settled charged by the driver's orphan")
}
