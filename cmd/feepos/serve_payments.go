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

// servedPayments is the payment workflow while serve runs.
type servedPayments struct {
	*payments.Service
	stopRecovery context.CancelFunc
	recovered    chan struct{} // closed when the recovery loop returned
}

// Close stops the recovery loop and the background charges' waiting,
// before the terminals and the database close.
func (p *servedPayments) Close() {
	p.stopRecovery()
	<-p.recovered
	p.Service.Close()
}

// servePayments builds the payment workflow on the database, the terminal
// manager (nil: cash only) and the organisations' signing keys (nil: the
// receipts are issued unsigned), hands it to the server's API, and runs
// its recovery (poke wakes the webhook worker after a commit that
// enqueued a message): what the last run left in doubt now, then whatever the
// terminal manager settles later (payments.Service.RecoverLoop).
// served is the service's own address, which the receipts' verify_url
// names without [receipts] verify_base (an empty verify_url is of no use
// to the dossier system).
func servePayments(ctx context.Context, log *slog.Logger, db *sqlite.DB, terms *terminals.Manager, keyring *receipts.Keyring, cfg config.Receipts, served string, srv *server.Server, poke func()) *servedPayments {
	var keys receipts.Keys
	if keyring != nil { // a nil *Keyring in the interface would not read as "no keys"
		keys = keyring
	}
	base := cfg.VerifyBase
	if base == "" {
		base = served
	}
	svc := payments.New(db, terms, keys, payments.Options{Log: log.With("part", "payments"), VerifyBase: base, Poke: poke})
	srv.SetVerifyBase(cfg.VerifyBase)
	srv.SetPayments(svc)
	p := &servedPayments{Service: svc, recovered: make(chan struct{})}
	ctx, p.stopRecovery = context.WithCancel(ctx)
	go func() {
		defer close(p.recovered)
		svc.RecoverLoop(ctx, 0)
	}()
	return p
}
