package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The real feepos binary: built from the repository (or given with
// -bin), run as `feepos serve` in a process of its own that the harness
// SIGKILLs and starts again, and its other subcommands (tokens create,
// ledger verify, receipts verify) run against the same database.

// buildFeepos builds ./cmd/feepos of the module at root into dir; race
// builds it with the race detector (the test does when it is itself
// race-built: the packages are then in the build cache already).
func buildFeepos(ctx context.Context, root, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "feepos")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/feepos")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/feepos: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
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
			return "", errors.New("no go.mod above the working directory: run from the repository, or give -bin")
		}
		dir = parent
	}
}

// feepos runs the binary against one database and config.
type feepos struct {
	Bin    string
	DB     string
	Config string
	Addr   string // 127.0.0.1:PORT, the same for every start
	Logs   string // folder of the serve logs
	Args   []string
	Env    []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
	kills  int
}

// run runs a subcommand to its end and returns its stdout; a non-zero exit
// is an error carrying stderr.
func (f *feepos) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--db", f.DB}, args...)
	if f.Config != "" {
		full = append([]string{"--config", f.Config}, full...)
	}
	cmd := exec.CommandContext(ctx, f.Bin, full...)
	cmd.Env = append(os.Environ(), f.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("feepos %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// start starts `feepos serve` and waits until it answers /healthz.
func (f *feepos) start(ctx context.Context) error {
	f.mu.Lock()
	if f.cmd != nil {
		f.mu.Unlock()
		return errors.New("feepos is already running")
	}
	f.starts++
	n := f.starts
	f.mu.Unlock()
	args := []string{"serve", "--addr", f.Addr, "--db", f.DB}
	if f.Config != "" {
		args = append(args, "--config", f.Config)
	}
	args = append(args, f.Args...)
	logPath := filepath.Join(f.Logs, fmt.Sprintf("serve-%04d.log", n))
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(f.Bin, args...)
	cmd.Env = append(os.Environ(), f.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	// The harness dying takes feepos with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	f.mu.Lock()
	f.cmd, f.exited = cmd, exited
	f.mu.Unlock()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-exited:
			f.mu.Lock()
			f.cmd = nil
			f.mu.Unlock()
			return fmt.Errorf("feepos serve ended at start (%s): %s", cmd.ProcessState, tail(logPath, 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if healthy(f.Addr) {
			return nil
		}
		if time.Now().After(deadline) {
			f.kill()
			return fmt.Errorf("feepos serve did not answer /healthz within two minutes: %s", tail(logPath, 15))
		}
	}
}

func healthy(addr string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill SIGKILLs the running serve and waits for it to be gone; false if
// none ran.
func (f *feepos) kill() bool {
	f.mu.Lock()
	cmd, exited := f.cmd, f.exited
	f.cmd = nil
	if cmd != nil {
		f.kills++
	}
	f.mu.Unlock()
	if cmd == nil {
		return false
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	return true
}

// stop asks the running serve to stop (SIGTERM) and waits; after a
// minute it is killed and stop says so.
func (f *feepos) stop() error {
	f.mu.Lock()
	cmd, exited := f.cmd, f.exited
	f.cmd = nil
	f.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if st := cmd.ProcessState; st != nil && !st.Success() {
			return fmt.Errorf("feepos serve stopped with %s", st)
		}
		return nil
	case <-time.After(time.Minute):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return errors.New("feepos serve did not stop within a minute of SIGTERM: killed")
	}
}

// running reports whether a serve process is running.
func (f *feepos) running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cmd != nil
}

// freeAddr finds a free loopback port.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	l := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
