package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/taxfiling"
	"github.com/feepos/feepos/receipts"
)

// startTaxFiling runs, when [receipts.provider] is set, the schedule of
// hand-overs to the provider (internal/taxfiling.Scheduler): each
// organisation's daily summary at [receipts] summary_at, signed with its
// key, amendments for the receipts issued after it, the retry of what is
// queued, the inbox of the tax office's answers and the provider's status;
// and puts the delivery gauges on /metrics. The returned func stops the
// schedule and waits for its tick to end.
func startTaxFiling(ctx context.Context, log *slog.Logger, db *sqlite.DB, cfg config.Receipts, keys *receipts.Keyring, srv *server.Server) (func(), error) {
	p := cfg.Provider
	if !p.Configured() {
		log.Info("no [receipts.provider] in the config: serve does not hand daily summaries over; use feepos receipts summary --drop")
		return func() {}, nil
	}
	to, transport, err := providerTransmitter(p, "")
	if err != nil {
		return nil, err
	}
	svc := &taxfiling.Service{DB: db, To: to, Transport: transport, Actor: auth.System("tax-filing"), Log: log}
	switch {
	case p.Unsigned:
		log.Info("daily summaries are handed over unsigned ([receipts.provider] unsigned = true): the provider signs them")
	case keys == nil:
		log.Warn("no signing key: daily summaries are handed over unsigned; configure [receipts] keys, or set [receipts.provider] unsigned = true if the provider signs")
	default:
		svc.Sign = taxfiling.KeySign(keys)
	}
	watch := taxWatch(cfg)
	srv.SetTaxWatch(watch) // the admin's receipts page shows the same warnings
	if err := srv.RegisterMetrics(taxfiling.Collector{Service: svc, Watch: watch, Now: time.Now}); err != nil {
		return nil, err
	}
	sched := &taxfiling.Scheduler{Service: svc, Watch: watch, Every: p.Every.Duration, Inbox: p.Inbox, Now: time.Now}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sched.Run(ctx)
	}()
	at := cfg.SummaryAt
	if at == "" {
		at = "23:30"
	}
	log.Info("tax filing scheduled", "transport", transport, "summary_at", at, "inbox", p.Inbox)
	return func() { cancel(); <-done }, nil
}
