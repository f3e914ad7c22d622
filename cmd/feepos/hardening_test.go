package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/receipts"
)

// jsonError reads the {"error":{"code","message"}} that --json writes to
// stderr for every failure.
func jsonError(t *testing.T, stderr string) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(stderr), &e), "stderr is not one JSON error: %q", stderr)
	require.NotEmpty(t, e.Error.Code, stderr)
	require.NotEmpty(t, e.Error.Message, stderr)
	return e.Error.Code, e.Error.Message
}

// emptyDB makes a database file, as serve or a restore leaves one.
func emptyDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return path
}

// Issue 8, item 5: what a protocol cannot carry is bad usage, said before
// the port is opened, never a fault of the cable. The port here does not
// exist: opening it would be a transport error.
func TestPosRefusesWhatTheProtocolCannotCarryBeforeOpeningThePort(t *testing.T) {
	port := filepath.Join(t.TempDir(), "ttyNONE")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"concert reference too long", []string{"pay", "--protocol", "concert", "--amount", "1000", "--reference", "ABCDEFGHIJKL"}, "at most 10"},
		{"concert amount over 8 digits", []string{"pay", "--protocol", "concert", "--amount", "100000000"}, "1 to 99999999"},
		{"zvt amount of 10^12", []string{"pay", "--protocol", "zvt", "--amount", "1000000000000"}, "1 to 999999999999 đồng"},
		{"zvt reversal amount of 10^12", []string{"reverse", "--protocol", "zvt", "--receipt", "1", "--amount", "1000000000000"}, "1 to 999999999999 đồng"},
		{"amount beyond int64", []string{"pay", "--protocol", "zvt", "--amount", "10000000000000000000"}, "too large: a ZVT terminal takes at most 999999999999 đồng"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := feepos(t, "", append(append([]string{"pos"}, c.args...), "--port", port)...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Contains(t, r.stderr, c.want)
			assert.NotContains(t, r.stderr, "cable")
			assert.Empty(t, r.stdout, "no result is printed: nothing was tried")

			r = feepos(t, "", append(append([]string{"pos", "--json"}, c.args...), "--port", port)...)
			assert.Equal(t, 2, r.code, r.stderr)
			code, msg := jsonError(t, r.stderr)
			assert.Equal(t, "usage", code)
			assert.Contains(t, msg, c.want)
		})
	}
}

// Issue 8, item 6: --json covers every error, usage errors included, and a
// user's mistake is never "internal".
func TestJSONCoversEveryError(t *testing.T) {
	dir := t.TempDir()
	db := emptyDB(t)
	for _, args := range [][]string{
		{"--json"},
		{"--json", "bogus"},
		{"--json", "ledger"},
		{"ledger", "verify", "--nope", "--json"}, // parsing stops at --nope
		{"--json", "ledger", "reverse"},
		{"--json", "backup"},
		{"--json", "receipts", "words", "abc"},
	} {
		r := feepos(t, "", append(args, "--db", db)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		code, _ := jsonError(t, r.stderr)
		assert.Equal(t, "usage", code, "%v", args)
		assert.NotContains(t, r.stderr, "Run 'feepos", "%v: only JSON on stderr", args)
	}

	taken := filepath.Join(dir, "taken.db")
	require.NoError(t, os.WriteFile(taken, []byte("x"), 0o600))
	r := feepos(t, "", "--json", "--db", db, "backup", "--to", taken)
	assert.Equal(t, 1, r.code)
	code, msg := jsonError(t, r.stderr)
	assert.Equal(t, "conflict", code, msg)

	garbage := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 100)), 0o600))
	r = feepos(t, "", "--json", "--db", db, "restore", "--from", garbage)
	assert.Equal(t, 1, r.code)
	code, msg = jsonError(t, r.stderr)
	assert.Equal(t, "invalid", code, msg)

	r = feepos(t, "", "--json", "--db", db, "restore", "--from", filepath.Join(dir, "missing.db"))
	assert.Equal(t, 1, r.code)
	code, msg = jsonError(t, r.stderr)
	assert.Equal(t, "not_found", code, msg)

	cfg := filepath.Join(dir, "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[service]\nadress = \"x\"\n"), 0o600))
	r = feepos(t, "", "--json", "--db", db, "--config", cfg, "ledger", "accounts")
	assert.Equal(t, 1, r.code)
	code, msg = jsonError(t, r.stderr)
	assert.Equal(t, "invalid", code, msg)
}

// Issue 8, item 7: Concert has no end of day; saying so beats printing a
// zero total with the port as the terminal id.
func TestPosEODConcertIsNotSupported(t *testing.T) {
	_, path := startConcertSim(t)
	r := feepos(t, "", "pos", "eod", "--protocol", "concert", "--port", path)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "end of day is not supported by the Concert E+ protocol")
	assert.Contains(t, r.stderr, "kết ca trên máy POS")
	assert.Empty(t, r.stdout, "no totals, no terminal id")

	r = feepos(t, "", "--json", "pos", "eod", "--protocol", "concert", "--port", path)
	assert.Equal(t, 1, r.code, r.stderr)
	code, _ := jsonError(t, r.stderr)
	assert.Equal(t, "invalid", code)
	assert.Empty(t, r.stdout)

	// What E+ cannot do is said before the port is opened: a wrong port
	// does not turn it into a connection error.
	missing := filepath.Join(t.TempDir(), "ttyNONE")
	for _, args := range [][]string{{"eod"}, {"status"}, {"reverse", "--receipt", "1"}} {
		r := feepos(t, "", append(append([]string{"pos"}, args...), "--protocol", "concert", "--port", missing)...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stderr, "is not supported by the Concert E+ protocol", "%v", args)
		assert.NotContains(t, r.stderr, "no such file", "%v", args)
		assert.Empty(t, r.stdout, "%v", args)
	}
}

// Issue 8, item 7: reversing a receipt again is not the card's bank
// declining a card.
func TestPosReverseTwiceSaysItCannotBeReversedAgain(t *testing.T) {
	_, path := startZVTSim(t)
	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "20000")
	require.Equal(t, 0, r.code, r.stderr)
	r = feepos(t, "", "pos", "reverse", "--protocol", "zvt", "--port", path, "--receipt", "1")
	require.Equal(t, 0, r.code, r.stderr)

	r = feepos(t, "", "pos", "reverse", "--protocol", "zvt", "--port", path, "--receipt", "1")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "cannot reverse receipt 1")
	assert.Contains(t, r.stderr, "already reversed")
	assert.NotContains(t, r.stderr, "card's bank")
	assert.NotContains(t, r.stderr, "another card")
}

// Issue 8, item 7: a malformed --addr is bad usage, said before the
// database is touched; only a port in use blames another process.
func TestServeRefusesABadAddress(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "f.db")
	for _, addr := range []string{"garbage", "127.0.0.1:http2", "127.0.0.1:99999"} {
		r := feepos(t, "", "serve", "--db", db, "--addr", addr)
		assert.Equal(t, 2, r.code, "%s: %s", addr, r.stderr)
		assert.Contains(t, r.stderr, "listen address", addr)
		assert.NotContains(t, r.stderr, "another", addr)
	}
	assert.NoFileExists(t, db, "refused before anything was created")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	r := feepos(t, "", "serve", "--db", db, "--addr", ln.Addr().String())
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "another feepos or program is using the port")
}

// Issue 8, item 7: "-1" is a negative amount, not an unknown flag.
func TestReceiptsWordsNegativeAmount(t *testing.T) {
	for _, arg := range []string{"-1", "-1500000"} {
		r := feepos(t, "", "receipts", "words", arg)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, `amount "`+arg+`" is negative`)
		assert.Contains(t, r.stderr, "positive")
		assert.NotContains(t, r.stderr, "flag")
	}
}

// Issue 8, item 7: feepos (or a command group) without a command is bad
// usage: the help goes to stderr and the exit code is 2. Asked for, help
// goes to stdout with 0.
func TestNoCommandPrintsHelpAndExitsTwo(t *testing.T) {
	for _, args := range [][]string{{}, {"ledger"}, {"pos"}, {"receipts"}} {
		r := feepos(t, "", args...)
		assert.Equal(t, 2, r.code, "%v", args)
		assert.Empty(t, r.stdout, "%v", args)
		assert.Contains(t, r.stderr, "Available Commands:", "%v", args)
		assert.Contains(t, r.stderr, "needs a command", "%v", args)
	}
	r := feepos(t, "", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Available Commands:")
}

// Issue 8, item 7: ledger balances: a dimension that does not exist is bad
// usage naming the ones that do; an account that does not exist is not
// found rather than an empty table; the headers are Vietnamese.
func TestLedgerBalancesUsageUnknownAccountAndHeaders(t *testing.T) {
	db := newDatabase(t)
	require.Equal(t, 0, feepos(t, cashEntry(today()), "--db", db, "ledger", "post").code)

	r := feepos(t, "", "--db", db, "ledger", "balances", "--date", today(), "--by", "nope")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "agency, fee_code, terminal, counter, cashier, dossier")

	r = feepos(t, "", "--db", db, "ledger", "balances", "--date", today(), "--account", "999")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, `account "999"`)
	assert.Empty(t, r.stdout, "no empty table")
	r = feepos(t, "", "--db", db, "--json", "ledger", "balances", "--date", today(), "--account", "999")
	assert.Equal(t, 1, r.code, r.stderr)
	code, _ := jsonError(t, r.stderr)
	assert.Equal(t, "not_found", code)

	r = feepos(t, "", "--db", db, "ledger", "balances", "--date", today(), "--by", "agency,fee_code,terminal,counter,cashier,dossier")
	require.Equal(t, 0, r.code, r.stderr)
	header := strings.SplitN(r.stdout, "\n", 4)[2]
	for _, want := range []string{"Cơ quan", "Mã phí", "Máy POS", "Quầy", "Thu ngân", "Hồ sơ"} {
		assert.Contains(t, header, want)
	}
	for _, english := range []string{"agency", "fee_code", "terminal", "counter", "cashier", "dossier"} {
		assert.NotContains(t, header, english)
	}
}

// Issue 8, item 7: posting again with the same idempotency key says the
// entry existed, in text and in JSON.
func TestLedgerPostAgainSaysTheEntryExisted(t *testing.T) {
	db := newDatabase(t)
	r := feepos(t, cashEntry(today()), "--db", db, "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã ghi bút toán #1 ngày "+vnDate(today()))

	r = feepos(t, cashEntry(today()), "--db", db, "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `Bút toán #1 đã được ghi trước đó với cùng khóa "cash-1"`)
	assert.NotContains(t, r.stdout, "Đã ghi bút toán")

	r = feepos(t, cashEntry(today()), "--db", db, "--json", "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"created": false`)
	r = feepos(t, strings.Replace(cashEntry(today()), "cash-1", "cash-2", 1), "--db", db, "--json", "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"created": true`)

	r = feepos(t, "", "--db", db, "ledger", "reverse", "1", "--date", today(), "--key", "rev-1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã ghi bút toán đảo #3 cho bút toán #1")
	r = feepos(t, "", "--db", db, "ledger", "reverse", "1", "--date", today(), "--key", "rev-1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `Bút toán đảo #3 cho bút toán #1 đã được ghi trước đó với cùng khóa "rev-1"`)
}

// Issue 8, item 7: pos ports --json uses snake_case keys like every other
// JSON output.
func TestPosPortsJSONIsSnakeCase(t *testing.T) {
	b, err := json.Marshal(transport.PortInfo{Path: "/dev/ttyACM0", USB: true, VID: "0b00", PID: "0080", SerialNumber: "123", Product: "Move/5000"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"path":"/dev/ttyACM0","usb":true,"vid":"0b00","pid":"0080","serial_number":"123","product":"Move/5000"}`, string(b))

	r := feepos(t, "", "--json", "pos", "ports")
	require.Equal(t, 0, r.code, r.stderr)
	var ports []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ports))
	for _, p := range ports {
		for k := range p {
			assert.Equal(t, strings.ToLower(k), k)
		}
	}
}

// Issue 8, item 9: the help says what the binary does today.
func TestHelpSaysWhatTheBinaryDoes(t *testing.T) {
	r := feepos(t, "", "serve", "--help")
	require.Equal(t, 0, r.code)
	for _, promise := range []string{"API", "web pages", "terminals)", "simulated terminals"} {
		assert.NotContains(t, r.stdout, promise)
	}
	for _, does := range []string{"/healthz", "/metrics", "/verify"} {
		assert.Contains(t, r.stdout, does)
	}
	r = feepos(t, "", "--help")
	require.Equal(t, 0, r.code)
	assert.NotContains(t, r.stdout, "reconciliation")
	assert.NotContains(t, r.stdout, "(API, web pages, terminals)")
}

// Issue 8, item 8: every start of serve --demo logs the full addresses of
// the demo receipts' check pages, and they open.
func TestServeDemoLogsFullVerifyAddressesOnEveryStart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "feepos-data", "feepos.db")
	ab := receipts.SeriesSymbol(receipts.YearOf(time.Now()), "AB")
	for start := 1; start <= 2; start++ {
		var base string
		log := serveUntil(t, func(b string) {
			base = b
			resp, err := http.Get(b + "/verify/EBL01/" + ab + "/00000001")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}, "--demo", "--db", dbPath)
		assert.Contains(t, log, `verify="`+base+"/verify/EBL01/"+ab+"/00000001?c=", "start %d", start)
		assert.Equal(t, 3, strings.Count(log, `verify="http://`), "start %d: the three demo receipts", start)
	}

	// With [receipts] verify_base, the public address.
	cfg := filepath.Join(t.TempDir(), "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\nverify_base = \"https://bienlai.example.gov.vn\"\n"), 0o600))
	log := serveUntil(t, nil, "--demo", "--db", dbPath, "--config", cfg)
	assert.Contains(t, log, `verify="https://bienlai.example.gov.vn/verify/EBL01/`+ab+"/00000001?c=")
}

// Issue 8, item 8: [receipts] verify_base gives the QR code its public
// address without --verify-base on every command.
func TestReceiptsRenderUsesConfiguredVerifyBase(t *testing.T) {
	db, r := printDB(t)
	cfg := filepath.Join(t.TempDir(), "feepos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\nverify_base = \"https://bienlai.example.gov.vn\"\n"), 0o600))

	res := feepos(t, "", "--db", db, "--config", cfg, "receipts", "render", r.Series, "1", "--format", "html")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "https://bienlai.example.gov.vn/verify/EBL01/"+r.Series+"/00000001")
	assert.NotContains(t, res.stderr, "warning", "a configured public address needs no warning")

	// --verify-base still wins.
	res = feepos(t, "", "--db", db, "--config", cfg, "receipts", "render", r.Series, "1", "--format", "html", "--verify-base", "https://other.example")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stdout, "https://other.example/verify/EBL01/")

	// Without it, the warning names the setting.
	res = feepos(t, "", "--db", db, "receipts", "render", r.Series, "1", "--format", "html")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Contains(t, res.stderr, "[receipts] verify_base")

	require.NoError(t, os.WriteFile(cfg, []byte("[receipts]\nverify_base = \"bienlai.example.gov.vn\"\n"), 0o600))
	res = feepos(t, "", "--db", db, "--config", cfg, "receipts", "render", r.Series, "1", "--format", "html")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "[receipts] verify_base")
}
