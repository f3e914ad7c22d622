package reconcile

// ExceptionKind is what is wrong (the JSON report's kinds, docs/RECONCILE.md).
type ExceptionKind string

// The kinds of exception.
const (
	MissingInSettlement   ExceptionKind = "missing_in_settlement"
	MissingInLedger       ExceptionKind = "missing_in_ledger"
	AmountMismatch        ExceptionKind = "amount_mismatch"
	DuplicateInSettlement ExceptionKind = "duplicate_in_settlement"
	TerminalTotalMismatch ExceptionKind = "terminal_total_mismatch"
	BankCreditMismatch    ExceptionKind = "bank_credit_mismatch"
	BalanceMismatch       ExceptionKind = "balance_mismatch" // the bank's closing balance against the ledger's bank account
	CarriedOver           ExceptionKind = "carried_over"
)

// Match is one pairing the engine made.
type Match struct {
	Rule        string   `json:"rule"` // the rule's name, e.g. "terminal_trace_date"
	PaymentIDs  []string `json:"payment_ids,omitempty"`
	Settlement  []string `json:"settlement_ids,omitempty"`
	Bank        []string `json:"bank_ids,omitempty"`
	Amount      int64    `json:"amount"`
	Fee         int64    `json:"fee,omitempty"`
	Net         int64    `json:"net,omitempty"`
	LagDays     int      `json:"lag_days,omitempty"` // settled that many days after the payment
	Offer       bool     `json:"offer,omitempty"`    // a payment in review the file shows settled: offered to an accountant, not matched
	Explanation string   `json:"explanation,omitempty"`
}

// Exception is one thing that does not reconcile.
type Exception struct {
	Kind             ExceptionKind `json:"kind"`
	PaymentID        string        `json:"payment_id,omitempty"`
	SettlementID     string        `json:"settlement_id,omitempty"`
	BankID           string        `json:"bank_id,omitempty"`
	TerminalID       string        `json:"terminal_id,omitempty"`
	TraceNo          int64         `json:"trace_no,omitempty"`
	ApprovalCode     string        `json:"approval_code,omitempty"`
	RRN              string        `json:"rrn,omitempty"`
	LedgerAmount     *int64        `json:"ledger_amount,omitempty"`
	SettlementAmount *int64        `json:"settlement_amount,omitempty"` // terminal_total_mismatch: the terminal's total
	BankAmount       *int64        `json:"bank_amount,omitempty"`       // bank_credit_mismatch, balance_mismatch: what the bank shows
	Detail           string        `json:"detail"`                      // for a person, in Vietnamese
	Since            string        `json:"since,omitempty"`             // carried over: the day it was first seen
	AgeDays          int           `json:"age_days,omitempty"`          // carried over: how many days open
	// OriginKind is, for carried_over, the kind the exception had the day
	// it was first seen (so a carried item keeps saying what is wrong).
	OriginKind ExceptionKind `json:"origin_kind,omitempty"`
}

// Summary is the day in figures (the JSON report's summary).
type Summary struct {
	LedgerCount      int   `json:"ledger_count"`
	LedgerAmount     int64 `json:"ledger_amount"`
	SettlementCount  int   `json:"settlement_count"`
	SettlementAmount int64 `json:"settlement_amount"`
	MatchedCount     int   `json:"matched_count"`
	MatchedAmount    int64 `json:"matched_amount"`
	FeeAmount        int64 `json:"fee_amount"`
	NetAmount        int64 `json:"net_amount"`
	ExceptionCount   int   `json:"exception_count"`
	// PendingCount and PendingAmount: ledger payments not settled yet but
	// still within the acquirer's lag (Result.Pending): not exceptions.
	PendingCount  int   `json:"pending_count,omitempty"`
	PendingAmount int64 `json:"pending_amount,omitempty"`
}

// SourceInfo names an imported file in the report.
type SourceInfo struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	Rows   int    `json:"rows"`
}

// Report is the JSON report of `feepos reconcile run|report --json`.
type Report struct {
	Date       string       `json:"date"`
	Sources    []SourceInfo `json:"sources"`
	Summary    Summary      `json:"summary"`
	Matches    []Match      `json:"matches"`
	Exceptions []Exception  `json:"exceptions"`
}
