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
	// Open are earlier days' exceptions still open, each with Since set
	// to the day it was first seen (the store knows it). A payment or
	// line an open exception names is passed again in Payments or
	// Settlement if it is still to be matched.
	Open    []Exception
	Options Options
}

// Options tune the rules.
type Options struct {
	// LagDays is how many days after a payment its settlement line may
	// come (0: the default, 1 — a payment after the acquirer's cut-off
	// settles the next day).
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
	// Pending are ledger payments not settled yet but still within the
	// lag: tomorrow's line may still come (Summary.PendingCount/Amount).
	Pending []Pending
	// Resolved are the Day.Open exceptions today's matches resolve (e.g.
	// a missing_in_settlement whose lagged line came): the store closes
	// them; every other open one comes back as carried_over.
	Resolved []Exception
}

// Pending is a ledger payment whose settlement line has not come yet,
// within the acquirer's lag: not an exception today.
type Pending struct {
	PaymentID  string `json:"payment_id"`
	TerminalID string `json:"terminal_id,omitempty"`
	TraceNo    int64  `json:"trace_no,omitempty"`
	Amount     int64  `json:"amount"`
	Date       string `json:"date"`   // the payment's business date
	DueBy      string `json:"due_by"` // its line must come by this settlement date, else missing_in_settlement
}
