package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/httprate"
)

// The API's rate limit (docs/API.md "Access"): requests per minute per
// token, and per client address for requests without a valid token (so
// guessing tokens is slow too). It protects the service from a runaway
// client, not from a determined attacker: the default is generous.

// DefaultRateLimit is the API requests a client may make per minute.
const DefaultRateLimit = 600

// codeRateLimited is the error code of a 429 (no domain error carries it,
// so it is not in internal/apperr).
const codeRateLimited = "rate_limited"

type rateLimit struct {
	once      sync.Once
	perMinute int // 0: DefaultRateLimit; < 0: no limit
	l         *httprate.RateLimiter
}

// SetRateLimit sets the API requests per minute a token (or an address
// without one) may make: 0 is DefaultRateLimit, a negative number turns
// the limit off. Call it before serving.
func (s *Server) SetRateLimit(perMinute int) { s.rate.perMinute = perMinute }

// limited counts the request against key and, over the limit, answers
// 429 with Retry-After and reports true.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, key string) bool {
	s.rate.once.Do(func() {
		n := s.rate.perMinute
		if n == 0 {
			n = DefaultRateLimit
		}
		if n > 0 {
			s.rate.l = httprate.NewRateLimiter(n, time.Minute)
		}
	})
	if s.rate.l == nil || !s.rate.l.OnLimit(w, r, key) {
		return false
	}
	if w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60")
	}
	writeError(w, http.StatusTooManyRequests, codeRateLimited,
		"too many requests from this client: wait the seconds of the Retry-After header, then slow down")
	return true
}

// addressKey is the rate limit's key of a request without a valid token.
func addressKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + httprate.CanonicalizeIP(host)
}
