package main

import (
	"context"
	"log/slog"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/receipts"
)

// servePayments builds the payment workflow on the database, the terminal
// manager (nil: cash only) and the organisations' signing keys (nil: the
// receipts are issued unsigned, as without keys before), hands it to the
// server's API, and records late what the last run left in doubt.
func servePayments(ctx context.Context, log *slog.Logger, db *sqlite.DB, terms *terminals.Manager, keyring *receipts.Keyring, cfg config.Receipts, srv *server.Server) *payments.Service {
	var keys receipts.Keys
	if keyring != nil { // a nil *Keyring in the interface would not read as "no keys"
		keys = keyring
	}
	svc := payments.New(db, terms, keys, payments.Options{Log: log.With("part", "payments"), VerifyBase: cfg.VerifyBase})
	srv.SetVerifyBase(cfg.VerifyBase)
	srv.SetPayments(svc)
	if err := svc.Recover(ctx); err != nil {
		log.Warn("payments left in doubt by the last run are not settled yet: the terminal manager and an accountant settle them (GET /api/v1/payment-requests?status=needs_review)", "err", err)
	}
	return svc
}
