package main

import (
	"fmt"
	"math"
	"sort"
)

// Summary is a distribution in microseconds (nearest-rank percentiles), as
// posbench prints it.
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

func summarize(v []float64) Summary {
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

func summaryHeader() string {
	return fmt.Sprintf("%9s %9s %9s %9s %9s %9s %6s", "min", "p50", "p90", "p99", "p99.9", "max", "n")
}

func (s Summary) row() string {
	return fmt.Sprintf("%9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %6d", s.Min, s.P50, s.P90, s.P99, s.P999, s.Max, s.N)
}
