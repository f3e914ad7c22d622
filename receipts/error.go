package receipts

import "fmt"

// Error codes, the same strings as ledger's and internal/apperr's, so the
// HTTP API and the CLI map receipt errors without importing this package.
const (
	EInvalid  = "invalid"
	ENotFound = "not_found"
	EConflict = "conflict"
	EInternal = "internal"
)

// Error is a receipt rule that a request broke. Message is written for the
// person who sent the request: it says what was wrong and what to do.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorCode lets internal/apperr read the code without importing receipts.
func (e *Error) ErrorCode() string { return e.Code }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf, NotFoundf and Conflictf build receipt errors for the storage
// implementation, which lives outside this package.
func Invalidf(format string, args ...any) *Error  { return errorf(EInvalid, format, args...) }
func NotFoundf(format string, args ...any) *Error { return errorf(ENotFound, format, args...) }
func Conflictf(format string, args ...any) *Error { return errorf(EConflict, format, args...) }
