package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/webhook"
	"github.com/feepos/feepos/receipts"
)

// serving is the service started on the fixture, in this process.
type serving struct {
	base string       // http://127.0.0.1:PORT
	stop func() error // idempotent
	// firstWalk is how long the server's first background walk of the
	// receipt chains took after start; the pages are measured after it,
	// as a running server serves them (/verify answers "not checked yet"
	// before it).
	firstWalk time.Duration
}

// serve starts feepos's HTTP server on the fixture as `feepos serve
// --demo` wires it (cmd/feepos/serve.go): server.New, the demo keys'
// trust, API tokens and rate limit, the webhook routes, the payment
// service (no terminal manager: the pages measured do not charge), on
// 127.0.0.1 with a port of its own. The webhook worker and the payments'
// recovery loop are not run: they would only add background work to the
// measurement. Logs are discarded.
func serve(ctx context.Context, dbPath string) (*serving, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	keys, trust, err := signing.Load(ctx, log, db, config.Receipts{}, dbPath, true)
	if err != nil {
		db.Close()
		return nil, err
	}
	var rk receipts.Keys
	if keys != nil {
		rk = keys
	}
	srv := server.New(db, log)
	srv.SetReceiptTrust(trust)
	srv.SetTokens(db)
	srv.SetRateLimit(0)
	srv.AddWebhookRoutes(webhook.New(db, webhook.Options{Log: log}))
	srv.SetTerminals(nil)
	svc := payments.New(db, nil, rk, payments.Options{Log: log})
	srv.SetVerifyBase("")
	srv.SetPayments(svc)

	ctx, cancel := context.WithCancel(ctx)
	bound := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, "127.0.0.1:0", func(a net.Addr) { bound <- a }) }()
	var addr net.Addr
	select {
	case addr = <-bound:
	case err := <-done:
		cancel()
		svc.Close()
		db.Close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	t := time.Now()
	if err := srv.WaitReceiptChecks(ctx); err != nil {
		cancel()
		<-done
		svc.Close()
		db.Close()
		return nil, fmt.Errorf("serve: first chain walk: %w", err)
	}
	firstWalk := time.Since(t)
	var once sync.Once
	var stopErr error
	return &serving{base: "http://" + addr.String(), firstWalk: firstWalk, stop: func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
			svc.Close()
			if err := db.Close(); stopErr == nil {
				stopErr = err
			}
		})
		return stopErr
	}}, nil
}
