package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The smoke test runs every measurement at a tiny size, so that `make
// test` keeps the command working; it checks that something was measured
// and nothing failed, never the numbers (they depend on the machine).

func TestRecordSmoke(t *testing.T) {
	r, err := runRecord(context.Background(), recordOpts{writers: 4, duration: 300 * time.Millisecond, supply: 20, rounds: 1,
		dir: t.TempDir(), quiet: true})
	require.NoError(t, err)
	require.Len(t, r.Phases, 3)
	for _, p := range r.Phases {
		assert.Zero(t, p.Errors, p.Phase)
		assert.Positive(t, p.Count, p.Phase)
	}
	assert.Positive(t, r.Ratio)
}

func TestLatencySmoke(t *testing.T) {
	r, err := runLatency(context.Background(), latencyOpts{zvt: 1, concert: 1, n: 2, warmup: 1, rounds: 1, dir: t.TempDir(), quiet: true})
	require.NoError(t, err)
	for _, k := range []string{"bare driver/zvt", "bare driver/concert", "feepos/zvt", "feepos/concert"} {
		assert.Equal(t, 2, r.Total[k].N, k)
	}
}

func TestAPISmoke(t *testing.T) {
	r, err := runAPI(context.Background(), apiOpts{rate: 40, duration: 500 * time.Millisecond, rounds: 1, dir: t.TempDir(), quiet: true})
	require.NoError(t, err)
	for _, p := range r.Phases {
		assert.Zero(t, p.Errors, p.Phase)
		assert.Equal(t, 20, p.Latency.N, p.Phase)
	}
}

func TestIdleSmoke(t *testing.T) {
	r, err := runIdle(context.Background(), idleOpts{zvt: 1, concert: 1, wait: 100 * time.Millisecond})
	require.NoError(t, err)
	assert.Positive(t, r.Idle.VmRSS)
	assert.Positive(t, r.Idle.Pss)
}
