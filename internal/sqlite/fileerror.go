package sqlite

import (
	"errors"
	"os"
)

// FileError is a problem with a file the caller named (a backup to write, a
// backup to restore from), not with the database or the service: a user's
// mistake, with the code the CLI and API report.
type FileError struct {
	Path string
	Code string // "invalid", "conflict", "not_found"
	Err  error
}

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ErrorCode is e.Code for the CLI and API.
func (e *FileError) ErrorCode() string { return e.Code }

// badBackup classifies why the file to restore from does not check out
// (checkRestoreCopy): an error that carries its own code keeps it (a
// schema newer than this binary, a check that failed), missing is
// not_found, anything else (not SQLite, damaged, not a feepos database, a
// folder) is invalid. Nil stays nil.
func badBackup(path string, err error) error {
	if err == nil {
		return nil
	}
	var coded interface{ ErrorCode() string }
	switch {
	case errors.As(err, &coded):
		return err // already says whose mistake it is (ErrSchemaNewer, ErrCheckFailed…)
	case errors.Is(err, os.ErrNotExist):
		return &FileError{Path: path, Code: "not_found", Err: err}
	}
	return &FileError{Path: path, Code: "invalid", Err: err}
}
