package zvt

import "fmt"

// Direction of a message.
const (
	ECRToPT = "ecr_to_pt"
	PTToECR = "pt_to_ecr"
)

// Lead is a field a message carries before its BMPs, without a BMP byte
// (PA00P015 ch. 2, each command's APDU layout).
type Lead struct {
	Name     string
	Optional bool // absent when the data ends before it
	// Read decodes the lead field at the start of data and says how many
	// bytes it took.
	Read func(d *decoder, data []byte) (int, error)
}

// Kind declares one message: control field, name, direction, lead fields,
// and whether BMPs follow. When, if set, picks between two layouts of one
// control field.
type Kind struct {
	Class, Instr byte
	Name         string
	Direction    string
	Lead         []Lead
	BMPs         bool
	When         func(data []byte) bool
	After        func(d *decoder) // per-kind renames after decoding
}

var (
	leadPassword = Lead{Name: "password", Read: readBCD("password", 3)}
	optPassword  = Lead{Name: "password", Optional: true, Read: readBCD("password", 3)}
)

// kinds is every message the codec names (PA00P015 ch. 2 ECR→PT commands,
// ch. 3 PT→ECR commands). Lookup takes the first entry whose control field
// matches and whose When accepts the data.
var kinds = []Kind{
	// Registration: <password 3 BCD> <config-byte> [<currency 2 BCD, no
	// BMP byte>] [03 <service-byte>] [06 <TLV>] (PA00P015 ch. 2.1).
	{Class: 0x06, Instr: 0x00, Name: "registration", Direction: ECRToPT, BMPs: true, Lead: []Lead{
		leadPassword,
		{Name: "config_byte", Read: readHexByte("config_byte")},
		{Name: "currency", Optional: true, Read: readRegistrationCurrency},
	}},
	// Authorization: BMPs only, 04 amount mandatory (PA00P015 ch. 2.2).
	{Class: 0x06, Instr: 0x01, Name: "authorization", Direction: ECRToPT, BMPs: true},
	{Class: 0x06, Instr: 0x02, Name: "log_off", Direction: ECRToPT, BMPs: true, Lead: []Lead{optPassword}},
	// Send Turnover Totals, Repeat Receipt, Reversal, Refund, End-of-Day:
	// <password> then BMPs (PA00P015 ch. 2).
	{Class: 0x06, Instr: 0x10, Name: "send_turnover_totals", Direction: ECRToPT, BMPs: true, Lead: []Lead{leadPassword}},
	{Class: 0x06, Instr: 0x20, Name: "repeat_receipt", Direction: ECRToPT, BMPs: true, Lead: []Lead{leadPassword}},
	{Class: 0x06, Instr: 0x30, Name: "reversal", Direction: ECRToPT, BMPs: true, Lead: []Lead{leadPassword}},
	{Class: 0x06, Instr: 0x31, Name: "refund", Direction: ECRToPT, BMPs: true, Lead: []Lead{leadPassword}},
	{Class: 0x06, Instr: 0x50, Name: "end_of_day", Direction: ECRToPT, BMPs: true, Lead: []Lead{leadPassword}},
	// Abort from the ECR: no data (PA00P015 ch. 2, "Abort 06 B0").
	{Class: 0x06, Instr: 0xB0, Name: "abort_request", Direction: ECRToPT, BMPs: true},
	// Status Enquiry: [<password> [03 <service-byte>] [06 <TLV>]].
	{Class: 0x05, Instr: 0x01, Name: "status_enquiry", Direction: ECRToPT, BMPs: true, Lead: []Lead{optPassword}},

	// Completion answering Status Enquiry: <software version LLLVAR>
	// <terminal status 1 byte> [06 <TLV>] — told apart from the BMP form
	// by its leading F x F y F z length (no PT→ECR BMP starts with F0–F9).
	{Class: 0x06, Instr: 0x0F, Name: "completion", Direction: PTToECR, BMPs: true, When: startsWithLLL, Lead: []Lead{
		{Name: "software_version", Read: readLLLText("software_version")},
		{Name: "terminal_status", Read: readHexByte("terminal_status")},
	}},
	// Completion otherwise: BMPs; 19 is the status byte here.
	{Class: 0x06, Instr: 0x0F, Name: "completion", Direction: PTToECR, BMPs: true, After: paymentTypeIsStatusByte},
	// Abort from the PT: <result-code> [06 <TLV>] (PA00P015 ch. 3).
	{Class: 0x06, Instr: 0x1E, Name: "abort", Direction: PTToECR, BMPs: true, Lead: []Lead{
		{Name: "result_code", Optional: true, Read: readResultCode},
	}},
	// Print Line: <attribute> <text> (PA00P015 ch. 3, 06 D1).
	{Class: 0x06, Instr: 0xD1, Name: "print_line", Direction: PTToECR, Lead: []Lead{
		{Name: "attribute", Read: readHexByte("attribute")},
		{Name: "text", Optional: true, Read: readRestText},
	}},
	// Print Text-Block: 06 <TLV> with the lines (tag 25).
	{Class: 0x06, Instr: 0xD3, Name: "print_text_block", Direction: PTToECR, BMPs: true},
	{Class: 0x04, Instr: 0x0F, Name: "status_information", Direction: PTToECR, BMPs: true},
	// Intermediate Status: <status> then optional BMPs.
	{Class: 0x04, Instr: 0xFF, Name: "intermediate_status", Direction: PTToECR, BMPs: true, Lead: []Lead{
		{Name: "intermediate_status", Read: readHexByte("intermediate_status")},
	}},
}

func findKind(class, instr byte, data []byte) *Kind {
	for i := range kinds {
		k := &kinds[i]
		if k.Class == class && k.Instr == instr && (k.When == nil || k.When(data)) {
			return k
		}
	}
	return nil
}

func startsWithLLL(data []byte) bool {
	if len(data) < 3 {
		return false
	}
	for _, c := range data[:3] {
		if c&0xF0 != 0xF0 || c&0x0F > 9 {
			return false
		}
	}
	return true
}

func paymentTypeIsStatusByte(d *decoder) {
	if d.m.PaymentType != "" {
		d.set("status_byte", d.m.PaymentType)
		d.m.PaymentType = ""
	}
}

func readBCD(name string, size int) func(*decoder, []byte) (int, error) {
	return func(d *decoder, data []byte) (int, error) {
		if len(data) < size {
			return 0, fmt.Errorf("%s: needs %d bytes, %d left", name, size, len(data))
		}
		s, err := bcdDigits(data[:size])
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		d.set(name, s)
		return size, nil
	}
}

func readHexByte(name string) func(*decoder, []byte) (int, error) {
	return func(d *decoder, data []byte) (int, error) {
		if len(data) < 1 {
			return 0, fmt.Errorf("%s: missing", name)
		}
		d.set(name, hexUpper(data[:1]))
		return 1, nil
	}
}

func readResultCode(d *decoder, data []byte) (int, error) {
	d.m.ResultCode = hexUpper(data[:1])
	return 1, nil
}

func readRestText(d *decoder, data []byte) (int, error) {
	d.m.Text = latin1(data)
	return len(data), nil
}

func readLLLText(name string) func(*decoder, []byte) (int, error) {
	return func(d *decoder, data []byte) (int, error) {
		f := Field{BMP: 0, Name: name, Len: LLLVar}
		s, e, err := f.valueBounds(data)
		if err != nil {
			return 0, err
		}
		d.set(name, latin1(data[s:e]))
		return e, nil
	}
}

// readRegistrationCurrency takes the optional currency code that follows
// the config byte without a BMP byte. It is there unless what follows
// parses cleanly as the optional BMPs 03 / 06 of Registration.
func readRegistrationCurrency(d *decoder, data []byte) (int, error) {
	if (data[0] == 0x03 || data[0] == 0x06) && bmpsParseCleanly(data) {
		return 0, nil
	}
	if len(data) < 2 {
		return 0, fmt.Errorf("currency: needs 2 bytes, %d left", len(data))
	}
	if err := applyCurrency(d, data[:2]); err != nil {
		return 0, fmt.Errorf("currency: %w", err)
	}
	return 2, nil
}

func bmpsParseCleanly(data []byte) bool {
	for i := 0; i < len(data); {
		f, ok := fieldByBMP[data[i]]
		if !ok {
			return false
		}
		_, e, err := f.valueBounds(data[i+1:])
		if err != nil {
			return false
		}
		i += 1 + e
	}
	return true
}
