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
// (checkDatabaseFile): missing is not_found, a schema newer than this
// binary keeps its conflict, anything else (not SQLite, damaged, not a
// feepos database) is invalid. Nil stays nil.
func badBackup(path string, err error) error {
	if err == nil {
		return nil
	}
	var newer *ErrSchemaNewer
	switch {
	case errors.As(err, &newer):
		return err
	case errors.Is(err, os.ErrNotExist):
		return &FileError{Path: path, Code: "not_found", Err: err}
	}
	return &FileError{Path: path, Code: "invalid", Err: err}
}
