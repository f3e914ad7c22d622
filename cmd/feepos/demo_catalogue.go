package main

import (
	"context"
	"log/slog"

	"github.com/feepos/feepos/internal/demo"
	"github.com/feepos/feepos/internal/sqlite"
)

// seedDemoCatalogue imports the demo fee catalogue (internal/demo) when
// serve runs with --demo; without it, it does nothing.
func seedDemoCatalogue(ctx context.Context, log *slog.Logger, db *sqlite.DB, on bool) error {
	if !on {
		return nil
	}
	ch, err := demo.SeedCatalogue(ctx, db)
	if err != nil {
		return err
	}
	if !ch.Empty() {
		log.Info("demo fee catalogue imported", "added", len(ch.Added), "updated", len(ch.Updated))
	}
	return nil
}
