package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

// result is one CLI run.
type result struct {
	code           int
	stdout, stderr string
}

func feepos(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// cashEntry is a cash payment of two fees dated day. The CLI's store runs
// on the wall clock and takes dates up to today (ledger.PostingWindow), so
// the tests post today.
func cashEntry(day string) string { return strings.Replace(cashEntryJSON, "DAY", day, 1) }

const cashEntryJSON = `{"date":"DAY","description":"Thu lệ phí cấp bản sao","idempotency_key":"cash-1",
 "lines":[{"account":"111","side":"D","amount":150000},
          {"account":"3373","side":"C","amount":100000,"agency":"UBND","fee_code":"LP01","dossier":"000.00.01.H01-261125-0001"},
          {"account":"3373","side":"C","amount":50000,"agency":"CA","fee_code":"P02","dossier":"000.00.01.H01-261125-0001"}]}`

func TestLedgerCommandsPostReadAndVerify(t *testing.T) {
	db := newDatabase(t)
	day := today()
	d, err := ledger.ParseDate(day)
	require.NoError(t, err)
	dayBefore := d.AddDate(0, 0, -1).Format(ledger.DateLayout)

	r := feepos(t, cashEntry(day), "ledger", "post", "--db", db, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var posted ledger.Entry
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &posted))
	assert.EqualValues(t, 1, posted.ID)

	// The same key and content again: the same entry, nothing new.
	r = feepos(t, cashEntry(day), "--db", db, "--json", "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &posted))
	assert.EqualValues(t, 1, posted.ID)

	r = feepos(t, "", "--db", db, "ledger", "trial-balance", "--date", day, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tb ledger.TrialBalance
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tb))
	require.Len(t, tb.Rows, 2)
	assert.Equal(t, "111", tb.Rows[0].Account)
	assert.EqualValues(t, 150000, tb.Rows[0].Balance)
	assert.EqualValues(t, -150000, tb.Rows[1].Balance)
	assert.True(t, tb.Balanced())

	// The day before sees nothing.
	r = feepos(t, "", "--db", db, "ledger", "trial-balance", "--date", dayBefore, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tb))
	assert.Empty(t, tb.Rows)

	r = feepos(t, "", "--db", db, "ledger", "trial-balance", "--date", day)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "BẢNG CÂN ĐỐI SỐ PHÁT SINH")
	assert.Contains(t, r.stdout, d.Format("02/01/2006"))
	assert.Contains(t, r.stdout, "150.000")

	r = feepos(t, "", "--db", db, "ledger", "journal", "--date", day)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Thu lệ phí cấp bản sao")
	assert.Contains(t, r.stdout, "cơ quan CA, phí P02")

	r = feepos(t, "", "--db", db, "ledger", "balances", "--date", day, "--by", "agency", "--account", "3373", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var bs []ledger.Balance
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &bs))
	require.Len(t, bs, 2)
	assert.Equal(t, "CA", bs[0].Dims[ledger.DimAgency])
	assert.EqualValues(t, -50000, bs[0].Balance)
	assert.EqualValues(t, -100000, bs[1].Balance)

	r = feepos(t, "", "--db", db, "ledger", "reverse", "1", "--date", day)
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--db", db, "--json", "ledger", "reverse", "1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `"code":"conflict"`)

	r = feepos(t, "", "--db", db, "ledger", "verify", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var rep ledger.VerifyReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.True(t, rep.OK)
	assert.EqualValues(t, 2, rep.Entries)
}

func TestLedgerVerifyNamesTamperedEntry(t *testing.T) {
	db := newDatabase(t)
	require.Equal(t, 0, feepos(t, cashEntry(today()), "--db", db, "ledger", "post").code)
	second := strings.Replace(cashEntry(today()), "cash-1", "cash-2", 1)
	require.Equal(t, 0, feepos(t, second, "--db", db, "ledger", "post").code)

	tamper(t, db, `DROP TRIGGER ledger_lines_no_update`, `UPDATE ledger_lines SET amount = 10000 WHERE entry_id = 1 AND line_no = 3`)
	r := feepos(t, "", "--db", db, "ledger", "verify")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "entry 1")
}

// An impossible date is refused with the dates that are allowed (exit 1).
func TestLedgerDatesOutsideTheWindowSayWhatIsAllowed(t *testing.T) {
	db := newDatabase(t)
	day := today()
	d, err := ledger.ParseDate(day)
	require.NoError(t, err)

	r := feepos(t, cashEntry("1900-01-01"), "--db", db, "ledger", "post")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the date 1900-01-01 is before ")
	assert.Contains(t, r.stderr, "post it with a date from ")

	require.Equal(t, 0, feepos(t, cashEntry(day), "--db", db, "ledger", "post").code)
	r = feepos(t, "", "--db", db, "ledger", "reverse", "1", "--date", "2099-01-01")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "the date 2099-01-01 is after today")
	r = feepos(t, "", "--db", db, "ledger", "reverse", "1", "--date", d.AddDate(0, 0, -1).Format(ledger.DateLayout))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "entry 1 is dated "+day+": its reversal cannot be dated earlier")
}

func TestBadInputIsRefusedWithNothingWritten(t *testing.T) {
	db := newDatabase(t)
	cases := map[string]string{
		"unbalanced":     `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":2},{"account":"3373","side":"C","amount":1}]}`,
		"unknown field":  `{"date":"DAY","descr":"x","lines":[]}`,
		"not json":       `Nợ 111 / Có 3373`,
		"unknown acct":   `{"date":"DAY","description":"x","lines":[{"account":"999","side":"D","amount":1},{"account":"3373","side":"C","amount":1}]}`,
		"float amount":   `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":1.5},{"account":"3373","side":"C","amount":1.5}]}`,
		"one line":       `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":1}]}`,
		"negative":       `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":-1},{"account":"3373","side":"C","amount":-1}]}`,
		"bad date":       `{"date":"25/11/2026","description":"x","lines":[{"account":"111","side":"D","amount":1},{"account":"3373","side":"C","amount":1}]}`,
		"year 1900":      `{"date":"1900-01-01","description":"x","lines":[{"account":"111","side":"D","amount":1},{"account":"3373","side":"C","amount":1}]}`,
		"year 2099":      `{"date":"2099-01-01","description":"x","lines":[{"account":"111","side":"D","amount":1},{"account":"3373","side":"C","amount":1}]}`,
		"USD":            `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":1,"currency":"USD"},{"account":"3373","side":"C","amount":1,"currency":"USD"}]}`,
		"mixed currency": `{"date":"DAY","description":"x","lines":[{"account":"111","side":"D","amount":1,"currency":"USD"},{"account":"3373","side":"C","amount":1}]}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			r := feepos(t, strings.ReplaceAll(in, "DAY", today()), "--db", db, "--json", "ledger", "post")
			assert.Equal(t, 1, r.code, r.stdout)
			assert.Contains(t, r.stderr, `"code":"invalid"`)
		})
	}
	r := feepos(t, "", "--db", db, "ledger", "verify", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"entries": 0`)
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"}, {"ledger", "bogus"}, {"ledger", "verify", "--nope"},
		{"ledger", "reverse"}, {"ledger", "reverse", "x"}, {"backup"}, {"restore"},
	} {
		r := feepos(t, "", append(args, "--db", filepath.Join(t.TempDir(), "f.db"))...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.NotEmpty(t, r.stderr)
	}
}

func TestConfigOverridesChartAndRejectsTypos(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feepos.toml")
	createDatabase(t, filepath.Join(dir, "f.db"))
	require.NoError(t, os.WriteFile(cfg, []byte(`
[service]
db = "`+filepath.Join(dir, "f.db")+`"
[[ledger.accounts]]
code = "1131"
name = "Tiền đang chuyển - thanh toán thẻ"
type = "asset"
role = "card_clearing"
[[ledger.accounts]]
code = "112.USD"
name = "Tiền gửi ngoại tệ (USD)"
type = "asset"
currency = "USD"
[[ledger.accounts]]
code = "3378.USD"
name = "Tạm thu khác (USD)"
type = "liability"
currency = "USD"
`), 0o600))
	// A command that writes makes the stored chart follow the config; a
	// report shows the chart as stored.
	r := feepos(t, cashEntry(today()), "--config", cfg, "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--config", cfg, "ledger", "accounts", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var accounts []ledger.Account
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &accounts))
	roles, currencies := map[string]ledger.Role{}, map[string]string{}
	for _, a := range accounts {
		roles[a.Code], currencies[a.Code] = a.Role, a.Currency
	}
	assert.Equal(t, ledger.RoleCardClearing, roles["1131"])
	assert.Equal(t, ledger.Role(""), roles["113"])
	assert.Equal(t, "USD", currencies["112.USD"])
	assert.Equal(t, "VND", currencies["1131"])
	r = feepos(t, "", "--config", cfg, "ledger", "accounts")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `112\.USD +Tiền gửi ngoại tệ \(USD\) +Tài sản +USD`, r.stdout)

	// USD lines post to the chart's USD accounts, and only there.
	usd := `{"date":"` + today() + `","description":"Phí dịch vụ bằng USD","lines":[{"account":"ACCT","side":"D","amount":12,"currency":"USD"},{"account":"3378.USD","side":"C","amount":12,"currency":"USD"}]}`
	r = feepos(t, strings.Replace(usd, "ACCT", "112", 1), "--config", cfg, "ledger", "post")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "line 1 posts USD to account 112, which is kept in VND")
	r = feepos(t, strings.Replace(usd, "ACCT", "112.USD", 1), "--config", cfg, "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)

	require.NoError(t, os.WriteFile(cfg, []byte("[service]\nadress = \"x\"\n"), 0o600))
	r = feepos(t, "", "--config", cfg, "ledger", "accounts")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "service.adress")
}

func TestServeAnswersHealthAndBlocksRestore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "f.db")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serveErr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--db", db, "--addr", addr}, strings.NewReader(""), &bytes.Buffer{}, &serveErr)
	}()

	var resp *http.Response
	require.Eventually(t, func() bool {
		var err error
		resp, err = http.Get("http://" + addr + "/healthz")
		return err == nil
	}, time.Minute, 20*time.Millisecond, "serve did not answer: %s", &serveErr)
	var h map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", h["status"])

	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	var metrics bytes.Buffer
	_, _ = metrics.ReadFrom(resp.Body)
	resp.Body.Close()
	assert.Contains(t, metrics.String(), "feepos_ledger_entries 2", "the two demo payments")
	assert.Contains(t, metrics.String(), `feepos_http_requests_total{method="GET",route="/healthz",status="200"} 1`)

	// A backup while it runs works; a restore while it runs is refused.
	backup := filepath.Join(dir, "b.db")
	r := feepos(t, "", "--db", db, "backup", "--to", backup)
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "--db", db, "restore", "--from", backup)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "in use")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, serveErr.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop when its context ended")
	}
	r = feepos(t, "", "--db", db, "restore", "--from", backup)
	assert.Equal(t, 0, r.code, r.stderr)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// tamper runs SQL on the database behind feepos's back.
func tamper(t *testing.T, path string, statements ...string) {
	t.Helper()
	db, err := sqlOpen(path)
	require.NoError(t, err)
	defer db.Close()
	for _, s := range statements {
		_, err := db.Exec(s)
		require.NoError(t, err, fmt.Sprintf("tamper: %s", s))
	}
}

// A malformed --date is bad usage (exit 2) for every ledger report.
func TestLedgerReportsRefuseBadDateAsUsage(t *testing.T) {
	db := newDatabase(t)
	for _, report := range []string{"trial-balance", "journal", "balances"} {
		r := feepos(t, "", "--db", db, "ledger", report, "--date", "2026-13-01")
		assert.Equal(t, 2, r.code, report)
		assert.Contains(t, r.stderr, `date "2026-13-01" is not a date`, report)
	}
}
