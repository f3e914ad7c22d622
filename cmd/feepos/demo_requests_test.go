package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/demo"
	"github.com/feepos/feepos/internal/sqlite"
)

// serve --demo leaves the five demo dossiers pending for the cashier's
// pages, once: a second start creates none again.
func TestServeDemoCreatesPendingRequestsOnce(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "feepos-data", "feepos.db")
	log := serveUntil(t, nil, "--demo", "--db", dbPath)
	assert.Contains(t, log, "HS-DEMO-0001")
	serveUntil(t, nil, "--demo", "--db", dbPath)

	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	totals := map[string]int64{"HS-DEMO-0001": 100_000, "HS-DEMO-0002": 20_000, "HS-DEMO-0003": 600_000, "HS-DEMO-0004": 70_000, "HS-DEMO-0005": 150_000}
	require.Len(t, demo.Dossiers, len(totals))
	for code, total := range totals {
		rows, err := db.PaymentRequests(ctx, sqlite.PaymentRequestFilter{DossierCode: code, Limit: 10})
		require.NoError(t, err)
		require.Len(t, rows, 1, code)
		assert.Equal(t, "pending", rows[0].Status, code)
		assert.Equal(t, total, rows[0].Total, code)
	}
}

func TestDemoZVTFaultsFromTheEnvironment(t *testing.T) {
	t.Setenv(demoFaultsEnv, "")
	f, err := demoZVTFaults()
	require.NoError(t, err)
	assert.Empty(t, f)
	t.Setenv(demoFaultsEnv, "slow_card:700ms, decline:51")
	f, err = demoZVTFaults()
	require.NoError(t, err)
	require.Len(t, f, 2)
	assert.Equal(t, "slow_card", f[0].Kind())
	assert.Equal(t, "decline", f[1].Kind())
	t.Setenv(demoFaultsEnv, "explode")
	_, err = demoZVTFaults()
	assert.ErrorContains(t, err, demoFaultsEnv)
}
