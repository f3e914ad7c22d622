package server

import (
	"io"
	"log/slog"
	"testing"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/receipts"
)

// fullTestServer is a server with every resource's routes registered, as
// `feepos serve` wires it (cmd/feepos serve.go, serve_access.go,
// serve_payments.go): the route walk of the OpenAPI test needs them all.
// Each resource that adds routes through a setter adds its call here.
func fullTestServer(t *testing.T) *Server {
	t.Helper()
	s, db := newTestServer(t)
	keys := receipts.NewKeyring(nil)
	svc := payments.New(db, nil, keys, payments.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(svc.Close)
	s.SetReceiptTrust(keys.Trust())
	s.SetTerminals(nil)
	s.SetTokens(testTokens)
	s.SetRateLimit(0)
	s.AddWebhookRoutes(nil)
	s.SetVerifyBase("https://bienlai.example.gov.vn")
	s.SetPayments(svc)
	return s
}
