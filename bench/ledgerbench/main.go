// Command ledgerbench measures the feepos ledger on the disk it runs on
// (issue 2):
//
//   - durable postings per second and latency with 1 and 16 writers, each
//     beside the rate of plain single-row durable SQLite commits measured in
//     the same run, on the same disk, with the same pragmas (the physical
//     reference: the target is at least half of it);
//   - a trial balance over 1,000,000 entries (target: ≤ 1 s), on a ledger
//     built through the real posting code, hash chain included; and, for
//     information, how long verifying that chain takes.
//
// Run it from the repository root so its files land in bench/out (ignored by
// git) on the working disk, not in /tmp, which may be RAM:
//
//	go run ./bench/ledgerbench                 # everything, 5 to 12 minutes on 2 cores
//	go run ./bench/ledgerbench -phases write   # durable writes only, about 1.5 minutes
//	go run ./bench/ledgerbench -phases tb -entries 100000
//
// docs/BENCHMARKS.md records the results and how to read them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

type config struct {
	dir        string
	keep       bool
	phases     map[string]bool
	duration   time.Duration
	n          int
	rounds     int
	writers    []int
	warmup     time.Duration
	keys       bool
	entries    int
	batch      int
	days       int
	start      time.Time
	tbRuns     int
	tbDB       string
	verify     bool
	tbPost     bool
	reqCtx     bool
	jsonPath   string
	cpuProfile string
}

// Report is the whole run, as -json writes it.
type Report struct {
	Started time.Time `json:"started"`
	Command string    `json:"command"`
	Machine Machine   `json:"machine"`
	Storage Storage   `json:"storage"`
	SQLite  struct {
		Version     string `json:"version"`
		JournalMode string `json:"journal_mode"`
		Synchronous string `json:"synchronous"`
	} `json:"sqlite"`
	Writes       []Result       `json:"writes,omitempty"`
	Ratios       []Ratio        `json:"ratios,omitempty"`
	TrialBalance *TrialBalRep   `json:"trial_balance,omitempty"`
	Settings     map[string]any `json:"settings"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages:
	// anything else running on the machine skews the numbers.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// Ratio compares ledger postings with the plain commits of the same number
// of writers.
type Ratio struct {
	Writers       int     `json:"writers"`
	PostOpsSec    float64 `json:"post_ops_per_sec"`
	RefPhase      string  `json:"reference_phase"`
	RefOpsSec     float64 `json:"reference_ops_per_sec"`
	Ratio         float64 `json:"ratio"`
	TargetMet     bool    `json:"target_met"` // ratio ≥ 0.5 against the fastest reference
	OtherRefs     []Ratio `json:"other_references,omitempty"`
	PostP99ms     float64 `json:"post_p99_ms"`
	ReferenceP99  float64 `json:"reference_p99_ms"`
	ReferenceNote string  `json:"reference_note,omitempty"`
}

// TrialBalRep is the trial-balance phase.
type TrialBalRep struct {
	DB            string    `json:"db"`
	Storage       Storage   `json:"storage"`
	Entries       int64     `json:"entries"`
	Lines         int64     `json:"lines"`
	DailyTotals   int64     `json:"daily_totals_rows"`
	Days          int       `json:"days"`
	BuiltEntries  int       `json:"built_entries"` // entries posted by this run
	BuildSeconds  float64   `json:"build_seconds"`
	BuildRate     float64   `json:"build_entries_per_sec"`
	DBBytes       int64     `json:"db_bytes"`
	All           Timings   `json:"all_dates"`
	AsOf          Timings   `json:"as_of"`
	AsOfDate      string    `json:"as_of_date"`
	Rows          int       `json:"rows"`
	Balanced      bool      `json:"balanced"`
	TotalDebit    int64     `json:"total_debit"`
	TargetMet     bool      `json:"target_met"` // slowest all-dates run ≤ 1 s
	Verify        *VerifyTm `json:"verify,omitempty"`
	Posts         []Result  `json:"posts_on_this_ledger,omitempty"`
	OpenSeconds   float64   `json:"open_seconds"`
	ReopenedFirst bool      `json:"reopened_before_reads"`
}

// VerifyTm is the chain verification over the trial-balance ledger.
type VerifyTm struct {
	Seconds float64 `json:"seconds"`
	OK      bool    `json:"ok"`
	Entries int64   `json:"entries"`
	Problem string  `json:"problem,omitempty"`
}

var logOut io.Writer = os.Stderr

func logf(format string, args ...any) {
	fmt.Fprintf(logOut, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(2)
	}
	// SIGTERM too: the run folder, with databases of up to a few hundred
	// MB, is removed on the way out (unless -keep).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("ledgerbench", flag.ContinueOnError)
	fs.StringVar(&c.dir, "dir", filepath.Join("bench", "out"), "folder for the benchmark databases; it must be on the disk under test, not tmpfs (a run folder is made inside and removed unless -keep)")
	fs.BoolVar(&c.keep, "keep", false, "keep the databases after the run")
	phases := fs.String("phases", "write,tb", "phases to run: write (plain commits and ledger postings), tb (build a ledger, trial balance, verify)")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "time per write phase and round")
	fs.IntVar(&c.n, "n", 0, "operations per write phase and round instead of -duration (0: use -duration)")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds of the write phases; the phases are interleaved within each round so a drifting disk affects all alike")
	writers := fs.String("writers", "1,16", "comma-separated writer (goroutine) counts")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured writes to each database before the first round")
	fs.BoolVar(&c.keys, "keys", true, "give each payment entry an idempotency key, as the payment API does")
	fs.IntVar(&c.entries, "entries", 1_000_000, "entries in the trial-balance ledger")
	fs.IntVar(&c.batch, "batch", 5000, "entries per transaction when building the trial-balance ledger")
	fs.IntVar(&c.days, "days", 365, "business days the trial-balance ledger spans")
	start := fs.String("start", "2025-01-01", "first business date of the trial-balance ledger")
	fs.IntVar(&c.tbRuns, "tbruns", 10, "trial balance runs per query")
	fs.StringVar(&c.tbDB, "tbdb", "", "trial-balance database to use and keep (built or topped up to -entries); default: one in the run folder")
	fs.BoolVar(&c.verify, "verify", true, "time a full chain verification of the trial-balance ledger")
	fs.BoolVar(&c.tbPost, "tbpost", true, "after the reads, time ledger postings (one round per -writers count) on the trial-balance ledger, whose indexes no longer fit SQLite's page cache; the entries stay in it")
	fs.BoolVar(&c.reqCtx, "reqctx", true, "give each write, and the ledger build, a cancellable context, as an HTTP request's or a CLI command's is; false gives contexts that are never cancelled, with which the driver runs statements without a cancellation watcher")
	fs.StringVar(&c.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.phases = map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		p = strings.TrimSpace(p)
		if p != "write" && p != "tb" {
			return c, fmt.Errorf("-phases: unknown phase %q (use write, tb)", p)
		}
		c.phases[p] = true
	}
	for _, w := range strings.Split(*writers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return c, fmt.Errorf("-writers: %q is not a positive number", w)
		}
		c.writers = append(c.writers, n)
	}
	t, err := ledger.ParseDate(*start)
	if err != nil {
		return c, fmt.Errorf("-start: %w", err)
	}
	c.start = t
	switch {
	case c.rounds < 1, c.entries < 1, c.batch < 1, c.days < 1, c.tbRuns < 1, c.n < 0:
		return c, errors.New("-rounds, -entries, -batch, -days and -tbruns must be positive, -n not negative")
	case c.n == 0 && c.duration <= 0:
		return c, errors.New("give a positive -duration or -n")
	}
	return c, nil
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	requestContexts = cfg.reqCtx
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return err
	}
	runDir, err := os.MkdirTemp(cfg.dir, "run-")
	if err != nil {
		return err
	}
	if cfg.keep {
		logf("databases kept in %s", runDir)
	} else {
		defer os.RemoveAll(runDir)
	}

	rep := &Report{Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Machine: machineInfo(), Storage: storageOf(runDir), LoadBefore: loadAvg()}
	rep.Settings = map[string]any{
		"duration": cfg.duration.String(), "n": cfg.n, "rounds": cfg.rounds, "writers": cfg.writers,
		"warmup": cfg.warmup.String(), "keys": cfg.keys, "entries": cfg.entries, "batch": cfg.batch,
		"days": cfg.days, "start": cfg.start.Format(ledger.DateLayout), "tbruns": cfg.tbRuns, "reqctx": cfg.reqCtx,
	}
	if !rep.Storage.OnDisk {
		logf("WARNING: %s is on %s (%s): fsync may never reach a disk and the durable-write numbers mean nothing; pass -dir on a real disk",
			rep.Storage.Dir, rep.Storage.FSType, rep.Storage.Source)
	}

	if cfg.phases["write"] {
		if err := writePhases(ctx, cfg, runDir, rep); err != nil {
			return err
		}
	}
	if cfg.phases["tb"] {
		path := cfg.tbDB
		if path == "" {
			path = filepath.Join(runDir, "trial-balance.db")
		} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		} else if st := storageOf(filepath.Dir(path)); !st.OnDisk {
			logf("WARNING: -tbdb %s is on %s", path, st.FSType)
		}
		tb, err := trialBalancePhase(ctx, cfg, path, rep)
		if err != nil {
			return err
		}
		rep.TrialBalance = tb
	}
	rep.LoadAfter = loadAvg()
	printReport(out, cfg, rep)
	if cfg.jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// openLedger opens a feepos database with its real pragmas and the default
// chart of accounts.
func openLedger(ctx context.Context, path string) (*sqlite.DB, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.SyncChart(ctx, ledger.DefaultChart()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func sqliteFacts(ctx context.Context, db *sqlite.DB, rep *Report) error {
	conn, err := db.SQL().Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var sync int
	if err := conn.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&rep.SQLite.Version); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&rep.SQLite.JournalMode); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return err
	}
	rep.SQLite.Synchronous = map[int]string{0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[sync]
	return nil
}

const (
	phaseFsync       = "raw write+fsync 4 KiB"
	phasePlain       = "plain commit"
	phasePlainQueued = "plain commit, Go queue"
	phasePost        = "ledger post"
)

// writePhases measures plain single-row commits and ledger postings, round
// after round, each phase at each writer count.
func writePhases(ctx context.Context, cfg config, dir string, rep *Report) error {
	// The reference: a feepos database (same DSN and pragmas, same migrations),
	// one scratch table, one row per BEGIN IMMEDIATE … COMMIT.
	refDB, err := sqlite.Open(ctx, filepath.Join(dir, "reference.db"))
	if err != nil {
		return err
	}
	defer refDB.Close()
	if err := sqliteFacts(ctx, refDB, rep); err != nil {
		return err
	}
	if rep.SQLite.JournalMode != "wal" || rep.SQLite.Synchronous != "FULL" {
		logf("WARNING: pragmas read back as journal_mode=%s synchronous=%s, not wal/FULL", rep.SQLite.JournalMode, rep.SQLite.Synchronous)
	}
	sdb := refDB.SQL()
	if _, err := sdb.ExecContext(ctx, `CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL)`); err != nil {
		return err
	}
	plain := func(ctx context.Context, w int, seq int64) error {
		tx, err := sdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the DSN sets _txlock=immediate
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_commit (writer, seq, at) VALUES (?, ?, ?)`,
			w, seq, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	// The same commits queued in Go, as sqlite.DB queues its writers: SQLite's
	// busy handler sleeps in growing steps, so 16 plain writers contending in
	// SQLite can be slower than the disk allows.
	var queue sync.Mutex
	plainQueued := func(ctx context.Context, w int, seq int64) error {
		queue.Lock()
		defer queue.Unlock()
		return plain(ctx, w, seq)
	}

	postDB, err := openLedger(ctx, filepath.Join(dir, "post.db"))
	if err != nil {
		return err
	}
	defer postDB.Close()
	today := ledger.BusinessDate(time.Now())
	post := func(ctx context.Context, w int, seq int64) error {
		_, err := postDB.Post(ctx, cardPayment(today, seq, cfg.keys))
		return err
	}

	// The floor under both: one 4 KiB write and fsync of a plain file, the
	// least a durable commit can cost on this disk. Shown for information.
	raw, err := os.OpenFile(filepath.Join(dir, "fsync.dat"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer raw.Close()
	page := make([]byte, 4096)
	fsyncOp := func(ctx context.Context, w int, seq int64) error {
		if _, err := raw.WriteAt(page, (seq%256)*4096); err != nil {
			return err
		}
		return raw.Sync()
	}

	if cfg.warmup > 0 {
		logf("warm-up: %s of each kind of write", cfg.warmup)
		runPhase(ctx, "warm-up", 1, cfg.warmup, 0, plain)
		runPhase(ctx, "warm-up", 1, cfg.warmup, 0, post)
	}
	type key struct {
		phase   string
		writers int
	}
	sums := map[key]*Result{}
	var order []key
	add := func(r Result) {
		k := key{r.Phase, r.Writers}
		if sums[k] == nil {
			sums[k] = &Result{}
			order = append(order, k)
		}
		sums[k].merge(r)
		logf("round %d  %-24s %2d writers  %6d ops  %8.1f ops/s  p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d",
			len(sums[k].Rounds), r.Phase, r.Writers, r.Count, r.OpsSec, r.P50ms, r.P99ms, r.Maxms, r.Errors)
	}
	for round := 1; round <= cfg.rounds; round++ {
		add(runPhase(ctx, phaseFsync, 1, cfg.duration, cfg.n, fsyncOp))
		for _, w := range cfg.writers {
			if err := ctx.Err(); err != nil {
				return err
			}
			add(runPhase(ctx, phasePlain, w, cfg.duration, cfg.n, plain))
			if w > 1 {
				add(runPhase(ctx, phasePlainQueued, w, cfg.duration, cfg.n, plainQueued))
			}
			add(runPhase(ctx, phasePost, w, cfg.duration, cfg.n, post))
		}
	}
	for _, k := range order {
		rep.Writes = append(rep.Writes, *sums[k])
	}
	for _, w := range cfg.writers {
		p := sums[key{phasePost, w}]
		var best *Ratio
		var others []Ratio
		for _, ph := range []string{phasePlain, phasePlainQueued} {
			r := sums[key{ph, w}]
			if r == nil || r.OpsSec == 0 {
				continue
			}
			x := Ratio{Writers: w, PostOpsSec: p.OpsSec, RefPhase: ph, RefOpsSec: r.OpsSec, Ratio: p.OpsSec / r.OpsSec,
				PostP99ms: p.P99ms, ReferenceP99: r.P99ms}
			others = append(others, x)
			if best == nil || x.RefOpsSec > best.RefOpsSec {
				b := x
				best = &b
			}
		}
		if best == nil {
			continue
		}
		best.TargetMet = best.Ratio >= 0.5
		if len(others) > 1 {
			best.OtherRefs = others
			best.ReferenceNote = "compared with the faster of the two references"
		}
		rep.Ratios = append(rep.Ratios, *best)
	}
	return nil
}

// trialBalancePhase builds (or tops up) a ledger of cfg.entries entries
// through tx.PostEntry, then times trial balances and a verification.
func trialBalancePhase(ctx context.Context, cfg config, path string, rep *Report) (*TrialBalRep, error) {
	tb := &TrialBalRep{DB: path, Days: cfg.days, Storage: storageOf(filepath.Dir(path))}
	db, err := openLedger(ctx, path)
	if err != nil {
		return nil, err
	}
	if rep.SQLite.Version == "" {
		if err := sqliteFacts(ctx, db, rep); err != nil {
			db.Close()
			return nil, err
		}
	}
	var have int
	if err := db.SQL().GetContext(ctx, &have, `SELECT COUNT(*) FROM ledger_entries`); err != nil {
		db.Close()
		return nil, err
	}
	gen := mixGen{start: cfg.start, days: cfg.days, total: cfg.entries, keys: cfg.keys}
	if have < cfg.entries {
		logf("building a ledger of %d entries over %d days in %s (%d already there), %d entries per transaction",
			cfg.entries, cfg.days, path, have, cfg.batch)
		t0 := time.Now()
		last := t0
		for i := have; i < cfg.entries; {
			if err := ctx.Err(); err != nil {
				db.Close()
				return nil, err
			}
			k := min(cfg.batch, cfg.entries-i)
			bctx := ctx // cancellable, like a CLI import's
			if !cfg.reqCtx {
				bctx = context.WithoutCancel(ctx)
			}
			// The ledger is posted as it happened: each batch at 17:00 on
			// the day of its last entry, and cut short where that day's
			// posting window (ledger.PostingWindow) no longer holds its
			// first entry, so every date is accepted whatever -start.
			var postedAt time.Time
			for ; ; k-- {
				lastDay, err := ledger.ParseDate(gen.date(i + k - 1))
				if err != nil {
					db.Close()
					return nil, err
				}
				postedAt = lastDay.Add(17 * time.Hour)
				if k == 1 || ledger.PostingWindow(postedAt).Contains(gen.date(i)) {
					break
				}
			}
			db.Now = func() time.Time { return postedAt }
			err = db.WithTx(bctx, func(tx *sqlite.Tx) error {
				for j := i; j < i+k; j++ {
					if _, err := tx.PostEntry(bctx, gen.entry(j)); err != nil {
						return fmt.Errorf("entry %d: %w", j, err)
					}
				}
				return nil
			})
			if err != nil {
				db.Close()
				return nil, fmt.Errorf("build: %w", err)
			}
			i += k
			if time.Since(last) > 15*time.Second || i == cfg.entries {
				last = time.Now()
				el := time.Since(t0)
				logf("  %8d / %d entries, %s, %.0f entries/s", i, cfg.entries, el.Round(time.Second), float64(i-have)/el.Seconds())
			}
		}
		tb.BuiltEntries = cfg.entries - have
		tb.BuildSeconds = time.Since(t0).Seconds()
		tb.BuildRate = float64(tb.BuiltEntries) / tb.BuildSeconds
	} else {
		logf("using the %d entries already in %s", have, path)
	}
	// Checkpoint the WAL and reopen, so the reads start from a fresh
	// connection pool with a cold SQLite page cache, as after a restart.
	if _, err := db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		db.Close()
		return nil, err
	}
	db.Close()
	t0 := time.Now()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tb.OpenSeconds = time.Since(t0).Seconds()
	tb.ReopenedFirst = true
	for q, dst := range map[string]*int64{
		`SELECT COUNT(*) FROM ledger_entries`:      &tb.Entries,
		`SELECT COUNT(*) FROM ledger_lines`:        &tb.Lines,
		`SELECT COUNT(*) FROM ledger_daily_totals`: &tb.DailyTotals,
	} {
		if err := db.SQL().GetContext(ctx, dst, q); err != nil {
			return nil, err
		}
	}
	if st, err := os.Stat(path); err == nil {
		tb.DBBytes = st.Size()
	}

	runTB := func(asOf string) (ledger.TrialBalance, []time.Duration, error) {
		var last ledger.TrialBalance
		var ds []time.Duration
		for range cfg.tbRuns {
			t0 := time.Now()
			r, err := db.TrialBalance(ctx, asOf)
			ds = append(ds, time.Since(t0))
			if err != nil {
				return last, ds, err
			}
			last = r
		}
		return last, ds, nil
	}
	// The all-dates query runs first, right after the reopen.
	all, ds, err := runTB("")
	if err != nil {
		return nil, err
	}
	tb.All = summarize("trial balance, all dates", ds)
	tb.Rows, tb.Balanced = len(all.Rows), all.Balanced()
	for _, t := range all.Totals {
		tb.TotalDebit += t.Debit
	}
	tb.AsOfDate = gen.date(cfg.entries / 2)
	if _, ds, err = runTB(tb.AsOfDate); err != nil {
		return nil, err
	}
	tb.AsOf = summarize("trial balance as of "+tb.AsOfDate, ds)
	tb.TargetMet = tb.All.MaxMs <= 1000 && tb.AsOf.MaxMs <= 1000 && tb.Entries >= 1_000_000
	logf("trial balance over %d entries: all dates median %.2f ms (max %.2f), as of %s median %.2f ms (max %.2f)",
		tb.Entries, tb.All.MedianMs, tb.All.MaxMs, tb.AsOfDate, tb.AsOf.MedianMs, tb.AsOf.MaxMs)

	if cfg.verify {
		logf("verifying the chain of %d entries", tb.Entries)
		t0 := time.Now()
		v, err := db.Verify(ctx)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		tb.Verify = &VerifyTm{Seconds: time.Since(t0).Seconds(), OK: v.OK, Entries: v.Entries, Problem: v.Problem}
		logf("verify: ok=%v, %d entries in %.1f s", v.OK, v.Entries, tb.Verify.Seconds)
	}
	if cfg.tbPost {
		today := ledger.BusinessDate(time.Now())
		post := func(ctx context.Context, w int, seq int64) error {
			_, err := db.Post(ctx, cardPayment(today, seq, cfg.keys))
			return err
		}
		for _, w := range cfg.writers {
			r := runPhase(ctx, phasePost, w, cfg.duration, cfg.n, post)
			r.Rounds = []float64{r.OpsSec}
			logf("ledger post on the %d-entry ledger, %2d writers: %.1f ops/s, p50 %.2f ms, p99 %.2f ms", tb.Entries, w, r.OpsSec, r.P50ms, r.P99ms)
			tb.Posts = append(tb.Posts, r)
		}
	}
	return tb, nil
}

// floor2 rounds a ratio down to two decimals, so that 0.497 prints as 0.49
// beside MISSED rather than as 0.50.
func floor2(r float64) float64 { return math.Floor(r*100) / 100 }

func yesNo(b bool) string {
	if b {
		return "MET"
	}
	return "MISSED"
}

func printReport(out io.Writer, cfg config, rep *Report) {
	m, s := rep.Machine, rep.Storage
	fmt.Fprintf(out, "\nfeepos ledgerbench — %s\n", rep.Started.Format(time.RFC3339))
	fmt.Fprintf(out, "machine   %d CPUs (GOMAXPROCS %d), %s, %s RAM, %s/%s, kernel %s\n",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.MemTotal, m.GOOS, m.GOARCH, m.Kernel)
	fmt.Fprintf(out, "software  %s, SQLite %s (journal_mode=%s, synchronous=%s)\n",
		m.GoVersion, rep.SQLite.Version, rep.SQLite.JournalMode, rep.SQLite.Synchronous)
	disk := "a real disk"
	if !s.OnDisk {
		disk = "NOT a disk: results do not measure durability"
	}
	fmt.Fprintf(out, "storage   %s on %s %s (mount %s): %s\n", s.Dir, s.FSType, s.Source, s.MountPoint, disk)
	fmt.Fprintf(out, "load avg  %s before, %s after (other work on the machine skews the numbers)\n", rep.LoadBefore, rep.LoadAfter)

	if len(rep.Writes) > 0 {
		per := cfg.duration.String()
		if cfg.n > 0 {
			per = strconv.Itoa(cfg.n) + " ops"
		}
		ctxKind := "a cancellable context per write, like an HTTP request's"
		if !cfg.reqCtx {
			ctxKind = "context.Background()-like contexts (-reqctx=false)"
		}
		fmt.Fprintf(out, "\nDurable writes (%d rounds × %s per phase, phases interleaved; %s; latency includes queueing)\n", cfg.rounds, per, ctxKind)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "phase\twriters\tcount\tops/s\tp50 ms\tp99 ms\tmax ms\terrors\tops/s per round\t")
		for _, r := range rep.Writes {
			var rounds []string
			for _, x := range r.Rounds {
				rounds = append(rounds, strconv.FormatFloat(x, 'f', 0, 64))
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n",
				r.Phase, r.Writers, r.Count, r.OpsSec, r.P50ms, r.P99ms, r.Maxms, r.Errors, strings.Join(rounds, " "))
		}
		tw.Flush()
		fmt.Fprintln(out, "\nPostings against the physical reference (target: ≥ 0.50)")
		for _, x := range rep.Ratios {
			fmt.Fprintf(out, "  %2d writers: %.1f postings/s ÷ %.1f commits/s (%s) = %.2f  %s\n",
				x.Writers, x.PostOpsSec, x.RefOpsSec, x.RefPhase, floor2(x.Ratio), yesNo(x.TargetMet))
			for _, o := range x.OtherRefs {
				if o.RefPhase != x.RefPhase {
					fmt.Fprintf(out, "              (against %s, %.1f commits/s: %.2f)\n", o.RefPhase, o.RefOpsSec, floor2(o.Ratio))
				}
			}
		}
	}
	if tb := rep.TrialBalance; tb != nil {
		fmt.Fprintf(out, "\nTrial balance (ledger of %d entries, %d lines, %d daily-total rows, %d days; file %.0f MiB)\n",
			tb.Entries, tb.Lines, tb.DailyTotals, tb.Days, float64(tb.DBBytes)/(1<<20))
		fmt.Fprintf(out, "  database  %s on %s %s\n", tb.DB, tb.Storage.FSType, tb.Storage.Source)
		if tb.BuiltEntries > 0 {
			fmt.Fprintf(out, "  build     %d entries through tx.PostEntry in %.1f s (%.0f entries/s, %d per transaction)\n",
				tb.BuiltEntries, tb.BuildSeconds, tb.BuildRate, cfg.batch)
		}
		for _, t := range []Timings{tb.All, tb.AsOf} {
			fmt.Fprintf(out, "  %-34s %d runs: first %.2f ms, min %.2f, median %.2f, max %.2f ms\n",
				t.What, t.Runs, t.FirstMs, t.MinMs, t.MedianMs, t.MaxMs)
		}
		fmt.Fprintf(out, "  result    %d rows, balanced=%v, total debits %d đ\n", tb.Rows, tb.Balanced, tb.TotalDebit)
		target := yesNo(tb.TargetMet)
		if tb.Entries < 1_000_000 {
			target = "not judged: fewer than 1,000,000 entries"
		}
		fmt.Fprintf(out, "  target    ≤ 1 s over 1,000,000 entries: %s\n", target)
		if v := tb.Verify; v != nil {
			fmt.Fprintf(out, "  verify    %d entries in %.1f s (%.0f entries/s), ok=%v %s\n",
				v.Entries, v.Seconds, float64(v.Entries)/v.Seconds, v.OK, v.Problem)
		}
		for _, r := range tb.Posts {
			fmt.Fprintf(out, "  post      on this ledger, %2d writers: %d in %.1f s, %.1f ops/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d\n",
				r.Writers, r.Count, r.Seconds, r.OpsSec, r.P50ms, r.P99ms, r.Maxms, r.Errors)
		}
	}
	fmt.Fprintln(out)
}
