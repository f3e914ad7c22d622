package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/soak"
)

// TestPayCrashShort is the harness at CI size (make test): the real
// feepos binary, built here, on two ZVT terminals and a Concert one with
// faults, 10 SIGKILLs (random and at chosen moments), the settling run
// and the whole check. FEEPOS_SOAK=1 (make soak) runs the full size, 200
// kills. FEEPOS_PAYCRASH_SEED replays a run's draws. Nothing in it is
// timed against the machine: a busy machine makes it slower, never wrong.
func TestPayCrashShort(t *testing.T) {
	seed := uint64(time.Now().UnixNano()) & (1<<53 - 1)
	if s := os.Getenv("FEEPOS_PAYCRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "FEEPOS_PAYCRASH_SEED")
		seed = v
	}
	t.Logf("seed %d (FEEPOS_PAYCRASH_SEED=%d replays its draws)", seed, seed)
	ctx := context.Background()
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	bin, err := buildFeepos(ctx, root, dir, raceBuilt)
	require.NoError(t, err)
	if out, err := exec.Command(bin, "tokens", "create", "--help").CombinedOutput(); err != nil {
		// Until the payment API's tokens are on this branch (issue 10).
		t.Skipf("this feepos has no `tokens create`: %s", out)
	}
	cfg := defaults()
	cfg.Seed, cfg.Dir, cfg.Bin = seed, filepath.Join(dir, "run"), bin
	cfg.ZVT, cfg.Concert = soak.Pick(2, 3), soak.Pick(1, 2)
	cfg.Kills = soak.Pick(10, 200)
	cfg.MaxLife = soak.Pick(1500*time.Millisecond, 3*time.Second)
	cfg.MaxRunTime = soak.Pick(10*time.Minute, 90*time.Minute)
	var progress bytes.Buffer
	cfg.Out = &progress
	rep, err := runHarness(ctx, cfg)
	require.NoError(t, err, "%s", progress.String())
	var out bytes.Buffer
	printReport(&out, rep)
	t.Logf("\n%s%s", progress.String(), out.String())
	assert.Empty(t, rep.Violations, "seed %d", seed)
	assert.Empty(t, rep.Incomplete)
	assert.GreaterOrEqual(t, rep.Kills, cfg.Kills)
	assert.Positive(t, rep.Paid, "some requests were paid")
	assert.Equal(t, "ok", rep.Verify["ledger verify"])
	assert.Equal(t, "ok", rep.Verify["receipts verify"])
}
