package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
	"github.com/feepos/feepos/receipts"
)

// feepos's own time from a terminal's result to its commit and
// acknowledgement, 16 terminals paying at once.
//
// feepos: each terminal's goroutine creates a request
// (Service.CreateRequest), charges it by card on its terminal
// (Service.Charge: the payment committed processing, the charge started
// in the background) and waits for the payment to end (Service.Wait),
// in a loop. In the background Service.runCard has the terminal manager
// charge, records the approval (Record in one durable transaction) and
// only then confirms. The sample: from the driver's read that brought the
// result frame's last byte into the process (the line wrapped through
// terminals.Options.Open) to the Confirm written to the line (ZVT: the
// 80 00 00 after the Status-Information; Concert: the ACK of the answer).
//
// bare (the reference): the same terminals, the bare drivers (zvt, concert)
// without the manager, Pay then Confirm at once: the drivers' own time
// over the same span, with nothing recorded.

const (
	phaseBare   = "bare driver"
	phaseFeepos = "feepos"
)

// LatencyPhase is one phase of one round.
type LatencyPhase struct {
	Round      int                `json:"round"`
	Phase      string             `json:"phase"`
	Seconds    float64            `json:"seconds"`
	Payments   int                `json:"payments"`
	LoadBefore string             `json:"load_before"`
	LoadAfter  string             `json:"load_after"`
	Own        map[string]Summary `json:"own_us"` // by protocol and "all"
	samples    map[string][]float64
}

// LatencyResult is the latency run.
type LatencyResult struct {
	Machine Machine            `json:"machine"`
	ZVT     int                `json:"zvt"`
	Concert int                `json:"concert"`
	N       int                `json:"n"`
	Warmup  int                `json:"warmup"`
	Phases  []LatencyPhase     `json:"phases"`
	Total   map[string]Summary `json:"total_own_us"` // phase/protocol over every round
	Met     bool               `json:"met"`          // feepos/all p99 ≤ 15 ms
}

type latencyOpts struct {
	zvt, concert, n, warmup, rounds int
	child                           bool
	dir                             string
	quiet                           bool
}

func latencyMain(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	o := latencyOpts{}
	fs.IntVar(&o.zvt, "zvt", 8, "ZVT terminals")
	fs.IntVar(&o.concert, "concert", 8, "Concert terminals")
	fs.IntVar(&o.n, "n", 40, "measured payments per terminal and phase")
	fs.IntVar(&o.warmup, "warmup", 5, "payments per terminal and phase run first and not counted")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds; each runs both phases, the order reversed every other round")
	sims := fs.String("sims", "child", "where the simulators run: child (a child process) or inproc")
	fs.StringVar(&o.dir, "dir", "", "folder of the database (default: a new temporary folder)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if *sims != "child" && *sims != "inproc" {
		return usagef("-sims %q: use child or inproc", *sims)
	}
	if o.n < 1 || o.rounds < 1 || o.warmup < 0 || o.zvt+o.concert < 1 {
		return usagef("-n and -rounds must be at least 1, -warmup not negative, and there must be a terminal")
	}
	o.child = *sims == "child"
	printMachine()
	r, err := runLatency(context.Background(), o)
	if err != nil {
		return err
	}
	printLatency(r)
	return writeJSON(*jsonPath, r)
}

func runLatency(ctx context.Context, o latencyOpts) (LatencyResult, error) {
	r := LatencyResult{Machine: machineInfo(), ZVT: o.zvt, Concert: o.concert, N: o.n, Warmup: o.warmup, Total: map[string]Summary{}}
	terms, stop, err := startSims(ctx, o.zvt, o.concert, o.child)
	if err != nil {
		return r, err
	}
	defer stop()
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "paybench-latency-")
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
	all := map[string][]float64{}
	payNo := map[string]int64{} // per terminal, over the phases: each payment's amount differs from the one before
	for _, t := range terms {
		payNo[t.id] = 0
	}
	for round := 1; round <= o.rounds; round++ {
		order := []string{phaseBare, phaseFeepos}
		if round%2 == 0 {
			order = []string{phaseFeepos, phaseBare}
		}
		for _, ph := range order {
			p := LatencyPhase{Round: round, Phase: ph, LoadBefore: sysinfo.LoadAvg(), samples: map[string][]float64{}}
			start := time.Now()
			var err error
			if ph == phaseBare {
				err = runBare(ctx, o, terms, &p)
			} else {
				err = runFeepos(ctx, o, db, keys, terms, payNo, &p)
			}
			if err != nil {
				return r, fmt.Errorf("round %d %s: %w", round, ph, err)
			}
			p.Seconds = time.Since(start).Seconds()
			p.LoadAfter = sysinfo.LoadAvg()
			p.Own = map[string]Summary{}
			var both []float64
			for proto, s := range p.samples {
				p.Own[proto] = summarize(s)
				all[ph+"/"+proto] = append(all[ph+"/"+proto], s...)
				both = append(both, s...)
			}
			p.Payments = len(both)
			p.Own["all"] = summarize(both)
			all[ph+"/all"] = append(all[ph+"/all"], both...)
			r.Phases = append(r.Phases, p)
			if !o.quiet {
				fmt.Printf("round %d %-12s %4d payments in %5.1f s  p50 %6.0f µs  p99 %6.0f µs  max %6.0f µs  (load %s → %s)\n",
					round, ph, p.Payments, p.Seconds, p.Own["all"].P50, p.Own["all"].P99, p.Own["all"].Max, p.LoadBefore, p.LoadAfter)
			}
		}
	}
	for k, v := range all {
		r.Total[k] = summarize(v)
	}
	r.Met = r.Total[phaseFeepos+"/all"].N > 0 && r.Total[phaseFeepos+"/all"].P99 <= 15_000
	return r, nil
}

func serialConfig(proto, path string) transport.SerialConfig {
	if proto == "concert" {
		return transport.ConcertSerial(path)
	}
	return transport.ZVTSerial(path)
}

// collector keeps one phase's samples, each terminal's first warmup left
// out.
type collector struct {
	mu      sync.Mutex
	warmup  int
	seen    map[string]int
	samples map[string][]float64
}

func (c *collector) add(id, proto string, ns int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[id]++
	if c.seen[id] > c.warmup {
		c.samples[proto] = append(c.samples[proto], us(ns))
	}
}

func runFeepos(ctx context.Context, o latencyOpts, db *sqlite.DB, keys *receipts.Keyring, terms []simTerm, payNo map[string]int64, p *LatencyPhase) error {
	col := &collector{warmup: o.warmup, seen: map[string]int{}, samples: p.samples}
	var mu sync.Mutex
	conns := map[string]*stampConn{}
	var cfgs []config.Terminal
	protoOf := map[string]string{}
	for _, t := range terms {
		cfgs = append(cfgs, t.config())
		protoOf[t.id] = t.proto
	}
	m, err := terminals.New(cfgs, terminals.Options{Store: db, Log: quietLog(),
		Open: func(ctx context.Context, c config.Terminal) (transport.Conn, error) {
			conn, err := transport.OpenSerial(serialConfig(c.Protocol, c.Port))
			if err != nil {
				return nil, err
			}
			id, proto := c.ID, c.Protocol
			sc := &stampConn{Conn: conn, proto: proto, onSample: func(ns int64) { col.add(id, proto, ns) }}
			mu.Lock()
			conns[id] = sc
			mu.Unlock()
			return sc, nil
		},
		OnWire: func(id string, e terminals.TapEntry) {
			// A payment's result carries its amount (a ZVT Status-Information
			// also answers the manager's status enquiry, without one).
			// The manager also reads the last transaction back from a
			// terminal (a repeat of the previous payment's result): only the
			// result of the payment running, by its amount, is counted.
			if e.Direction != "pt_to_ecr" || e.Message.AmountMinor == nil ||
				(e.Message.Kind != "status_information" && e.Message.Kind != concert.KindPaymentAnswer) {
				return
			}
			mu.Lock()
			sc := conns[id]
			mu.Unlock()
			if sc != nil && sc.want.CompareAndSwap(*e.Message.AmountMinor, 0) {
				sc.resultSeen()
			}
		}})
	if err != nil {
		return err
	}
	if err := m.Start(ctx); err != nil {
		return err
	}
	defer m.Close()
	if err := waitIdle(m, time.Minute); err != nil {
		return err
	}
	svc := newService(db, m, keys)
	defer svc.Close()
	return payLoop(ctx, terms, o.warmup+o.n, func(ctx context.Context, t simTerm, k int) error {
		// Each payment of a terminal has another amount than the one
		// before it (3 to 99 certified pages).
		in := newRequest("lat")
		mu.Lock()
		pages := 3 + payNo[t.id]%97
		payNo[t.id]++
		mu.Unlock()
		in.Items[1].Quantity, in.Items[1].Amount = pages, 2_000*pages
		req, _, err := svc.CreateRequest(ctx, dossierSystem, fmt.Sprintf("lat-%s-%d-%d", t.id, k, dossierSeq.Load()+1), in)
		if err != nil {
			return err
		}
		mu.Lock()
		sc := conns[t.id]
		mu.Unlock()
		sc.want.Store(req.Total)
		pay, err := svc.Charge(ctx, cashier, req.ID, payments.ChargeInput{Method: payments.MethodCard, Terminal: t.id})
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		pay, err = svc.Wait(wctx, pay.ID)
		if err != nil {
			return err
		}
		if pay.Status != payments.PaymentPaid {
			return fmt.Errorf("payment %s on %s is %s (%s)", pay.ID, t.id, pay.Status, pay.Message)
		}
		return nil
	})
}

// payLoop runs n payments on every terminal at once, one goroutine per
// terminal; the first error ends it.
func payLoop(ctx context.Context, terms []simTerm, n int, pay func(ctx context.Context, t simTerm, k int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(terms))
	for _, t := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				if err := pay(ctx, t, k); err != nil {
					errs <- fmt.Errorf("terminal %s, payment %d: %w", t.id, k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func runBare(ctx context.Context, o latencyOpts, terms []simTerm, p *LatencyPhase) error {
	col := &collector{warmup: o.warmup, seen: map[string]int{}, samples: p.samples}
	type bare struct {
		sc   *stampConn
		term pos.Terminal
	}
	bs := map[string]bare{}
	defer func() {
		for _, b := range bs {
			_ = b.term.Close()
		}
	}()
	for _, t := range terms {
		conn, err := transport.OpenSerial(serialConfig(t.proto, t.path))
		if err != nil {
			return err
		}
		id, proto := t.id, t.proto
		sc := &stampConn{Conn: conn, proto: proto, onSample: func(ns int64) { col.add(id, proto, ns) }}
		if t.proto == "zvt" {
			term := zvt.New(sc, zvt.Config{ID: t.id})
			bs[t.id] = bare{sc, term}
			if err := term.Register(ctx); err != nil {
				return fmt.Errorf("register %s: %w", t.id, err)
			}
		} else {
			bs[t.id] = bare{sc, concert.New(sc, concert.Config{ID: t.id})}
		}
	}
	return payLoop(ctx, terms, o.warmup+o.n, func(ctx context.Context, t simTerm, k int) error {
		b := bs[t.id]
		pd, err := b.term.Pay(ctx, pos.Request{Amount: 99_999, // never a feepos phase's amount
			Reference: fmt.Sprintf("B%09d", dossierSeq.Add(1))}, nil)
		if pd == nil {
			return err
		}
		res := pd.Result()
		if err != nil || res.Outcome != pos.Approved {
			return fmt.Errorf("%s %v (%s)", res.Outcome, err, res.Text)
		}
		b.sc.resultSeen()
		return pd.Confirm(ctx)
	})
}

// waitIdle waits until every terminal of m is idle (opened, registered).
func waitIdle(m *terminals.Manager, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var not []string
		for _, s := range m.Status() {
			if s.Status != terminals.StatusIdle {
				not = append(not, s.ID+" "+string(s.Status)+" "+s.LastError)
			}
		}
		if len(not) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("terminals not idle after %s: %s", limit, strings.Join(not, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func printLatency(r LatencyResult) {
	fmt.Printf("\nfeepos's own time, driver's read of the result's last byte → Confirm written; %d ZVT + %d Concert terminals paying at once, %d payments each per phase (+%d warm-up), %d phases\n",
		r.ZVT, r.Concert, r.N, r.Warmup, len(r.Phases))
	fmt.Printf("  %-22s %s\n", "µs", summaryHeader())
	for _, ph := range []string{phaseBare, phaseFeepos} {
		for _, proto := range []string{"zvt", "concert", "all"} {
			if s, ok := r.Total[ph+"/"+proto]; ok {
				fmt.Printf("  %-22s %s\n", ph+" "+proto, row(s))
			}
		}
	}
	verdict := "NOT MET"
	if r.Met {
		verdict = "met"
	}
	fmt.Printf("  feepos p99 %.2f ms (target ≤ 15 ms): %s\n", r.Total[phaseFeepos+"/all"].P99/1000, verdict)
}
