package ledger

// TrialBalanceRow is one account's position in one currency as of a date.
type TrialBalanceRow struct {
	Account  string      `json:"account"`
	Name     string      `json:"name"`
	Type     AccountType `json:"type"`
	Currency string      `json:"currency"`
	Debit    int64       `json:"debit"`  // sum of debit lines
	Credit   int64       `json:"credit"` // sum of credit lines
	// Balance is Debit − Credit: positive is a debit balance.
	Balance int64 `json:"balance"`
}

// CurrencyTotal sums a trial balance in one currency. In a sound ledger
// Debit equals Credit and Balance is zero.
type CurrencyTotal struct {
	Currency string `json:"currency"`
	Debit    int64  `json:"debit"`
	Credit   int64  `json:"credit"`
	Balance  int64  `json:"balance"`
}

// TrialBalance lists every account with lines up to and including AsOf.
type TrialBalance struct {
	AsOf   string            `json:"as_of"`
	Rows   []TrialBalanceRow `json:"rows"`
	Totals []CurrencyTotal   `json:"totals"`
}

// Balanced reports whether debits equal credits in every currency.
func (tb TrialBalance) Balanced() bool {
	for _, t := range tb.Totals {
		if t.Debit != t.Credit || t.Balance != 0 {
			return false
		}
	}
	return true
}

// Dimension names a Dimensions field for grouping balances.
type Dimension string

const (
	DimAgency   Dimension = "agency"
	DimFeeCode  Dimension = "fee_code"
	DimTerminal Dimension = "terminal"
	DimCounter  Dimension = "counter"
	DimCashier  Dimension = "cashier"
	DimDossier  Dimension = "dossier"
)

// AllDimensions lists the dimension names in a fixed order.
var AllDimensions = []Dimension{DimAgency, DimFeeCode, DimTerminal, DimCounter, DimCashier, DimDossier}

// BalanceQuery asks for balances as of a date, optionally of one account,
// grouped by some dimensions.
type BalanceQuery struct {
	AsOf    string      // YYYY-MM-DD; empty means all dates
	Account string      // empty means every account
	GroupBy []Dimension // empty means per account and currency only
}

// Balance is the sum of the lines that share an account, a currency and
// the grouped dimension values.
type Balance struct {
	Account  string               `json:"account"`
	Currency string               `json:"currency"`
	Dims     map[Dimension]string `json:"dims,omitempty"`
	Debit    int64                `json:"debit"`
	Credit   int64                `json:"credit"`
	Balance  int64                `json:"balance"` // Debit − Credit
}
