package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Child is one timed child process: its wall time from start to exit,
// its CPU and its peak resident memory (wait4's rusage).
type Child struct {
	Wall       time.Duration `json:"wall_ns"`
	User       time.Duration `json:"user_ns"`
	System     time.Duration `json:"system_ns"`
	MaxRSS     int64         `json:"max_rss_bytes"`
	Stdout     string        `json:"stdout,omitempty"`
	LoadBefore string        `json:"load_before"`
	LoadAfter  string        `json:"load_after"`
}

// runChild runs name args with stdin from the given text (nil: none);
// its stdout is kept in Stdout.
func runChild(ctx context.Context, stdin []byte, name string, args ...string) (Child, error) {
	var out bytes.Buffer
	c, err := runProcess(ctx, stdin, &out, name, args...)
	c.Stdout = out.String()
	return c, err
}

// runChildTo runs name args with its stdout on the file f (a real file,
// as a shell's > redirection: no pipe for the child to fill).
func runChildTo(ctx context.Context, f *os.File, name string, args ...string) (Child, error) {
	return runProcess(ctx, nil, f, name, args...)
}

func runProcess(ctx context.Context, stdin []byte, stdout io.Writer, name string, args ...string) (Child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var errb bytes.Buffer
	cmd.Stdout = stdout
	cmd.Stderr = &errb
	c := Child{LoadBefore: loadAvg()}
	start := time.Now()
	err := cmd.Run()
	c.Wall = time.Since(start)
	c.LoadAfter = loadAvg()
	if err != nil {
		return c, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		c.MaxRSS = ru.Maxrss << 10 // kB on Linux
		c.User = time.Duration(ru.Utime.Nano())
		c.System = time.Duration(ru.Stime.Nano())
	}
	return c, nil
}
