package concert

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/feepos/feepos/pos"
)

// Message kinds in pos.Message.Kind.
const (
	KindPaymentRequest = "payment_request"
	KindPaymentAnswer  = "payment_answer"
	KindTLVRequest     = "tlv_request"
	KindTLVAnswer      = "tlv_answer"
	KindENQ            = "enq"
	KindACK            = "ack"
	KindNAK            = "nak"
	KindEOT            = "eot"
	KindUnknown        = "unknown"
)

const (
	dirECRToPT = "ecr_to_pt"
	dirPTToECR = "pt_to_ecr"
)

// ErrUnrecognised: the bytes are neither a control byte, an E+ message nor
// a TLV message.
var ErrUnrecognised = errors.New("concert: unrecognised message")

// Decode decodes one Concert message for `feepos pos decode` and --trace:
// a single control byte (ENQ, ACK, NAK, EOT), a whole frame
// (STX … ETX LRC), or bare message text. The text is an E+ request
// (34 characters), an E+ answer (25 or 80) or a Concert V3 TLV message.
//
// Raw is the input in hex with any card number masked (PCI DSS 3.4); when
// that changed a byte, Fields["raw_redacted"] is true and the LRC in Raw no
// longer matches. A frame with a wrong LRC is still decoded and returned
// with an error wrapping ErrBadLRC.
func Decode(b []byte) (pos.Message, error) {
	m := pos.Message{Protocol: pos.Concert, Raw: hex.EncodeToString(b)}
	if len(b) == 0 {
		m.Kind = KindUnknown
		return m, fmt.Errorf("%w: empty input", ErrUnrecognised)
	}
	if len(b) == 1 {
		switch b[0] {
		case ENQ:
			m.Kind = KindENQ
		case ACK:
			m.Kind = KindACK
		case NAK:
			m.Kind = KindNAK
		case EOT:
			m.Kind = KindEOT
		default:
			m.Kind = KindUnknown
			return m, fmt.Errorf("%w: single byte %02X is not ENQ, ACK, NAK or EOT", ErrUnrecognised, b[0])
		}
		return m, nil
	}
	text, textAt := b, 0
	var frameErr error
	if b[0] == STX {
		var err error
		text, err = SplitFrame(b)
		if err != nil && !errors.Is(err, ErrBadLRC) {
			// Not a whole frame: keep it, masked, for the technician.
			raw := append([]byte(nil), b...)
			if redactPAN(raw) {
				m.Raw = hex.EncodeToString(raw)
				setField(&m, "raw_redacted", true)
			}
			m.Kind = KindUnknown
			return m, err
		}
		frameErr, textAt = err, 1
	}
	raw := append([]byte(nil), b...)
	redact := func(at, n int) {
		if redactPAN(raw[textAt+at : textAt+at+n]) {
			m.Raw = hex.EncodeToString(raw)
			setField(&m, "raw_redacted", true)
		}
	}

	switch {
	case len(text) == RequestLen:
		if r, err := ParsePaymentRequest(text); err == nil {
			fillRequest(&m, r)
			return m, frameErr
		}
	case len(text) == ShortAnswerLen || len(text) == LongAnswerLen:
		if a, err := ParsePaymentAnswer(text); err == nil {
			fillAnswer(&m, a)
			if a.Long {
				redact(12, repLen)
			}
			return m, frameErr
		}
	}
	var tlvErr error
	if len(text) >= 5 && text[0] >= 'A' && text[0] <= 'Z' {
		items, err := DecodeTLV(text)
		if err == nil {
			fillTLV(&m, items)
			for _, it := range items {
				if it.Tag == TagPAN {
					redact(it.Offset, len(it.Value))
				}
			}
			return m, frameErr
		}
		tlvErr = err
	}
	m.Kind = KindUnknown
	// The text may hold a card number: keep only a masked copy.
	redact(0, len(text))
	m.Unknown = map[string]string{"text": hex.EncodeToString(raw[textAt : textAt+len(text)])}
	return m, errors.Join(fmt.Errorf("%w: %d characters of text are neither an E+ request (34), an E+ answer (25 or 80) nor TLV", ErrUnrecognised, len(text)), tlvErr, frameErr)
}

func setField(m *pos.Message, k string, v any) {
	if m.Fields == nil {
		m.Fields = map[string]any{}
	}
	m.Fields[k] = v
}

func fillRequest(m *pos.Message, r PaymentRequest) {
	m.Kind, m.Direction = KindPaymentRequest, dirECRToPT
	amount := r.Amount
	m.AmountMinor = &amount
	m.Currency = fmt.Sprintf("%03d", r.Currency)
	m.PaymentType = ModeName(r.PaymentMode)
	setField(m, "pos_number", fmt.Sprintf("%02d", r.POSNumber))
	setField(m, "priv", r.Priv)
	setField(m, "answer_flag", string(r.AnswerFlag))
	setField(m, "mode", string(r.PaymentMode))
	setField(m, "transaction_type", string(r.TransactionType))
	setField(m, "delay", r.Delay)
	setField(m, "authorization", r.Authorization)
}

func fillAnswer(m *pos.Message, a PaymentAnswer) {
	m.Kind, m.Direction = KindPaymentAnswer, dirPTToECR
	amount := a.Amount
	m.AmountMinor = &amount
	m.Currency = a.Currency
	m.ResultCode = string(a.Status)
	m.PaymentType = ModeName(a.Mode)
	m.PANMasked = a.PANMasked
	outcome, note := a.Outcome()
	setField(m, "pos_number", a.POSNumber)
	setField(m, "priv", a.Priv)
	setField(m, "mode", string(a.Mode))
	setField(m, "outcome", string(outcome))
	setField(m, "outcome_note", note)
	if a.Long {
		setField(m, "answer", "long")
		if a.ReportRest != "" {
			setField(m, "report", a.ReportRest)
		}
	} else {
		setField(m, "answer", "short")
	}
}

func fillTLV(m *pos.Message, items []TLV) {
	m.TLV = tlvMap(items)
	if _, ok := Get(items, TagStatus); ok {
		m.Kind, m.Direction = KindTLVAnswer, dirPTToECR
		outcome, note := TLVOutcome(items)
		setField(m, "outcome", string(outcome))
		setField(m, "outcome_note", note)
	} else {
		m.Kind, m.Direction = KindTLVRequest, dirECRToPT
	}
	for _, it := range items {
		v := it.Value
		switch it.Tag {
		case TagAmount:
			if n, err := amountValue(v); err == nil {
				m.AmountMinor = &n
			} else {
				setUnknown(m, it)
			}
		case TagCurrency:
			m.Currency = v
		case TagStatus:
			m.ResultCode = v
		case TagAuthorization:
			m.ApprovalCode = v
		case TagPAN:
			m.PANMasked = pos.MaskPAN(v)
		case TagExpiry:
			m.Expiry = v
		case TagCardType:
			m.CardType = v
		case TagMerchantContract:
			m.MerchantID = v
		default:
			if name, ok := tlvFieldNames[it.Tag]; ok {
				setField(m, name, v)
			}
		}
	}
}

// tlvFieldNames are the tags fillTLV puts under pos.Message.Fields, by name.
var tlvFieldNames = map[string]string{
	TagStatusComplement: "status_complement",
	TagRegister:         "pos_number",
	TagAction:           "action",
	TagEntryMode:        "entry_mode",
	TagAID:              "aid",
	TagPrivate:          "private",
	TagVersion:          "version",
	TagProtocolID:       "protocol_id",
}

func setUnknown(m *pos.Message, it TLV) {
	if m.Unknown == nil {
		m.Unknown = map[string]string{}
	}
	m.Unknown[it.Tag] = hex.EncodeToString([]byte(it.Value))
}

// tlvMap is the decoded TLV container for pos.Message.TLV: tag → value;
// a repeated tag → a list; ZT → its own tags when they decode; AA masked.
func tlvMap(items []TLV) map[string]any {
	out := make(map[string]any, len(items))
	for _, it := range items {
		var v any = it.Value
		switch it.Tag {
		case TagPAN:
			v = pos.MaskPAN(it.Value)
		case TagTicket:
			if inner, err := DecodeTLV([]byte(it.Value)); err == nil && len(inner) > 0 {
				v = tlvMap(inner)
			}
		}
		switch prev := out[it.Tag].(type) {
		case nil:
			out[it.Tag] = v
		case []any:
			out[it.Tag] = append(prev, v)
		default:
			out[it.Tag] = []any{prev, v}
		}
	}
	return out
}

// redactPAN masks, in place, a card number at the head of b and any other
// run of 12 or more digits. It reports whether it changed a byte.
func redactPAN(b []byte) bool {
	changed := false
	s := string(b)
	start := len(s) - len(strings.TrimLeft(s, " "))
	end := start
	for end < len(b) && b[end] != ' ' {
		end++
	}
	if end > start && isPANLike(s[start:end]) {
		tok := s[start:end]
		masked := pos.MaskPAN(tok)
		for i := start; i < end; i++ {
			want := byte('*')
			if len(masked) == len(tok) {
				want = masked[i-start]
			}
			if b[i] >= '0' && b[i] <= '9' && b[i] != want {
				b[i], changed = '*', true
			}
		}
	}
	rest := maskDigitRuns(string(b))
	if rest != string(b) {
		copy(b, rest)
		changed = true
	}
	return changed
}

// ParseHex reads hex as typed by a technician; see pos.ParseHex.
var ParseHex = pos.ParseHex
