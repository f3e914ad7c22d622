// Command webbench measures the web pages of issue 12 (docs/BENCHMARKS.md,
// "Web pages (issue 12)"): the server-side time of each page, target
// ≤ 50 ms, on a database holding a year of work (10,000 payment requests,
// 100,000 receipts; fixture.go says how it is made and cached).
//
// The real server (internal/server, wired as `feepos serve --demo` wires
// it) runs in this process on 127.0.0.1; a user per role signs in through
// POST /login; each page of the list (pages.go: one line per page) is
// fetched once cold, -warmup times unmeasured, then -n times, one request
// at a time on one connection (measure.go says exactly what the time
// covers). A page answering 404 is reported "not built", not as a
// failure: the list names pages before they exist.
//
//	go build -o /tmp/webbench ./bench/webbench
//	/tmp/webbench -json web.json       # the fixture is cached: -fixture
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/auth"
)

type opts struct {
	fixture string // the database file; its description is fixture + ".json"
	spec    FixtureSpec
	n       int
	warmup  int
	only    string        // measure only the pages whose path contains this
	walks   int           // chain walks timed on their own (walk.go)
	target  time.Duration // per page, p99
	quiet   bool
}

// Result is the whole run.
type Result struct {
	Machine       sysinfo.Machine `json:"machine"`
	Fixture       Fixture         `json:"fixture"`
	FixtureCached bool            `json:"fixture_cached"`
	N             int             `json:"n"`
	Warmup        int             `json:"warmup"`
	TargetUS      float64         `json:"target_p99_us"`
	Pages         []PageResult    `json:"pages"`
	Walk          *Walk           `json:"chain_walk,omitempty"`
	// FirstWalkUS is the server's first background chain walk after start
	// (/verify's; not on a request's path).
	FirstWalkUS float64 `json:"first_walk_us"`
	// Met: every measured page's p99 ≤ target and none failed. The chain
	// walk is timed but not counted: it runs in the background
	// (internal/server/verify_chain.go), a request checks only the
	// receipts issued since.
	Met        bool   `json:"met"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

func main() {
	var o opts
	var jsonPath string
	fs := flag.NewFlagSet("webbench", flag.ExitOnError)
	fs.StringVar(&o.fixture, "fixture", filepath.Join(os.TempDir(), "feepos-webbench", "fixture.db"),
		"the fixture database, built when missing or made with other settings, else reused")
	fs.IntVar(&o.spec.Requests, "requests", 10_000, "payment requests in the fixture")
	fs.IntVar(&o.spec.Receipts, "receipts", 100_000, "receipts in the fixture (the payments' and the history's)")
	fs.IntVar(&o.spec.Days, "days", 365, "days the fixture spreads them over, ending yesterday")
	fs.Uint64Var(&o.spec.Seed, "seed", 12, "seed of the fixture")
	fs.IntVar(&o.n, "n", 200, "measured requests per page")
	fs.IntVar(&o.warmup, "warmup", 20, "unmeasured requests per page after the first")
	fs.StringVar(&o.only, "only", "", "measure only the pages whose path contains this")
	fs.IntVar(&o.walks, "walks", 3, "times the receipt chain walk /verify makes once a minute, on its own (0: not)")
	fs.DurationVar(&o.target, "target", 50*time.Millisecond, "the p99 a page must meet")
	fs.StringVar(&jsonPath, "json", "", "write the result as JSON to this file")
	_ = fs.Parse(os.Args[1:])
	o.spec.Version = fixtureVersion
	if fs.NArg() > 0 || o.n < 1 || o.warmup < 0 || o.spec.Requests < 1 || o.spec.Days < 1 || o.spec.Receipts < 0 {
		fmt.Fprintln(os.Stderr, "webbench: give the settings as flags, -n ≥ 1, -requests ≥ 1, -days ≥ 1 (-h lists them)")
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
		fmt.Fprintln(os.Stderr, "webbench:", err)
		os.Exit(1)
	}
	if !res.Met {
		os.Exit(3)
	}
}

func (o opts) printf(format string, args ...any) {
	if !o.quiet {
		fmt.Printf(format, args...)
	}
}

func run(ctx context.Context, o opts) (Result, error) {
	res := Result{Machine: sysinfo.MachineInfo(), N: o.n, Warmup: o.warmup, TargetUS: float64(o.target.Microseconds()), LoadBefore: sysinfo.LoadAvg()}
	m := res.Machine
	o.printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s, kernel %s, %s, load %s\n",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.LoadAvg)

	fx, cached, err := loadOrBuildFixture(ctx, o.fixture, o.spec, func(f string, a ...any) { o.printf(f+"\n", a...) })
	if err != nil {
		return res, fmt.Errorf("fixture %s: %w", o.fixture, err)
	}
	res.Fixture, res.FixtureCached = fx, cached
	how := fmt.Sprintf("built in %.1f s", fx.BuildSeconds)
	if cached {
		how = fmt.Sprintf("reused (built in %.1f s)", fx.BuildSeconds)
	}
	o.printf("fixture %s: %s; %s–%s, %d requests %v, %d card + %d cash payments, %d shifts, %d receipts (%d signed from the payments, %d history), %.1f MiB\n",
		o.fixture, how, fx.From, fx.To, fx.Spec.Requests, fx.Status, fx.CardPayments, fx.CashPayments, fx.Shifts,
		fx.Receipts, fx.ServiceReceipts, fx.HistoryReceipts, float64(fx.DatabaseBytes)/(1<<20))

	srv, err := serve(ctx, o.fixture)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	res.FirstWalkUS = float64(srv.firstWalk.Microseconds())
	o.printf("first background chain walk of the server (/verify): %.1f s after start\n", srv.firstWalk.Seconds())

	jars := map[auth.Role]http.CookieJar{}
	res.Met = true
	for _, p := range pages {
		if o.only != "" && !strings.Contains(p.Path, o.only) {
			continue
		}
		var jar http.CookieJar
		if p.Role != "" {
			if jar = jars[p.Role]; jar == nil {
				jar, err = signIn(ctx, srv.base, fx.Users[string(p.Role)], benchPassword)
				if err != nil {
					return res, err
				}
				jars[p.Role] = jar
			}
		}
		pr := measure(ctx, srv.base, jar, p, fx, o.warmup, o.n)
		res.Pages = append(res.Pages, pr)
		switch pr.State {
		case stateMeasured:
			ok := pr.Times.P99 <= res.TargetUS
			res.Met = res.Met && ok
			o.printf("%-40s %-10s first %7.2f ms  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  %7d B  %s\n", pr.Path, roleName(pr.Role),
				pr.FirstUS/1e3, pr.Times.P50/1e3, pr.Times.P99/1e3, pr.Times.Max/1e3, pr.Bytes, yes(ok))
		case stateNotBuilt:
			o.printf("%-40s %-10s not built (404)\n", pr.Path, roleName(pr.Role))
		default:
			res.Met = false
			o.printf("%-40s %-10s FAILED: %d %s\n", pr.Path, roleName(pr.Role), pr.Status, pr.Error)
		}
	}
	if o.walks > 0 {
		w, err := walkChains(ctx, o.fixture, o.walks)
		if err != nil {
			return res, fmt.Errorf("chain walk: %w", err)
		}
		res.Walk = &w
		res.Met = res.Met && w.OK
		o.printf("chain walk of /verify (sqlite.DB.VerifyReceipts, %d receipts, ok %v), %d times: p50 %.0f ms, max %.0f ms — in the background, no request waits for it\n",
			w.Receipts, w.OK, w.Times.N, w.Times.P50/1e3, w.Times.Max/1e3)
	}
	res.LoadAfter = sysinfo.LoadAvg()
	o.printf("target p99 ≤ %s on every built page: %s; load %s → %s\n", o.target, yes(res.Met), res.LoadBefore, res.LoadAfter)
	return res, srv.stop()
}

func roleName(r auth.Role) string {
	if r == "" {
		return "public"
	}
	return string(r)
}

func yes(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}
