package ledger_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/ledger"
)

// fee is a typical card payment of a dossier fee: the money sits on card
// clearing (113) until the acquirer settles, against fees collected (3373).
func fee(amount int64) ledger.NewEntry {
	return ledger.NewEntry{
		Date:        "2026-03-05",
		Description: "Thu lệ phí hộ tịch",
		Lines: []ledger.Line{
			{Account: "113", Side: ledger.Debit, Amount: amount, Currency: "VND",
				Dimensions: ledger.Dimensions{Terminal: "T1", Counter: "3", Cashier: "thu.nguyen"}},
			{Account: "3373", Side: ledger.Credit, Amount: amount, Currency: "VND",
				Dimensions: ledger.Dimensions{Agency: "UBND-Q1", FeeCode: "LP-HT", Dossier: "HS-2026-001"}},
		},
	}
}

func line(account string, side ledger.Side, amount int64, currency string) ledger.Line {
	return ledger.Line{Account: account, Side: side, Amount: amount, Currency: currency}
}

// requireCode checks that err is a *ledger.Error with the given code.
func requireCode(t *testing.T, err error, code string) *ledger.Error {
	t.Helper()
	require.Error(t, err)
	var le *ledger.Error
	require.ErrorAs(t, err, &le)
	require.Equal(t, code, le.Code, "error: %v", err)
	return le
}

func TestValidate(t *testing.T) {
	withLines := func(lines ...ledger.Line) func(*ledger.NewEntry) {
		return func(e *ledger.NewEntry) { e.Lines = lines }
	}
	manyLines := func(n int) []ledger.Line {
		out := make([]ledger.Line, 0, n)
		for i := 0; i < n/2; i++ {
			out = append(out, line("113", ledger.Debit, 1, "VND"), line("3373", ledger.Credit, 1, "VND"))
		}
		if n%2 == 1 {
			out = append(out, line("113", ledger.Debit, 1, "VND"))
			out[len(out)-2].Amount++ // keep it balanced: 3373 gets the extra đồng
		}
		return out
	}

	tests := []struct {
		name    string
		change  func(*ledger.NewEntry)
		wantErr string // substring of the message; empty means valid
	}{
		{name: "valid two-line entry", change: func(*ledger.NewEntry) {}},
		{name: "valid multi-currency entry, each currency balances", change: withLines(
			line("113", ledger.Debit, 100_000, "VND"),
			line("3373", ledger.Credit, 60_000, "VND"),
			line("3378", ledger.Credit, 40_000, "VND"),
			line("112", ledger.Debit, 5, "USD"),
			line("3378", ledger.Credit, 5, "USD"),
		)},
		{name: "amount exactly MaxAmount", change: withLines(
			line("113", ledger.Debit, ledger.MaxAmount, "VND"),
			line("3373", ledger.Credit, ledger.MaxAmount, "VND"))},
		{name: "MaxLines lines", change: func(e *ledger.NewEntry) { e.Lines = manyLines(ledger.MaxLines) }},
		{name: "description of 500 runes", change: func(e *ledger.NewEntry) { e.Description = strings.Repeat("ệ", 500) }},

		{name: "no lines", change: withLines(), wantErr: "at least two lines"},
		{name: "one line", change: withLines(line("113", ledger.Debit, 100, "VND")), wantErr: "at least two lines"},
		{name: "more than MaxLines lines", change: func(e *ledger.NewEntry) { e.Lines = manyLines(ledger.MaxLines + 1) }, wantErr: "at most 1000 lines"},
		{name: "unbalanced", change: withLines(
			line("113", ledger.Debit, 100_000, "VND"),
			line("3373", ledger.Credit, 90_000, "VND")), wantErr: "does not balance in VND: debits 100000, credits 90000"},
		{name: "unbalanced in the second currency only", change: withLines(
			line("113", ledger.Debit, 100, "VND"),
			line("3373", ledger.Credit, 100, "VND"),
			line("112", ledger.Debit, 5, "USD"),
			line("3378", ledger.Credit, 4, "USD")), wantErr: "does not balance in USD"},
		{name: "zero amount", change: withLines(
			line("113", ledger.Debit, 0, "VND"),
			line("3373", ledger.Credit, 0, "VND")), wantErr: "line 1 has amount 0"},
		{name: "negative amounts that sum to zero", change: withLines(
			line("113", ledger.Debit, -100, "VND"),
			line("3373", ledger.Credit, -100, "VND")), wantErr: "line 1 has amount -100"},
		{name: "negative amount on one side", change: withLines(
			line("113", ledger.Debit, 100, "VND"),
			line("3373", ledger.Credit, 200, "VND"),
			line("3378", ledger.Credit, -100, "VND")), wantErr: "line 3 has amount -100"},
		{name: "amount above MaxAmount", change: withLines(
			line("113", ledger.Debit, ledger.MaxAmount+1, "VND"),
			line("3373", ledger.Credit, ledger.MaxAmount+1, "VND")), wantErr: "above the limit"},
		{name: "VND debit against USD credit", change: withLines(
			line("113", ledger.Debit, 100, "VND"),
			line("3373", ledger.Credit, 100, "USD")), wantErr: "does not balance in VND"},
		{name: "currency of two letters", change: withLines(
			line("113", ledger.Debit, 100, "VN"),
			line("3373", ledger.Credit, 100, "VN")), wantErr: "currency \"VN\""},
		{name: "currency of four letters", change: withLines(
			line("113", ledger.Debit, 100, "VNDX"),
			line("3373", ledger.Credit, 100, "VNDX")), wantErr: "currency \"VNDX\""},
		{name: "currency with a digit", change: withLines(
			line("113", ledger.Debit, 100, "V1D"),
			line("3373", ledger.Credit, 100, "V1D")), wantErr: "currency \"V1D\""},
		{name: "numeric currency", change: withLines(
			line("113", ledger.Debit, 100, "704"),
			line("3373", ledger.Credit, 100, "704")), wantErr: "currency \"704\""},
		{name: "lower-case currency not normalized", change: withLines(
			line("113", ledger.Debit, 100, "vnd"),
			line("3373", ledger.Credit, 100, "vnd")), wantErr: "currency \"vnd\""},
		{name: "empty currency not normalized", change: withLines(
			line("113", ledger.Debit, 100, ""),
			line("3373", ledger.Credit, 100, "")), wantErr: "currency \"\""},
		{name: "side X", change: func(e *ledger.NewEntry) { e.Lines[0].Side = "X" }, wantErr: "line 1 has side \"X\""},
		{name: "side lower-case d", change: func(e *ledger.NewEntry) { e.Lines[1].Side = "d" }, wantErr: "line 2 has side \"d\""},
		{name: "side empty", change: func(e *ledger.NewEntry) { e.Lines[0].Side = "" }, wantErr: "has side \"\""},
		{name: "side spelled out", change: func(e *ledger.NewEntry) { e.Lines[0].Side = "DEBIT" }, wantErr: "has side \"DEBIT\""},
		{name: "no account", change: func(e *ledger.NewEntry) { e.Lines[1].Account = "" }, wantErr: "line 2 has no account"},
		{name: "empty date", change: func(e *ledger.NewEntry) { e.Date = "" }, wantErr: "is not a date"},
		{name: "30 February", change: func(e *ledger.NewEntry) { e.Date = "2026-02-30" }, wantErr: "is not a date"},
		{name: "month 13", change: func(e *ledger.NewEntry) { e.Date = "2026-13-01" }, wantErr: "is not a date"},
		{name: "date without leading zeros", change: func(e *ledger.NewEntry) { e.Date = "2026-3-5" }, wantErr: "is not a date"},
		{name: "date with slashes", change: func(e *ledger.NewEntry) { e.Date = "2026/03/05" }, wantErr: "is not a date"},
		{name: "Vietnamese date order", change: func(e *ledger.NewEntry) { e.Date = "05-03-2026" }, wantErr: "is not a date"},
		{name: "timestamp instead of date", change: func(e *ledger.NewEntry) { e.Date = "2026-03-05T10:00:00Z" }, wantErr: "is not a date"},
		{name: "empty description", change: func(e *ledger.NewEntry) { e.Description = "" }, wantErr: "description is empty"},
		{name: "description too long", change: func(e *ledger.NewEntry) { e.Description = strings.Repeat("ệ", 501) }, wantErr: "longer than 500"},
		{name: "description not UTF-8", change: func(e *ledger.NewEntry) { e.Description = "Thu l\xff phí" }, wantErr: "not valid UTF-8"},
		{name: "newline in description", change: func(e *ledger.NewEntry) { e.Description = "Thu lệ phí\nhộ tịch" }, wantErr: "control character"},
		{name: "tab in description", change: func(e *ledger.NewEntry) { e.Description = "Thu\tlệ phí" }, wantErr: "control character"},
		{name: "NUL in description", change: func(e *ledger.NewEntry) { e.Description = "Thu\x00lệ phí" }, wantErr: "control character"},
		{name: "C1 control (NEL) in description", change: func(e *ledger.NewEntry) { e.Description = "Thu\u0085lệ phí" }, wantErr: "control character"},
		{name: "newline in idempotency key", change: func(e *ledger.NewEntry) { e.IdempotencyKey = "pay-1\npay-2" }, wantErr: "idempotency key contains a control"},
		{name: "idempotency key too long", change: func(e *ledger.NewEntry) { e.IdempotencyKey = strings.Repeat("k", 201) }, wantErr: "idempotency key is longer"},
		{name: "control character in a dimension", change: func(e *ledger.NewEntry) { e.Lines[1].Dossier = "HS\r001" }, wantErr: "line 2 dossier contains a control"},
		{name: "dimension too long", change: func(e *ledger.NewEntry) { e.Lines[0].Agency = strings.Repeat("a", 65) }, wantErr: "line 1 agency is longer than 64"},
		{name: "negative reverses", change: func(e *ledger.NewEntry) { e.Reverses = -1 }, wantErr: "reverses must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := fee(50_000)
			tc.change(&e)
			err := e.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			le := requireCode(t, err, ledger.EInvalid)
			assert.Contains(t, le.Message, tc.wantErr)
		})
	}
}

func TestNormalizeThenValidate(t *testing.T) {
	e := fee(50_000)
	e.Description = "  Thu lệ phí  "
	e.IdempotencyKey = " pay-42 "
	e.Lines[0].Currency = ""
	e.Lines[1].Currency = " vnd "
	e.Lines[0].Account = " 113 "
	e.Lines[1].Agency = " UBND-Q1 "
	require.Error(t, e.Validate(), "raw entry has no currency on line 1")

	n := e.Normalize()
	require.NoError(t, n.Validate())
	assert.Equal(t, "Thu lệ phí", n.Description)
	assert.Equal(t, "pay-42", n.IdempotencyKey)
	assert.Equal(t, "113", n.Lines[0].Account)
	assert.Equal(t, ledger.DefaultCurrency, n.Lines[0].Currency)
	assert.Equal(t, "VND", n.Lines[1].Currency)
	assert.Equal(t, "UBND-Q1", n.Lines[1].Agency)

	// Normalize works on a copy: the caller's lines are untouched.
	assert.Equal(t, "", e.Lines[0].Currency)
	assert.Equal(t, " 113 ", e.Lines[0].Account)

	// Whitespace-only description is empty once normalized.
	blank := fee(1)
	blank.Description = " \u00a0 "
	requireCode(t, blank.Normalize().Validate(), ledger.EInvalid)
}

func TestNormalizeNFC(t *testing.T) {
	nfc := "Thu lệ phí"
	nfd := norm.NFD.String(nfc)
	require.NotEqual(t, nfc, nfd, "test data: NFD form must differ in bytes")

	typedNFC := fee(50_000)
	typedNFC.Description = nfc
	typedNFC.Lines[1].Agency = "Công an phường Bến Thành"

	typedNFD := fee(50_000)
	typedNFD.Description = nfd
	typedNFD.Lines[1].Agency = norm.NFD.String("Công an phường Bến Thành")

	require.NotEqual(t, typedNFC.ContentHash(), typedNFD.ContentHash(), "without Normalize the bytes differ")
	a, b := typedNFC.Normalize(), typedNFD.Normalize()
	assert.Equal(t, nfc, b.Description)
	assert.Equal(t, a.ContentHash(), b.ContentHash())
	assert.Equal(t, string(a.Canonical()), string(b.Canonical()))
}

func TestNormalizeDefaultCurrency(t *testing.T) {
	withCurrency := fee(1000).Normalize()
	without := fee(1000)
	without.Lines[0].Currency, without.Lines[1].Currency = "", ""
	without = without.Normalize()
	for _, l := range without.Lines {
		assert.Equal(t, "VND", l.Currency)
	}
	assert.Equal(t, withCurrency.ContentHash(), without.ContentHash())
}

func TestReversalOf(t *testing.T) {
	orig := ledger.Entry{ID: 7, NewEntry: fee(50_000)}
	orig.Lines = append(orig.Lines, line("3378", ledger.Debit, 3, "USD"), line("112", ledger.Credit, 3, "USD"))

	r := ledger.ReversalOf(orig, "2026-03-06", "", "rev-7")
	require.NoError(t, r.Validate())
	assert.Equal(t, int64(7), r.Reverses)
	assert.Equal(t, "2026-03-06", r.Date)
	assert.Equal(t, "rev-7", r.IdempotencyKey)
	assert.Contains(t, r.Description, "#7")
	assert.Contains(t, r.Description, orig.Description)
	require.Len(t, r.Lines, len(orig.Lines))
	for i, l := range r.Lines {
		o := orig.Lines[i]
		assert.NotEqual(t, o.Side, l.Side, "line %d", i+1)
		assert.Contains(t, []ledger.Side{ledger.Debit, ledger.Credit}, l.Side)
		swapped := l
		swapped.Side = o.Side
		assert.Equal(t, o, swapped, "line %d: only the side changes", i+1)
	}
	assert.Equal(t, ledger.Debit, orig.Lines[0].Side, "the original's lines are not modified")

	custom := ledger.ReversalOf(orig, "2026-03-06", "Hủy giao dịch nhầm", "")
	assert.Equal(t, "Hủy giao dịch nhầm", custom.Description)

	long := orig
	long.Description = strings.Repeat("ơ", 500)
	lr := ledger.ReversalOf(long, "2026-03-06", "", "")
	require.NoError(t, lr.Validate(), "a long original description is cut to fit")
	assert.Equal(t, 500, len([]rune(lr.Description)))
}

func TestErrorCodes(t *testing.T) {
	for code, err := range map[string]*ledger.Error{
		ledger.EInvalid:  ledger.Invalidf("x %d", 1),
		ledger.ENotFound: ledger.NotFoundf("x %d", 1),
		ledger.EConflict: ledger.Conflictf("x %d", 1),
	} {
		assert.Equal(t, code, err.Code)
		assert.Equal(t, code, err.ErrorCode())
		assert.Equal(t, "x 1", err.Error())
	}
}

func TestAccountType(t *testing.T) {
	for _, tc := range []struct {
		typ          ledger.AccountType
		valid, debit bool
	}{
		{ledger.Asset, true, true},
		{ledger.Expense, true, true},
		{ledger.Liability, true, false},
		{ledger.Equity, true, false},
		{ledger.Revenue, true, false},
		{"income", false, false},
		{"", false, false},
	} {
		assert.Equal(t, tc.valid, tc.typ.Valid(), "%q valid", tc.typ)
		assert.Equal(t, tc.debit, tc.typ.DebitNormal(), "%q debit-normal", tc.typ)
	}
}
