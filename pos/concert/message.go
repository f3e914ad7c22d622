package concert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/feepos/feepos/pos"
)

// E+ message sizes in characters, without STX, ETX and LRC
// (pyTeliumManager constant.py: TERMINAL_ASK_REQUIRED_SIZE = 34,
// TERMINAL_ANSWER_LIMITED_SIZE = 28 and TERMINAL_ANSWER_COMPLETE_SIZE = 83
// counted with STX, ETX and LRC).
const (
	RequestLen     = 34
	ShortAnswerLen = 25
	LongAnswerLen  = 80
	privLen        = 10
	repLen         = 55
)

// MaxAmount is the largest amount the 8-digit E+ amount field carries:
// 99,999,999 minor units, i.e. 99,999,999 đồng (VND has exponent 0).
const MaxAmount = 99_999_999

// Answer flag (IND): how much the terminal answers.
const (
	AnswerShort byte = '0' // 25 characters: no card data
	AnswerLong  byte = '1' // 80 characters: with the 55-character report
)

// Payment mode (the terminal's "type de paiement"), pyTeliumManager
// TERMINAL_TYPE_PAYMENT_*; pypostelium uses '1' card and 'C' check.
const (
	ModeCard  byte = '1'
	ModeCheck byte = 'C'
)

var modeNames = map[byte]string{
	'1': "card", 'C': "check", '2': "amex", '3': "cetelem", '5': "cofinoga",
	'6': "diners", '8': "franfinance", '9': "jcb", 'A': "accord_finance",
	'O': "moneo", 'U': "cup", 'F': "fintrax_emv", '0': "other",
}

// Transaction type, pyTeliumManager TERMINAL_MODE_PAYMENT_*.
const (
	TypeDebit  byte = '0'
	TypeCredit byte = '1'
	TypeRefund byte = '2'
	TypeAuto   byte = '4'
)

// Delay (DELAI) and authorization (AUTO) fields of the request
// (pyTeliumManager constant.py).
const (
	DelayEndOfTransaction = "A010" // answer when the transaction is over: a real status
	DelayImmediate        = "A011" // answer at once, without a valid status
	AuthorizationDefault  = "B010" // the terminal decides whether to call the host
	AuthorizationForced   = "B011" // force a host authorization
)

// Answer status (the "stat" character), pyTeliumManager constant.py.
const (
	StatusAccepted    byte = '0' // TERMINAL_PAYMENT_SUCCESS
	StatusRefused     byte = '7' // TERMINAL_PAYMENT_REJECTED
	StatusNotVerified byte = '9' // TERMINAL_PAYMENT_NOT_VERIFIED ("timeout" in its docstring)
)

// Errors of the E+ codec.
var (
	ErrAmount   = errors.New("concert: amount out of range")
	ErrPriv     = errors.New("concert: invalid PRIV reference")
	ErrField    = errors.New("concert: invalid field")
	ErrNotEPlus = errors.New("concert: not an E+ message")
)

// PaymentRequest is the E+ payment request the cash register sends
// (34 characters; pyTeliumManager TeliumAsk.encode, pypostelium
// send_message). Layout, 0-based:
//
//	0:2   pos number, 2 digits
//	2:10  amount in minor units, 8 digits (VND: whole đồng)
//	10    answer flag (IND): '0' short, '1' long
//	11    payment mode: '1' card, 'C' check, …
//	12    transaction type: '0' debit, '1' credit, '2' refund, '4' auto
//	13:16 currency, ISO 4217 numeric
//	16:26 PRIV, 10 characters, echoed in the answer
//	26:30 delay: A010 end of transaction, A011 immediate
//	30:34 authorization: B010, B011 forced
type PaymentRequest struct {
	POSNumber       int   // 1..99
	Amount          int64 // minor units; whole đồng for VND
	AnswerFlag      byte  // AnswerShort or AnswerLong
	PaymentMode     byte  // ModeCard, ModeCheck, …
	TransactionType byte  // TypeDebit, …
	Currency        int   // ISO 4217 numeric; 0 means pos.CurrencyVND
	Priv            string
	Delay           string // DelayEndOfTransaction or DelayImmediate
	Authorization   string // AuthorizationDefault or AuthorizationForced
}

// NewPaymentRequest is a card debit of amount đồng on register 1, long
// answer at the end of the transaction, carrying feepos's payment
// reference in PRIV.
func NewPaymentRequest(amount int64, reference string) PaymentRequest {
	return PaymentRequest{
		POSNumber: 1, Amount: amount, AnswerFlag: AnswerLong, PaymentMode: ModeCard,
		TransactionType: TypeDebit, Currency: pos.CurrencyVND, Priv: reference,
		Delay: DelayEndOfTransaction, Authorization: AuthorizationDefault,
	}
}

// ValidatePriv checks a reference for the PRIV field: at most 10 printable
// ASCII characters (the terminal echoes it back; it is our only correlation
// between a request and its answer).
func ValidatePriv(s string) error {
	if len(s) > privLen {
		return fmt.Errorf("%w: %q has %d characters, the E+ PRIV field holds at most %d", ErrPriv, s, len(s), privLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("%w: %q has a character that is not printable ASCII at position %d", ErrPriv, s, i+1)
		}
	}
	return nil
}

// ValidateAmount checks an amount for the 8-digit E+ amount field.
func ValidateAmount(amount int64) error {
	if amount <= 0 || amount > MaxAmount {
		return fmt.Errorf("%w: %d; Concert E+ carries 1 to %d (8 digits), i.e. at most 99,999,999 đồng per payment: split the payment", ErrAmount, amount, MaxAmount)
	}
	return nil
}

// Text encodes the request as its 34 characters, without framing.
func (r PaymentRequest) Text() ([]byte, error) {
	if r.POSNumber < 1 || r.POSNumber > 99 {
		return nil, fmt.Errorf("%w: pos number %d, want 1..99", ErrField, r.POSNumber)
	}
	if err := ValidateAmount(r.Amount); err != nil {
		return nil, err
	}
	cur := r.Currency
	if cur == 0 {
		cur = pos.CurrencyVND
	}
	if cur < 1 || cur > 999 {
		return nil, fmt.Errorf("%w: currency %d, want an ISO 4217 numeric code", ErrField, cur)
	}
	if r.AnswerFlag != AnswerShort && r.AnswerFlag != AnswerLong {
		return nil, fmt.Errorf("%w: answer flag %q, want '0' or '1'", ErrField, r.AnswerFlag)
	}
	if !printable(r.PaymentMode) || !printable(r.TransactionType) {
		return nil, fmt.Errorf("%w: payment mode %q / transaction type %q must be printable ASCII", ErrField, r.PaymentMode, r.TransactionType)
	}
	if r.Delay != DelayEndOfTransaction && r.Delay != DelayImmediate {
		return nil, fmt.Errorf("%w: delay %q, want A010 or A011", ErrField, r.Delay)
	}
	if r.Authorization != AuthorizationDefault && r.Authorization != AuthorizationForced {
		return nil, fmt.Errorf("%w: authorization %q, want B010 or B011", ErrField, r.Authorization)
	}
	if err := ValidatePriv(r.Priv); err != nil {
		return nil, err
	}
	s := fmt.Sprintf("%02d%08d%c%c%c%03d%-10s%s%s", r.POSNumber, r.Amount, r.AnswerFlag,
		r.PaymentMode, r.TransactionType, cur, r.Priv, r.Delay, r.Authorization)
	return []byte(s), nil
}

// Frame encodes the request as it goes on the line: STX text ETX LRC.
func (r PaymentRequest) Frame() ([]byte, error) {
	t, err := r.Text()
	if err != nil {
		return nil, err
	}
	return Frame(t), nil
}

// ParsePaymentRequest decodes the 34 characters of an E+ request.
func ParsePaymentRequest(text []byte) (PaymentRequest, error) {
	if len(text) != RequestLen {
		return PaymentRequest{}, fmt.Errorf("%w: a request has %d characters, got %d", ErrNotEPlus, RequestLen, len(text))
	}
	if !allPrintable(text) {
		return PaymentRequest{}, fmt.Errorf("%w: request has bytes that are not printable ASCII", ErrNotEPlus)
	}
	s := string(text)
	posNo, err1 := digits(s[0:2])
	amount, err2 := digits(s[2:10])
	cur, err3 := digits(s[13:16])
	if err := errors.Join(err1, err2, err3); err != nil {
		return PaymentRequest{}, fmt.Errorf("%w: request: %v", ErrNotEPlus, err)
	}
	r := PaymentRequest{
		POSNumber: int(posNo), Amount: amount, AnswerFlag: s[10], PaymentMode: s[11],
		TransactionType: s[12], Currency: int(cur), Priv: strings.TrimRight(s[16:26], " "),
		Delay: s[26:30], Authorization: s[30:34],
	}
	if cur == 0 {
		// 000 is no ISO 4217 code; our encoder reads 0 as VND.
		return PaymentRequest{}, fmt.Errorf("%w: request currency 000", ErrNotEPlus)
	}
	if r.Delay[:3] != "A01" || r.Authorization[:3] != "B01" {
		return PaymentRequest{}, fmt.Errorf("%w: request delay %q / authorization %q", ErrNotEPlus, r.Delay, r.Authorization)
	}
	return r, nil
}

// PaymentAnswer is the terminal's E+ answer (pyTeliumManager
// TeliumResponse.decode; pypostelium parse_terminal_answer). Layout:
//
//	short (25): pos 0:2 | stat 2 | amount 3:11 | mode 11 | currency 12:15 | priv 15:25
//	long (80):  pos 0:2 | stat 2 | amount 3:11 | mode 11 | rep 12:67 | currency 67:70 | priv 70:80
//
// The 55-character report ("rep") begins with the card number
// (pyTeliumManager takes repport.split(' ')[0]); it may be a full PAN, so
// only its masked form is kept.
type PaymentAnswer struct {
	POSNumber string
	Status    byte
	Amount    int64
	Mode      byte
	Currency  string // 3 digits
	Priv      string // trailing spaces removed
	Long      bool
	PANMasked string // from the report, masked with pos.MaskPAN
	// ReportRest is what follows the card number in the report, trimmed.
	ReportRest string
}

// ParsePaymentAnswer decodes the 25 or 80 characters of an E+ answer.
func ParsePaymentAnswer(text []byte) (PaymentAnswer, error) {
	if len(text) != ShortAnswerLen && len(text) != LongAnswerLen {
		return PaymentAnswer{}, fmt.Errorf("%w: an answer has %d or %d characters, got %d", ErrNotEPlus, ShortAnswerLen, LongAnswerLen, len(text))
	}
	if !allPrintable(text) {
		return PaymentAnswer{}, fmt.Errorf("%w: answer has bytes that are not printable ASCII", ErrNotEPlus)
	}
	s := string(text)
	a := PaymentAnswer{POSNumber: s[0:2], Status: s[2], Mode: s[11], Long: len(text) == LongAnswerLen}
	curAt := 12
	if a.Long {
		curAt = 12 + repLen
		a.PANMasked, a.ReportRest = splitReport(s[12:curAt])
	}
	a.Currency = s[curAt : curAt+3]
	a.Priv = strings.TrimRight(s[curAt+3:curAt+3+privLen], " ")
	_, err1 := digits(a.POSNumber)
	amount, err2 := digits(s[3:11])
	_, err3 := digits(a.Currency)
	if err := errors.Join(err1, err2, err3); err != nil {
		return PaymentAnswer{}, fmt.Errorf("%w: answer: %v", ErrNotEPlus, err)
	}
	a.Amount = amount
	return a, nil
}

// splitReport separates the card number at the head of the report from the
// rest, masking the card number.
func splitReport(rep string) (panMasked, rest string) {
	rep = strings.TrimLeft(rep, " ")
	head, tail, _ := strings.Cut(rep, " ")
	if isPANLike(head) {
		return pos.MaskPAN(head), strings.TrimSpace(maskDigitRuns(tail))
	}
	return "", strings.TrimSpace(maskDigitRuns(rep))
}

// isPANLike reports whether s looks like a card number, whole or masked:
// 8 to 19 characters, digits and masking characters only, some digits.
func isPANLike(s string) bool {
	if len(s) < 8 || len(s) > 19 || !strings.ContainsAny(s, "0123456789") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '*', c == 'X', c == 'x', c == '#', c == 'E', c == 'e':
		default:
			return false
		}
	}
	return true
}

// maskDigitRuns hides every card-number-like run: 12 or more digits,
// possibly grouped by single spaces or dashes ("4111 1111 1111 1111"), so
// a report never carries a full PAN onwards. Only the first 6 and last 4
// digits of such a run stay (pos.MaskPAN).
func maskDigitRuns(s string) string {
	b := []byte(s)
	isDigit := func(i int) bool { return i < len(b) && b[i] >= '0' && b[i] <= '9' }
	for i := 0; i < len(b); {
		if !isDigit(i) {
			i++
			continue
		}
		var at []int
		j := i
		for {
			if isDigit(j) {
				at = append(at, j)
				j++
				continue
			}
			if j < len(b) && (b[j] == ' ' || b[j] == '-') && isDigit(j+1) {
				j++
				continue
			}
			break
		}
		if len(at) >= 12 {
			d := make([]byte, len(at))
			for k, p := range at {
				d[k] = b[p]
			}
			m := pos.MaskPAN(string(d))
			for k, p := range at {
				b[p] = m[k]
			}
		}
		i = j
	}
	return string(b)
}

// Text encodes the answer (for the simulator and for tests). A long answer
// carries PANMasked and ReportRest in its report, padded to 55 characters.
func (a PaymentAnswer) Text() ([]byte, error) {
	if len(a.POSNumber) != 2 || len(a.Currency) != 3 {
		return nil, fmt.Errorf("%w: answer pos number %q / currency %q", ErrField, a.POSNumber, a.Currency)
	}
	if a.Amount < 0 || a.Amount > MaxAmount {
		return nil, fmt.Errorf("%w: %d", ErrAmount, a.Amount)
	}
	if err := ValidatePriv(a.Priv); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%c%08d%c", a.POSNumber, a.Status, a.Amount, a.Mode)
	if a.Long {
		rep := strings.TrimSpace(a.PANMasked + " " + a.ReportRest)
		if len(rep) > repLen {
			return nil, fmt.Errorf("%w: report has %d characters, at most %d", ErrField, len(rep), repLen)
		}
		fmt.Fprintf(&b, "%-55s", rep)
	}
	fmt.Fprintf(&b, "%s%-10s", a.Currency, a.Priv)
	t := []byte(b.String())
	if !allPrintable(t) {
		return nil, fmt.Errorf("%w: answer has bytes that are not printable ASCII", ErrField)
	}
	return t, nil
}

// Outcome maps the answer status to a pos outcome. Only the statuses the
// sources define are final: '0' accepted, '7' refused. '9' ("not
// verified" in pyTeliumManager, "timeout" in its docstring) and every
// other status may hide a charge: Unknown, for a human to review.
func (a PaymentAnswer) Outcome() (pos.Outcome, string) {
	return StatusOutcome(a.Status)
}

// StatusOutcome maps an E+ status character to a pos outcome and a note.
func StatusOutcome(stat byte) (pos.Outcome, string) {
	switch stat {
	case StatusAccepted:
		return pos.Approved, "accepted"
	case StatusRefused:
		return pos.Declined, "refused"
	case StatusNotVerified:
		return pos.Unknown, "not verified: the terminal gave no final status"
	}
	return pos.Unknown, fmt.Sprintf("status %q is not defined by the sources", stat)
}

// ModeName names an E+ payment mode character, "" when unknown.
func ModeName(m byte) string { return modeNames[m] }

func printable(c byte) bool { return c >= 0x20 && c <= 0x7e }

func allPrintable(b []byte) bool {
	for _, c := range b {
		if !printable(c) {
			return false
		}
	}
	return true
}

// digits parses a field made only of ASCII digits.
func digits(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty numeric field")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not all digits", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
