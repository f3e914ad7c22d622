package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/terminals"
)

// Resident memory at idle: a fresh process (`paybench idle-one`) wires the
// service as `feepos serve` does — the HTTP server on a loopback listener,
// the payment workflow, the terminal manager with 16 simulated terminals
// (in a child process) connected — pays twice on every terminal, then
// waits idle, and reports VmRSS and VmHWM (/proc/self/status), Rss and
// Pss (/proc/self/smaps_rollup), the Go heap and stacks. The reference is
// the same process before anything is wired (the runtime, the binary and
// cgo SQLite linked in).

// Mem is one memory reading.
type Mem struct {
	VmRSS      int64 `json:"vm_rss"`
	VmHWM      int64 `json:"vm_hwm"`
	Rss        int64 `json:"rss_smaps_rollup"`
	Pss        int64 `json:"pss_smaps_rollup"`
	HeapAlloc  int64 `json:"heap_alloc"`
	HeapInuse  int64 `json:"heap_inuse"`
	StackInuse int64 `json:"stack_inuse"`
	GoSys      int64 `json:"go_sys"`
	Goroutines int   `json:"goroutines"`
	Threads    int   `json:"threads"`
}

func readMem(gc bool) Mem {
	if gc {
		runtime.GC()
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	th, _ := strconv.Atoi(sysinfo.ProcField("/proc/self/status", "Threads"))
	return Mem{VmRSS: procKB("/proc/self/status", "VmRSS"), VmHWM: procKB("/proc/self/status", "VmHWM"),
		Rss: procKB("/proc/self/smaps_rollup", "Rss"), Pss: procKB("/proc/self/smaps_rollup", "Pss"),
		HeapAlloc: int64(m.HeapAlloc), HeapInuse: int64(m.HeapInuse), StackInuse: int64(m.StackInuse), GoSys: int64(m.Sys),
		Goroutines: runtime.NumGoroutine(), Threads: th}
}

// IdleResult is one fresh process.
type IdleResult struct {
	Terminals  int    `json:"terminals"`
	Wait       string `json:"wait"`
	Base       Mem    `json:"base"` // before anything is wired
	Idle       Mem    `json:"idle"` // after the wait, without forcing a GC
	AfterGC    Mem    `json:"after_gc"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	Met        bool   `json:"met"` // idle VmRSS ≤ 100 MB
}

type idleOpts struct {
	zvt, concert int
	wait         time.Duration
	child        bool
}

func idleMain(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	nz := fs.Int("zvt", 8, "ZVT terminals")
	nc := fs.Int("concert", 8, "Concert terminals")
	wait := fs.Duration("wait", 30*time.Second, "idle time before the reading")
	runs := fs.Int("runs", 2, "fresh processes, one after the other")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	printMachine()
	var out []IdleResult
	for run := 1; run <= *runs; run++ {
		cmd := exec.Command(exe, "idle-one", "-zvt", strconv.Itoa(*nz), "-concert", strconv.Itoa(*nc), "-wait", wait.String())
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("idle-one: %w", err)
		}
		var r IdleResult
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("idle-one: %w", err)
		}
		fmt.Printf("run %d ", run)
		printIdle(r)
		out = append(out, r)
	}
	return writeJSON(*jsonPath, map[string]any{"machine": machineInfo(), "idle": out})
}

func idleOneMain(args []string) error {
	fs := flag.NewFlagSet("idle-one", flag.ExitOnError)
	o := idleOpts{child: true}
	fs.IntVar(&o.zvt, "zvt", 8, "ZVT terminals")
	fs.IntVar(&o.concert, "concert", 8, "Concert terminals")
	fs.DurationVar(&o.wait, "wait", 30*time.Second, "idle time before the reading")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	r, err := runIdle(context.Background(), o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func runIdle(ctx context.Context, o idleOpts) (IdleResult, error) {
	r := IdleResult{Terminals: o.zvt + o.concert, Wait: o.wait.String(), Base: readMem(true)}
	terms, stop, err := startSims(ctx, o.zvt, o.concert, o.child)
	if err != nil {
		return r, err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "paybench-idle-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	db, keys, err := openBenchDB(ctx, dir, "feepos.db")
	if err != nil {
		return r, err
	}
	defer db.Close()
	var cfgs []config.Terminal
	for _, t := range terms {
		c := t.config()
		c.PollInterval = config.Duration{} // the default health poll, as served
		cfgs = append(cfgs, c)
	}
	m, err := terminals.New(cfgs, terminals.Options{Store: db, Log: quietLog()})
	if err != nil {
		return r, err
	}
	if err := m.Start(ctx); err != nil {
		return r, err
	}
	defer m.Close()
	svc := newService(db, m, keys)
	defer svc.Close()
	srv := server.New(db, quietLog())
	srv.SetTokens(newTokens(map[string]auth.Actor{benchToken: dossierSystem}))
	srv.SetReceiptTrust(keys.Trust())
	srv.SetTerminals(m)
	srv.SetPayments(svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return r, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	if err := waitIdle(m, time.Minute); err != nil {
		return r, err
	}
	err = payLoop(ctx, terms, 2, func(ctx context.Context, t simTerm, k int) error {
		req, _, err := svc.CreateRequest(ctx, dossierSystem, fmt.Sprintf("idle-%s-%d", t.id, k), newRequest("idle"))
		if err != nil {
			return err
		}
		pay, err := svc.Charge(ctx, cashier, req.ID, payments.ChargeInput{Method: payments.MethodCard, Terminal: t.id})
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		pay, err = svc.Wait(wctx, pay.ID)
		if err == nil && pay.Status != payments.PaymentPaid {
			err = fmt.Errorf("payment %s is %s", pay.ID, pay.Status)
		}
		return err
	})
	if err != nil {
		return r, err
	}
	r.LoadBefore = sysinfo.LoadAvg()
	time.Sleep(o.wait)
	r.LoadAfter = sysinfo.LoadAvg()
	r.Idle = readMem(false)
	r.AfterGC = readMem(true)
	r.Met = r.Idle.VmRSS <= 100_000_000
	return r, nil
}

func printIdle(r IdleResult) {
	verdict := "NOT MET"
	if r.Met {
		verdict = "met"
	}
	fmt.Printf("idle, %d terminals connected, after %s (load %s → %s):\n", r.Terminals, r.Wait, r.LoadBefore, r.LoadAfter)
	fmt.Printf("  VmRSS %.1f MiB (before wiring %.1f MiB; after a forced GC %.1f MiB), Pss %.1f MiB, smaps Rss %.1f MiB, VmHWM %.1f MiB\n",
		mib(r.Idle.VmRSS), mib(r.Base.VmRSS), mib(r.AfterGC.VmRSS), mib(r.Idle.Pss), mib(r.Idle.Rss), mib(r.Idle.VmHWM))
	fmt.Printf("  heap %.1f MiB live / %.1f MiB in use, stacks %.1f MiB, Go runtime total %.1f MiB, %d goroutines, %d threads\n",
		mib(r.Idle.HeapAlloc), mib(r.Idle.HeapInuse), mib(r.Idle.StackInuse), mib(r.Idle.GoSys), r.Idle.Goroutines, r.Idle.Threads)
	fmt.Printf("  target ≤ 100 MB VmRSS: %s\n", verdict)
}
