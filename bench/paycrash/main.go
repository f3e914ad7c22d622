// Command paycrash is the crash-injection harness of the payment flow
// (issue 10, "Prove it"): the real feepos binary charges card payments on
// simulated terminals while the harness SIGKILLs it at random moments and
// at chosen ones (right after a terminal sent its approval, right after a
// charge was accepted, while a webhook is being delivered) and starts it
// again.
//
// The harness runs everything around feepos itself: simulated ZVT and
// Concert terminals on pseudo-terminals (their journals are the truth),
// with declines, aborts, hangs and line faults mixed in; the dossier
// system (payment requests with Idempotency-Key, over HTTP) and its
// webhook receiver on loopback, which checks every Feepos-Signature and
// answers 500 to some deliveries; the cashiers, one per terminal,
// charging requests on card and polling them through every kill. After
// the kills, a last feepos settles (late answers, recovery, the outbox
// drains) and the result is checked:
//
//   - every charge a terminal kept is recorded exactly once: the request
//     paid, one paid payment with its ledger entry and receipts, its
//     webhook delivered with a valid signature;
//   - no charge a terminal reversed or declined is recorded;
//   - every request in needs_review is listed with its reason and what
//     the terminal really did;
//   - receipts gap-free, each belonging to a payment; `feepos ledger
//     verify`, `feepos receipts verify` and the trial balance pass.
//
// Run from the repository root:
//
//	go run ./bench/paycrash                     # full: ≥ 200 kills
//	go run ./bench/paycrash -kills 10 -json r.json
//	go run ./bench/paycrash -seed 42            # the same draws again
//
// README.md ("Crash-injection harness (payments)") has the commands.
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
	os.Exit(mainArgs(os.Args[1:], os.Stdout, os.Stderr))
}

// defaults are the full run's settings.
func defaults() runConfig {
	return runConfig{ZVT: 3, Concert: 2, Kills: 200, FaultRate: 0.25, MaxLife: 3 * time.Second,
		Pace: 50 * time.Millisecond, HookFail: 0.2, MaxRunTime: 60 * time.Minute}
}

func mainArgs(args []string, stdout, stderr io.Writer) int {
	d := defaults()
	fs := flag.NewFlagSet("paycrash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 0, "seed of every random draw (0: a new one, printed)")
	bin := fs.String("bin", "", "the feepos binary (default: go build ./cmd/feepos into the work folder)")
	zvtN := fs.Int("zvt", d.ZVT, "simulated ZVT terminals")
	concN := fs.Int("concert", d.Concert, "simulated Concert terminals")
	kills := fs.Int("kills", d.Kills, "SIGKILLs of feepos before the settling run")
	rate := fs.Float64("fault-rate", d.FaultRate, "share of transactions a simulator disturbs with a random fault")
	life := fs.Duration("max-life", d.MaxLife, "a random kill comes up to this long after a start")
	pace := fs.Duration("pace", d.Pace, "longest pause between two requests on a terminal")
	hookFail := fs.Float64("webhook-fail", d.HookFail, "share of webhook deliveries the receiver answers 500")
	maxTime := fs.Duration("max-time", d.MaxRunTime, "stop killing after this long (the report says the target was not reached)")
	dir := fs.String("dir", "", "work folder: database, config, ports, logs (default: a new temporary folder)")
	keep := fs.Bool("keep", false, "keep the work folder (it is kept anyway when the check fails)")
	jsonOut := fs.Bool("json", false, "print the report as JSON instead of text")
	jsonPath := fs.String("json-file", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paycrash: unexpected argument %q: give the settings as flags (-h lists them)\n", fs.Arg(0))
		return 2
	}
	if *zvtN < 0 || *concN < 0 || *zvtN+*concN == 0 || *life <= 0 || *rate < 0 || *rate > 1 || *kills < 1 {
		fmt.Fprintln(stderr, "paycrash: need at least one terminal, -kills ≥ 1, -max-life > 0 and -fault-rate between 0 and 1")
		return 2
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano()) & (1<<53 - 1)
	}
	cfg := runConfig{Seed: *seed, ZVT: *zvtN, Concert: *concN, Kills: *kills, FaultRate: *rate, MaxLife: *life,
		Pace: *pace, HookFail: *hookFail, MaxRunTime: *maxTime, Dir: *dir}
	progress := stdout
	if *jsonOut {
		progress = stderr
	}
	cfg.Out = progress
	var err error
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "paycrash-"); err != nil {
			fmt.Fprintln(stderr, "paycrash:", err)
			return 1
		}
	}
	ctx := context.Background()
	cfg.Bin = *bin
	if cfg.Bin == "" {
		root, err := moduleRoot()
		if err == nil {
			fmt.Fprintln(progress, "building ./cmd/feepos …")
			cfg.Bin, err = buildFeepos(ctx, root, cfg.Dir, false)
		}
		if err != nil {
			fmt.Fprintln(stderr, "paycrash:", err)
			return 1
		}
	}
	rerun := fmt.Sprintf("paycrash -seed %d -zvt %d -concert %d -kills %d -fault-rate %g -max-life %s -pace %s -webhook-fail %g",
		cfg.Seed, cfg.ZVT, cfg.Concert, cfg.Kills, cfg.FaultRate, cfg.MaxLife, cfg.Pace, cfg.HookFail)
	fmt.Fprintf(progress, "feepos paycrash — %s\nseed      %d   (again: %s)\n", time.Now().UTC().Format(time.RFC3339), cfg.Seed, rerun)
	fmt.Fprintf(progress, "machine   %d CPUs, %s, %s, kernel %s, %s\nwork      %s\n", runtime.NumCPU(),
		sysinfo.ProcField("/proc/cpuinfo", "model name"), sysinfo.ProcField("/proc/meminfo", "MemTotal"), sysinfo.Kernel(), runtime.Version(), cfg.Dir)
	rep, err := runHarness(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "paycrash: %v\nwork folder kept: %s\n", err, cfg.Dir)
		return 1
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if *jsonOut {
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printReport(stdout, rep)
	}
	if *jsonPath != "" {
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "paycrash:", err)
		}
	}
	failed := rep.failed()
	if failed || *keep {
		fmt.Fprintf(progress, "work folder kept: %s\n", cfg.Dir)
	} else if *dir == "" {
		_ = os.RemoveAll(cfg.Dir)
	}
	if failed {
		fmt.Fprintf(progress, "FAILED: seed %d (again: %s)\n", cfg.Seed, rerun)
		return 1
	}
	return 0
}

// failed: a rule was broken, or the kills were not all made.
func (r *report) failed() bool { return len(r.Violations) > 0 || r.Incomplete != "" }

func printReport(w io.Writer, r *report) {
	p := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-13s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintln(w)
	p("elapsed", "%s", r.Elapsed)
	p("kills", "%d SIGKILL (%s); %d restarts", r.Kills, counts(r.KillPlans), r.Restarts)
	p("requests", "%d; charge calls %d (%d accepted, %d unanswered: feepos killed)", r.Requests, r.ChargeCalls, r.ChargesTaken, r.ChargesLost)
	p("terminals", "%d card transactions: %d approved and kept, %d approved then reversed by the terminal, %d declined or aborted",
		r.TerminalTx, r.ApprovedKept, r.Reversed, r.Declined)
	p("faults", "%s; %d replugs", counts(r.Faults), r.Replugs)
	p("requests now", "%s", counts(r.Statuses))
	p("paid", "%d, each with one payment, its ledger entry, its receipts and its webhook", r.Paid)
	p("voided", "%d payments recorded, then reversed by the terminal before they were acknowledged: ledger reversed, request payable again, dossier system told", r.Voided)
	charged := 0
	for _, rv := range r.NeedsReview {
		if rv.Charged {
			charged++
		}
	}
	p("needs_review", "%d (the journals say: %d charged, %d not)", len(r.NeedsReview), charged, len(r.NeedsReview)-charged)
	if r.ReviewUnambiguous > 0 {
		fmt.Fprintf(w, "%13s %d of them have final evidence (the terminal's attempt is settled): FINDING, not ambiguous\n", "", r.ReviewUnambiguous)
	}
	for _, k := range sortedKeys(r.ReviewReasons) {
		fmt.Fprintf(w, "%13s %4d  %s\n", "", r.ReviewReasons[k], k)
	}
	for i, rv := range r.NeedsReview {
		if i == 30 {
			fmt.Fprintf(w, "%13s …and %d more (-json lists them all)\n", "", len(r.NeedsReview)-i)
			break
		}
		truth := "not charged"
		if rv.Charged {
			truth = "CHARGED"
		}
		fmt.Fprintf(w, "%13s %s on %s, %d đồng: the terminal %s (%s)\n", "", rv.Request, rv.Terminal, rv.Total, truth, rv.Journal)
	}
	p("webhooks", "%d posts (%d answered 500 by the receiver, then retried); %d requests' paid webhook came more than once",
		r.Webhooks, r.WebhookFailed, r.Redelivered)
	if r.AdminRetries > 0 {
		p("", "%d undelivered messages retried by an admin while the run settled (their backoff had grown with the kills)", r.AdminRetries)
	}
	p("receipts", "%d", r.Receipts)
	var v []string
	for _, k := range sortedKeys(r.Verify) {
		v = append(v, k+": "+r.Verify[k])
	}
	p("checks", "%s", strings.Join(v, "; "))
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
		fmt.Fprintf(w, "  %s: %s %s\n", v.Rule, v.Request, v.Detail)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
