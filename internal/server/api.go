package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
)

// The API's common parts (docs/API.md): JSON answers, the error shape
// {error:{code, message}}, and the token and role check every /api/v1
// route goes through.

// SetTokens hands the server what checks API tokens. Without it every
// route that needs a token answers 401. Call it before serving.
func (s *Server) SetTokens(v auth.TokenVerifier) { s.tokens = v }

// apiRouter is /api/v1; resources add their routes to it (api_*.go).
func (s *Server) apiRouter() chi.Router {
	if s.api1 == nil {
		s.api1 = chi.NewRouter()
		s.router.Mount("/api/v1", s.api1)
	}
	return s.api1
}

// api is the middleware of a route open to roles (admin may use every
// route): 401 without a valid token, 403 for another role, 429 over the
// rate limit (api_ratelimit.go). The actor is put in the request's context
// (auth.ActorFrom).
func (s *Server) api(roles ...auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearer(r)
			if !ok || s.tokens == nil {
				if s.limited(w, r, addressKey(r)) {
					return
				}
			}
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="feepos"`)
				writeError(w, http.StatusUnauthorized, apperr.Unauthorized, "this route needs an API token: send Authorization: Bearer TOKEN (feepos tokens create)")
				return
			}
			if s.tokens == nil {
				writeError(w, http.StatusUnauthorized, apperr.Unauthorized, "this feepos has no API tokens configured")
				return
			}
			actor, err := s.tokens.VerifyToken(r.Context(), token)
			if err != nil {
				if errors.Is(err, auth.ErrBadToken) {
					if s.limited(w, r, addressKey(r)) {
						return
					}
					w.Header().Set("WWW-Authenticate", `Bearer realm="feepos", error="invalid_token"`)
					writeError(w, http.StatusUnauthorized, apperr.Unauthorized, err.Error())
					return
				}
				s.writeErr(w, r, err)
				return
			}
			if s.limited(w, r, "token:"+actor.ID) {
				return
			}
			if !actor.Has(roles...) {
				writeError(w, http.StatusForbidden, apperr.Forbidden, "the role "+string(actor.Role)+" may not use this route; it needs "+roleList(roles))
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithActor(r.Context(), actor)))
		})
	}
}

func roleList(roles []auth.Role) string {
	names := make([]string, 0, len(roles)+1)
	for _, r := range roles {
		names = append(names, string(r))
	}
	names = append(names, string(auth.RoleAdmin))
	return strings.Join(names, " or ")
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// apiError is the error shape of the API.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, status, e)
}

// writeErr answers err with the status its code maps to; an internal
// error is logged and answered without its details.
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.Code(err)
	status := apperr.HTTPStatus(code)
	if status >= 500 && code == apperr.Internal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, status, code, "internal error: the service logged it; try again, and tell the administrator if it persists")
		return
	}
	writeError(w, status, code, err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// readJSON decodes a request body of at most 1 MiB into v, refusing
// unknown fields so that a client's typo is an error, not a silent
// default.
func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidf("the request body is not the JSON this route takes: %v", err)
	}
	if dec.More() {
		return invalidf("the request body holds more than one JSON value")
	}
	return nil
}

type invalidError struct{ msg string }

func (e invalidError) Error() string     { return e.msg }
func (e invalidError) ErrorCode() string { return apperr.Invalid }

func invalidf(format string, a ...any) error {
	return invalidError{msg: fmt.Sprintf(format, a...)}
}
