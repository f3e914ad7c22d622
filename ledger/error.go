package ledger

import "fmt"

// Error codes shared by every layer: the HTTP API maps them to statuses and
// the CLI to exit codes (see internal/apperr). They are plain strings so a
// package outside ledger can report them without importing ledger.
const (
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EUnauthorized = "unauthorized"
	EInternal     = "internal"
)

// Error is a ledger rule that a request broke. Message is written for the
// person who sent the request: it says what was wrong and what to do.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode lets internal/apperr read the code without importing ledger.
func (e *Error) ErrorCode() string { return e.Code }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf, NotFoundf and Conflictf build ledger errors for the storage
// implementation, which lives outside this package.
func Invalidf(format string, args ...any) *Error  { return errorf(EInvalid, format, args...) }
func NotFoundf(format string, args ...any) *Error { return errorf(ENotFound, format, args...) }
func Conflictf(format string, args ...any) *Error { return errorf(EConflict, format, args...) }
