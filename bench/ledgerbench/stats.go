package main

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one measured phase (or the sum of its rounds).
type Result struct {
	Phase   string  `json:"phase"`
	Writers int     `json:"writers"`
	Count   int     `json:"count"`
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	OpsSec  float64 `json:"ops_per_sec"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	Maxms   float64 `json:"max_ms"`
	// Rounds lists ops/s of each round, to show how steady the disk was.
	Rounds []float64 `json:"rounds_ops_per_sec,omitempty"`

	lat []time.Duration
}

// op performs one durable write; w is the writer number, seq a number
// unique across the whole run.
type op func(ctx context.Context, w int, seq int64) error

// requestContexts makes runPhase give each operation its own cancellable
// context, as net/http gives each request; otherwise operations get a
// context that is never cancelled (Done() is nil), with which go-sqlite3
// runs a statement in the calling goroutine instead of watching for
// cancellation from another.
var requestContexts = true

// seq numbers operations across phases and rounds, for unique keys.
var seq atomic.Int64

// runPhase runs op from writers goroutines until d has passed or n
// operations have been started (n > 0), timing each operation.
func runPhase(ctx context.Context, phase string, writers int, d time.Duration, n int, fn op) Result {
	var (
		wg      sync.WaitGroup
		started atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		all     []time.Duration
		firstEr error
	)
	begin := time.Now()
	deadline := begin.Add(d)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for {
				if n > 0 {
					if started.Add(1) > int64(n) {
						break
					}
				} else if !time.Now().Before(deadline) {
					break
				}
				t0 := time.Now()
				var err error
				if requestContexts {
					opCtx, cancel := context.WithCancel(ctx)
					err = fn(opCtx, w, seq.Add(1))
					cancel()
				} else {
					err = fn(context.WithoutCancel(ctx), w, seq.Add(1))
				}
				el := time.Since(t0)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if firstEr == nil {
						firstEr = err
					}
					mu.Unlock()
					if ctx.Err() != nil {
						break
					}
					continue
				}
				lat = append(lat, el)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	r := Result{Phase: phase, Writers: writers, Errors: int(errs.Load()), Seconds: time.Since(begin).Seconds(), lat: all}
	r.finish()
	if firstEr != nil {
		logf("%s, %d writers: %d errors, first: %v", phase, writers, r.Errors, firstEr)
	}
	return r
}

// finish computes count, rate and percentiles from lat and Seconds.
func (r *Result) finish() {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	r.Count = len(r.lat)
	if r.Seconds > 0 {
		r.OpsSec = float64(r.Count) / r.Seconds
	}
	r.P50ms = ms(percentile(r.lat, 0.50))
	r.P99ms = ms(percentile(r.lat, 0.99))
	if len(r.lat) > 0 {
		r.Maxms = ms(r.lat[len(r.lat)-1])
	}
}

// merge adds another round of the same phase.
func (r *Result) merge(o Result) {
	if r.Phase == "" {
		r.Phase, r.Writers = o.Phase, o.Writers
	}
	r.Errors += o.Errors
	r.Seconds += o.Seconds
	r.lat = append(r.lat, o.lat...)
	r.Rounds = append(r.Rounds, o.OpsSec)
	r.finish()
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Timings summarizes repeated runs of one read.
type Timings struct {
	What     string    `json:"what"`
	Runs     int       `json:"runs"`
	FirstMs  float64   `json:"first_ms"`
	MinMs    float64   `json:"min_ms"`
	MedianMs float64   `json:"median_ms"`
	MaxMs    float64   `json:"max_ms"`
	AllMs    []float64 `json:"all_ms"`
}

func summarize(what string, ds []time.Duration) Timings {
	t := Timings{What: what, Runs: len(ds)}
	if len(ds) == 0 {
		return t
	}
	t.FirstMs = ms(ds[0])
	for _, d := range ds {
		t.AllMs = append(t.AllMs, ms(d))
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	t.MinMs, t.MaxMs = ms(s[0]), ms(s[len(s)-1])
	if len(s)%2 == 1 {
		t.MedianMs = ms(s[len(s)/2])
	} else {
		t.MedianMs = (ms(s[len(s)/2-1]) + ms(s[len(s)/2])) / 2
	}
	return t
}
