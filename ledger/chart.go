package ledger

import (
	"regexp"
	"sort"
	"strings"
)

// Chart is a chart of accounts: the accounts feepos may post to, and which
// account holds each role.
type Chart struct {
	accounts []Account
}

// DefaultChart follows the accounting chart for administrative and public
// non-business units (Circular 24/2024/TT-BTC, which replaced Circular
// 107/2017/TT-BTC from 2025). Only the accounts a fee-collecting service
// centre posts to are seeded; docs/LEDGER.md explains each one and how a
// TOML file overrides them.
func DefaultChart() Chart {
	accounts := []Account{
		{Code: "111", Name: "Tiền mặt", Type: Asset, Role: RoleCashDrawer},
		{Code: "112", Name: "Tiền gửi Ngân hàng, Kho bạc", Type: Asset, Role: RoleBank},
		{Code: "113", Name: "Tiền đang chuyển", Type: Asset, Role: RoleCardClearing},
		{Code: "3332", Name: "Phí, lệ phí phải nộp ngân sách", Type: Liability, Role: RoleBudgetPayable},
		{Code: "3373", Name: "Tạm thu phí, lệ phí", Type: Liability, Role: RoleFeesCollected},
		{Code: "3378", Name: "Tạm thu khác", Type: Liability, Role: RoleSuspense},
		{Code: "3381", Name: "Các khoản thu hộ, chi hộ", Type: Liability, Role: RoleAgencyPayable},
		{Code: "3388", Name: "Phải trả khác", Type: Liability, Role: RoleRefundPayable},
		{Code: "421", Name: "Thặng dư (thâm hụt) lũy kế", Type: Equity, Role: RoleAccumulatedSurplus},
		{Code: "514", Name: "Thu phí được khấu trừ, để lại", Type: Revenue, Role: RoleFeeRevenueRetained},
		{Code: "614", Name: "Chi phí hoạt động thu phí", Type: Expense, Role: RoleBankCharges},
	}
	for i := range accounts {
		accounts[i].Currency = DefaultCurrency
	}
	return Chart{accounts: accounts}
}

// accountCode is a chart code: digits, optionally followed by a dotted or
// dashed sub-account ("1131", "112.VCB", "3373-CA").
var accountCode = regexp.MustCompile(`^[0-9]{3,4}([.-][0-9A-Za-z]{1,12})*$`)

// Override merges accounts from a configuration file into the chart. An
// account with an existing code replaces it; a new code is added; a role
// given to an account is taken away from whichever account held it before,
// so "card_clearing = 1131" needs one line. An account without a currency
// is kept in VND. The result must still give every required role to one
// account.
func (c Chart) Override(accounts []Account) (Chart, error) {
	out := make([]Account, len(c.accounts))
	copy(out, c.accounts)
	for i, a := range accounts {
		a.Currency = strings.ToUpper(strings.TrimSpace(a.Currency))
		if a.Currency == "" {
			a.Currency = DefaultCurrency
		}
		if err := checkAccount(a); err != nil {
			return Chart{}, errorf(EInvalid, "chart override, account #%d: %s", i+1, err.Message)
		}
		if a.Role != "" {
			for j := range out {
				if out[j].Role == a.Role && out[j].Code != a.Code {
					out[j].Role = ""
				}
			}
		}
		replaced := false
		for j := range out {
			if out[j].Code == a.Code {
				out[j], replaced = a, true
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	chart := Chart{accounts: out}
	return chart, chart.Validate()
}

func checkAccount(a Account) *Error {
	if !accountCode.MatchString(a.Code) {
		return errorf(EInvalid, "code %q is not an account code: use 3–4 digits, optionally followed by .SUB (e.g. 1131 or 112.VCB)", a.Code)
	}
	if a.Name == "" {
		return errorf(EInvalid, "account %s has no name", a.Code)
	}
	if !a.Type.Valid() {
		return errorf(EInvalid, "account %s has type %q: use asset, liability, equity, revenue or expense", a.Code, a.Type)
	}
	if !validCurrency(a.Currency) {
		return errorf(EInvalid, "account %s has currency %q: use an ISO 4217 code such as VND (the default) or USD", a.Code, a.Currency)
	}
	if a.Role != "" && a.Currency != DefaultCurrency {
		return errorf(EInvalid, "account %s is kept in %s but holds role %s: the fee postings that look up a role are in %s; give the role to a %s account", a.Code, a.Currency, a.Role, DefaultCurrency, DefaultCurrency)
	}
	return nil
}

// Validate checks codes, names, types and currencies, that each required
// role is held by exactly one account, and that accounts with a role are
// kept in VND.
func (c Chart) Validate() error {
	codes := map[string]bool{}
	roles := map[Role]string{}
	for _, a := range c.accounts {
		if err := checkAccount(a); err != nil {
			return err
		}
		if codes[a.Code] {
			return errorf(EInvalid, "chart lists account %s twice", a.Code)
		}
		codes[a.Code] = true
		if a.Role == "" {
			continue
		}
		if prev, ok := roles[a.Role]; ok {
			return errorf(EInvalid, "role %s is given to both account %s and %s: give it to one", a.Role, prev, a.Code)
		}
		roles[a.Role] = a.Code
	}
	for _, r := range RequiredRoles {
		if _, ok := roles[r]; !ok {
			return errorf(EInvalid, "no account has role %s: add role = %q to one account in the chart", r, r)
		}
	}
	return nil
}

// Accounts returns the chart's accounts ordered by code.
func (c Chart) Accounts() []Account {
	out := make([]Account, len(c.accounts))
	copy(out, c.accounts)
	return out
}

// CodeFor returns the account code that holds role r.
func (c Chart) CodeFor(r Role) (string, bool) {
	for _, a := range c.accounts {
		if a.Role == r {
			return a.Code, true
		}
	}
	return "", false
}
