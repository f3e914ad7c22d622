package sqlite_test

// Benchmarks of durable writes and the trial balance (issue 2). They run
// only with -bench, for example:
//
//	go test -run XXX -bench . -benchtime 3s ./internal/sqlite/
//
// The databases live in b.TempDir(), that is under $TMPDIR (default /tmp).
// Durable-write numbers mean something only if that is a real disk: where
// /tmp is tmpfs, run with TMPDIR set to a folder on the disk under test.
// Each benchmark logs the filesystem it ran on. bench/ledgerbench measures
// the same things at full size (1 and 16 writers side by side with plain
// commits, a trial balance over 1,000,000 entries); docs/BENCHMARKS.md has
// the results.

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// benchWriters is the number of concurrent writers of the parallel
// benchmarks, as the issue asks.
const benchWriters = 16

// benchTBEntries is the size of the trial-balance ledger; set
// FEEPOS_BENCH_TB_ENTRIES to change it. Its cost follows the daily-total
// rows (accounts × days, here about 2,900), which are the same for 50,000
// entries over a year as for 1,000,000.
func benchTBEntries() int {
	if n, err := strconv.Atoi(os.Getenv("FEEPOS_BENCH_TB_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 50_000
}

// benchOpen opens a database in a fresh temporary folder with the real
// pragmas and migrations, and closes it before the folder is removed.
func benchOpen(b *testing.B, chart bool) *sqlite.DB {
	b.Helper()
	dir := b.TempDir()
	benchLogStorage(b, dir)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if chart {
		if err := db.SyncChart(ctx, ledger.DefaultChart()); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

var benchStorageOnce sync.Once

// benchLogStorage says, once per run, which filesystem the databases are on,
// and warns when it is RAM.
func benchLogStorage(b *testing.B, dir string) {
	benchStorageOnce.Do(func() {
		fsType, source := benchFilesystem(dir)
		if fsType == "tmpfs" || fsType == "ramfs" {
			b.Logf("WARNING: %s is on %s: fsync is free there and durable-write numbers mean nothing; set TMPDIR to a folder on a disk", dir, fsType)
			return
		}
		b.Logf("databases in %s, on %s %s", filepath.Dir(dir), fsType, source)
	})
}

// benchFilesystem finds the mount holding dir in /proc/self/mountinfo
// (Linux); elsewhere it says "unknown".
func benchFilesystem(dir string) (fsType, source string) {
	fsType, source = "unknown", "unknown"
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	best := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if !ok || len(pf) < 5 || len(qf) < 2 {
			continue
		}
		mp := pf[4]
		if (mp == "/" || dir == mp || strings.HasPrefix(dir, mp+"/")) && len(mp) > best {
			best, fsType, source = len(mp), qf[0], qf[1]
		}
	}
	return
}

// benchCardPayment is the posting of the write benchmarks: a card payment
// of two fees for one dossier, with an idempotency key as the payment API
// gives.
func benchCardPayment(date string, n int64) ledger.NewEntry {
	dossier := fmt.Sprintf("H29.1-%s-%06d", strings.ReplaceAll(date[2:], "-", ""), n%1_000_000)
	d := ledger.Dimensions{Terminal: "T-0101", Counter: "Q03", Cashier: "nv.lan", Dossier: dossier}
	fee1, fee2 := d, d
	fee1.Agency, fee1.FeeCode = "UBND-Q1", "LP-HT-01"
	fee2.Agency, fee2.FeeCode = "CA-Q1", "P-CT-01"
	return ledger.NewEntry{
		Date:           date,
		Description:    "Thu phí, lệ phí hồ sơ " + dossier + " qua thẻ",
		IdempotencyKey: "pay-card-" + strconv.FormatInt(n, 10),
		Lines: []ledger.Line{
			{Account: "113", Side: ledger.Debit, Amount: 150_000, Currency: "VND", Dimensions: d},
			{Account: "3373", Side: ledger.Credit, Amount: 100_000, Currency: "VND", Dimensions: fee1},
			{Account: "3373", Side: ledger.Credit, Amount: 50_000, Currency: "VND", Dimensions: fee2},
		},
	}
}

// benchMixEntry is the i-th of n entries spread over 365 days from
// 2025-01-01: card and cash payments, settlements, remittances and
// unidentified money, over the default chart.
func benchMixEntry(i, n int) ledger.NewEntry {
	r := rand.New(rand.NewPCG(uint64(i), 1))
	date := time.Date(2025, 1, 1, 0, 0, 0, 0, ledger.Zone).AddDate(0, 0, i*365/n).Format(ledger.DateLayout)
	a := int64(10+r.IntN(490)) * 1000
	d := ledger.Dimensions{Agency: "UBND-Q1", FeeCode: "LP-HT-0" + strconv.Itoa(1+r.IntN(9)), Terminal: "T-010" + strconv.Itoa(1+r.IntN(6)),
		Counter: "Q0" + strconv.Itoa(1+r.IntN(9)), Dossier: "H29.1-" + strconv.Itoa(i)}
	line := func(acct string, side ledger.Side, amt int64, d ledger.Dimensions) ledger.Line {
		return ledger.Line{Account: acct, Side: side, Amount: amt, Dimensions: d}
	}
	e := ledger.NewEntry{Date: date}
	switch k := r.IntN(100); {
	case k < 60:
		e.Description, e.IdempotencyKey = "Thu phí qua thẻ", "pay-card-"+strconv.Itoa(i)
		e.Lines = []ledger.Line{line("113", ledger.Debit, a+50_000, d), line("3373", ledger.Credit, a, d), line("3373", ledger.Credit, 50_000, d)}
	case k < 90:
		e.Description, e.IdempotencyKey = "Thu phí bằng tiền mặt", "pay-cash-"+strconv.Itoa(i)
		e.Lines = []ledger.Line{line("111", ledger.Debit, a, d), line("3373", ledger.Credit, a, d)}
	case k < 95:
		e.Description = "Ngân hàng thanh toán giao dịch thẻ"
		e.Lines = []ledger.Line{line("112", ledger.Debit, a*99, ledger.Dimensions{}), line("614", ledger.Debit, a, ledger.Dimensions{}), line("113", ledger.Credit, a*100, ledger.Dimensions{})}
	case k < 99:
		e.Description = "Kết chuyển phí, lệ phí"
		e.Lines = []ledger.Line{line("3373", ledger.Debit, a*10, d), line("3332", ledger.Credit, a*7, d), line("514", ledger.Credit, a*3, d)}
	default:
		e.Description = "Tiền chuyển khoản chưa rõ nội dung"
		e.Lines = []ledger.Line{line("112", ledger.Debit, a, ledger.Dimensions{}), line("3378", ledger.Credit, a, ledger.Dimensions{})}
	}
	return e
}

// benchReport adds throughput and latency percentiles to the benchmark
// line; latencies include waiting for the other writers.
func benchReport(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(lat))+0.999999) - 1
		return float64(lat[max(0, min(i, len(lat)-1))]) / 1e6
	}
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// benchParallel runs op from benchWriters goroutines (or more when
// GOMAXPROCS does not divide 16) and collects latencies.
func benchParallel(b *testing.B, op func(n int64) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((benchWriters + procs - 1) / procs)
	var (
		seq atomic.Int64
		mu  sync.Mutex
		all []time.Duration
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := op(seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
			lat = append(lat, time.Since(t0))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	benchReport(b, all)
}

// BenchmarkPost posts one three-line entry per durable transaction, one
// writer.
func BenchmarkPost(b *testing.B) {
	db := benchOpen(b, true)
	ctx := context.Background()
	date := ledger.BusinessDate(time.Now())
	var lat []time.Duration
	for n := int64(1); b.Loop(); n++ {
		t0 := time.Now()
		if _, err := db.Post(ctx, benchCardPayment(date, n)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	benchReport(b, lat)
}

// BenchmarkPostParallel is BenchmarkPost with 16 concurrent writers.
func BenchmarkPostParallel(b *testing.B) {
	db := benchOpen(b, true)
	ctx := context.Background()
	date := ledger.BusinessDate(time.Now())
	benchParallel(b, func(n int64) error {
		_, err := db.Post(ctx, benchCardPayment(date, n))
		return err
	})
}

// benchPlain returns one plain durable commit of one row: BEGIN IMMEDIATE
// (the DSN's _txlock), INSERT, COMMIT, with feepos's pragmas. It is the
// physical reference the postings are compared with.
func benchPlain(b *testing.B) func(n int64) error {
	db := benchOpen(b, false)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, at TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return func(n int64) error {
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_commit (seq, at) VALUES (?, ?)`, n, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
}

// BenchmarkPlainCommit is the reference for BenchmarkPost.
func BenchmarkPlainCommit(b *testing.B) {
	commit := benchPlain(b)
	var lat []time.Duration
	for n := int64(1); b.Loop(); n++ {
		t0 := time.Now()
		if err := commit(n); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	benchReport(b, lat)
}

// BenchmarkPlainCommitParallel is the reference for BenchmarkPostParallel,
// with the 16 writers queuing in SQLite's busy handler (sqlite-busy) or on
// a Go mutex as sqlite.DB queues its own writers (go-queue).
func BenchmarkPlainCommitParallel(b *testing.B) {
	b.Run("sqlite-busy", func(b *testing.B) {
		benchParallel(b, benchPlain(b))
	})
	b.Run("go-queue", func(b *testing.B) {
		commit := benchPlain(b)
		var mu sync.Mutex
		benchParallel(b, func(n int64) error {
			mu.Lock()
			defer mu.Unlock()
			return commit(n)
		})
	})
}

// BenchmarkTrialBalance times the trial balance over a year of entries
// posted through tx.PostEntry (hash chain and daily totals included), for
// all dates and as of mid-year. The ledger is built once, before the timed
// sub-benchmarks.
func BenchmarkTrialBalance(b *testing.B) {
	db := benchOpen(b, true)
	ctx := context.Background()
	n := benchTBEntries()
	t0 := time.Now()
	const batch = 5000
	for i := 0; i < n; i += batch {
		// The year is posted as it happened: each batch at 17:00 on the day
		// of its last entry, so every date is in the window of that day.
		lastDay, _ := ledger.ParseDate(benchMixEntry(min(i+batch, n)-1, n).Date)
		db.Now = func() time.Time { return lastDay.Add(17 * time.Hour) }
		err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
			for j := i; j < min(i+batch, n); j++ {
				if _, err := tx.PostEntry(ctx, benchMixEntry(j, n)); err != nil {
					return fmt.Errorf("entry %d: %w", j, err)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	var rows int
	if err := db.SQL().GetContext(ctx, &rows, `SELECT COUNT(*) FROM ledger_daily_totals`); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d entries (%d daily-total rows) in %s", n, rows, time.Since(t0).Round(time.Millisecond))
	for _, c := range []struct{ name, asOf string }{{"all", ""}, {"asof=2025-07-01", "2025-07-01"}} {
		b.Run(fmt.Sprintf("entries=%d/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				tb, err := db.TrialBalance(ctx, c.asOf)
				if err != nil {
					b.Fatal(err)
				}
				if !tb.Balanced() || len(tb.Rows) == 0 {
					b.Fatalf("trial balance does not balance or is empty: %+v", tb.Totals)
				}
			}
		})
	}
}
