// Package payments is the payment workflow of feepos: a payment request
// from the dossier system (its fee lines checked against the catalogue),
// a charge by card on a terminal or in cash, and Record — the payment,
// its ledger entry, one signed receipt per collecting organisation, the
// request paid and the webhook message, in one SQLite transaction —
// and only then the terminal's approval acknowledged (Confirm).
// docs/PAYMENTS.md has the statuses, the transitions and the rules.
package payments

import (
	"log/slog"
	"time"

	"github.com/feepos/feepos/internal/auth"
)

// Currency is the only currency feepos takes.
const Currency = "VND"

// RequestStatus is where a payment request is (docs/PAYMENTS.md).
type RequestStatus string

// The request statuses. A declined, aborted or failed card charge leaves
// the request payable: it goes back to pending (the payment keeps the
// decline), so "declined" and "failed" are statuses of payments, never of
// a request at rest.
const (
	RequestPending     RequestStatus = "pending"      // payable
	RequestProcessing  RequestStatus = "processing"   // a charge runs
	RequestPaid        RequestStatus = "paid"         // recorded: ledger entry and receipts exist
	RequestNeedsReview RequestStatus = "needs_review" // a charge's outcome is unknown: a person settles it
	RequestCancelled   RequestStatus = "cancelled"    // by the dossier system; never paid
	RequestRefunded    RequestStatus = "refunded"     // paid, then reversed or refunded
)

// PaymentStatus is where one charge is.
type PaymentStatus string

// The payment statuses.
const (
	PaymentProcessing  PaymentStatus = "processing"   // sent to the terminal, no result recorded yet
	PaymentPaid        PaymentStatus = "paid"         // recorded
	PaymentDeclined    PaymentStatus = "declined"     // declined by the card's bank or the card, or aborted: not charged
	PaymentFailed      PaymentStatus = "failed"       // nothing ran on the terminal (busy, offline) or it reversed it: not charged
	PaymentNeedsReview PaymentStatus = "needs_review" // outcome unknown: the evidence is in Review
	PaymentReversed    PaymentStatus = "reversed"     // reversed on the terminal the same day
	PaymentRefunded    PaymentStatus = "refunded"     // refunded on a later day
	// PaymentVoided: recorded as paid, then the terminal reversed the
	// charge before it was acknowledged (feepos stopped or lost the line
	// between the commit and the acknowledgement): the ledger entry is
	// reversed, the request payable again, the receipts listed for an
	// accountant (docs/PAYMENTS.md "Recovery").
	PaymentVoided PaymentStatus = "voided"
)

// Methods of payment.
const (
	MethodCard = "card"
	MethodCash = "cash"
)

// Settle outcomes.
const (
	OutcomeCharged    = "charged"
	OutcomeNotCharged = "not_charged"
)

// Payer is who pays, as printed on the receipts.
type Payer struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
	TaxCode  string `json:"tax_code,omitempty"`
	Address  string `json:"address,omitempty"`
	Phone    string `json:"phone,omitempty"`
}

// Item is one fee line of a request; name, kind, organisation and agency
// are copied from the catalogue when the request is created.
type Item struct {
	FeeCode    string `json:"fee_code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"` // phi, le_phi
	OrgCode    string `json:"org_code"`
	AgencyCode string `json:"agency_code"`
	Quantity   int64  `json:"quantity"`
	UnitAmount *int64 `json:"unit_amount"` // nil: the agency computed the amount
	Amount     int64  `json:"amount"`
}

// Request is a payment request of the dossier system.
type Request struct {
	ID          string        `json:"id"`
	DossierCode string        `json:"dossier_code"`
	Status      RequestStatus `json:"status"`
	Total       int64         `json:"total"`
	Currency    string        `json:"currency"`
	Payer       Payer         `json:"payer"`
	Items       []Item        `json:"items"`
	CallbackURL string        `json:"callback_url,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	Payments    []Payment     `json:"payments"`
	// ClientID is the API client that created it (its webhook secret signs
	// the messages back); not shown.
	ClientID string `json:"-"`
}

// TerminalResult is what the terminal said of an approved card payment
// (never a full card number).
type TerminalResult struct {
	TraceNo      string `json:"trace_no,omitempty"`
	ApprovalCode string `json:"approval_code,omitempty"`
	PANMasked    string `json:"pan_masked,omitempty"`
	TerminalID   string `json:"terminal_id,omitempty"`
	ReceiptNo    string `json:"receipt_no,omitempty"`
	CardType     string `json:"card_type,omitempty"`
}

// ReceiptRef is one receipt of a payment.
type ReceiptRef struct {
	Template  string `json:"template"`
	Series    string `json:"series"`
	Number    int64  `json:"number"`
	VerifyURL string `json:"verify_url"`
	// LookupCode opens the receipt's public page (receipts.VerifyURL); the
	// API gives it inside verify_url only.
	LookupCode string `json:"-"`
	OrgCode    string `json:"org_code"`
	Total      int64  `json:"total"`
	// Kind is "issued" for the payment's receipts, "replacement" for those
	// a reversal or refund issued.
	Kind string `json:"kind,omitempty"`
}

// Review is why a payment needs a person, and the terminal's evidence.
type Review struct {
	Reason   string `json:"reason"`
	Evidence any    `json:"evidence,omitempty"` // the attempt's record: history, results, orphans, wire (masked)
	// Settled, once a person settled it.
	SettledOutcome string `json:"settled_outcome,omitempty"`
	SettledBy      string `json:"settled_by,omitempty"`
	SettledReason  string `json:"settled_reason,omitempty"`
}

// Payment is one charge of a request.
type Payment struct {
	ID               string          `json:"id"`
	PaymentRequestID string          `json:"payment_request_id"`
	Method           string          `json:"method"`
	Status           PaymentStatus   `json:"status"`
	Amount           int64           `json:"amount"`
	Terminal         string          `json:"terminal,omitempty"`
	AttemptID        string          `json:"attempt_id,omitempty"`
	TerminalResult   *TerminalResult `json:"terminal_result,omitempty"`
	Receipts         []ReceiptRef    `json:"receipts"`
	CreatedAt        time.Time       `json:"created_at"`
	PaidAt           *time.Time      `json:"paid_at,omitempty"`
	Review           *Review         `json:"review,omitempty"`
	// Message says, in Vietnamese, what happened (a decline's reason).
	Message string `json:"message,omitempty"`
	// Cashier is who charged it; Tendered/Change for cash.
	Cashier  string `json:"cashier,omitempty"`
	Tendered int64  `json:"tendered,omitempty"`
	Change   int64  `json:"change,omitempty"`
	// LedgerEntry is the id of the payment's journal entry (0: none).
	LedgerEntry int64 `json:"ledger_entry,omitempty"`
}

// NewPayer etc.: the input of CreateRequest.

// NewItem is one fee line as the dossier system sends it.
type NewItem struct {
	FeeCode  string `json:"fee_code"`
	Quantity int64  `json:"quantity,omitempty"` // default 1
	Amount   int64  `json:"amount"`
}

// NewRequest is what the dossier system sends.
type NewRequest struct {
	DossierCode string    `json:"dossier_code"`
	Payer       Payer     `json:"payer"`
	Items       []NewItem `json:"items"`
	CallbackURL string    `json:"callback_url,omitempty"`
}

// Filter selects requests; empty fields select all.
type Filter struct {
	DossierCode string
	Status      string
	Limit       int    // default 50, at most 500
	After       string // the Next of the page before
	// ClientID: only the requests this API client created ("": all). The
	// API sets it for a dossier-system client (FilterFor).
	ClientID string
}

// FilterFor restricts f to what actor may list: a dossier-system client
// lists its own requests only; cashiers, accountants and admins all.
func FilterFor(actor auth.Actor, f Filter) Filter {
	if actor.Role == auth.RoleDossierSystem {
		f.ClientID = actor.ID
	}
	return f
}

// Page is one page of requests.
type Page struct {
	Items []Request `json:"items"`
	Next  string    `json:"next,omitempty"`
}

// ChargeInput is the cashier's charge.
type ChargeInput struct {
	Method   string `json:"method"`
	Terminal string `json:"terminal,omitempty"`
	Tendered int64  `json:"tendered,omitempty"` // cash: what the citizen handed over (0: the exact total)
}

// Shift is a closed cash-drawer shift.
type Shift struct {
	ID          int64     `json:"id"`
	Cashier     string    `json:"cashier"`
	OpenedAt    time.Time `json:"opened_at"`
	ClosedAt    time.Time `json:"closed_at"`
	Expected    int64     `json:"expected"`
	Counted     int64     `json:"counted"`
	Difference  int64     `json:"difference"` // counted − expected
	Note        string    `json:"note,omitempty"`
	LedgerEntry int64     `json:"ledger_entry,omitempty"` // the variance posting (0: none)
}

// Options configure a Service.
type Options struct {
	Log   *slog.Logger
	Clock func() time.Time
	// VerifyBase is the public address receipts' /verify links start with
	// (e.g. "https://feepos.example.gov.vn").
	VerifyBase string
	// Poke wakes the webhook worker after a commit that enqueued a message.
	Poke func()
	// Location is the business day's zone (default Asia/Ho_Chi_Minh).
	Location *time.Location
	// Counter is the counter this feepos serves (ledger dimension).
	Counter string
}
