// Command reconbench measures the day's close of issue 11 (docs/
// BENCHMARKS.md, "Reconciliation, 1,000,000 lines (issue 11)"): the
// acquirer's generic settlement CSV of n lines against n card payments of
// the ledger, import + match + report, against the baseline a power user
// reaches for, measured in the same run in alternating rounds on copies
// of one database:
//
//   - baseline: the sqlite3 command-line tool imports the CSV into a
//     table (.import --csv --skip 1), indexes it on the join's key and
//     joins the day's card payments to it on terminal, trace and amount
//     (matched, ledger-only and settlement-only counts);
//   - feepos: the real binary, `feepos --db COPY reconcile run --date D
//     --settlement FILE --json > REPORT`.
//
// Both are child processes timed from start to exit, with their peak
// resident memory from wait4's rusage. Each round also runs the close in
// this process, phase by phase (read, parse, import's store, gather,
// match, store, report), for the reading. Target: feepos ≤ half the
// baseline's time, peak memory ≤ 1 GiB.
//
//	go build -o /tmp/reconbench ./bench/reconbench
//	/tmp/reconbench -n 1000000 -rounds 3 -json recon.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
)

type opts struct {
	n       int
	rounds  int
	seed    uint64
	dir     string
	sqlite3 string
	bin     string
	race    bool // build feepos with -race (the smoke test under -race)
	phases  bool
	quiet   bool
	cpuProf string // CPU profile of the in-process phases (the last round's)
}

// Round is one round: the baseline, the feepos child, the phases.
type Round struct {
	Order    string    `json:"order"`
	Baseline Baseline  `json:"baseline"`
	Feepos   FeeposRun `json:"feepos"`
	Phases   *Phases   `json:"phases,omitempty"`
}

// Result is the whole run.
type Result struct {
	Machine  Machine       `json:"machine"`
	N        int           `json:"n"`
	Seed     uint64        `json:"seed"`
	Injected Injected      `json:"injected"`
	Fixture  time.Duration `json:"fixture_ns"`
	Rounds   []Round       `json:"rounds"`
	// Medians over the rounds, and the verdict.
	BaselineWall time.Duration `json:"baseline_wall_median_ns"`
	FeeposWall   time.Duration `json:"feepos_wall_median_ns"`
	Ratio        float64       `json:"ratio"` // feepos / baseline; target ≤ 0.5
	FeeposMaxRSS int64         `json:"feepos_max_rss_bytes"`
	TimeMet      bool          `json:"time_met"`
	MemoryMet    bool          `json:"memory_met"`
	Correct      bool          `json:"correct"` // both found what was injected
	LoadBefore   string        `json:"load_before"`
	LoadAfter    string        `json:"load_after"`
}

func main() {
	// The fixture and the in-process phases run in child processes of
	// their own (these hidden modes): the parent stays small, since a
	// child's peak RSS as wait4 reports it starts from its parent's (the
	// parent's memory is recorded when the child execs).
	if len(os.Args) > 1 && isChildMode(os.Args[1]) {
		if err := childMain(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "reconbench:", err)
			os.Exit(1)
		}
		return
	}
	var o opts
	var jsonPath string
	fs := flag.NewFlagSet("reconbench", flag.ExitOnError)
	fs.IntVar(&o.n, "n", 1_000_000, "settlement lines and ledger payments")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds (baseline and feepos each, alternating which goes first)")
	fs.Uint64Var(&o.seed, "seed", 11, "seed of the generated day")
	fs.StringVar(&o.dir, "dir", "", "work folder (default: a new temporary folder, removed at the end)")
	fs.StringVar(&o.sqlite3, "sqlite3", "/usr/bin/sqlite3", "the sqlite3 command-line tool")
	fs.StringVar(&o.bin, "bin", "", "the feepos binary (default: go build ./cmd/feepos into the work folder)")
	fs.BoolVar(&o.phases, "phases", true, "also run the close in this process, phase by phase, each round")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of the last round's in-process phases to this file")
	fs.StringVar(&jsonPath, "json", "", "write the result as JSON to this file")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 || o.n < 1 || o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "reconbench: give the settings as flags, -n ≥ 1, -rounds ≥ 1 (-h lists them)")
		os.Exit(2)
	}
	res, err := run(context.Background(), o)
	if err == nil && jsonPath != "" {
		var b []byte
		if b, err = json.MarshalIndent(res, "", "  "); err == nil {
			err = os.WriteFile(jsonPath, append(b, '\n'), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reconbench:", err)
		os.Exit(1)
	}
}

func (o opts) printf(format string, args ...any) {
	if !o.quiet {
		fmt.Printf(format, args...)
	}
}

func run(ctx context.Context, o opts) (Result, error) {
	res := Result{Machine: machineInfo(), N: o.n, Seed: o.seed, LoadBefore: sysinfo.LoadAvg()}
	m := res.Machine
	o.printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s, kernel %s, %s, load %s\n",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.LoadAvg)
	if _, err := os.Stat(o.sqlite3); err != nil {
		return res, fmt.Errorf("the baseline needs the sqlite3 command-line tool: %w (apt-get install sqlite3, or give -sqlite3)", err)
	}
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "reconbench-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	bin := o.bin
	if bin == "" {
		var err error
		if bin, err = buildFeepos(ctx, dir, o.race); err != nil {
			return res, err
		}
	}
	fixture, csvPath := filepath.Join(dir, "fixture.db"), filepath.Join(dir, "settlement.csv")
	t := time.Now()
	var inj Injected
	if err := selfChild(ctx, &inj, "fixture-child", fixture, csvPath, strconv.Itoa(o.n), strconv.FormatUint(o.seed, 10)); err != nil {
		return res, fmt.Errorf("fixture: %w", err)
	}
	res.Injected, res.Fixture = inj, time.Since(t)
	o.printf("fixture: %d payments on %d terminals, CSV of %d lines (%.1f MiB), database %.1f MiB, in %s; injected: %d missing in settlement, %d missing in ledger, %d amount mismatches\n",
		inj.Payments, inj.Terminals, inj.Lines, mib(inj.CSVBytes), mib(inj.DatabaseBytes), res.Fixture.Round(time.Millisecond),
		inj.MissingInSettle, inj.MissingInLedger, inj.AmountMismatch)

	res.Correct = true
	copyPath := filepath.Join(dir, "round.db")
	for r := range o.rounds {
		rd := Round{Order: "baseline, feepos"}
		steps := []func() error{
			func() error {
				if err := copyDB(fixture, copyPath); err != nil {
					return err
				}
				b, err := runBaseline(ctx, o.sqlite3, copyPath, csvPath)
				rd.Baseline = b
				o.printf("round %d baseline: %s wall (user %s, sys %s), max RSS %.1f MiB; matched %d, ledger only %d, settlement only %d; load %s → %s\n",
					r+1, ms(b.Wall), ms(b.User), ms(b.System), mib(b.MaxRSS), b.Matched, b.LedgerUnmatched, b.SettleUnmatched, b.LoadBefore, b.LoadAfter)
				return err
			},
			func() error {
				if err := copyDB(fixture, copyPath); err != nil {
					return err
				}
				f, err := runFeepos(ctx, bin, copyPath, csvPath, filepath.Join(dir, "report.json"))
				rd.Feepos = f
				s := f.Summary
				o.printf("round %d feepos:   %s wall (user %s, sys %s), max RSS %.1f MiB; ledger %d, settlement %d, matched %d, pending %d, exceptions %v; load %s → %s\n",
					r+1, ms(f.Wall), ms(f.User), ms(f.System), mib(f.MaxRSS), s.LedgerCount, s.SettlementCount, s.MatchedCount, s.PendingCount, f.Exceptions, f.LoadBefore, f.LoadAfter)
				return err
			},
		}
		if r%2 == 1 {
			rd.Order = "feepos, baseline"
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return res, err
			}
		}
		if o.phases {
			if err := copyDB(fixture, copyPath); err != nil {
				return res, err
			}
			prof := ""
			if r == o.rounds-1 {
				prof = o.cpuProf
			}
			var ph Phases
			if err := selfChild(ctx, &ph, "phases-child", copyPath, csvPath, prof); err != nil {
				return res, fmt.Errorf("phases: %w", err)
			}
			rd.Phases = &ph
			o.printf("round %d phases:   read %s, parse %s, import store %s, gather %s, match %s, store %s, report %s; total %s, heap peak %.0f MiB, max RSS %.0f MiB\n",
				r+1, ms(ph.Read), ms(ph.Parse), ms(ph.ImportStore), ms(ph.Gather), ms(ph.Match), ms(ph.Store), ms(ph.Report), ms(ph.Total), mib(int64(ph.HeapPeak)), mib(ph.MaxRSS))
		}
		res.Correct = res.Correct && correct(rd, inj)
		res.Rounds = append(res.Rounds, rd)
	}
	_ = os.Remove(copyPath)

	var bw, fw []time.Duration
	for _, rd := range res.Rounds {
		bw, fw = append(bw, rd.Baseline.Wall), append(fw, rd.Feepos.Wall)
		res.FeeposMaxRSS = max(res.FeeposMaxRSS, rd.Feepos.MaxRSS)
	}
	res.BaselineWall, res.FeeposWall = median(bw), median(fw)
	res.Ratio = float64(res.FeeposWall) / float64(res.BaselineWall)
	res.TimeMet, res.MemoryMet = res.Ratio <= 0.5, res.FeeposMaxRSS <= 1<<30
	res.LoadAfter = sysinfo.LoadAvg()
	o.printf("verdict: feepos %s (median of %d) = %.2f × the baseline's %s (target ≤ 0.50): %s; peak RSS %.1f MiB (target ≤ 1024): %s; results as injected: %v; load %s → %s\n",
		ms(res.FeeposWall), len(fw), res.Ratio, ms(res.BaselineWall), yes(res.TimeMet), mib(res.FeeposMaxRSS), yes(res.MemoryMet), res.Correct, res.LoadBefore, res.LoadAfter)
	return res, nil
}

// selfChild runs this binary in a child mode and decodes its JSON.
func selfChild(ctx context.Context, v any, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	c, err := runChild(ctx, nil, self, args...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(c.Stdout), v)
}

func isChildMode(s string) bool {
	return s == "fixture-child" || s == "phases-child" || s == "report-child"
}

// childMain is a child mode: it prints its result as JSON.
func childMain(mode string, args []string) error {
	ctx := context.Background()
	var v any
	switch mode {
	case "fixture-child":
		n, _ := strconv.Atoi(args[2])
		seed, _ := strconv.ParseUint(args[3], 10, 64)
		inj, err := writeFixture(ctx, args[0], args[1], n, seed)
		if err != nil {
			return err
		}
		v = inj
	case "report-child":
		c, err := readReport(args[0])
		if err != nil {
			return err
		}
		v = c
	case "phases-child":
		// The soft memory limit of `feepos reconcile run`
		// (cmd/feepos/reconcile_memory.go), so the phases collect as
		// the command does.
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(768 << 20)
		}
		stop, err := startProfile(args[2], true)
		if err != nil {
			return err
		}
		ph, err := runPhases(ctx, args[0], args[1])
		stop()
		if err != nil {
			return err
		}
		if ru, ok := selfRusage(); ok {
			ph.MaxRSS = ru
		}
		v = ph
	}
	return json.NewEncoder(os.Stdout).Encode(v)
}

// startProfile starts a CPU profile to path when on and path is set.
func startProfile(path string, on bool) (stop func(), err error) {
	if path == "" || !on {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// correct reports whether both sides found what the fixture injected.
// The payments with no line are pending in feepos's report, not yet
// missing_in_settlement: the acquirer may settle a payment of the day the
// next day (LagDays 1), so they become exceptions when the next day is
// run without them.
func correct(rd Round, inj Injected) bool {
	b, f := rd.Baseline, rd.Feepos
	return b.Matched == inj.ExactMatches && b.LedgerUnmatched == inj.MissingInSettle+inj.AmountMismatch &&
		b.SettleUnmatched == inj.MissingInLedger+inj.AmountMismatch &&
		f.Summary.MatchedCount == inj.ExactMatches && f.Summary.PendingCount == inj.MissingInSettle &&
		f.Exceptions["missing_in_ledger"] == inj.MissingInLedger && f.Exceptions["amount_mismatch"] == inj.AmountMismatch
}

// copyDB copies the fixture (checkpointed: no -wal) to path, afresh.
func copyDB(from, to string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(to + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// buildFeepos builds ./cmd/feepos of the module into dir.
func buildFeepos(ctx context.Context, dir string, race bool) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "feepos")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/feepos")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/feepos: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository, or give -bin")
		}
		dir = parent
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func yes(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

func loadAvg() string { return sysinfo.LoadAvg() }

// Machine is what the report says about where it ran.
type Machine = sysinfo.Machine

func machineInfo() Machine { return sysinfo.MachineInfo() }
