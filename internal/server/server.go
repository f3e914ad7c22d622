// Package server is feepos's HTTP side: the dossier-system API, the
// cashier and accountant pages, the public receipt check, health and
// metrics. This file wires the router and runs it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/taxfiling"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/receipts"
)

// Server serves feepos over HTTP.
type Server struct {
	db      *sqlite.DB
	log     *slog.Logger
	router  chi.Router
	metrics *metrics
	verify  *verifier

	terminals *terminals.Manager // nil: no terminals
	tokens    auth.TokenVerifier // nil: no API token opens /api/v1
	api1      chi.Router         // /api/v1 (api.go)
	rate      rateLimit          // api_ratelimit.go

	payments   *payments.Service // nil: the payment routes answer 503 (api_payments.go)
	verifyBase string            // the public address receipts' QR codes name ("" : the request's)

	web    *webTemplates    // the pages (web_render.go)
	center string           // the center's name in the pages' header (SetCenterName)
	now    func() time.Time // the web side's clock: sessions, lockout (nil: time.Now; tests set it)

	loginRate *httprate.RateLimiter // sign-in attempts per address (web_login.go)

	acctCloser *endofday.Closer  // the day's close of the accountant's pages (SetCloser, web_accountant.go)
	keys       *receipts.Keyring // the organisations' signing keys (SetReceiptKeys, web_accountant_files.go)
	taxWatch   *taxfiling.Watch  // serve's summary schedule (SetTaxWatch, web_admin_taxfiling.go); nil: none configured
}

// New builds the server on an opened database.
func New(db *sqlite.DB, log *slog.Logger) *Server {
	s := &Server{db: db, log: log, router: chi.NewRouter()}
	s.metrics = newMetrics(db)
	s.router.Use(middleware.RequestID, middleware.Recoverer, s.observe)
	s.router.Get("/healthz", s.handleHealth)
	s.router.Method(http.MethodGet, "/metrics", s.metrics.handler())
	s.router.Mount("/verify", s.verifyRoutes())
	s.router.Mount("/kiosk", s.kioskRoutes())
	s.routeOpenAPI()
	s.routeFees()
	s.paymentAPIRoutes()
	s.routeWeb()
	return s
}

// SetReceiptTrust says which signing certificates the public receipt check
// (/verify) accepts: the collecting organisation's certificate, or the CAs
// it must chain to. Without it (the zero Trust) a signature is checked
// against the certificate it carries, which proves the receipt unchanged
// since signing but not who signed it, and the page says so. Safe to call
// while serving.
func (s *Server) SetReceiptTrust(t receipts.Trust) { s.verify.setTrust(t) }

// SetTerminals hands the server the terminal manager (the payment API
// and the cashier's page will use it) and adds its metrics to /metrics.
// Call it before serving.
func (s *Server) SetTerminals(m *terminals.Manager) {
	s.terminals = m
	if m != nil {
		s.metrics.registry.MustRegister(m.Collector())
	}
}

// Terminals is the terminal manager, nil if none was set.
func (s *Server) Terminals() *terminals.Manager { return s.terminals }

// Registry lets other parts of the service add their own collectors.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// ServeHTTP makes Server an http.Handler (tests use httptest with it).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Close stops the server's background work: the receipt chain walker of
// /verify (verify_chain.go). Run does it when it returns; a Server used
// only as an http.Handler (tests) calls it when done. Safe to call twice.
func (s *Server) Close() { s.verify.chains.stop() }

// WaitReceiptChecks waits until the first background walk of the receipt
// chains has ended (or ctx ends): from then on /verify answers a chain's
// state without reading every receipt. Benchmarks and tests use it; Run
// starts the walk.
func (s *Server) WaitReceiptChecks(ctx context.Context) error {
	s.verify.chains.start()
	select {
	case <-s.verify.chains.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run listens on addr until ctx ends, then drains requests for up to 10 s.
// ready, if not nil, receives the bound address (useful with port 0). It
// starts the background walk of the receipt chains (/verify), and stops it
// when it returns.
func (s *Server) Run(ctx context.Context, addr string, ready func(net.Addr)) error {
	s.verify.chains.start()
	defer s.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (%s)", addr, err, listenHint(err))
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.log.Info("listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listenHint says what to do when the listen address cannot be bound:
// another process is blamed only when the port is in use.
func listenHint(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "another feepos or program is using the port: stop it, or choose another port with --addr"
	case errors.Is(err, syscall.EACCES):
		return "ports below 1024 need privileges: choose a port from 1024 with --addr"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "this machine has no such address: give one of its addresses, or 127.0.0.1, with --addr"
	}
	return "check the address given with --addr or [service] addr"
}
