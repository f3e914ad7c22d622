package reconcile

// Day is everything the engine reconciles for one business date. The
// caller (internal/endofday) gathers it: the ledger's card payments of the
// day and those of earlier days not yet settled (a payment after the
// acquirer's cut-off settles the next day), the day's terminal totals,
// the acquirer's lines and bank entries imported for it, and the
// exceptions of earlier days still open.
type Day struct {
	Date       string // YYYY-MM-DD, Vietnam
	Payments   []Payment
	Totals     []TerminalTotal
	Settlement []SettlementLine
	Bank       []BankEntry
	Balances   []BankBalance
	// LedgerBank is the ledger's bank account balance at the end of
	// Date (nil: not asserted).
	LedgerBank *int64
	Open       []Exception // earlier days' exceptions still open
	Options    Options
}

// Options tune the rules.
type Options struct {
	// LagDays is how many days after a payment its settlement line may
	// come (default 1: the acquirer's cut-off).
	LagDays int
}

// Posting is what a settled batch posts on commit: debit bank (Net),
// debit bank charges (Fee = Gross - Net), credit card clearing (Gross).
type Posting struct {
	Key        string   `json:"key"` // stable: re-running a day posts nothing twice
	TerminalID string   `json:"terminal_id,omitempty"`
	BatchNo    string   `json:"batch_no,omitempty"`
	Gross      int64    `json:"gross"`
	Fee        int64    `json:"fee"`
	Net        int64    `json:"net"`
	Bank       []string `json:"bank_ids,omitempty"` // the bank entries that carry Net
}

// Result is the engine's answer: the report's matches and exceptions,
// the summary and the postings a commit makes.
type Result struct {
	Matches    []Match
	Exceptions []Exception
	Summary    Summary
	Postings   []Posting
}
