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

	"github.com/feepos/feepos/receipts"
)

// Item 1 end to end: serve with a provider configured hands over each
// organisation's signed daily summary on its schedule (summary_at 00:00:
// due at once) and reports the delivery gauges on /metrics.
func TestServeHandsOverDailySummaries(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "feepos-data", "feepos.db")
	drop := filepath.Join(dir, "outbox")
	require.NoError(t, os.Mkdir(drop, 0o750))
	cfg := filepath.Join(dir, "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(`[receipts]
summary_at = "00:00"

[receipts.provider]
kind = "file"
drop = "`+drop+`"
every = "1h"
`), 0o600))
	// The day of the demo receipts: the day serve started, or the day
	// before it when midnight (Asia/Ho_Chi_Minh) passes during the test.
	started := time.Now()
	days := []string{strings.ReplaceAll(receipts.SummaryDate(started), "-", ""),
		strings.ReplaceAll(receipts.SummaryDate(started.Add(time.Minute)), "-", "")}
	var metrics string
	log := serveUntil(t, func(base string) {
		require.Eventually(t, func() bool {
			n := 0
			entries, _ := os.ReadDir(drop)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "01TH-BLDT_") && (strings.HasSuffix(e.Name(), "_"+days[0]+"_LD.xml") || strings.HasSuffix(e.Name(), "_"+days[1]+"_LD.xml")) {
					n++
				}
			}
			return n == 2
		}, time.Minute, 50*time.Millisecond, "both demo organisations' summaries handed over")
		resp, err := http.Get(base + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
	}, "--demo", "--db", dbPath, "--config", cfg)
	assert.Contains(t, log, "tax filing scheduled")
	assert.Contains(t, metrics, `feepos_receipts_summary_missing{org="UBND-DEMO"} 0`)
	assert.Contains(t, metrics, `feepos_receipts_documents_open{state="handed_over"} 2`)
	assert.Contains(t, metrics, "feepos_receipts_provider_outage_seconds 0")

	entries, err := os.ReadDir(drop)
	require.NoError(t, err)
	for _, e := range entries {
		x, err := os.ReadFile(filepath.Join(drop, e.Name()))
		require.NoError(t, err)
		assert.Contains(t, string(x), "<FirstFiling>1</FirstFiling>", e.Name())
		require.NoError(t, receipts.VerifyXML(x, receipts.Trust{}), "signed: %s", e.Name())
	}
}
