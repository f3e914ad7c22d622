package pos

// Outcome is how a transaction ended, as far as the terminal told us.
type Outcome string

const (
	Approved       Outcome = "approved"
	Declined       Outcome = "declined"        // by the card issuer or host: HostCode, Text
	Aborted        Outcome = "aborted"         // by the customer or the cashier
	CardError      Outcome = "card_error"      // card unreadable, wrong card
	Busy           Outcome = "busy"            // the terminal (or the driver) is in another transaction
	TransportError Outcome = "transport_error" // nothing was sent: the card was certainly not charged
	// Unknown means the card may have been charged: the request reached the
	// terminal but no final result came back. Recover with LastResult; a
	// human reviews it if that fails too.
	Unknown Outcome = "unknown"
)

// Final reports whether the outcome says for sure whether money moved.
func (o Outcome) Final() bool { return o != Unknown }

// Result is a terminal's answer to a transaction. Field names follow the
// decoded message contract in docs/ARCHITECTURE.md. PANMasked never holds a full
// card number: at most the first 6 and last 4 digits, the rest '*'.
type Result struct {
	Outcome      Outcome `json:"status"`
	Amount       int64   `json:"amount"`
	Currency     string  `json:"currency,omitempty"`    // ISO 4217 numeric, e.g. "704"
	ResultCode   string  `json:"result_code,omitempty"` // 2 hex digits (ZVT) or the protocol's status
	HostCode     string  `json:"host_code,omitempty"`   // the issuer's/host's response code on a decline
	Text         string  `json:"text,omitempty"`        // the terminal's own text
	TextVI       string  `json:"text_vi,omitempty"`     // what to tell the cashier, in Vietnamese
	TerminalID   string  `json:"terminal_id,omitempty"`
	MerchantID   string  `json:"merchant_id,omitempty"`
	TraceNo      int64   `json:"trace_no,omitempty"`
	ReceiptNo    int64   `json:"receipt_no,omitempty"`
	TurnoverNo   int64   `json:"turnover_no,omitempty"`
	ApprovalCode string  `json:"approval_code,omitempty"`
	PANMasked    string  `json:"pan_masked,omitempty"`
	CardType     string  `json:"card_type,omitempty"`
	CardName     string  `json:"card_name,omitempty"`
	Date         string  `json:"date,omitempty"` // MM-DD as the terminal sent it
	Time         string  `json:"time,omitempty"` // HH:MM:SS
	Reference    string  `json:"reference,omitempty"`
	// Kind is what the record is of, when the terminal says: KindPay,
	// KindRefund or KindReverse (a ZVT record carrying the original trace,
	// BMP 37, is a reversal). Empty when the terminal does not tell.
	Kind string `json:"kind,omitempty"`
}

// BrandTotal is one card brand's part of an end-of-day batch.
type BrandTotal struct {
	Brand  string `json:"brand"`
	Count  int    `json:"count"`
	Amount int64  `json:"amount"`
}

// EndOfDay is a closed batch.
type EndOfDay struct {
	Outcome      Outcome      `json:"status"`
	Total        int64        `json:"total"`
	Currency     string       `json:"currency,omitempty"`
	Totals       []BrandTotal `json:"totals"`
	FirstReceipt int64        `json:"first_receipt,omitempty"`
	LastReceipt  int64        `json:"last_receipt,omitempty"`
	TraceNo      int64        `json:"trace_no,omitempty"`
	TerminalID   string       `json:"terminal_id,omitempty"`
	Text         string       `json:"text,omitempty"`
}

// Status is a terminal's readiness.
type Status struct {
	Ready      bool   `json:"ready"`
	ResultCode string `json:"result_code,omitempty"`
	Text       string `json:"text,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	Software   string `json:"software,omitempty"`
}
