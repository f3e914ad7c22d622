package sqlite_test

// Benchmark of issuing a signed receipt (issue 4): take the next number,
// chain, write the XML, sign it (XMLDSig, RSA-SHA256, 2048-bit demo key)
// and store it, in one durable transaction. Target: ≤ 5 ms p99. It runs
// only with -bench:
//
//	go test -run '^$' -bench IssueSignedReceipt -benchtime 2000x ./internal/sqlite/
//
// As for the ledger benchmarks (bench_test.go), the database is in
// b.TempDir(), under $TMPDIR; the run logs the filesystem and warns when it
// is RAM, where fsync is free and the numbers mean nothing.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

var (
	benchSignerOnce sync.Once
	benchSigner     *receipts.KeySigner
	benchSignerErr  error
)

// benchReceiptSigner is the district's demo signer, generated once per run
// (RSA key generation is not part of issuing).
func benchReceiptSigner(b *testing.B) *receipts.KeySigner {
	b.Helper()
	benchSignerOnce.Do(func() {
		benchSigner, benchSignerErr = receipts.GenerateDemoSigner(districtSeries.OrgName, districtSeries.TaxCode)
	})
	if benchSignerErr != nil {
		b.Fatal(benchSignerErr)
	}
	return benchSigner
}

// benchReceiptDB opens a database on the benchmark disk with the district's
// series, and a clock that moves one second per reading from 09:00 on
// 1 July 2026 in Vietnam.
func benchReceiptDB(b *testing.B) *sqlite.DB {
	b.Helper()
	db := benchOpen(b, true)
	clock := &stepClock{}
	clock.Set(time.Date(2026, 7, 1, 9, 0, 0, 0, receipts.Zone))
	db.Now = clock.Now
	if _, err := db.CreateSeries(context.Background(), districtSeries); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchCardReceipt is a card payment of two fees for one dossier, with the
// payer's address and ID number and the total in words, as the payment
// workflow issues it.
func benchCardReceipt(n int64) receipts.NewReceipt {
	const lePhi, phi = 100_000, 50_000
	words, err := receipts.Words(lePhi + phi)
	if err != nil {
		panic(err)
	}
	return receipts.NewReceipt{
		OrgCode: districtSeries.OrgCode,
		Payer:   receipts.Payer{Name: "Trần Thị Bình", Address: "12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh", IDNumber: "079190004321"},
		Lines: []receipts.Line{
			{Name: "Lệ phí đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "LP-DKKD", Amount: lePhi},
			{Name: "Phí cung cấp thông tin về đăng ký hộ kinh doanh", Kind: receipts.Phi, FeeCode: "P-TTDK", Amount: phi},
		},
		Total:        lePhi + phi,
		TotalInWords: words,
		Method:       receipts.Card,
		DossierCode:  fmt.Sprintf("H29.1-260701-%06d", n%1_000_000),
		Card: &receipts.CardPayment{TerminalID: "T-0101", TraceNo: fmt.Sprintf("%06d", n%1_000_000),
			ApprovalCode: "A1B2C3", PANMasked: "411111******1111"},
	}
}

// BenchmarkIssueSignedReceipt times db.IssueSignedReceipt on one series:
//
//   - writers=1: one caller issuing back to back;
//   - writers=16: 16 callers issuing back to back (a closed loop: each asks
//     again the moment it is answered), so latencies include waiting for
//     the other 15 and the run measures the most receipts per second;
//   - counters=16,rate=200/s: 16 counters whose receipts arrive at random
//     (Poisson) times, 200 a second in all — some 2,000 times the busiest
//     hour of a district center (~8,000 dossiers a year) — timed from the
//     moment each was due, so a counter that falls behind is counted.
func BenchmarkIssueSignedReceipt(b *testing.B) {
	b.Run("writers=1", func(b *testing.B) {
		s := benchReceiptSigner(b)
		db := benchReceiptDB(b)
		ctx := context.Background()
		var lat []time.Duration
		for n := int64(1); b.Loop(); n++ {
			nr := benchCardReceipt(n)
			t0 := time.Now()
			if _, _, err := db.IssueSignedReceipt(ctx, nr, s); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		benchReport(b, lat)
	})
	b.Run(fmt.Sprintf("writers=%d", benchWriters), func(b *testing.B) {
		s := benchReceiptSigner(b)
		db := benchReceiptDB(b)
		ctx := context.Background()
		benchParallel(b, func(n int64) error {
			_, _, err := db.IssueSignedReceipt(ctx, benchCardReceipt(n), s)
			return err
		})
	})
	b.Run(fmt.Sprintf("counters=%d,rate=%d/s", benchWriters, benchCounterRate), func(b *testing.B) {
		s := benchReceiptSigner(b)
		db := benchReceiptDB(b)
		ctx := context.Background()
		benchOpenLoop(b, float64(benchCounterRate), func(n int64) error {
			_, _, err := db.IssueSignedReceipt(ctx, benchCardReceipt(n), s)
			return err
		})
	})
}

// benchCounterRate is the arrival rate, per second over all counters, of
// the open-loop receipt benchmark; FEEPOS_BENCH_RATE changes it.
var benchCounterRate = func() int {
	if n, err := strconv.Atoi(os.Getenv("FEEPOS_BENCH_RATE")); err == nil && n > 0 {
		return n
	}
	return 200
}()

// benchOpenLoop runs b.N ops arriving at Poisson times at rate per second,
// dealt in turn to benchWriters counters; each counter serves its own in
// order. A latency runs from when the op was due to when it returned
// (no coordinated omission: a late start counts).
func benchOpenLoop(b *testing.B, rate float64, op func(n int64) error) {
	rng := rand.New(rand.NewPCG(1, 2))
	due := make([]time.Duration, b.N)
	var at time.Duration
	for i := range due {
		at += time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
		due[i] = at
	}
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range benchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < b.N; i += benchWriters {
				if d := time.Until(start.Add(due[i])); d > 0 {
					time.Sleep(d)
				}
				if err := op(int64(i + 1)); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(start) - due[i]
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	benchReport(b, lat)
}
