package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// openChild is the start of a child that killChild runs: it opens the
// database named by the environment variable envDB, with the test clock and
// usdChart (entryGen posts to its dollar accounts), and gives the child its
// way to die (a message on stderr, which the parent shows, and exit code 3).
// ok is false when envDB is unset: the child test was run alone and does
// nothing.
func openChild(envDB, who string) (db *sqlite.DB, die func(error), ok bool) {
	path := os.Getenv(envDB)
	if path == "" {
		return nil, nil, false
	}
	die = func(err error) {
		fmt.Fprintln(os.Stderr, who+":", err)
		os.Exit(3)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		die(err)
	}
	db.Now = testClock()
	if err := db.SyncChart(ctx, usdChart()); err != nil {
		die(err)
	}
	return db, die, true
}

// killChild runs this test binary again as the test named child, with env
// added to its environment, waits for its first output line starting with
// prefix (the child prints one per commit), lets it run delay longer, kills
// it with SIGKILL and returns every such line it printed, prefix cut. The
// child must write nothing to stderr.
func killChild(t *testing.T, child string, env []string, prefix string, round int, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), env...), testClockStartEnv+"="+strconv.FormatInt(testClockStart.UnixNano(), 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out []string
	collect := func(l string) {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			out = append(out, rest)
		}
	}

	timeout := time.After(time.Minute) // a race-built child on a loaded machine starts slowly
	for len(out) == 0 {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("round %d: the child exited before its first commit: %s", round, stderr.String())
			}
			collect(l)
		case <-timeout:
			t.Fatalf("round %d: no commit from the child within a minute: %s", round, stderr.String())
		}
	}
	kill := time.After(delay)
	for waiting := true; waiting; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("round %d: the child exited before it was killed: %s", round, stderr.String())
			}
			collect(l)
		case <-kill:
			waiting = false
		}
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred code, no Close
	killed = true
	for l := range lines { // what it wrote before dying is still in the pipe
		collect(l)
	}
	err = cmd.Wait()
	require.Error(t, err, "the child was killed")
	require.Contains(t, err.Error(), "killed")
	require.Empty(t, stderr.String())
	return out
}
