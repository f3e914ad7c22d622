// Package stats summarises the benchmarks' samples: nearest-rank
// percentiles of durations in microseconds.
package stats

import (
	"math"
	"sort"
)

// Summary is a distribution in microseconds (nearest-rank percentiles).
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// Summarize sorts a copy of v and reads its percentiles.
func Summarize(v []float64) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Summary{N: len(s), Mean: sum / float64(len(s)), Min: s[0], P50: q(0.50), P90: q(0.90),
		P99: q(0.99), P999: q(0.999), Max: s[len(s)-1]}
}
