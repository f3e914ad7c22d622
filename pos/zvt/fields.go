package zvt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/feepos/feepos/pos"
)

// redactedMark is what the decoder outputs for card secrets it must not
// show (track data, CVV): only that they were present.
const redactedMark = "[redacted]"

// fields is every BMP the codec knows, declared once (PA00P015 ch. 3,
// "Bitmaps", table of BMP numbers, lengths and formats). The decoder,
// the encoders and the tests all use it. A BMP missing here stops the
// decoder (its length is unknown) and the rest is kept as hex.
var fields = []Field{
	{BMP: 0x01, Name: "timeout", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("timeout")},
	{BMP: 0x02, Name: "max_status_infos", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("max_status_infos")},
	{BMP: 0x03, Name: "service_byte", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("service_byte")},
	{BMP: 0x04, Name: "amount", Len: Fixed, Size: 6, Enc: BCD, Apply: setBCDInt(func(m *pos.Message) **int64 { return &m.AmountMinor })},
	{BMP: 0x05, Name: "pump_no", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("pump_no")},
	{BMP: 0x06, Name: "tlv", Len: TLVLen, Enc: TLV, Apply: applyTLV},
	{BMP: 0x0B, Name: "trace_no", Len: Fixed, Size: 3, Enc: BCD, Apply: setBCDInt(func(m *pos.Message) **int64 { return &m.TraceNo })},
	{BMP: 0x0C, Name: "time", Len: Fixed, Size: 3, Enc: BCD, Apply: applyTime},
	{BMP: 0x0D, Name: "date", Len: Fixed, Size: 2, Enc: BCD, Apply: applyDate},
	{BMP: 0x0E, Name: "expiry", Len: Fixed, Size: 2, Enc: BCD, Apply: applyExpiry},
	{BMP: 0x17, Name: "card_seq_no", Len: Fixed, Size: 2, Enc: BCD, Apply: setBCDField("card_seq_no")},
	// 19: payment type in Authorization, status byte in the Registration
	// Completion (PA00P015 ch. 2.1 / 2.2); kinds.go renames it per kind.
	{BMP: 0x19, Name: "payment_type", Len: Fixed, Size: 1, Enc: Binary, Apply: applyPaymentType},
	{BMP: 0x22, Name: "pan", Len: LLVar, Enc: PAN, Apply: applyPAN},
	{BMP: 0x23, Name: "track_2", Len: LLVar, Enc: Redacted, Apply: setRedacted("track_2")},
	{BMP: 0x24, Name: "track_3", Len: LLLVar, Enc: Redacted, Apply: setRedacted("track_3")},
	{BMP: 0x27, Name: "result_code", Len: Fixed, Size: 1, Enc: Binary, Apply: func(d *decoder, v []byte) error {
		d.m.ResultCode = hexUpper(v)
		return nil
	}},
	{BMP: 0x29, Name: "terminal_id", Len: Fixed, Size: 4, Enc: BCD, Apply: func(d *decoder, v []byte) error {
		s, err := bcdDigits(v)
		d.m.TerminalID = s
		return err
	}},
	// 2A: VU number, 15 bytes ASCII padded with spaces. feepos outputs it
	// trimmed: the acquirer's files carry the merchant id without padding.
	{BMP: 0x2A, Name: "merchant_id", Len: Fixed, Size: 15, Enc: ASCII, Apply: func(d *decoder, v []byte) error {
		d.m.MerchantID = strings.TrimRight(latin1(v), " ")
		return nil
	}},
	{BMP: 0x2D, Name: "track_1", Len: LLVar, Enc: Redacted, Apply: setRedacted("track_1")},
	{BMP: 0x2E, Name: "sync_chip_data", Len: LLLVar, Enc: Binary, Apply: setHex("sync_chip_data")},
	{BMP: 0x37, Name: "original_trace_no", Len: Fixed, Size: 3, Enc: BCD, Apply: setBCDInt(func(m *pos.Message) **int64 { return &m.OriginalTraceNo })},
	{BMP: 0x3A, Name: "cvv", Len: Fixed, Size: 2, Enc: Redacted, Apply: setRedacted("cvv")},
	// 3B: "AID authorisation attribute", 8 bytes: the host's approval code
	// in ASCII, NUL padded.
	{BMP: 0x3B, Name: "approval_code", Len: Fixed, Size: 8, Enc: ASCII, Apply: applyApproval},
	{BMP: 0x3C, Name: "text", Len: LLLVar, Enc: ASCII, Apply: func(d *decoder, v []byte) error {
		d.m.Text = latin1(v)
		return nil
	}},
	{BMP: 0x3D, Name: "password", Len: Fixed, Size: 3, Enc: BCD, Apply: setBCDField("password")},
	{BMP: 0x49, Name: "currency", Len: Fixed, Size: 2, Enc: BCD, Apply: applyCurrency},
	{BMP: 0x60, Name: "totals", Len: LLLVar, Enc: Totals, Apply: applyTotals},
	{BMP: 0x87, Name: "receipt_no", Len: Fixed, Size: 2, Enc: BCD, Apply: setBCDInt(func(m *pos.Message) **int64 { return &m.ReceiptNo })},
	{BMP: 0x88, Name: "turnover_no", Len: Fixed, Size: 3, Enc: BCD, Apply: setBCDInt(func(m *pos.Message) **int64 { return &m.TurnoverNo })},
	{BMP: 0x8A, Name: "card_type", Len: Fixed, Size: 1, Enc: Binary, Apply: applyCardType},
	{BMP: 0x8B, Name: "card_name", Len: LLVar, Enc: ASCII, Apply: func(d *decoder, v []byte) error {
		d.m.CardName = latin1(v)
		return nil
	}},
	{BMP: 0x8C, Name: "card_type_id", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("card_type_id")},
	{BMP: 0x92, Name: "receipt_text", Len: LLLVar, Enc: ASCII, Apply: setText("receipt_text")},
	{BMP: 0x9A, Name: "geldkarte_record", Len: LLLVar, Enc: Binary, Apply: setHex("geldkarte_record")},
	{BMP: 0xA0, Name: "result_code_as", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("result_code_as")},
	// A7 and AF can hold card data (EF_ID, EF_Info): kept only as present.
	{BMP: 0xA7, Name: "chip_data", Len: LLVar, Enc: Redacted, Apply: setRedacted("chip_data")},
	{BMP: 0xAA, Name: "date_yymmdd", Len: Fixed, Size: 3, Enc: BCD, Apply: applyDateYYMMDD},
	{BMP: 0xAF, Name: "ef_info", Len: LLLVar, Enc: Redacted, Apply: setRedacted("ef_info")},
	{BMP: 0xBA, Name: "aid_parameter", Len: Fixed, Size: 5, Enc: Binary, Apply: setHex("aid_parameter")},
	{BMP: 0xD0, Name: "algorithm_key", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("algorithm_key")},
	{BMP: 0xD1, Name: "card_offset_pin_data", Len: LLVar, Enc: Redacted, Apply: setRedacted("card_offset_pin_data")},
	{BMP: 0xD2, Name: "card_output_direction", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("card_output_direction")},
	{BMP: 0xD3, Name: "dukpt_key_id", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("dukpt_key_id")},
	{BMP: 0xE0, Name: "input_min_length", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("input_min_length")},
	{BMP: 0xE1, Name: "text2_line1", Len: LLVar, Enc: ASCII, Apply: setText("text2_line1")},
	{BMP: 0xE2, Name: "text2_line2", Len: LLVar, Enc: ASCII, Apply: setText("text2_line2")},
	{BMP: 0xE3, Name: "text2_line3", Len: LLVar, Enc: ASCII, Apply: setText("text2_line3")},
	{BMP: 0xE4, Name: "text2_line4", Len: LLVar, Enc: ASCII, Apply: setText("text2_line4")},
	{BMP: 0xE5, Name: "text2_line5", Len: LLVar, Enc: ASCII, Apply: setText("text2_line5")},
	{BMP: 0xE6, Name: "text2_line6", Len: LLVar, Enc: ASCII, Apply: setText("text2_line6")},
	{BMP: 0xE7, Name: "text2_line7", Len: LLVar, Enc: ASCII, Apply: setText("text2_line7")},
	{BMP: 0xE8, Name: "text2_line8", Len: LLVar, Enc: ASCII, Apply: setText("text2_line8")},
	{BMP: 0xE9, Name: "input_max_length", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("input_max_length")},
	{BMP: 0xEA, Name: "echo_input", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("echo_input")},
	{BMP: 0xEB, Name: "mac", Len: Fixed, Size: 8, Enc: Binary, Apply: setHex("mac")},
	{BMP: 0xF0, Name: "display_duration", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("display_duration")},
	{BMP: 0xF1, Name: "text1_line1", Len: LLVar, Enc: ASCII, Apply: setText("text1_line1")},
	{BMP: 0xF2, Name: "text1_line2", Len: LLVar, Enc: ASCII, Apply: setText("text1_line2")},
	{BMP: 0xF3, Name: "text1_line3", Len: LLVar, Enc: ASCII, Apply: setText("text1_line3")},
	{BMP: 0xF4, Name: "text1_line4", Len: LLVar, Enc: ASCII, Apply: setText("text1_line4")},
	{BMP: 0xF5, Name: "text1_line5", Len: LLVar, Enc: ASCII, Apply: setText("text1_line5")},
	{BMP: 0xF6, Name: "text1_line6", Len: LLVar, Enc: ASCII, Apply: setText("text1_line6")},
	{BMP: 0xF7, Name: "text1_line7", Len: LLVar, Enc: ASCII, Apply: setText("text1_line7")},
	{BMP: 0xF8, Name: "text1_line8", Len: LLVar, Enc: ASCII, Apply: setText("text1_line8")},
	{BMP: 0xF9, Name: "beep_tones", Len: Fixed, Size: 1, Enc: Binary, Apply: setByteInt("beep_tones")},
	{BMP: 0xFA, Name: "card_reader_activation", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("card_reader_activation")},
	{BMP: 0xFB, Name: "confirm_input", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("confirm_input")},
	{BMP: 0xFC, Name: "dialog_control", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("dialog_control")},
	{BMP: 0xFD, Name: "display_device", Len: Fixed, Size: 1, Enc: Binary, Apply: setHex("display_device")},
}

// fieldByBMP indexes fields; init refuses a BMP declared twice.
var fieldByBMP = func() map[byte]*Field {
	m := make(map[byte]*Field, len(fields))
	for i := range fields {
		f := &fields[i]
		if _, dup := m[f.BMP]; dup {
			panic(fmt.Sprintf("zvt: BMP %02X declared twice", f.BMP))
		}
		m[f.BMP] = f
	}
	return m
}()

// Card types of BMP 8A (PA00P015 ch. 11, "ZVT card-type IDs"): the few a
// Vietnamese acquirer sends; others show their number only.
var cardTypeNames = map[byte]string{
	5: "girocard", 6: "Mastercard", 8: "American Express", 10: "VISA", 11: "VISA Electron",
	12: "Diners", 13: "V PAY", 14: "JCB", 46: "Maestro", 198: "UnionPay", 232: "Discover",
}

func setHex(name string) func(*decoder, []byte) error {
	return func(d *decoder, v []byte) error { d.set(name, hexUpper(v)); return nil }
}

func setByteInt(name string) func(*decoder, []byte) error {
	return func(d *decoder, v []byte) error { d.set(name, int(v[0])); return nil }
}

func setText(name string) func(*decoder, []byte) error {
	return func(d *decoder, v []byte) error { d.set(name, latin1(v)); return nil }
}

func setRedacted(name string) func(*decoder, []byte) error {
	return func(d *decoder, _ []byte) error { d.set(name, redactedMark); return nil }
}

func setBCDField(name string) func(*decoder, []byte) error {
	return func(d *decoder, v []byte) error {
		s, err := bcdDigits(v)
		if err != nil {
			return err
		}
		d.set(name, s)
		return nil
	}
}

func setBCDInt(target func(*pos.Message) **int64) func(*decoder, []byte) error {
	return func(d *decoder, v []byte) error {
		n, err := bcdInt(v)
		if err != nil {
			return err
		}
		*target(d.m) = &n
		return nil
	}
}

func applyTime(d *decoder, v []byte) error {
	s, err := bcdDigits(v)
	if err != nil {
		return err
	}
	d.m.Time = s[0:2] + ":" + s[2:4] + ":" + s[4:6]
	return nil
}

// applyDate: BMP 0D is MMDD without a year; the caller resolves the year
// against the local clock (docs/ARCHITECTURE.md, "Money and time").
func applyDate(d *decoder, v []byte) error {
	s, err := bcdDigits(v)
	if err != nil {
		return err
	}
	d.m.Date = s[0:2] + "-" + s[2:4]
	return nil
}

func applyDateYYMMDD(d *decoder, v []byte) error {
	s, err := bcdDigits(v)
	if err != nil {
		return err
	}
	d.set("date_yymmdd", s)
	if d.m.Date == "" {
		d.m.Date = s[2:4] + "-" + s[4:6]
	}
	return nil
}

func applyExpiry(d *decoder, v []byte) error {
	s, err := bcdDigits(v)
	if err != nil {
		return err
	}
	d.m.Expiry = s
	return nil
}

func applyCurrency(d *decoder, v []byte) error {
	n, err := bcdInt(v)
	if err != nil {
		return err
	}
	d.m.Currency = fmt.Sprintf("%03d", n)
	return nil
}

func applyPaymentType(d *decoder, v []byte) error {
	d.m.PaymentType = hexUpper(v)
	return nil
}

func applyCardType(d *decoder, v []byte) error {
	d.m.CardType = strconv.Itoa(int(v[0]))
	if name, ok := cardTypeNames[v[0]]; ok {
		d.set("card_type_name", name)
	}
	return nil
}

func applyApproval(d *decoder, v []byte) error {
	s := strings.TrimRight(latin1(v), " \x00")
	for _, r := range s {
		if r < 0x20 || r > 0x7E {
			s = hexUpper(v) // not text: show the bytes
			break
		}
	}
	d.m.ApprovalCode = s
	return nil
}

// applyPAN reads BMP 22 (PAN / EF_ID): BCD digits, 'E' for a digit the
// terminal masked, 'F' as padding of an odd count (PA00P015 ch. 3, BMP
// 22). Whatever the terminal sent, only pos.MaskPAN's output leaves here.
func applyPAN(d *decoder, v []byte) error {
	var s strings.Builder
	for _, c := range v {
		for _, nib := range [2]byte{c >> 4, c & 0x0F} {
			switch {
			case nib <= 9:
				s.WriteByte('0' + nib)
			case nib == 0x0E:
				s.WriteByte('*')
			}
		}
	}
	d.m.PANMasked = pos.MaskPAN(s.String())
	return nil
}

// panToBCD is applyPAN backwards for the simulator: '*' (or 'E') becomes
// an E nibble, an odd count is padded with F.
func panToBCD(masked string) []byte {
	masked = pos.MaskPAN(masked) // even a full number goes out masked
	var nibs []byte
	for i := 0; i < len(masked); i++ {
		switch c := masked[i]; {
		case c >= '0' && c <= '9':
			nibs = append(nibs, c-'0')
		case c == '*':
			nibs = append(nibs, 0x0E)
		}
	}
	if len(nibs)%2 == 1 {
		nibs = append(nibs, 0x0F)
	}
	out := make([]byte, len(nibs)/2)
	for i := range out {
		out[i] = nibs[2*i]<<4 | nibs[2*i+1]
	}
	return out
}
