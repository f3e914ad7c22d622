package zvt

import (
	"fmt"
	"strings"
)

// Encoders for the messages feepos (ECR) and its simulator (PT) send. They
// return a bare APDU; EncodeFrame wraps it for a serial line. Every BMP
// goes through appendField and so through the one field table.

// message builds an APDU step by step and remembers the first error.
type message struct {
	class, instr byte
	data         []byte
	err          error
}

func newMessage(class, instr byte) *message { return &message{class: class, instr: instr} }

func (b *message) raw(v ...byte) *message {
	b.data = append(b.data, v...)
	return b
}

func (b *message) field(bmp byte, v []byte) *message {
	if b.err != nil {
		return b
	}
	b.data, b.err = appendField(b.data, bmp, v)
	return b
}

func (b *message) bcd(bmp byte, n int64) *message {
	if b.err != nil {
		return b
	}
	f, ok := fieldByBMP[bmp]
	if !ok {
		b.err = fmt.Errorf("zvt: BMP %02X is not declared", bmp)
		return b
	}
	v, err := toBCD(n, f.Size)
	if err != nil {
		b.err = fmt.Errorf("BMP %02X (%s): %w", bmp, f.Name, err)
		return b
	}
	return b.field(bmp, v)
}

func (b *message) password(pw string) *message {
	if b.err != nil {
		return b
	}
	v, err := passwordBCD(pw)
	if err != nil {
		b.err = err
		return b
	}
	return b.raw(v...)
}

func (b *message) done() ([]byte, error) {
	if b.err != nil {
		return nil, fmt.Errorf("zvt %02X %02X: %w", b.class, b.instr, b.err)
	}
	return APDU{Class: b.class, Instr: b.instr, Data: b.data}.Encode()
}

// passwordBCD packs the 6-digit terminal password (PA00P015 ch. 2.1).
func passwordBCD(pw string) ([]byte, error) {
	if len(pw) != 6 {
		return nil, fmt.Errorf("zvt: password must be 6 digits, got %d characters", len(pw))
	}
	return digitsToBCD(pw)
}

func currencyBCD(code int) ([]byte, error) {
	if code <= 0 || code > 999 {
		return nil, fmt.Errorf("zvt: currency %d is not an ISO 4217 numeric code", code)
	}
	return toBCD(int64(code), 2)
}

// Registration (06 00): password, config byte, and the currency when
// currency is not 0 (PA00P015 ch. 2.1).
func Registration(password string, config byte, currency int) ([]byte, error) {
	b := newMessage(0x06, 0x00).password(password).raw(config)
	if currency != 0 && b.err == nil {
		cc, err := currencyBCD(currency)
		if err != nil {
			b.err = err
		}
		b.raw(cc...)
	}
	return b.done()
}

// AuthorizationRequest is what Authorization sends. Amount is in the
// currency's minor unit; for the đồng (704, exponent 0) that is whole đồng.
type AuthorizationRequest struct {
	Amount         int64
	Currency       int   // ISO 4217 numeric; 0 leaves BMP 49 out (the PT's default)
	PaymentType    *byte // BMP 19, nil to let the PT decide
	MaxStatusInfos *byte // BMP 02
}

// Authorization (06 01) asks the PT to charge a card (PA00P015 ch. 2.2).
func Authorization(r AuthorizationRequest) ([]byte, error) {
	b := newMessage(0x06, 0x01)
	if r.MaxStatusInfos != nil {
		b.field(0x02, []byte{*r.MaxStatusInfos})
	}
	b.bcd(0x04, r.Amount)
	if r.PaymentType != nil {
		b.field(0x19, []byte{*r.PaymentType})
	}
	if r.Currency != 0 {
		cc, err := currencyBCD(r.Currency)
		if err != nil {
			return nil, err
		}
		b.field(0x49, cc)
	}
	return b.done()
}

// Reversal (06 30) cancels the payment with receiptNo of the current batch;
// amount, if not nil, is sent as a check (PA00P015 ch. 2, Reversal).
func Reversal(password string, receiptNo int64, amount *int64) ([]byte, error) {
	b := newMessage(0x06, 0x30).password(password).bcd(0x87, receiptNo)
	if amount != nil {
		b.bcd(0x04, *amount)
	}
	return b.done()
}

// Refund (06 31) pays amount back to a card; currency 0 leaves BMP 49 out.
func Refund(password string, amount int64, currency int) ([]byte, error) {
	b := newMessage(0x06, 0x31).password(password).bcd(0x04, amount)
	if currency != 0 {
		cc, err := currencyBCD(currency)
		if err != nil {
			return nil, err
		}
		b.field(0x49, cc)
	}
	return b.done()
}

// AbortRequest (06 B0) asks the PT to abort the running transaction.
func AbortRequest() []byte { return []byte{0x06, 0xB0, 0x00} }

// RepeatReceipt (06 20): with service byte 01 the PT sends the last
// Status-Information again, the recovery after a lost result.
func RepeatReceipt(password string, serviceByte byte) ([]byte, error) {
	return newMessage(0x06, 0x20).password(password).field(0x03, []byte{serviceByte}).done()
}

// StatusEnquiry (05 01).
func StatusEnquiry(password string) ([]byte, error) {
	return newMessage(0x05, 0x01).password(password).done()
}

// EndOfDay (06 50) closes the batch.
func EndOfDay(password string) ([]byte, error) {
	return newMessage(0x06, 0x50).password(password).done()
}

// SendTurnoverTotals (06 10) asks for the totals without closing the batch.
func SendTurnoverTotals(password string) ([]byte, error) {
	return newMessage(0x06, 0x10).password(password).done()
}

// Ack is the positive answer 80 00 00 (PA00P015 ch. 2, "CCRC/APRC").
func Ack() []byte { return []byte{0x80, 0x00, 0x00} }

// Nack is the negative answer 84 <code> 00.
func Nack(code byte) []byte { return []byte{0x84, code, 0x00} }

// --- PT side (simulator) ---

// StatusInfo is what a PT reports in Status-Information (04 0F). Zero
// values and empty strings are left out; pointers mark optional numbers.
type StatusInfo struct {
	ResultCode   byte
	Amount       *int64
	Currency     int
	Time         string // HH:MM:SS or HHMMSS
	Date         string // MM-DD or MMDD
	PANMasked    string // any PAN is sent through pos.MaskPAN, as E nibbles
	ReceiptNo    *int64
	ApprovalCode string // up to 8 characters, NUL padded
	TraceNo      *int64
	// OriginalTraceNo (BMP 37) marks the record of a reversal: the trace
	// of the payment it cancelled.
	OriginalTraceNo *int64
	PaymentType     *byte
	TerminalID      string // 8 digits
	Expiry          string // YYMM
	CardType        *byte
	CardTypeID      *byte
	CardName        string
	MerchantID      string // up to 15 characters, space padded
	Text            string // BMP 3C
	TLV             []TLVObject
}

// StatusInformation (04 0F) encodes s, fields in the order real terminals
// send them (EVerest capture, ECR-VECTORS C7).
func StatusInformation(s StatusInfo) ([]byte, error) {
	b := newMessage(0x04, 0x0F).field(0x27, []byte{s.ResultCode})
	if s.Amount != nil {
		b.bcd(0x04, *s.Amount)
	}
	if s.Currency != 0 {
		cc, err := currencyBCD(s.Currency)
		if err != nil {
			return nil, err
		}
		b.field(0x49, cc)
	}
	if s.Time != "" {
		b.digits(0x0C, strings.ReplaceAll(s.Time, ":", ""))
	}
	if s.Date != "" {
		b.digits(0x0D, strings.ReplaceAll(s.Date, "-", ""))
	}
	if s.PANMasked != "" {
		b.field(0x22, panToBCD(s.PANMasked))
	}
	if s.ReceiptNo != nil {
		b.bcd(0x87, *s.ReceiptNo)
	}
	if s.ApprovalCode != "" {
		b.padded(0x3B, s.ApprovalCode, 0x00)
	}
	if s.TraceNo != nil {
		b.bcd(0x0B, *s.TraceNo)
	}
	if s.OriginalTraceNo != nil {
		b.bcd(0x37, *s.OriginalTraceNo)
	}
	if s.PaymentType != nil {
		b.field(0x19, []byte{*s.PaymentType})
	}
	if s.TerminalID != "" {
		b.digits(0x29, s.TerminalID)
	}
	if s.Expiry != "" {
		b.digits(0x0E, s.Expiry)
	}
	if s.CardType != nil {
		b.field(0x8A, []byte{*s.CardType})
	}
	if s.CardTypeID != nil {
		b.field(0x8C, []byte{*s.CardTypeID})
	}
	if s.CardName != "" {
		b.field(0x8B, toLatin1(s.CardName))
	}
	if s.MerchantID != "" {
		b.padded(0x2A, s.MerchantID, ' ')
	}
	if s.Text != "" {
		b.field(0x3C, toLatin1(s.Text))
	}
	b.tlv(s.TLV)
	return b.done()
}

func (b *message) digits(bmp byte, s string) *message {
	if b.err != nil {
		return b
	}
	v, err := digitsToBCD(s)
	if err != nil {
		b.err = fmt.Errorf("BMP %02X: %w", bmp, err)
		return b
	}
	return b.field(bmp, v)
}

func (b *message) padded(bmp byte, s string, pad byte) *message {
	if b.err != nil {
		return b
	}
	size := fieldByBMP[bmp].Size
	v := toLatin1(s)
	if len(v) > size {
		b.err = fmt.Errorf("BMP %02X: %q longer than %d bytes", bmp, s, size)
		return b
	}
	for len(v) < size {
		v = append(v, pad)
	}
	return b.field(bmp, v)
}

func (b *message) tlv(objs []TLVObject) *message {
	if b.err != nil || len(objs) == 0 {
		return b
	}
	v, err := EncodeTLV(objs)
	if err != nil {
		b.err = err
		return b
	}
	return b.field(0x06, v)
}

// IntermediateStatus (04 FF) with one status byte, e.g. 0x17 "please wait".
func IntermediateStatus(status byte) []byte { return []byte{0x04, 0xFF, 0x01, status} }

// CompletionInfo is what Completion (06 0F) carries after Registration and
// after a transaction: status byte (BMP 19), TID, currency.
type CompletionInfo struct {
	StatusByte *byte
	TerminalID string
	Currency   int
	TLV        []TLVObject
}

// Completion (06 0F) in its BMP form (ECR-VECTORS C4).
func Completion(c CompletionInfo) ([]byte, error) {
	b := newMessage(0x06, 0x0F)
	if c.StatusByte != nil {
		b.field(0x19, []byte{*c.StatusByte})
	}
	if c.TerminalID != "" {
		b.digits(0x29, c.TerminalID)
	}
	if c.Currency != 0 {
		cc, err := currencyBCD(c.Currency)
		if err != nil {
			return nil, err
		}
		b.field(0x49, cc)
	}
	b.tlv(c.TLV)
	return b.done()
}

// StatusCompletion (06 0F) answers Status Enquiry: software version
// (LLLVAR, no BMP byte) and terminal status (ECR-VECTORS A3/A4).
func StatusCompletion(software string, terminalStatus byte) ([]byte, error) {
	v := toLatin1(software)
	if len(v) > 999 {
		return nil, fmt.Errorf("zvt: software version longer than 999 bytes")
	}
	n := len(v)
	data := append([]byte{0xF0 | byte(n/100), 0xF0 | byte(n/10%10), 0xF0 | byte(n%10)}, v...)
	return APDU{Class: 0x06, Instr: 0x0F, Data: append(data, terminalStatus)}.Encode()
}

// Abort (06 1E) from the PT with a result code, e.g. 0x6C customer abort.
func Abort(result byte) []byte { return []byte{0x06, 0x1E, 0x01, result} }

// PrintLine (06 D1): attribute byte, then the text.
func PrintLine(attribute byte, text string) ([]byte, error) {
	data := append([]byte{attribute}, toLatin1(text)...)
	return APDU{Class: 0x06, Instr: 0xD1, Data: data}.Encode()
}

// EndOfDayInfo is the Status-Information a PT sends after End-of-Day.
type EndOfDayInfo struct {
	ResultCode byte
	Total      int64
	TraceNo    int64
	Date       string // MMDD or MM-DD
	Time       string // HHMMSS or HH:MM:SS
	Totals     EODTotals
}

// EndOfDayStatus (04 0F) with the batch total and BMP 60 individual
// totals, fields in the order of ECR-VECTORS C8.
func EndOfDayStatus(e EndOfDayInfo) ([]byte, error) {
	t, err := encodeTotals(e.Totals)
	if err != nil {
		return nil, err
	}
	return newMessage(0x04, 0x0F).
		field(0x27, []byte{e.ResultCode}).
		bcd(0x04, e.Total).
		bcd(0x0B, e.TraceNo).
		digits(0x0D, strings.ReplaceAll(e.Date, "-", "")).
		digits(0x0C, strings.ReplaceAll(e.Time, ":", "")).
		field(0x60, t).
		done()
}
