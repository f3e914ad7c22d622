package pos

// ErrInvalidRequest matches (errors.Is) the error of a request a driver
// refused before sending anything, because the protocol cannot carry it as
// asked: an amount beyond the protocol's digits, a reference too long, a
// currency other than the đồng. It is the caller's mistake, not the link's:
// nothing was sent, so the card was not charged, and sending it again
// unchanged cannot help. The Result of such a Pending says TransportError
// (nothing was sent); the error tells the two apart.
//
// Each driver exports its own limits and check of a Request
// (zvt.ValidateRequest, concert.ValidateRequest), so a caller can refuse
// the request before it opens the port; the driver checks again.
var ErrInvalidRequest error = invalidRequest{}

type invalidRequest struct{}

func (invalidRequest) Error() string { return "invalid request, nothing was sent to the terminal" }

// ErrorCode lets internal/apperr map the error to "invalid" without this
// package importing it.
func (invalidRequest) ErrorCode() string { return "invalid" }
