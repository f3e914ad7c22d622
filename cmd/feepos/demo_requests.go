package main

import (
	"context"
	"log/slog"

	"github.com/feepos/feepos/internal/demo"
	"github.com/feepos/feepos/internal/payments"
)

// seedDemoRequests creates the demo's pending payment requests
// (HS-DEMO-0001 … HS-DEMO-0005, internal/demo) when serve runs with
// --demo; without it, it does nothing.
func seedDemoRequests(ctx context.Context, log *slog.Logger, svc *payments.Service, on bool) error {
	if !on {
		return nil
	}
	reqs, err := demo.SeedRequests(ctx, svc)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		log.Info("demo payment request", "dossier", r.DossierCode, "id", r.ID, "status", r.Status, "total", r.Total)
	}
	return nil
}
