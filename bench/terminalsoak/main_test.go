package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/soak"
)

// The test binary is also the soak's child: the parent starts it again
// with the child's configuration in its environment.
func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		if err := childMain(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "terminalsoak child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSoak is the soak with small counts (make test; FEEPOS_SOAK=1 asks
// for more): two ZVT terminals (one repeating the original receipt after
// a reversal) and a Concert terminal with the simulators' faults, a child
// killed at random moments and at chosen steps, and the check against the
// journals. Nothing in it is timed: a busy machine makes it slower, never
// wrong. FEEPOS_TERMINALSOAK_SEED replays a run's draws.
func TestSoak(t *testing.T) {
	seed := uint64(time.Now().UnixNano()) & (1<<53 - 1)
	if s := os.Getenv("FEEPOS_TERMINALSOAK_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "FEEPOS_TERMINALSOAK_SEED")
		seed = v
	}
	t.Logf("seed %d (FEEPOS_TERMINALSOAK_SEED=%d replays its draws)", seed, seed)
	var progress bytes.Buffer
	cfg := soakConfig{Seed: seed, ZVT: 2, Concert: 1, Attempts: soak.Pick(30, 300), Kills: soak.Pick(5, 40), FaultRate: 0.3,
		MaxLife: 1500 * time.Millisecond, EarlyKill: 0.1, Targeted: 0.5, GraceStop: 0.1, Pace: 20 * time.Millisecond,
		Dir: t.TempDir(), MaxRunTime: 10 * time.Minute, Exe: os.Args[0], Args: []string{"-test.run=^$"}, Out: &progress}
	rep, err := runSoak(context.Background(), cfg)
	require.NoError(t, err, "%s", progress.String())
	rep.Seed = seed
	var out bytes.Buffer
	printReport(&out, rep)
	t.Logf("\n%s%s", progress.String(), out.String())
	assert.Empty(t, rep.Violations, "seed %d", seed)
	assert.Empty(t, rep.Incomplete)
	assert.GreaterOrEqual(t, rep.Kills, cfg.Kills)
	assert.Positive(t, rep.Charges, "the terminals charged something")
	assert.Equal(t, rep.Charges, rep.Known, "every charge of an attempt is known to feepos")
}
