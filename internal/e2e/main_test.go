package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// repoRoot is the folder of go.mod; feeposBin is the binary TestMain built.
var repoRoot, feeposBin string

// TestMain builds cmd/feepos once for every test of the package: each test
// runs it as a child process, as a person or a service manager would.
func TestMain(m *testing.M) {
	flag.Parse() // for testing.Verbose before m.Run
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "feepos-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	feeposBin = filepath.Join(dir, "feepos")
	args := []string{"build", "-o", feeposBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/feepos")
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go %v failed: %v\n%s", args, err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: built %s in %s\n", feeposBin, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// findRepoRoot walks up from the package's folder (go test's working
// directory) to the folder of go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run the tests with go test from the repository")
		}
		dir = parent
	}
}
