package ledger

// AccountType is the accounting nature of an account. It decides on which
// side a balance is normal (debit for assets and expenses, credit for the
// others) but never changes how lines are summed.
type AccountType string

const (
	Asset     AccountType = "asset"
	Liability AccountType = "liability"
	Equity    AccountType = "equity"
	Revenue   AccountType = "revenue"
	Expense   AccountType = "expense"
)

// Valid reports whether t is one of the five account types.
func (t AccountType) Valid() bool {
	switch t {
	case Asset, Liability, Equity, Revenue, Expense:
		return true
	}
	return false
}

// DebitNormal reports whether a positive balance of this type sits on the
// debit side.
func (t AccountType) DebitNormal() bool { return t == Asset || t == Expense }

// Role is what the rest of feepos asks the chart for ("where does cash go?")
// instead of a hard-coded account code, so that an accountant can remap the
// chart in a TOML file without a code change.
type Role string

const (
	RoleCashDrawer         Role = "cash_drawer"          // cash taken at the counter
	RoleBank               Role = "bank"                 // bank / State Treasury deposits
	RoleCardClearing       Role = "card_clearing"        // card payments approved, not yet settled by the acquirer
	RoleFeesCollected      Role = "fees_collected"       // fees and charges collected, pending remittance
	RoleBudgetPayable      Role = "budget_payable"       // fees and charges owed to the State budget
	RoleFeeRevenueRetained Role = "fee_revenue_retained" // share of fees the unit may keep
	RoleBankCharges        Role = "bank_charges"         // acquirer MDR and bank charges
	RoleSuspense           Role = "suspense"             // money whose purpose is not known yet
	RoleAgencyPayable      Role = "agency_payable"       // fees collected on behalf of another agency, owed to it
	RoleRefundPayable      Role = "refund_payable"       // fees collected in excess, owed back to the payer (a replacement receipt of a lower total)
	RoleAccumulatedSurplus Role = "accumulated_surplus"  // equity
)

// RequiredRoles must each be held by exactly one account of the chart: the
// payment, settlement and remittance postings look them up.
var RequiredRoles = []Role{
	RoleCashDrawer, RoleBank, RoleCardClearing, RoleFeesCollected,
	RoleBankCharges, RoleSuspense, RoleAgencyPayable,
}

// Account is one account of the chart.
type Account struct {
	Code string      `json:"code" db:"code" toml:"code"`
	Name string      `json:"name" db:"name" toml:"name"`
	Type AccountType `json:"type" db:"type" toml:"type"`
	Role Role        `json:"role,omitempty" db:"role" toml:"role"`
	// Currency is the one currency the account is kept in (ISO 4217): a
	// line posts to it only in that currency. Empty in a configuration
	// file means VND.
	Currency string `json:"currency" db:"currency" toml:"currency"`
}
