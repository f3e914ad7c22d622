package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// testNow is where the store's clock stands in these tests: 10:00 on 15
// July 2026 in Vietnam. The tests post entries dated from 1 March to 15
// July 2026, inside the window the store accepts then
// (ledger.PostingWindow), whatever the day they run.
var testNow = time.Date(2026, 7, 15, 10, 0, 0, 0, ledger.Zone)

// testClock starts at testNow and runs with the wall clock, so times still
// move forward as they do in the service. It counts from the start of the
// test process (of the parent, for a child killChild runs: testClockStartEnv),
// not of each opening: a database opened again never sees time go back,
// which issuing a receipt refuses (a clock set back).
func testClock() func() time.Time {
	return func() time.Time { return testNow.Add(time.Since(testClockStart)) }
}

const testClockStartEnv = "FEEPOS_TEST_CLOCK_START" // Unix nanoseconds

var testClockStart = func() time.Time {
	if n, err := strconv.ParseInt(os.Getenv(testClockStartEnv), 10, 64); err == nil {
		return time.Unix(0, n)
	}
	return time.Now()
}()

// newTestDB opens a fresh database in the test's temporary folder with the
// default chart of accounts.
func newTestDB(t testing.TB) *sqlite.DB {
	t.Helper()
	return openTestDB(t, filepath.Join(t.TempDir(), "feepos.db"))
}

// openTestDB opens (creating if needed) the database at path with the test
// clock, syncs the default chart, and closes it when the test ends.
func openTestDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	db.Now = testClock()
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	return db
}

// usdChart is the default chart with three accounts kept in US dollars,
// for the tests of balances in more than one currency.
func usdChart() ledger.Chart {
	c, err := ledger.DefaultChart().Override([]ledger.Account{
		{Code: "111.USD", Name: "Tiền mặt ngoại tệ (USD)", Type: ledger.Asset, Currency: "USD"},
		{Code: "112.USD", Name: "Tiền gửi ngoại tệ (USD)", Type: ledger.Asset, Currency: "USD"},
		{Code: "3378.USD", Name: "Tạm thu khác (USD)", Type: ledger.Liability, Currency: "USD"},
	})
	if err != nil {
		panic("usdChart: " + err.Error())
	}
	return c
}

// newUSDTestDB is newTestDB with usdChart.
func newUSDTestDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db := newTestDB(t)
	require.NoError(t, db.SyncChart(context.Background(), usdChart()))
	return db
}

// cardPayment is a card payment of one fee: card clearing (113) against
// fees collected (3373).
func cardPayment(date string, amount int64, key string) ledger.NewEntry {
	return ledger.NewEntry{
		Date:           date,
		Description:    "Thu lệ phí hộ tịch",
		IdempotencyKey: key,
		Lines: []ledger.Line{
			{Account: "113", Side: ledger.Debit, Amount: amount, Currency: "VND",
				Dimensions: ledger.Dimensions{Terminal: "T1", Counter: "3", Cashier: "thu.nguyen"}},
			{Account: "3373", Side: ledger.Credit, Amount: amount, Currency: "VND",
				Dimensions: ledger.Dimensions{Agency: "UBND-Q1", FeeCode: "LP-HT", Dossier: "HS-001"}},
		},
	}
}

func post(t testing.TB, db *sqlite.DB, e ledger.NewEntry) ledger.Entry {
	t.Helper()
	out, err := db.Post(context.Background(), e)
	require.NoError(t, err)
	return out
}

// requireCode checks that err is a *ledger.Error with the given code.
func requireCode(t testing.TB, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var le *ledger.Error
	require.ErrorAs(t, err, &le, "error %v (%T) is not a *ledger.Error", err, err)
	require.Equal(t, code, le.Code, "error: %v", err)
}

// requireInvalid checks that err is a *ledger.Error of code invalid whose
// message holds every part.
func requireInvalid(t *testing.T, err error, parts ...string) {
	t.Helper()
	requireCode(t, err, ledger.EInvalid)
	for _, p := range parts {
		assert.Contains(t, err.Error(), p)
	}
}

// tableState is what a write can change in the ledger tables: row counts
// and, for the daily totals, their sums (updated in place).
type tableState struct {
	Entries     int64
	Lines       int64
	Totals      int64
	TotalDebit  int64
	TotalCredit int64
}

func stateOf(t testing.TB, db *sqlite.DB) tableState {
	t.Helper()
	var s tableState
	err := db.SQL().QueryRowContext(context.Background(), `SELECT
		(SELECT COUNT(*) FROM ledger_entries),
		(SELECT COUNT(*) FROM ledger_lines),
		(SELECT COUNT(*) FROM ledger_daily_totals),
		(SELECT COALESCE(SUM(debit), 0) FROM ledger_daily_totals),
		(SELECT COALESCE(SUM(credit), 0) FROM ledger_daily_totals)`).
		Scan(&s.Entries, &s.Lines, &s.Totals, &s.TotalDebit, &s.TotalCredit)
	require.NoError(t, err)
	return s
}

func requireVerified(t testing.TB, db *sqlite.DB, entries int64) {
	t.Helper()
	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	require.True(t, rep.OK, "verify: %+v", rep)
	require.Equal(t, entries, rep.Entries)
	require.Zero(t, rep.BadID)
}

// model is the ledger as the test posted it, kept in Go so that sums can
// be checked against the database without reading them from it.
type model struct {
	chart   ledger.Chart
	entries []ledger.NewEntry // normalized, as posted, in id order (index id-1)
}

type acctCur struct{ account, currency string }

func (m *model) add(e ledger.NewEntry) { m.entries = append(m.entries, e.Normalize()) }

// trialBalance computes, from the model alone, what TrialBalance(asOf)
// must return.
func (m *model) trialBalance(asOf string) ledger.TrialBalance {
	sums := map[acctCur]*ledger.TrialBalanceRow{}
	for _, e := range m.entries {
		if asOf != "" && e.Date > asOf {
			continue
		}
		for _, l := range e.Lines {
			k := acctCur{l.Account, l.Currency}
			r := sums[k]
			if r == nil {
				r = &ledger.TrialBalanceRow{Account: l.Account, Currency: l.Currency}
				sums[k] = r
			}
			if l.Side == ledger.Debit {
				r.Debit += l.Amount
			} else {
				r.Credit += l.Amount
			}
		}
	}
	tb := ledger.TrialBalance{AsOf: asOf, Rows: []ledger.TrialBalanceRow{}}
	for _, r := range sums {
		for _, a := range m.chart.Accounts() {
			if a.Code == r.Account {
				r.Name, r.Type = a.Name, a.Type
			}
		}
		r.Balance = r.Debit - r.Credit
		tb.Rows = append(tb.Rows, *r)
	}
	sort.Slice(tb.Rows, func(i, j int) bool {
		a, b := tb.Rows[i], tb.Rows[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Currency < b.Currency
	})
	totals := map[string]*ledger.CurrencyTotal{}
	for _, r := range tb.Rows {
		c := totals[r.Currency]
		if c == nil {
			c = &ledger.CurrencyTotal{Currency: r.Currency}
			totals[r.Currency] = c
		}
		c.Debit += r.Debit
		c.Credit += r.Credit
		c.Balance += r.Balance
	}
	for _, c := range totals {
		tb.Totals = append(tb.Totals, *c)
	}
	sortTotals(tb.Totals)
	return tb
}

func sortTotals(ts []ledger.CurrencyTotal) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Currency < ts[j].Currency })
}

func dimValue(l ledger.Line, d ledger.Dimension) string {
	switch d {
	case ledger.DimAgency:
		return l.Agency
	case ledger.DimFeeCode:
		return l.FeeCode
	case ledger.DimTerminal:
		return l.Terminal
	case ledger.DimCounter:
		return l.Counter
	case ledger.DimCashier:
		return l.Cashier
	case ledger.DimDossier:
		return l.Dossier
	}
	panic("unknown dimension " + string(d))
}

// balances computes, from the model alone, what Balances(q) must return,
// in a canonical order (see sortBalances).
func (m *model) balances(q ledger.BalanceQuery) []ledger.Balance {
	type key struct {
		account, currency string
		dims              [6]string
	}
	sums := map[key]*ledger.Balance{}
	for _, e := range m.entries {
		if q.AsOf != "" && e.Date > q.AsOf {
			continue
		}
		for _, l := range e.Lines {
			if q.Account != "" && l.Account != q.Account {
				continue
			}
			k := key{account: l.Account, currency: l.Currency}
			for i, d := range q.GroupBy {
				k.dims[i] = dimValue(l, d)
			}
			b := sums[k]
			if b == nil {
				b = &ledger.Balance{Account: l.Account, Currency: l.Currency}
				if len(q.GroupBy) > 0 {
					b.Dims = map[ledger.Dimension]string{}
					for i, d := range q.GroupBy {
						b.Dims[d] = k.dims[i]
					}
				}
				sums[k] = b
			}
			if l.Side == ledger.Debit {
				b.Debit += l.Amount
			} else {
				b.Credit += l.Amount
			}
		}
	}
	var out []ledger.Balance
	for _, b := range sums {
		b.Balance = b.Debit - b.Credit
		out = append(out, *b)
	}
	sortBalances(out, q.GroupBy)
	return out
}

func sortBalances(bs []ledger.Balance, groupBy []ledger.Dimension) {
	sort.SliceStable(bs, func(i, j int) bool {
		a, b := bs[i], bs[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Currency != b.Currency {
			return a.Currency < b.Currency
		}
		for _, d := range groupBy {
			if a.Dims[d] != b.Dims[d] {
				return a.Dims[d] < b.Dims[d]
			}
		}
		return false
	})
}

// requireBalancesMatch compares Balances(q) from the database with the
// model's sums.
func requireBalancesMatch(t testing.TB, db *sqlite.DB, m *model, q ledger.BalanceQuery) {
	t.Helper()
	got, err := db.Balances(context.Background(), q)
	require.NoError(t, err)
	sortBalances(got, q.GroupBy)
	want := m.balances(q)
	require.Equal(t, len(want), len(got), "query %+v: number of balances", q)
	require.Equal(t, want, got, "query %+v", q)
}

// requireTrialBalanceMatches compares TrialBalance(asOf) with the model and
// checks that it balances.
func requireTrialBalanceMatches(t testing.TB, db *sqlite.DB, m *model, asOf string) ledger.TrialBalance {
	t.Helper()
	got, err := db.TrialBalance(context.Background(), asOf)
	require.NoError(t, err)
	want := m.trialBalance(asOf)
	require.Equal(t, want.Rows, got.Rows, "trial balance as of %q: rows", asOf)
	gotTotals := append([]ledger.CurrencyTotal(nil), got.Totals...)
	sortTotals(gotTotals)
	require.Equal(t, want.Totals, gotTotals, "trial balance as of %q: totals", asOf)
	require.Equal(t, asOf, got.AsOf)
	require.True(t, got.Balanced(), "trial balance as of %q does not balance: %+v", asOf, got.Totals)
	for _, c := range got.Totals {
		require.Equal(t, c.Debit, c.Credit, "currency %s", c.Currency)
		require.Zero(t, c.Balance, "currency %s", c.Currency)
	}
	return got
}

// reversalOf is the model's own reversal: the lines with sides swapped.
func reversalOf(id int64, orig ledger.NewEntry, date, key string) ledger.NewEntry {
	r := ledger.NewEntry{Date: date, Description: "Đảo bút toán", IdempotencyKey: key, Reverses: id}
	for _, l := range orig.Lines {
		if l.Side == ledger.Debit {
			l.Side = ledger.Credit
		} else {
			l.Side = ledger.Debit
		}
		r.Lines = append(r.Lines, l)
	}
	return r
}

// runWorkers starts workers goroutines at once, each calling do(w, n) for n
// = 0..perWorker-1, and returns each worker's results in its order. A worker
// stops at its first error, which fails the test.
func runWorkers[T any](t *testing.T, workers, perWorker int, do func(w, n int) (T, error)) [][]T {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	got := make([][]T, workers)
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			for n := 0; n < perWorker; n++ {
				v, err := do(w, n)
				if err != nil {
					errs[w] = err
					return
				}
				got[w] = append(got[w], v)
			}
		}(w)
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
	return got
}
