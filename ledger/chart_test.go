package ledger_test

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func TestDefaultChart(t *testing.T) {
	c := ledger.DefaultChart()
	require.NoError(t, c.Validate())

	accounts := c.Accounts()
	require.NotEmpty(t, accounts)
	codes := make([]string, len(accounts))
	for i, a := range accounts {
		codes[i] = a.Code
		assert.True(t, a.Type.Valid(), "account %s", a.Code)
		assert.NotEmpty(t, a.Name, "account %s", a.Code)
		assert.Equal(t, "VND", a.Currency, "account %s: the default chart is kept in đồng", a.Code)
	}
	assert.True(t, sort.StringsAreSorted(codes), "Accounts is ordered by code: %v", codes)

	for _, r := range ledger.RequiredRoles {
		code, ok := c.CodeFor(r)
		assert.True(t, ok, "role %s", r)
		assert.NotEmpty(t, code, "role %s", r)
	}
	for role, want := range map[ledger.Role]string{
		ledger.RoleCashDrawer:    "111",
		ledger.RoleBank:          "112",
		ledger.RoleCardClearing:  "113",
		ledger.RoleFeesCollected: "3373",
		ledger.RoleBankCharges:   "614",
		ledger.RoleSuspense:      "3378",
	} {
		code, _ := c.CodeFor(role)
		assert.Equal(t, want, code, "role %s", role)
	}
	_, ok := c.CodeFor("no_such_role")
	assert.False(t, ok)

	// Accounts returns a copy.
	accounts[0].Role = ""
	code, _ := c.CodeFor(ledger.RoleCashDrawer)
	assert.Equal(t, "111", code)
}

func accountByCode(c ledger.Chart, code string) (ledger.Account, bool) {
	for _, a := range c.Accounts() {
		if a.Code == code {
			return a, true
		}
	}
	return ledger.Account{}, false
}

func TestChartOverride(t *testing.T) {
	def := ledger.DefaultChart()

	t.Run("replace an account by code", func(t *testing.T) {
		c, err := def.Override([]ledger.Account{
			{Code: "111", Name: "Tiền mặt tại quầy", Type: ledger.Asset, Role: ledger.RoleCashDrawer},
		})
		require.NoError(t, err)
		a, ok := accountByCode(c, "111")
		require.True(t, ok)
		assert.Equal(t, "Tiền mặt tại quầy", a.Name)
		assert.Len(t, c.Accounts(), len(def.Accounts()), "replaced, not added")
		orig, _ := accountByCode(def, "111")
		assert.Equal(t, "Tiền mặt", orig.Name, "the default chart is not changed")
	})

	t.Run("a new account takes a role from the old one", func(t *testing.T) {
		c, err := def.Override([]ledger.Account{
			{Code: "1131", Name: "Tiền đang chuyển - thẻ", Type: ledger.Asset, Role: ledger.RoleCardClearing},
		})
		require.NoError(t, err)
		code, ok := c.CodeFor(ledger.RoleCardClearing)
		require.True(t, ok)
		assert.Equal(t, "1131", code)
		old, ok := accountByCode(c, "113")
		require.True(t, ok, "the old account stays")
		assert.Equal(t, ledger.Role(""), old.Role)
		assert.Len(t, c.Accounts(), len(def.Accounts())+1)
		codes := []string{}
		for _, a := range c.Accounts() {
			codes = append(codes, a.Code)
		}
		assert.True(t, sort.StringsAreSorted(codes), "%v", codes)
		defCode, _ := def.CodeFor(ledger.RoleCardClearing)
		assert.Equal(t, "113", defCode, "the default chart is not changed")
	})

	t.Run("sub-accounts", func(t *testing.T) {
		c, err := def.Override([]ledger.Account{
			{Code: "112.VCB", Name: "Tiền gửi Vietcombank", Type: ledger.Asset, Role: ledger.RoleBank},
			{Code: "3373-CA", Name: "Tạm thu phí - Công an", Type: ledger.Liability},
		})
		require.NoError(t, err)
		code, _ := c.CodeFor(ledger.RoleBank)
		assert.Equal(t, "112.VCB", code)
	})

	t.Run("currencies: VND unless said, upper-cased", func(t *testing.T) {
		c, err := def.Override([]ledger.Account{
			{Code: "112.USD", Name: "Tiền gửi ngoại tệ (USD)", Type: ledger.Asset, Currency: " usd "},
			{Code: "3378.USD", Name: "Tạm thu khác (USD)", Type: ledger.Liability, Currency: "USD"},
			{Code: "1131", Name: "Tiền đang chuyển - thẻ", Type: ledger.Asset, Role: ledger.RoleCardClearing},
		})
		require.NoError(t, err)
		a, _ := accountByCode(c, "112.USD")
		assert.Equal(t, "USD", a.Currency)
		a, _ = accountByCode(c, "1131")
		assert.Equal(t, "VND", a.Currency)
	})

	t.Run("two overrides of one role: the last wins", func(t *testing.T) {
		c, err := def.Override([]ledger.Account{
			{Code: "1131", Name: "Thẻ nội địa", Type: ledger.Asset, Role: ledger.RoleCardClearing},
			{Code: "1132", Name: "Thẻ quốc tế", Type: ledger.Asset, Role: ledger.RoleCardClearing},
		})
		require.NoError(t, err)
		code, _ := c.CodeFor(ledger.RoleCardClearing)
		assert.Equal(t, "1132", code)
		require.NoError(t, c.Validate())
	})

	rejected := []struct {
		name     string
		accounts []ledger.Account
		wantMsg  string
	}{
		{"required role removed", []ledger.Account{{Code: "113", Name: "Tiền đang chuyển", Type: ledger.Asset}}, "no account has role card_clearing"},
		{"bad type", []ledger.Account{{Code: "115", Name: "X", Type: "income"}}, "type \"income\""},
		{"empty type", []ledger.Account{{Code: "115", Name: "X"}}, "type \"\""},
		{"two-digit code", []ledger.Account{{Code: "11", Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"five-digit code", []ledger.Account{{Code: "11311", Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"letters", []ledger.Account{{Code: "ABC", Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"trailing dot", []ledger.Account{{Code: "112.", Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"space", []ledger.Account{{Code: "112 VCB", Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"empty code", []ledger.Account{{Name: "X", Type: ledger.Asset}}, "not an account code"},
		{"no name", []ledger.Account{{Code: "115", Type: ledger.Asset}}, "has no name"},
		{"two-letter currency", []ledger.Account{{Code: "1122", Name: "X", Type: ledger.Asset, Currency: "US"}}, "currency \"US\""},
		{"currency with a digit", []ledger.Account{{Code: "1122", Name: "X", Type: ledger.Asset, Currency: "US1"}}, "ISO 4217"},
		{"a role on a foreign-currency account", []ledger.Account{{Code: "1122", Name: "X", Type: ledger.Asset, Role: ledger.RoleBank, Currency: "USD"}},
			"account 1122 is kept in USD but holds role bank"},
		{"second account bad", []ledger.Account{
			{Code: "1131", Name: "OK", Type: ledger.Asset},
			{Code: "1132", Name: "Bad", Type: "assets"},
		}, "account #2"},
	}
	for _, tc := range rejected {
		t.Run("rejected: "+tc.name, func(t *testing.T) {
			_, err := def.Override(tc.accounts)
			le := requireCode(t, err, ledger.EInvalid)
			assert.Contains(t, le.Message, tc.wantMsg)
		})
	}
}

func TestChartValidate(t *testing.T) {
	requireCode(t, ledger.Chart{}.Validate(), ledger.EInvalid)
}

func TestTrialBalanceBalanced(t *testing.T) {
	tests := []struct {
		name   string
		totals []ledger.CurrencyTotal
		want   bool
	}{
		{"empty", nil, true},
		{"one currency", []ledger.CurrencyTotal{{Currency: "VND", Debit: 10, Credit: 10}}, true},
		{"two currencies", []ledger.CurrencyTotal{{Currency: "VND", Debit: 10, Credit: 10}, {Currency: "USD", Debit: 1, Credit: 1}}, true},
		{"debit above credit", []ledger.CurrencyTotal{{Currency: "VND", Debit: 11, Credit: 10, Balance: 1}}, false},
		{"second currency off", []ledger.CurrencyTotal{{Currency: "VND", Debit: 10, Credit: 10}, {Currency: "USD", Debit: 1, Credit: 2, Balance: -1}}, false},
		{"balance not zero", []ledger.CurrencyTotal{{Currency: "VND", Debit: 10, Credit: 10, Balance: 3}}, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ledger.TrialBalance{Totals: tc.totals}.Balanced(), tc.name)
	}
}
