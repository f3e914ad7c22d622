package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Snapshot is the process's memory and threads at one moment, after GC.
type Snapshot struct {
	HeapAlloc  int64 `json:"heap_alloc"`  // live heap objects
	HeapInuse  int64 `json:"heap_inuse"`  // heap spans in use
	StackInuse int64 `json:"stack_inuse"` // goroutine stacks
	Sys        int64 `json:"sys"`         // all the runtime got from the OS
	RSS        int64 `json:"rss"`         // VmRSS
	Goroutines int   `json:"goroutines"`
	Threads    int64 `json:"threads"`
}

func snapshot() Snapshot {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return Snapshot{HeapAlloc: int64(m.HeapAlloc), HeapInuse: int64(m.HeapInuse), StackInuse: int64(m.StackInuse),
		Sys: int64(m.Sys), RSS: procKB("VmRSS"), Goroutines: runtime.NumGoroutine(), Threads: procInt("Threads")}
}

// CPU is process CPU time (getrusage RUSAGE_SELF, all threads) over a wait.
type CPU struct {
	Wall   string  `json:"wall"`
	UserMS float64 `json:"user_ms"`
	SysMS  float64 `json:"sys_ms"`
	// PctCore is (user+sys)/wall in percent of one core.
	PctCore float64 `json:"pct_core"`
	// VolCtxSw are voluntary context switches: the process's wake-ups.
	VolCtxSw   int64   `json:"vol_ctx_switches"`
	WakeupsPS  float64 `json:"wakeups_per_s"`
	InvolCtxSw int64   `json:"invol_ctx_switches"`
}

func measureCPU(wait time.Duration) CPU {
	var a, b unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &a)
	t0 := time.Now()
	time.Sleep(wait)
	_ = unix.Getrusage(unix.RUSAGE_SELF, &b)
	wall := time.Since(t0)
	tv := func(t unix.Timeval) float64 { return float64(t.Sec)*1e3 + float64(t.Usec)/1e3 }
	c := CPU{Wall: wall.Round(time.Millisecond).String(), UserMS: tv(b.Utime) - tv(a.Utime), SysMS: tv(b.Stime) - tv(a.Stime),
		VolCtxSw: b.Nvcsw - a.Nvcsw, InvolCtxSw: b.Nivcsw - a.Nivcsw}
	c.PctCore = (c.UserMS + c.SysMS) / float64(wall.Milliseconds()) * 100
	c.WakeupsPS = float64(c.VolCtxSw) / wall.Seconds()
	return c
}

// FleetResult is one process with N connected terminals.
type FleetResult struct {
	Protocol string   `json:"protocol"`
	N        int      `json:"n"`
	Wait     string   `json:"wait"`
	Base     Snapshot `json:"base"`     // before any terminal
	Idle     Snapshot `json:"idle"`     // N connected, registered, between transactions
	Waiting  Snapshot `json:"waiting"`  // N Pay calls waiting for the terminal's result
	IdleCPU  CPU      `json:"idle_cpu"` // over Wait, between transactions
	WaitCPU  CPU      `json:"wait_cpu"` // over Wait, N Pay calls waiting, terminals silent
	Finished int      `json:"finished"` // payments approved and confirmed after the release
	Errors   []string `json:"errors,omitempty"`
}

type fleetTerm struct {
	term pos.Terminal
	conn transport.Conn
}

// fleetOne runs in its own process: N terminals served by a child process.
// cpuProfile, if not empty, receives a CPU profile of the waiting window.
func fleetOne(proto string, n int, wait time.Duration, cpuProfile string) (FleetResult, error) {
	r := FleetResult{Protocol: proto, N: n, Wait: wait.String()}
	var child *ptChild
	if n > 0 {
		c, err := startPTChild(proto, n, Hold{}, true)
		if err != nil {
			return r, err
		}
		child = c
		defer c.stop()
	}
	ctx := context.Background()
	r.Base = snapshot()
	terms := make([]fleetTerm, n)
	for i := range n {
		var (
			conn transport.Conn
			err  error
		)
		if proto == "zvt" {
			conn, err = transport.OpenSerial(transport.ZVTSerial(child.paths[i]))
		} else {
			conn, err = transport.OpenSerial(transport.ConcertSerial(child.paths[i]))
		}
		if err != nil {
			return r, err
		}
		id := "T" + strconv.Itoa(i+1)
		if proto == "zvt" {
			t := zvt.New(conn, zvt.Config{ID: id})
			if err := t.Register(ctx); err != nil {
				return r, fmt.Errorf("register %s: %w", id, err)
			}
			terms[i] = fleetTerm{term: t, conn: conn}
		} else {
			terms[i] = fleetTerm{term: concert.New(conn, concert.Config{ID: id}), conn: conn}
		}
	}
	defer func() {
		for _, t := range terms {
			if t.term != nil {
				_ = t.term.Close()
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	r.Idle = snapshot()
	time.Sleep(500 * time.Millisecond)
	r.IdleCPU = measureCPU(wait)

	// N payments in progress: each terminal said "insert card" and is silent.
	waiting := make(chan int, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, t := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			events := make(chan pos.Event, 16)
			go func() {
				for e := range events {
					if e.Kind == pos.EventInsertCard {
						waiting <- i
						return
					}
				}
			}()
			p, err := t.term.Pay(ctx, pos.Request{Amount: 150_000, Reference: "F" + strconv.Itoa(i)}, events)
			close(events)
			if err == nil && p.Result().Outcome == pos.Approved {
				err = p.Confirm(ctx)
			} else if err == nil {
				err = fmt.Errorf("outcome %s", p.Result().Outcome)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Errors = append(r.Errors, fmt.Sprintf("T%d: %v", i+1, err))
			} else {
				r.Finished++
			}
		}()
	}
	for range n {
		select {
		case <-waiting:
		case <-time.After(30 * time.Second):
			return r, fmt.Errorf("terminals did not all reach the waiting state")
		}
	}
	time.Sleep(500 * time.Millisecond)
	r.Waiting = snapshot()
	time.Sleep(500 * time.Millisecond)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return r, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, err
		}
		defer f.Close()
	}
	r.WaitCPU = measureCPU(wait)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if child != nil {
		if err := child.release(); err != nil {
			return r, err
		}
	}
	wg.Wait()
	return r, nil
}

// fleet runs fleetOne for each N in a fresh process, so that memory freed
// by one size does not hide the growth of the next.
func fleet(protos []string, ns []int, wait time.Duration) ([]FleetResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out []FleetResult
	for _, proto := range protos {
		for _, n := range ns {
			cmd := exec.Command(exe, "fleet-one", "-proto", proto, "-n", strconv.Itoa(n), "-wait", wait.String())
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err != nil {
				return out, fmt.Errorf("fleet-one %s n=%d: %w", proto, n, err)
			}
			var r FleetResult
			if err := json.Unmarshal(b, &r); err != nil {
				return out, fmt.Errorf("fleet-one %s n=%d: %w", proto, n, err)
			}
			out = append(out, r)
			printFleet(r)
		}
	}
	return out, nil
}

func kib(b int64) float64 { return float64(b) / 1024 }

func printFleet(r FleetResult) {
	fmt.Printf("fleet %s N=%d (wait %s): %d/%d payments finished after release", r.Protocol, r.N, r.Wait, r.Finished, r.N)
	if len(r.Errors) > 0 {
		fmt.Printf(", errors: %v", r.Errors)
	}
	fmt.Println()
	fmt.Printf("  CPU between transactions: user %.1f ms + sys %.1f ms = %.3f%% of a core, %.1f wake-ups/s\n",
		r.IdleCPU.UserMS, r.IdleCPU.SysMS, r.IdleCPU.PctCore, r.IdleCPU.WakeupsPS)
	fmt.Printf("  CPU Pay waiting (silent): user %.1f ms + sys %.1f ms = %.3f%% of a core, %.1f wake-ups/s\n",
		r.WaitCPU.UserMS, r.WaitCPU.SysMS, r.WaitCPU.PctCore, r.WaitCPU.WakeupsPS)
	d := func(name string, s Snapshot) {
		per := func(v int64) float64 {
			if r.N == 0 {
				return 0
			}
			return kib(v) / float64(r.N)
		}
		fmt.Printf("  %-8s Δheap-alloc %8.1f KiB (%6.2f/term)  Δheap-inuse %8.1f KiB (%6.2f/term)  Δstacks %7.1f KiB (%5.2f/term)  ΔRSS %8.1f KiB (%6.2f/term)  Δgoroutines %4d  Δthreads %4d\n",
			name, kib(s.HeapAlloc-r.Base.HeapAlloc), per(s.HeapAlloc-r.Base.HeapAlloc),
			kib(s.HeapInuse-r.Base.HeapInuse), per(s.HeapInuse-r.Base.HeapInuse),
			kib(s.StackInuse-r.Base.StackInuse), per(s.StackInuse-r.Base.StackInuse),
			kib(s.RSS-r.Base.RSS), per(s.RSS-r.Base.RSS),
			s.Goroutines-r.Base.Goroutines, s.Threads-r.Base.Threads)
	}
	fmt.Printf("  base     heap-alloc %.1f KiB, RSS %.1f KiB, goroutines %d, threads %d\n",
		kib(r.Base.HeapAlloc), kib(r.Base.RSS), r.Base.Goroutines, r.Base.Threads)
	d("idle", r.Idle)
	d("waiting", r.Waiting)
}
