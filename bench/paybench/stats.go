package main

import (
	"fmt"

	"github.com/feepos/feepos/bench/internal/stats"
)

// Summary is a distribution in microseconds (bench/internal/stats).
type Summary = stats.Summary

func summarize(v []float64) Summary { return stats.Summarize(v) }

func summaryHeader() string {
	return fmt.Sprintf("%9s %9s %9s %9s %9s %9s %6s", "min", "p50", "p90", "p99", "p99.9", "max", "n")
}

func row(s Summary) string {
	return fmt.Sprintf("%9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %6d", s.Min, s.P50, s.P90, s.P99, s.P999, s.Max, s.N)
}
