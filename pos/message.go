package pos

// Message is one decoded ECR message, as printed by `feepos pos decode` and
// by --trace (docs/ARCHITECTURE.md, "Decoded ECR message"). Fields the message
// does not carry are left out; fields the decoder does not know are kept as
// hex under Unknown, never dropped.
type Message struct {
	Protocol        Protocol          `json:"protocol"`
	Direction       string            `json:"direction,omitempty"` // "ecr_to_pt", "pt_to_ecr"
	Kind            string            `json:"kind"`
	Raw             string            `json:"raw"` // hex
	ResultCode      string            `json:"result_code,omitempty"`
	AmountMinor     *int64            `json:"amount_minor,omitempty"`
	Currency        string            `json:"currency,omitempty"`
	TraceNo         *int64            `json:"trace_no,omitempty"`
	OriginalTraceNo *int64            `json:"original_trace_no,omitempty"`
	ReceiptNo       *int64            `json:"receipt_no,omitempty"`
	TurnoverNo      *int64            `json:"turnover_no,omitempty"`
	TerminalID      string            `json:"terminal_id,omitempty"`
	MerchantID      string            `json:"merchant_id,omitempty"`
	ApprovalCode    string            `json:"approval_code,omitempty"`
	PANMasked       string            `json:"pan_masked,omitempty"`
	CardType        string            `json:"card_type,omitempty"`
	CardName        string            `json:"card_name,omitempty"`
	Expiry          string            `json:"expiry,omitempty"` // YYMM
	Date            string            `json:"date,omitempty"`   // MM-DD
	Time            string            `json:"time,omitempty"`   // HH:MM:SS
	Text            string            `json:"text,omitempty"`
	PaymentType     string            `json:"payment_type,omitempty"`
	Totals          []BrandTotal      `json:"totals,omitempty"`
	TLV             map[string]any    `json:"tlv,omitempty"`
	Unknown         map[string]string `json:"unknown,omitempty"` // field tag → hex
	// Fields holds other named fields a protocol defines (e.g. Concert's
	// "priv", ZVT's "password", "config_byte", "status_byte").
	Fields map[string]any `json:"fields,omitempty"`
}
