package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
)

// FeeposRun is one run of `feepos reconcile run --json` as a child
// process, and the counts of its report.
type FeeposRun struct {
	Child
	Summary    reconcile.Summary `json:"summary"`
	Exceptions map[string]int    `json:"exceptions"`
}

// runFeepos runs the real binary: import the CSV, reconcile the day,
// print the JSON report. The report goes to a file (not measured apart
// from its writing), read back for its counts.
func runFeepos(ctx context.Context, bin, dbPath, csvPath, reportPath string) (FeeposRun, error) {
	out, err := os.Create(reportPath)
	if err != nil {
		return FeeposRun{}, err
	}
	defer out.Close()
	c, err := runChildTo(ctx, out, bin, "--db", dbPath, "reconcile", "run", "--date", day, "--settlement", csvPath, "--json")
	r := FeeposRun{Child: c}
	if err != nil {
		return r, err
	}
	// Read back in a child process: decoding a million matches here would
	// grow this process, and the next child's peak RSS starts from it.
	var counts reportCounts
	if err := selfChild(ctx, &counts, "report-child", reportPath); err != nil {
		return r, fmt.Errorf("read feepos's report: %w", err)
	}
	r.Summary, r.Exceptions = counts.Summary, counts.Exceptions
	return r, nil
}

// reportCounts is what the benchmark checks of a report.
type reportCounts struct {
	Summary    reconcile.Summary `json:"summary"`
	Exceptions map[string]int    `json:"exceptions"`
}

// readReport reads a report's counts (the report-child mode).
func readReport(path string) (reportCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return reportCounts{}, err
	}
	defer f.Close()
	var rep struct {
		Summary    reconcile.Summary     `json:"summary"`
		Exceptions []reconcile.Exception `json:"exceptions"`
	}
	if err := json.NewDecoder(f).Decode(&rep); err != nil {
		return reportCounts{}, err
	}
	return reportCounts{rep.Summary, kinds(rep.Exceptions)}, nil
}

func kinds(es []reconcile.Exception) map[string]int {
	m := map[string]int{}
	for _, e := range es {
		m[string(e.Kind)]++
	}
	return m
}

// Phases are the day's close run in this process, phase by phase.
type Phases struct {
	Read        time.Duration  `json:"read_file_ns"`    // os.ReadFile of the CSV
	Parse       time.Duration  `json:"parse_ns"`        // the importer (CSV → lines)
	ImportStore time.Duration  `json:"import_store_ns"` // the rest of Import: checks, one transaction of inserts
	Gather      time.Duration  `json:"gather_ns"`       // Run until the engine: the day read from the store
	Match       time.Duration  `json:"match_ns"`        // the engine
	Store       time.Duration  `json:"store_ns"`        // Run after the engine: matches, exceptions, postings, commit
	Report      time.Duration  `json:"report_ns"`       // the JSON report written (to io.Discard)
	Total       time.Duration  `json:"total_ns"`
	HeapPeak    uint64         `json:"heap_peak_bytes"` // the largest live heap seen (sampled)
	MaxRSS      int64          `json:"max_rss_bytes"`   // the peak RSS of the phases' process (a child of its own)
	Matches     int            `json:"matches"`
	Exceptions  map[string]int `json:"exceptions"`
}

// runPhases runs Import, Run and the report on dbPath in this process,
// with the reader and the engine wrapped to time them.
func runPhases(ctx context.Context, dbPath, csvPath string) (Phases, error) {
	var ph Phases
	db, err := sqlite.OpenExisting(ctx, dbPath)
	if err != nil {
		return ph, err
	}
	defer db.Close()
	var peak uint64 // the sampler's until it stops; ph is returned (copied) after
	stop := sampleHeap(&peak)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	var engineStart, engineEnd time.Time
	c := endofday.New(db, endofday.Options{
		Reader: func(name string, data []byte, format, profile string) (endofday.Parsed, error) {
			t := time.Now()
			p, err := endofday.ReadFile(name, data, format, profile)
			ph.Parse += time.Since(t)
			return p, err
		},
		Engine: func(d reconcile.Day) reconcile.Result {
			engineStart = time.Now()
			r := reconcile.Run(d)
			engineEnd = time.Now()
			ph.Match += engineEnd.Sub(engineStart)
			return r
		},
	})
	actor := auth.Actor{Kind: auth.KindSystem, ID: "reconbench", Name: "reconbench"}
	t0 := time.Now()
	data, err := os.ReadFile(csvPath)
	if err != nil {
		return ph, err
	}
	ph.Read = time.Since(t0)
	t1 := time.Now()
	imp, err := c.Import(ctx, actor, endofday.File{Name: csvPath, Data: data, Format: "auto"})
	if err != nil {
		return ph, err
	}
	ph.ImportStore = time.Since(t1) - ph.Parse
	data = nil
	t2 := time.Now()
	// As `feepos reconcile run --settlement` does: the lines just
	// imported go to the run from memory.
	res, err := c.RunAfterImport(ctx, actor, day, false, []*endofday.ImportResult{&imp})
	if err != nil {
		return ph, err
	}
	t3 := time.Now()
	ph.Gather = engineStart.Sub(t2)
	ph.Store = t3.Sub(engineEnd)
	enc := json.NewEncoder(io.Discard)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res.Report); err != nil {
		return ph, err
	}
	ph.Report = time.Since(t3)
	ph.Total = time.Since(t0)
	ph.Matches, ph.Exceptions = len(res.Report.Matches), kinds(res.Report.Exceptions)
	stop()
	stopped, ph.HeapPeak = true, peak
	return ph, nil
}

// sampleHeap records the largest HeapAlloc seen every 20 ms until stop.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// selfRusage is this process's peak RSS in bytes.
func selfRusage() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Maxrss << 10, true
}
