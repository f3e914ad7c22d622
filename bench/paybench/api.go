package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
)

// The create-request API at a constant arrival rate (open loop): a
// request is sent at each scheduled moment start + i/rate whether the
// earlier ones have been answered or not, and its latency runs from its
// scheduled moment (a late send counts against the server, no coordinated
// omission). The server is `feepos serve`'s: internal/server's router
// with the payment workflow on a real SQLite database, on a loopback TCP
// listener, bearer token of the dossier-system role. The reference is GET
// /healthz at the same rate, in rounds alternating with it.

const (
	phaseCreate  = "POST /api/v1/payment-requests"
	phaseHealthz = "GET /healthz"
)

// APIPhase is one phase of one round.
type APIPhase struct {
	Round      int     `json:"round"`
	Phase      string  `json:"phase"`
	Rate       float64 `json:"rate_per_s"`
	Seconds    float64 `json:"seconds"`
	Sent       int     `json:"sent"`
	Errors     int     `json:"errors"`
	LoadBefore string  `json:"load_before"`
	LoadAfter  string  `json:"load_after"`
	Latency    Summary `json:"latency_us"`
	samples    []float64
}

// APIResult is the api run.
type APIResult struct {
	Machine  Machine            `json:"machine"`
	Rate     float64            `json:"rate_per_s"`
	Duration string             `json:"duration_per_phase"`
	Phases   []APIPhase         `json:"phases"`
	Total    map[string]Summary `json:"total_latency_us"`
	Met      bool               `json:"met"` // create p99 ≤ 10 ms
}

type apiOpts struct {
	rate     float64
	duration time.Duration
	rounds   int
	dir      string
	quiet    bool
}

func apiMain(args []string) error {
	fs := flag.NewFlagSet("api", flag.ExitOnError)
	o := apiOpts{}
	fs.Float64Var(&o.rate, "rate", 200, "requests per second (constant arrival rate)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each phase")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs both phases, the order reversed every other round")
	fs.StringVar(&o.dir, "dir", "", "folder of the database (default: a new temporary folder)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if o.rate <= 0 || o.duration <= 0 || o.rounds < 1 {
		return usagef("-rate and -duration must be positive, -rounds at least 1")
	}
	printMachine()
	r, err := runAPI(context.Background(), o)
	if err != nil {
		return err
	}
	printAPI(r)
	return writeJSON(*jsonPath, r)
}

const benchToken = "paybench-dossier-token-0123456789abcdef"

func runAPI(ctx context.Context, o apiOpts) (APIResult, error) {
	r := APIResult{Machine: machineInfo(), Rate: o.rate, Duration: o.duration.String(), Total: map[string]Summary{}}
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "paybench-api-")
		if err != nil {
			return r, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	db, keys, err := openBenchDB(ctx, dir, "feepos.db")
	if err != nil {
		return r, err
	}
	defer db.Close()
	svc := newService(db, nil, keys)
	defer svc.Close()
	srv := server.New(db, quietLog())
	// The real token store (hashed tokens in SQLite), as serve has it.
	var token string
	if err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		nt, err := tx.CreateToken(ctx, "paybench", auth.RoleDossierSystem, auth.System("paybench"))
		token = nt.Plaintext
		return err
	}); err != nil {
		return r, err
	}
	srv.SetTokens(db)
	// The per-client rate limit (600 a minute by default) is a policy a
	// deployment sets; 200 requests/s from one client are over it, and
	// what is measured is the service's latency, so it is off here.
	srv.SetRateLimit(-1)
	srv.SetReceiptTrust(keys.Trust())
	srv.SetPayments(svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}

	var seq atomic.Int64
	create := func(ctx context.Context) error {
		n := seq.Add(1)
		body, _ := json.Marshal(newRequest("api"))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/payment-requests", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "paybench-"+strconv.FormatInt(n, 10))
		return send(client, req, http.StatusCreated)
	}
	healthz := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		return send(client, req, http.StatusOK)
	}
	// Warm-up: connections opened, statements prepared, caches filled.
	for range 50 {
		if err := create(ctx); err != nil {
			return r, fmt.Errorf("warm-up create: %w", err)
		}
		if err := healthz(ctx); err != nil {
			return r, fmt.Errorf("warm-up healthz: %w", err)
		}
	}
	all := map[string][]float64{}
	for round := 1; round <= o.rounds; round++ {
		order := []string{phaseHealthz, phaseCreate}
		if round%2 == 0 {
			order = []string{phaseCreate, phaseHealthz}
		}
		for _, ph := range order {
			op := create
			if ph == phaseHealthz {
				op = healthz
			}
			p := openLoop(ctx, ph, o.rate, o.duration, op)
			p.Round = round
			all[ph] = append(all[ph], p.samples...)
			r.Phases = append(r.Phases, p)
			if !o.quiet {
				fmt.Printf("round %d %-30s %5d sent in %5.1f s  p50 %6.0f µs  p99 %6.0f µs  max %7.0f µs  errors %d  (load %s → %s)\n",
					round, ph, p.Sent, p.Seconds, p.Latency.P50, p.Latency.P99, p.Latency.Max, p.Errors, p.LoadBefore, p.LoadAfter)
			}
		}
	}
	for k, v := range all {
		r.Total[k] = summarize(v)
	}
	errs := 0
	for _, p := range r.Phases {
		errs += p.Errors
	}
	r.Met = errs == 0 && r.Total[phaseCreate].N > 0 && r.Total[phaseCreate].P99 <= 10_000
	return r, nil
}

func send(c *http.Client, req *http.Request, want int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return nil
}

// openLoop sends op at rate per second for d, each at its scheduled
// moment on a goroutine of its own, and times it from that moment.
func openLoop(ctx context.Context, name string, rate float64, d time.Duration, op func(context.Context) error) APIPhase {
	p := APIPhase{Phase: name, Rate: rate, LoadBefore: sysinfo.LoadAvg()}
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d.Seconds() * rate)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs atomic.Int64
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := op(ctx)
			lat := time.Since(at)
			if err != nil {
				if errs.Add(1) == 1 {
					fmt.Fprintln(os.Stderr, name+":", err)
				}
				return
			}
			mu.Lock()
			p.samples = append(p.samples, us(lat.Nanoseconds()))
			mu.Unlock()
		}()
	}
	wg.Wait()
	p.Seconds = time.Since(start).Seconds()
	p.LoadAfter = sysinfo.LoadAvg()
	p.Sent, p.Errors = total, int(errs.Load())
	p.Latency = summarize(p.samples)
	return p
}

func printAPI(r APIResult) {
	fmt.Printf("\nAPI over loopback, open loop at %.0f requests/s, %s per phase, %d phases; µs from the scheduled send to the whole answer read\n",
		r.Rate, r.Duration, len(r.Phases))
	fmt.Printf("  %-32s %s\n", "µs", summaryHeader())
	for _, ph := range []string{phaseHealthz, phaseCreate} {
		fmt.Printf("  %-32s %s\n", ph, row(r.Total[ph]))
	}
	verdict := "NOT MET"
	if r.Met {
		verdict = "met"
	}
	fmt.Printf("  create p99 %.2f ms (target ≤ 10 ms): %s\n", r.Total[phaseCreate].P99/1000, verdict)
}
