package reconcile

import "time"

// TxnType is the kind of an acquirer's line.
type TxnType string

// The acquirer's line kinds (the generic CSV's txn_type).
const (
	Sale   TxnType = "SALE"
	Void   TxnType = "VOID"   // cancels a SALE of the same batch (same terminal and trace)
	Refund TxnType = "REFUND" // money back to the card, a later day
)

// Payment is a card payment as the ledger has it: what the counters took.
type Payment struct {
	ID           string // the payment's id (payments table)
	TerminalID   string // the terminal's own id (TID) as it prints it, else feepos's terminal id
	TraceNo      int64  // 0: unknown
	ReceiptNo    int64  // the terminal's receipt number, 0: unknown
	ApprovalCode string
	RRN          string
	PANMasked    string
	Brand        string
	Amount       int64     // whole đồng, > 0
	PaidAt       time.Time // when the terminal approved it
	Date         string    // business date in Vietnam, YYYY-MM-DD
	Refund       bool      // a refund or reversal (money back): Amount is still > 0
	InReview     bool      // the payment is in needs_review (rule: offer_in_doubt)
}

// TerminalTotal is a terminal's end-of-day total for one card brand (or
// all brands: Brand "").
type TerminalTotal struct {
	TerminalID  string
	Date        string // YYYY-MM-DD
	Brand       string
	Count       int
	Amount      int64
	ReceiptFrom int64 // the terminal's receipt number range, 0: unknown
	ReceiptTo   int64
	Source      string // "terminal" (captured) or "slip" (typed from the printed slip)
}

// SettlementLine is one line of an acquirer's settlement file.
type SettlementLine struct {
	ID             string // unique per source: the file's own id for the line, or a stable hash of its fields
	Source         string // the imported file's id (SHA-256 hex)
	Line           int    // 1-based line (or row) in the file
	SettlementDate string // YYYY-MM-DD
	TerminalID     string
	MerchantID     string
	BatchNo        string
	TraceNo        int64
	RRN            string
	ApprovalCode   string
	PANMasked      string
	CardBrand      string
	Type           TxnType
	TxnTime        time.Time // local time of the card transaction
	Amount         int64     // gross, whole đồng, > 0
	Fee            int64     // the acquirer's fee (MDR), ≥ 0
	Net            int64     // Amount - Fee for a SALE
	Currency       string    // "VND"
}

// BankEntry is one booked entry of a bank statement (camt.053/054 Ntry,
// MT940 :61:), with its details when the bank splits a batch booking.
type BankEntry struct {
	ID          string // unique per account: the bank's reference, or a stable hash
	Source      string
	Line        int
	Account     string // IBAN or the bank's other account id, as in the file
	BookingDate string // YYYY-MM-DD
	ValueDate   string
	Amount      int64 // whole đồng; credits > 0, debits < 0
	Currency    string
	Reversal    bool   // the bank reverses an earlier entry
	Reference   string // end-to-end or bank reference
	Text        string // remittance information / :86: narrative, joined
	Details     []BankDetail
}

// BankDetail is one transaction of a batch entry (camt TxDtls).
type BankDetail struct {
	Amount    int64
	Reference string
	Text      string
}

// BankBalance is a balance a statement states (camt OPBD/CLBD, MT940
// :60F:/:62F:…).
type BankBalance struct {
	Account  string
	Kind     string // "opening" or "closing"
	Final    bool   // final (60F/62F, OPBD/CLBD) or intermediate (60M/62M)
	Date     string // YYYY-MM-DD
	Amount   int64  // signed
	Currency string
}

// Statement is one bank statement of a file (an MT940 file may hold several).
type Statement struct {
	Account  string
	ID       string // statement reference / :20: / :28C:
	Entries  []BankEntry
	Balances []BankBalance
}
