package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
)

// The record step against plain durable commits.
//
// feepos: requests are created through payments.Service.CreateRequest
// and each gets a card payment "processing", as Service.Charge leaves it
// before the terminal is asked (untimed). Timed: W writers each take the
// next payment and run, as Service.runCard does after the terminal's
// approval, db.WithTx(Service.Record(...)) with the terminal's result:
// payment paid, ledger entry, one signed receipt, request paid, webhook
// outbox row, audit line, one durable commit. The terminal attempt is not
// marked (MarkAttempt false: the payments have no terminal attempt here),
// one UPDATE less than a card payment's record.
//
// Plain: a feepos database opened the same way (same DSN and pragmas, same
// folder), one scratch table, one row per BEGIN IMMEDIATE … COMMIT, W
// writers contending in SQLite; and the same queued in Go behind one mutex
// (as sqlite.DB queues its writers). The better of the two is the
// reference, as in the ledger benchmark of issue 2.

const (
	phaseRecord      = "record"
	phasePlain       = "plain commit"
	phasePlainQueued = "plain commit, Go queue"
)

// RecordPhase is one phase of one round.
type RecordPhase struct {
	Round      int     `json:"round"`
	Phase      string  `json:"phase"`
	Writers    int     `json:"writers"`
	Count      int     `json:"count"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSec     float64 `json:"commits_per_s"`
	LoadBefore string  `json:"load_before"`
	LoadAfter  string  `json:"load_after"`
	// Latency of one commit as its writer sees it (µs).
	Latency Summary `json:"latency_us"`
	// Record only, µs: waiting for the write lock (BeginWrite), the body
	// (Record's statements, the signature started), and Commit (waiting
	// for the signature, storing it, COMMIT with its fsync).
	LockWait Summary `json:"lock_wait_us,omitzero"`
	Body     Summary `json:"body_us,omitzero"`
	Commit   Summary `json:"commit_us,omitzero"`
}

// RecordResult is the record run.
type RecordResult struct {
	Machine  Machine            `json:"machine"`
	Writers  int                `json:"writers"`
	Duration string             `json:"duration_per_phase"`
	Dir      string             `json:"dir"`
	Phases   []RecordPhase      `json:"phases"`
	Rate     map[string]float64 `json:"commits_per_s"` // phase → over every round
	Ratio    float64            `json:"ratio"`         // record / the better plain
	Met      bool               `json:"met"`
}

type recordOpts struct {
	writers  int
	duration time.Duration
	supply   int // payments prepared per record phase (the phase ends early when they are used up)
	rounds   int
	dir      string
	profile  string
	quiet    bool
	single   bool // one transaction per record (db.WithTx) instead of the group commit runCard uses
}

func recordMain(args []string) error {
	fs := flag.NewFlagSet("record", flag.ExitOnError)
	o := recordOpts{}
	fs.IntVar(&o.writers, "writers", 16, "concurrent writers")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each phase")
	fs.IntVar(&o.supply, "supply", 3000, "payments prepared per record phase (it ends early when they are used up)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every phase, the order reversed every other round")
	fs.StringVar(&o.dir, "dir", "", "folder of the databases (default: a new temporary folder; the disk under it is what is measured)")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the record phases to this file")
	fs.BoolVar(&o.single, "single", false, "one transaction per record (BeginWrite … Commit, its parts timed) instead of the group commit Service.runCard uses")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if o.writers < 1 || o.rounds < 1 || o.supply < 1 {
		return usagef("-writers, -rounds and -supply must be at least 1")
	}
	printMachine()
	r, err := runRecord(context.Background(), o)
	if err != nil {
		return err
	}
	printRecord(r)
	return writeJSON(*jsonPath, r)
}

type prepared struct{ request, payment string }

func runRecord(ctx context.Context, o recordOpts) (RecordResult, error) {
	r := RecordResult{Machine: machineInfo(), Writers: o.writers, Duration: o.duration.String(), Rate: map[string]float64{}}
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "paybench-record-")
		if err != nil {
			return r, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	r.Dir = dir
	db, keys, err := openBenchDB(ctx, dir, "feepos.db")
	if err != nil {
		return r, err
	}
	defer db.Close()
	svc := newService(db, nil, keys)
	defer svc.Close()

	ref, err := sqlite.Open(ctx, dir+"/reference.db")
	if err != nil {
		return r, err
	}
	defer ref.Close()
	sdb := ref.SQL()
	if _, err := sdb.ExecContext(ctx, `CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL)`); err != nil {
		return r, err
	}
	plain := func(ctx context.Context, w int, seq int64) error {
		tx, err := sdb.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the DSN sets _txlock=immediate
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_commit (writer, seq, at) VALUES (?, ?, ?)`,
			w, seq, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	var queue sync.Mutex
	plainQueued := func(ctx context.Context, w int, seq int64) error {
		queue.Lock()
		defer queue.Unlock()
		return plain(ctx, w, seq)
	}

	card := &payments.TerminalResult{TraceNo: "000123", ApprovalCode: "A1B2C3", PANMasked: "422151******5678", TerminalID: "52500001", CardType: "VISA"}
	var payNo atomic.Int64
	prepare := func(n int) ([]prepared, error) {
		out := make([]prepared, 0, n)
		for len(out) < n {
			batch := min(200, n-len(out))
			var reqs []payments.Request
			for range batch {
				req, _, err := svc.CreateRequest(ctx, dossierSystem, "rec-"+strconv.FormatInt(dossierSeq.Load()+1, 10), newRequest("rec"))
				if err != nil {
					return nil, err
				}
				reqs = append(reqs, req)
			}
			err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
				for _, req := range reqs {
					id := fmt.Sprintf("PM%010d", payNo.Add(1))
					p := sqlite.PaymentRow{ID: id, RequestID: req.ID, Method: payments.MethodCard, Status: string(payments.PaymentProcessing),
						Amount: req.Total, Terminal: "T1", Reference: id[2:], CashierID: cashier.ID, CashierName: cashier.Name,
						CreatedAt: sqlite.StoreTime(tx.Now)}
					if err := tx.InsertPayment(ctx, p, cashier.String()); err != nil {
						return err
					}
					if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(payments.RequestProcessing), cashier.String(), "payment "+id); err != nil {
						return err
					}
					out = append(out, prepared{request: req.ID, payment: id})
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}

	var profiling bool
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return r, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, err
		}
		defer pprof.StopCPUProfile()
		profiling = true
	}
	_ = profiling

	// Warm-up: a few of each, not counted.
	warm, err := prepare(o.writers * 2)
	if err != nil {
		return r, err
	}
	for i, p := range warm {
		if err := recordOne(ctx, db, svc, p, card, nil, o.single); err != nil {
			return r, fmt.Errorf("warm-up record: %w", err)
		}
		_ = plain(ctx, 0, int64(i))
	}

	count := map[string]int{}
	secs := map[string]float64{}
	for round := 1; round <= o.rounds; round++ {
		order := []string{phasePlain, phasePlainQueued, phaseRecord}
		if round%2 == 0 {
			order = []string{phaseRecord, phasePlainQueued, phasePlain}
		}
		for _, ph := range order {
			var p RecordPhase
			switch ph {
			case phaseRecord:
				supply, err := prepare(o.supply)
				if err != nil {
					return r, err
				}
				p = runRecordPhase(ctx, o, db, svc, supply, card)
			case phasePlain:
				p = runPlainPhase(ctx, o, ph, plain)
			case phasePlainQueued:
				p = runPlainPhase(ctx, o, ph, plainQueued)
			}
			p.Round = round
			r.Phases = append(r.Phases, p)
			count[ph] += p.Count
			secs[ph] += p.Seconds
			if !o.quiet {
				fmt.Printf("round %d  %-24s %2d writers %6d commits in %5.2f s = %7.1f/s  p50 %7.0f µs  p99 %7.0f µs  errors %d  (load %s → %s)\n",
					round, ph, p.Writers, p.Count, p.Seconds, p.PerSec, p.Latency.P50, p.Latency.P99, p.Errors, p.LoadBefore, p.LoadAfter)
			}
		}
	}
	for ph, n := range count {
		if secs[ph] > 0 {
			r.Rate[ph] = float64(n) / secs[ph]
		}
	}
	best := max(r.Rate[phasePlain], r.Rate[phasePlainQueued])
	if best > 0 {
		r.Ratio = r.Rate[phaseRecord] / best
	}
	r.Met = r.Ratio >= 0.30
	return r, nil
}

// stepTimes are one record's three parts, in ns.
type stepTimes struct{ lock, body, commit int64 }

// recordOne is the record step as Service.runCard runs it (without the
// attempt mark), with its parts timed when st is not nil.
func recordOne(ctx context.Context, db *sqlite.DB, svc *payments.Service, p prepared, card *payments.TerminalResult, st *stepTimes, single bool) error {
	if !single {
		// As Service.runCard records: a write of the group commit (its
		// parts are not timed apart: other writers' bodies share its commit).
		return db.WithGroupTx(ctx, func(ctx context.Context, tx *sqlite.Tx) error {
			_, err := svc.Record(ctx, tx, p.request, p.payment, payments.Recording{Card: card, Actor: cashier, Reason: "approved by terminal T1"})
			return err
		})
	}
	t0 := time.Now()
	tx, err := db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t1 := time.Now()
	if _, err := svc.Record(ctx, tx, p.request, p.payment, payments.Recording{Card: card, Actor: cashier, Reason: "approved by terminal T1"}); err != nil {
		return err
	}
	t2 := time.Now()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if st != nil {
		t3 := time.Now()
		*st = stepTimes{lock: t1.Sub(t0).Nanoseconds(), body: t2.Sub(t1).Nanoseconds(), commit: t3.Sub(t2).Nanoseconds()}
	}
	return nil
}

func runRecordPhase(ctx context.Context, o recordOpts, db *sqlite.DB, svc *payments.Service, supply []prepared, card *payments.TerminalResult) RecordPhase {
	p := RecordPhase{Phase: phaseRecord, Writers: o.writers, LoadBefore: sysinfo.LoadAvg()}
	var next atomic.Int64
	var mu sync.Mutex
	var lat, lock, body, commit []float64
	var errs atomic.Int64
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if int(i) >= len(supply) {
					return
				}
				var st stepTimes
				t := time.Now()
				err := recordOne(ctx, db, svc, supply[i], card, &st, o.single)
				d := time.Since(t)
				if err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "record:", err)
					}
					continue
				}
				mu.Lock()
				lat = append(lat, us(d.Nanoseconds()))
				if o.single {
					lock = append(lock, us(st.lock))
					body = append(body, us(st.body))
					commit = append(commit, us(st.commit))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.Seconds = time.Since(start).Seconds()
	p.LoadAfter = sysinfo.LoadAvg()
	p.Count, p.Errors = len(lat), int(errs.Load())
	p.PerSec = float64(p.Count) / p.Seconds
	p.Latency, p.LockWait, p.Body, p.Commit = summarize(lat), summarize(lock), summarize(body), summarize(commit)
	return p
}

func runPlainPhase(ctx context.Context, o recordOpts, name string, op func(ctx context.Context, w int, seq int64) error) RecordPhase {
	p := RecordPhase{Phase: name, Writers: o.writers, LoadBefore: sysinfo.LoadAvg()}
	var mu sync.Mutex
	var lat []float64
	var errs atomic.Int64
	var seq atomic.Int64
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := op(ctx, w, seq.Add(1)); err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, name+":", err)
					}
					continue
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, us(d.Nanoseconds()))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.Seconds = time.Since(start).Seconds()
	p.LoadAfter = sysinfo.LoadAvg()
	p.Count, p.Errors = len(lat), int(errs.Load())
	p.PerSec = float64(p.Count) / p.Seconds
	p.Latency = summarize(lat)
	return p
}

func us(ns int64) float64 { return float64(ns) / 1e3 }

func printRecord(r RecordResult) {
	fmt.Printf("\nrecord step vs plain durable commits, %d writers, %s per phase, %d rounds (%s)\n", r.Writers, r.Duration, len(r.Phases)/3, r.Dir)
	for _, ph := range []string{phasePlain, phasePlainQueued, phaseRecord} {
		fmt.Printf("  %-24s %8.1f commits/s\n", ph, r.Rate[ph])
	}
	verdict := "NOT MET"
	if r.Met {
		verdict = "met"
	}
	fmt.Printf("  record / better plain = %.1f %% (target ≥ 30 %%): %s\n", 100*r.Ratio, verdict)
	var lock, body, commit, lat []Summary
	for _, p := range r.Phases {
		if p.Phase == phaseRecord {
			lat, lock, body, commit = append(lat, p.Latency), append(lock, p.LockWait), append(body, p.Body), append(commit, p.Commit)
		}
	}
	fmt.Printf("  record, per round, µs:  %s\n", summaryHeader())
	for i := range lat {
		fmt.Printf("    round %d whole        %s\n", i+1, row(lat[i]))
		fmt.Printf("            lock wait    %s\n", row(lock[i]))
		fmt.Printf("            Record body  %s\n", row(body[i]))
		fmt.Printf("            Commit       %s\n", row(commit[i]))
	}
}
