package main

import (
	"os"
	"runtime/debug"
)

// reconcileMemoryLimit is the Go heap's soft limit for the commands that
// import and reconcile a day (docs/BENCHMARKS.md, "Reconciliation,
// 1,000,000 lines"). A day of a million lines holds ~550 MiB of lines
// and payments, and the engine ~230 MiB more; with the default GOGC the
// heap would grow to twice that between collections (1.4–1.5 GiB of
// RSS). Under the limit the collector runs more often near the peak
// instead, and the process stays under 1 GiB with SQLite's page cache
// (64 MiB) and the rest of the C side beside it (~150 MiB in all). A
// small day never comes near the limit: nothing changes there. The live
// heap at the engine's peak (~780 MiB) is a little above the limit: the
// collector then runs back to back for the engine's few seconds (its CPU
// is capped at half), which cost ~1 s of CPU against 800 MiB and kept the
// peak ~75 MiB lower (916 against 990 MiB, docs/BENCHMARKS.md).
const reconcileMemoryLimit = 768 << 20

// limitReconcileMemory sets reconcileMemoryLimit unless the user set
// GOMEMLIMIT (which then wins, as everywhere in Go).
func limitReconcileMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(reconcileMemoryLimit)
	}
}
