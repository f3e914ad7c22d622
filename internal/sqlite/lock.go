package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Lock is an exclusive advisory lock on a database, held by the running
// service so that a restore cannot pull the file from under it. The kernel
// drops it when the process dies, even by SIGKILL, so a crash never leaves a
// stale lock behind.
type Lock struct{ f *os.File }

// ErrInUse says another process holds the database lock.
type ErrInUse struct {
	Path string
	PID  string
}

func (e *ErrInUse) Error() string {
	who := "another feepos process"
	if e.PID != "" {
		who += " (pid " + e.PID + ")"
	}
	return fmt.Sprintf("database %s is in use by %s: stop it first", e.Path, who)
}

// ErrorCode marks it as a conflict for the CLI and API.
func (e *ErrInUse) ErrorCode() string { return "conflict" }

// LockDatabase takes the lock of the database at path without waiting.
func LockDatabase(path string) (*Lock, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(lockPath)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &ErrInUse{Path: path, PID: strings.TrimSpace(string(pid))}
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release gives the lock back.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing drops the flock
	l.f = nil
	return err
}
