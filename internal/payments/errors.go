package payments

import "fmt"

// Error is a payment error the API maps by its code: Code is one of
// "invalid" (400), "not_found" (404), "conflict" (409), "unprocessable"
// (422), "unavailable" (503).
type Error struct {
	Code    string
	Message string
	// Item is the index of the fee line an unprocessable error names (−1:
	// none).
	Item int
}

func (e *Error) Error() string { return e.Message }

// ErrorCode is the code apperr maps.
func (e *Error) ErrorCode() string { return e.Code }

func invalid(format string, a ...any) error {
	return &Error{Code: "invalid", Message: fmt.Sprintf(format, a...), Item: -1}
}

func conflict(format string, a ...any) error {
	return &Error{Code: "conflict", Message: fmt.Sprintf(format, a...), Item: -1}
}

func notFound(format string, a ...any) error {
	return &Error{Code: "not_found", Message: fmt.Sprintf(format, a...), Item: -1}
}

func unprocessable(item int, format string, a ...any) error {
	return &Error{Code: "unprocessable", Message: fmt.Sprintf(format, a...), Item: item}
}

func unavailable(format string, a ...any) error {
	return &Error{Code: "unavailable", Message: fmt.Sprintf(format, a...), Item: -1}
}
