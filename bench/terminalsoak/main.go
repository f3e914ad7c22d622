// Command terminalsoak is the randomized soak of the terminal manager
// (issue 9, "Prove it"): simulated ZVT and Concert terminals on
// pseudo-terminals, with the simulators' faults mixed in at random, and a
// child process that runs the manager with the SQLite attempt store and a
// payment workflow charging in a loop. The parent SIGKILLs the child at
// random moments, and the child kills itself at chosen steps (a state
// change of an attempt before or after it is stored, a step of the
// workflow); each new child recovers. The simulators run in the parent,
// so they outlive every child and their journals are the truth. At the
// end a last child lets late answers come in and recovers every terminal,
// and the result is checked against the journals:
//
//   - no charge a terminal kept that feepos does not know of, or has as
//     not charged;
//   - nothing feepos has as charged that the terminal did not charge, and
//     no transaction run twice or booked twice;
//   - every attempt in doubt is listed with its evidence (the report says
//     why each is in doubt, and what the journal says of it).
//
// Run from the repository root:
//
//	go build -o /tmp/terminalsoak ./bench/terminalsoak
//	/tmp/terminalsoak                       # full: ≥ 1000 attempts, ≥ 100 kills
//	/tmp/terminalsoak -seed 42              # the same draws again
//	/tmp/terminalsoak -attempts 60 -kills 10 -zvt 2 -concert 1
//
// The seed decides every random draw: the simulators' faults, the
// workflow's amounts and decisions, the kill plans and the moments of the
// kills. How the kills fall against the terminals' bytes still depends on
// the machine's timing, so a failure is reproduced by running the same
// seed again (and again): the report names the attempt, its terminal, its
// fault and its history, and the work folder (-keep) keeps the database
// and every child's log. README.md ("Soak tests") has the commands.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
)

func main() {
	if cfg := os.Getenv(childEnv); cfg != "" {
		if err := childMain(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "terminalsoak child:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(parentMain(os.Args[1:], os.Stdout, os.Stderr))
}

// defaults are the full run's settings.
func defaults() soakConfig {
	return soakConfig{ZVT: 3, Concert: 2, Attempts: 1000, Kills: 100, FaultRate: 0.3, MaxLife: 4 * time.Second,
		EarlyKill: 0.05, Targeted: 0.4, GraceStop: 0.05, Pace: 50 * time.Millisecond, MaxRunTime: 90 * time.Minute}
}

func parentMain(args []string, stdout, stderr io.Writer) int {
	d := defaults()
	fs := flag.NewFlagSet("terminalsoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of every random draw (0: a new one, printed)")
	zvtN := fs.Int("zvt", d.ZVT, "ZVT terminals (with two or more, the last repeats the original receipt after a reversal)")
	concN := fs.Int("concert", d.Concert, "Concert terminals")
	attempts := fs.Int("attempts", d.Attempts, "run until at least this many attempts are written down")
	kills := fs.Int("kills", d.Kills, "and at least this many SIGKILLs")
	rate := fs.Float64("fault-rate", d.FaultRate, "share of transactions a simulator disturbs with a random fault")
	life := fs.Duration("max-life", d.MaxLife, "a child is killed at a random moment up to this long after it started the manager")
	targeted := fs.Float64("targeted", d.Targeted, "share of children that kill themselves at a chosen step")
	early := fs.Float64("early", d.EarlyKill, "share of children killed before the manager started")
	grace := fs.Float64("graceful", d.GraceStop, "share of children stopped gracefully instead of killed")
	pace := fs.Duration("pace", d.Pace, "longest pause between two charges on a terminal")
	maxTime := fs.Duration("max-time", d.MaxRunTime, "stop starting children after this long (the report says the targets were not reached)")
	dir := fs.String("dir", "", "work folder: database, pseudo-terminal paths, logs (default: a new temporary folder)")
	keep := fs.Bool("keep", false, "keep the work folder (it is kept anyway when the check fails)")
	jsonPath := fs.String("json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "terminalsoak: unexpected argument %q: give the settings as flags (-h lists them)\n", fs.Arg(0))
		return 2
	}
	if *zvtN < 0 || *concN < 0 || *zvtN+*concN == 0 || *life <= 0 || *rate < 0 || *rate > 1 {
		fmt.Fprintln(stderr, "terminalsoak: need at least one terminal, -max-life > 0 and -fault-rate between 0 and 1")
		return 2
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano()) & (1<<53 - 1)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "terminalsoak:", err)
		return 1
	}
	cfg := soakConfig{Seed: *seed, ZVT: *zvtN, Concert: *concN, Attempts: *attempts, Kills: *kills, FaultRate: *rate,
		MaxLife: *life, EarlyKill: *early, Targeted: *targeted, GraceStop: *grace, Pace: *pace, MaxRunTime: *maxTime,
		Exe: exe, Out: stdout}
	cfg.Dir = *dir
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "terminalsoak-"); err != nil {
			fmt.Fprintln(stderr, "terminalsoak:", err)
			return 1
		}
	}
	rerun := fmt.Sprintf("terminalsoak -seed %d -zvt %d -concert %d -attempts %d -kills %d -fault-rate %g -max-life %s -targeted %g -early %g -graceful %g -pace %s",
		cfg.Seed, cfg.ZVT, cfg.Concert, cfg.Attempts, cfg.Kills, cfg.FaultRate, cfg.MaxLife, cfg.Targeted, cfg.EarlyKill, cfg.GraceStop, cfg.Pace)
	fmt.Fprintf(stdout, "feepos terminalsoak — %s\nseed      %d   (again: %s)\n", time.Now().UTC().Format(time.RFC3339), cfg.Seed, rerun)
	fmt.Fprintf(stdout, "machine   %d CPUs (GOMAXPROCS %d), %s, %s, kernel %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0),
		sysinfo.ProcField("/proc/cpuinfo", "model name"), sysinfo.ProcField("/proc/meminfo", "MemTotal"), sysinfo.Kernel(), runtime.Version())
	fmt.Fprintf(stdout, "work      %s\nload avg  %s before\n", cfg.Dir, sysinfo.LoadAvg())
	rep, err := runSoak(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(stderr, "terminalsoak: %v\nwork folder kept: %s\n", err, cfg.Dir)
		return 1
	}
	rep.Seed = cfg.Seed
	fmt.Fprintf(stdout, "load avg  %s after\n", sysinfo.LoadAvg())
	printReport(stdout, rep)
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "terminalsoak:", err)
		}
	}
	failed := len(rep.Violations) > 0 || rep.Incomplete != ""
	if failed || *keep {
		fmt.Fprintf(stdout, "work folder kept: %s\n", cfg.Dir)
	} else if *dir == "" {
		_ = os.RemoveAll(cfg.Dir)
	}
	if failed {
		fmt.Fprintf(stdout, "FAILED: seed %d (again: %s)\n", cfg.Seed, rerun)
		return 1
	}
	return 0
}

func printReport(w io.Writer, r *report) {
	p := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-10s %s\n", label, fmt.Sprintf(format, args...))
	}
	total := 0
	for _, n := range r.Attempts {
		total += n
	}
	fmt.Fprintln(w)
	p("elapsed", "%s, %d children", r.Elapsed, r.Runs)
	p("attempts", "%d (%s); the terminals took %d of them", total, counts(r.Attempts), r.Reached)
	p("kills", "%d SIGKILL: %d at a chosen step, %d before the manager started, %d at a random moment; %d graceful stops",
		r.Kills, r.Targeted, r.Early, r.Kills-r.Targeted-r.Early, r.Stops)
	if len(r.KillStages) > 0 {
		p("", "steps killed at: %s", counts(r.KillStages))
	}
	p("faults", "%s; %d replugs under another name", counts(r.Faults), r.Replugs)
	p("charges", "the terminals charged %d payments of feepos; feepos knows %d of them (charged or in doubt)", r.Charges, r.Known)
	p("reversals", "the terminals reversed %d approvals themselves (not acknowledged, refused, aborted after); feepos sent %d reversals, %d took effect",
		r.AutoRev, r.Reversals, r.RevDone)
	p("states", "%s", counts(r.States))
	p("recovery", "%d attempts settled from the terminals' records and orphan answers", r.Recovered)
	p("bookings", "%s", counts(r.Bookings))
	if r.KeyedIn > 0 {
		p("keyed in", "%d payments keyed in on a Concert terminal (no attempt of feepos); %d kept as orphan evidence (the others came while no feepos ran)", r.KeyedIn, r.KeyedKept)
	}
	charged := 0
	for _, d := range r.InDoubt {
		if d.Charged {
			charged++
		}
	}
	p("in doubt", "%d left for a person, each listed with its evidence (the journals say: %d charged, %d not)", len(r.InDoubt), charged, len(r.InDoubt)-charged)
	per := map[string]int{}
	for _, d := range r.InDoubt {
		per[d.Terminal]++
	}
	p("", "by terminal: %s", counts(per))
	groups := map[string]int{}
	for _, d := range r.InDoubt {
		f := d.Fault
		if f == "" {
			f = "no fault"
		}
		if !d.Reached {
			f += ", not taken"
		}
		groups[fmt.Sprintf("[%s] %s → %s", f, d.Became, d.Stays)]++
	}
	for _, g := range sortedKeys(groups) {
		fmt.Fprintf(w, "%10s %4d  %s\n", "", groups[g], g)
	}
	for _, n := range r.Notes {
		p("note", "%s", n)
	}
	if r.Incomplete != "" {
		p("INCOMPLETE", "%s", r.Incomplete)
	}
	if len(r.Violations) == 0 {
		p("violations", "none")
		return
	}
	p("VIOLATIONS", "%d", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s: terminal %s attempt %s: %s\n", v.Rule, v.Terminal, v.Attempt, v.Detail)
	}
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
