package receipts_test

import (
	"slices"
	"testing"
	"time"
)

// reportLatency adds the p50 and p99 of lat, in milliseconds, to b's
// results.
func reportLatency(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := int(p*float64(len(lat))+0.999999) - 1
		return float64(lat[max(0, min(i, len(lat)-1))]) / 1e6
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
