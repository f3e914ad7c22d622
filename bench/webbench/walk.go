package main

import (
	"context"
	"time"

	"github.com/feepos/feepos/bench/internal/stats"
	"github.com/feepos/feepos/internal/sqlite"
)

// Walk is the chain walk /verify makes (sqlite.DB.VerifyReceipts, every
// series' chain from its first receipt), timed on its own. The server runs
// it in the background (internal/server/verify_chain.go) and a request
// checks only the receipts issued since its last run, so no page pays it;
// it is timed to show what the background walk costs.
type Walk struct {
	Receipts int64         `json:"receipts"`
	OK       bool          `json:"ok"`
	Times    stats.Summary `json:"times_us"`
}

// walkChains times n walks on a second handle of the fixture (the server
// may be serving it meanwhile: WAL readers do not block).
func walkChains(ctx context.Context, dbPath string, n int) (Walk, error) {
	var w Walk
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return w, err
	}
	defer db.Close()
	var times []float64
	for range n {
		t := time.Now()
		rep, err := db.VerifyReceipts(ctx)
		if err != nil {
			return w, err
		}
		times = append(times, float64(time.Since(t).Nanoseconds())/1e3)
		w.Receipts, w.OK = rep.Receipts, rep.OK
	}
	w.Times = stats.Summarize(times)
	return w, nil
}
