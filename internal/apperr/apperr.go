// Package apperr turns errors from any feepos package into what the edges
// need: an HTTP status for the API and an exit code for the CLI. A domain
// package marks its errors with an ErrorCode() method (see ledger.Error), so
// none of them imports this package.
package apperr

import (
	"context"
	"errors"
	"net/http"
)

// The codes, shared with ledger's.
const (
	Invalid  = "invalid"
	NotFound = "not_found"
	Conflict = "conflict"
	// Unprocessable is well-formed input the domain refuses (an unknown
	// fee code, an amount that does not match the catalogue): 422.
	Unprocessable = "unprocessable"
	Unauthorized  = "unauthorized"
	Forbidden     = "forbidden"
	Unavailable   = "unavailable"
	Internal      = "internal"
	// Usage is a command line that cannot be run as typed (the CLI's exit
	// code 2); no domain error carries it.
	Usage = "usage"
)

type coder interface{ ErrorCode() string }

// Code is the code of err, or Internal when err carries none.
func Code(err error) string {
	var c coder
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Unavailable
	}
	return Internal
}

// HTTPStatus maps a code to the status the API answers with.
func HTTPStatus(code string) int {
	switch code {
	case Invalid, Usage:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Unprocessable:
		return http.StatusUnprocessableEntity
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
