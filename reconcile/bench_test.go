package reconcile

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRun1M: a million ledger payments against a million acquirer
// lines (and the lagged, voided, refunded, in-doubt extras), on 400
// terminals, every exception kind injected. Only with -bench (benchmarks
// never run otherwise); the day is generated before the timer starts.
//
//	go test ./reconcile -run '^$' -bench Run1M -benchtime 3x -benchmem
func BenchmarkRun1M(b *testing.B) {
	g := generate(42, 1_000_000, 400, inject{}.all())
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var res Result
	for b.Loop() {
		res = Run(g.Day)
	}
	b.StopTimer()
	// CPU time (this process, GC included) per Run: on a shared machine
	// the wall clock also counts the other processes' turns.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e9, "cpu-s/op")
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(len(res.Matches)), "matches")
	b.ReportMetric(float64(len(res.Exceptions)), "exceptions")
	// The result kept alive: what a Run's answer weighs on the heap.
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "result-MiB")
	b.ReportMetric(float64(before.HeapAlloc)/(1<<20), "input-MiB")
	runtime.KeepAlive(res)
	runtime.KeepAlive(g)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
