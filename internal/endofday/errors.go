package endofday

import (
	"fmt"
	"time"

	"github.com/feepos/feepos/ledger"
)

// Error is a refusal of the day's close, with its error code
// (internal/apperr).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string     { return e.Message }
func (e *Error) ErrorCode() string { return e.Code }

func invalidf(format string, a ...any) error {
	return &Error{Code: "invalid", Message: fmt.Sprintf(format, a...)}
}

func conflictf(format string, a ...any) error {
	return &Error{Code: "conflict", Message: fmt.Sprintf(format, a...)}
}

func notFoundf(format string, a ...any) error {
	return &Error{Code: "not_found", Message: fmt.Sprintf(format, a...)}
}

func vnZone() *time.Location { return ledger.Zone }
