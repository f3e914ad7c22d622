package main

import (
	"fmt"

	"github.com/feepos/feepos/bench/internal/stats"
)

// Summary is a distribution in microseconds (bench/internal/stats).
type Summary = stats.Summary

func summarize(v []float64) Summary { return stats.Summarize(v) }

func summaryHeader() string {
	return fmt.Sprintf("%8s %8s %8s %8s %8s %8s %8s", "min", "p50", "p90", "p99", "p99.9", "max", "mean")
}

func row(s Summary) string {
	return fmt.Sprintf("%8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f", s.Min, s.P50, s.P90, s.P99, s.P999, s.Max, s.Mean)
}
