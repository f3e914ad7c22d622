package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func issueAt(t testing.TB, db *sqlite.DB, clock *stepClock, at time.Time, nr receipts.NewReceipt) receipts.Receipt {
	t.Helper()
	clock.Set(at)
	return issue(t, db, nr)
}

func vn(day, hour, min, sec, nsec int) time.Time {
	return time.Date(2026, 7, day, hour, min, sec, nsec, receipts.Zone)
}

func TestDailySummaryTakesTheVietnameseDay(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)

	issueAt(t, db, clock, vn(0, 23, 59, 59, 999_000_000), cashReceipt("HS-BEFORE", 1_000)) // 30/06 23:59:59.999
	first := issueAt(t, db, clock, vn(1, 0, 0, 0, 0), cashReceipt("HS-MIDNIGHT", 2_000))   // 01/07 00:00:00 = 30/06 17:00Z
	issueAt(t, db, clock, vn(1, 0, 0, 0, 500_000_000), cashReceipt("HS-HALF", 3_000))      // "…17:00:00.5Z" sorts before "…17:00:00Z" as text
	issueAt(t, db, clock, vn(1, 12, 0, 0, 0), cardReceiptFor(policeSeries.OrgCode, "HS-POLICE", 7_000))
	two := issueAt(t, db, clock, vn(1, 12, 0, 1, 0), cardReceiptFor(districtSeries.OrgCode, "HS-TWO", 4_000, 5_000))
	last := issueAt(t, db, clock, vn(1, 23, 59, 59, 999_999_999), cashReceipt("HS-LAST", 6_000))
	issueAt(t, db, clock, vn(2, 0, 0, 0, 0), cashReceipt("HS-AFTER", 8_000)) // 02/07 00:00

	s, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-01")
	require.NoError(t, err)
	assert.Equal(t, "2026-07-01", s.Date)
	assert.Equal(t, districtSeries.Organisation(), s.Org)
	var dossiers []string
	var numbers []int64
	for _, r := range s.Rows {
		dossiers = append(dossiers, r.Notes)
		numbers = append(numbers, r.Number)
	}
	assert.Equal(t, []string{"HS-MIDNIGHT", "HS-HALF", "HS-TWO", "HS-TWO", "HS-LAST"}, dossiers,
		"the day before and after are left out, so is the other organisation")
	assert.Equal(t, []int64{2, 3, 4, 4, 5}, numbers, "number order")
	assert.Equal(t, first.Ref, s.Rows[0].Ref)
	assert.Equal(t, two.Ref, s.Rows[2].Ref)
	assert.Equal(t, []int64{4_000, 5_000}, []int64{s.Rows[2].Amount, s.Rows[3].Amount})
	assert.Equal(t, last.Ref, s.Rows[4].Ref)
	assert.Equal(t, receipts.SummaryTotals{Receipts: 4, Rows: 5, Amount: 20_000, InForce: 20_000}, s.Totals())

	before, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-06-30")
	require.NoError(t, err)
	require.Len(t, before.Rows, 1)
	assert.Equal(t, "HS-BEFORE", before.Rows[0].Notes)
	after, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-02")
	require.NoError(t, err)
	require.Len(t, after.Rows, 1)
	assert.Equal(t, "HS-AFTER", after.Rows[0].Notes)

	police, err := db.DailySummary(ctx, policeSeries.OrgCode, "2026-07-01")
	require.NoError(t, err)
	require.Len(t, police.Rows, 1)
	assert.Equal(t, "26TAB", police.Rows[0].Series)

	none, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-05")
	require.NoError(t, err)
	assert.Empty(t, none.Rows)
	assert.Equal(t, districtSeries.OrgName, none.Org.Name, "the header comes from the series when no receipt was issued")

	_, err = db.DailySummary(ctx, "NOBODY", "2026-07-01")
	requireReceiptCode(t, err, receipts.ENotFound)
	_, err = db.DailySummary(ctx, districtSeries.OrgCode, "01/07/2026")
	requireReceiptCode(t, err, receipts.EInvalid)
}

func TestDailySummaryShowsReplacements(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)

	a := issueAt(t, db, clock, vn(1, 9, 0, 0, 0), cashReceipt("HS-A", 20_000))
	c := issueAt(t, db, clock, vn(1, 10, 0, 0, 0), cashReceipt("HS-C", 30_000))
	fix := cashReceipt("HS-A", 2_000)
	fix.Replaces = &a.Ref
	b := issueAt(t, db, clock, vn(1, 11, 0, 0, 0), fix) // the same day
	fix = cashReceipt("HS-C", 3_000)
	fix.Replaces = &c.Ref
	d := issueAt(t, db, clock, vn(2, 8, 0, 0, 0), fix) // the next day

	s, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-01")
	require.NoError(t, err)
	require.Len(t, s.Rows, 3)
	assert.Equal(t, a.Ref, s.Rows[0].Ref)
	assert.Equal(t, receipts.SummaryReplaced, s.Rows[0].Status)
	assert.Equal(t, "Đã bị thay thế", s.Rows[0].Status.Label())
	assert.Equal(t, &b.Ref, s.Rows[0].ReplacedBy)
	assert.Equal(t, c.Ref, s.Rows[1].Ref)
	assert.Equal(t, receipts.SummaryValid, s.Rows[1].Status, "replaced only the next day: in force at the end of this one")
	assert.Nil(t, s.Rows[1].ReplacedBy)
	assert.Equal(t, b.Ref, s.Rows[2].Ref)
	assert.Equal(t, receipts.SummaryReplacement, s.Rows[2].Status)
	assert.Equal(t, "2026-07-01", s.Rows[2].AdjustmentPeriod)
	assert.Equal(t, &a.Ref, s.Rows[2].Replaces)
	assert.Equal(t, receipts.SummaryTotals{Receipts: 3, Rows: 3, Amount: 52_000, InForce: 32_000, Replaced: 1}, s.Totals())

	next, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-02")
	require.NoError(t, err)
	require.Len(t, next.Rows, 1)
	assert.Equal(t, d.Ref, next.Rows[0].Ref)
	assert.Equal(t, "Thay thế", next.Rows[0].Status.Label())
	assert.Equal(t, "2026-07-01", next.Rows[0].AdjustmentPeriod, "corrects the data of the day before")
	assert.Equal(t, "EBL01 26TAA-00000002", next.Rows[0].Related())

	// The stored status of c is replaced now; the summary of its day stays
	// as it was at the end of that day, so a re-export is the same file.
	stored, err := db.Receipt(ctx, c.Template, c.Series, c.Number)
	require.NoError(t, err)
	assert.Equal(t, receipts.Replaced, stored.Status)
	x1, err := receipts.SummaryXML(s)
	require.NoError(t, err)
	again, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-01")
	require.NoError(t, err)
	x2, err := receipts.SummaryXML(again)
	require.NoError(t, err)
	assert.Equal(t, string(x1), string(x2))
}

// BenchmarkDailySummary10k: the summary of a day of 10,000 receipts (a
// third with two fee lines, one in a hundred replacing the one before),
// read with db.DailySummary and exported as XML and XLSX. Target: ≤ 1 s
// for the three together (issue 4).
//
//	go test ./internal/sqlite/ -run '^$' -bench BenchmarkDailySummary10k -benchtime 5x
func BenchmarkDailySummary10k(b *testing.B) {
	ctx := context.Background()
	db, _ := newReceiptDB(b)
	const n = 10_000
	day := time.Date(2026, 7, 1, 6, 0, 0, 0, receipts.Zone)
	t0 := time.Now()
	err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var prev receipts.Ref
		for i := 0; i < n; i++ {
			tx.Now = day.Add(time.Duration(i) * 4 * time.Second).UTC() // 06:00 to 17:06
			var nr receipts.NewReceipt
			if i%3 == 0 {
				nr = cardReceiptFor(districtSeries.OrgCode, fmt.Sprintf("HS-%05d", i), 50_000, 8_000)
			} else {
				nr = cashReceipt(fmt.Sprintf("HS-%05d", i), int64(1_000+i))
			}
			if i%100 == 99 {
				p := prev
				nr.Replaces = &p
			}
			r, err := tx.IssueReceipt(ctx, nr)
			if err != nil {
				return err
			}
			prev = r.Ref
		}
		return nil
	})
	require.NoError(b, err)
	b.Logf("built %d receipts in %v", n, time.Since(t0))

	var rows int
	var xmlBytes, xlsxBytes int
	var tDB, tXML, tXLSX time.Duration
	for b.Loop() {
		t1 := time.Now()
		s, err := db.DailySummary(ctx, districtSeries.OrgCode, "2026-07-01")
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		x, err := receipts.SummaryXML(s)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		xl, err := receipts.SummaryXLSX(s)
		if err != nil {
			b.Fatal(err)
		}
		t4 := time.Now()
		tDB, tXML, tXLSX = tDB+t2.Sub(t1), tXML+t3.Sub(t2), tXLSX+t4.Sub(t3)
		rows, xmlBytes, xlsxBytes = len(s.Rows), len(x), len(xl)
	}
	if rows != n+n/3+1 {
		b.Fatalf("%d rows, want %d", rows, n+n/3+1)
	}
	per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(b.N) }
	b.ReportMetric(per(tDB), "db-ms/op")
	b.ReportMetric(per(tXML), "xml-ms/op")
	b.ReportMetric(per(tXLSX), "xlsx-ms/op")
	b.ReportMetric(float64(rows), "rows")
	b.Logf("%d rows, XML %d bytes, XLSX %d bytes", rows, xmlBytes, xlsxBytes)
}
