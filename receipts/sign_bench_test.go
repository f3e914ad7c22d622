package receipts_test

import (
	"testing"
	"time"

	"github.com/feepos/feepos/receipts"
)

// BenchmarkSignReceipt times receipts.SignReceipt, a receipt's XML signed
// (XMLDSig, RSA-SHA256, 2048-bit demo key), no database, in two rhythms:
// back to back, and after 20 ms of idleness each time, as at a counter
// where receipts come seconds apart. On the VM of docs/BENCHMARKS.md the
// same signature takes markedly longer after an idle gap; this benchmark
// is how that is measured.
//
//	go test -run '^$' -bench SignReceipt -benchtime 300x ./receipts/
func BenchmarkSignReceipt(b *testing.B) {
	s, err := receipts.GenerateDemoSigner("Ủy ban nhân dân phường Hoàn Kiếm", "0101234567")
	if err != nil {
		b.Fatal(err)
	}
	r := renderedReceipt()
	for _, idle := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("idle="+idle.String(), func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				if idle > 0 {
					time.Sleep(idle)
				}
				t0 := time.Now()
				if _, err := receipts.SignReceipt(r, s); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat)
		})
	}
}
