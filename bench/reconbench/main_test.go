package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary be the benchmark's child modes too (it
// runs itself, as the command does).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && isChildMode(os.Args[1]) {
		if err := childMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmoke runs the whole benchmark at a tiny size, so that `make test`
// keeps the command working: the fixture, one round of the baseline, the
// feepos binary and the phases. It checks that both sides found what was
// injected, never the times (they depend on the machine).
func TestSmoke(t *testing.T) {
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("the baseline needs the sqlite3 command-line tool (apt-get install sqlite3)")
	}
	res, err := run(context.Background(), opts{n: 2000, rounds: 1, seed: 1, dir: t.TempDir(), sqlite3: sqlite3, race: raceBuilt, phases: true, quiet: true})
	require.NoError(t, err)
	require.Len(t, res.Rounds, 1)
	assert.True(t, res.Correct, "%+v", res.Rounds[0])
	assert.Equal(t, 2000-2*5, res.Rounds[0].Feepos.Summary.MatchedCount)
	assert.Positive(t, res.Rounds[0].Feepos.MaxRSS)
	require.NotNil(t, res.Rounds[0].Phases)
	assert.Equal(t, 2000-2*5, res.Rounds[0].Phases.Matches)
}
