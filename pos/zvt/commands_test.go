package zvt

import (
	"testing"

	"github.com/feepos/feepos/pos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func b8(b byte) *byte { return &b }

func must(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		require.NoError(t, err)
		return b
	}
}

func TestEncodersGiveVectorBytes(t *testing.T) {
	v := vectors(t)
	m := must(t)
	unframe := func(id string) []byte {
		a, err := UnwrapFrame(v[id])
		require.NoError(t, err)
		return a
	}
	for _, tc := range []struct {
		id   string
		got  []byte
		want []byte
	}{
		{"C1", m(Authorization(AuthorizationRequest{Amount: 1000})), v["C1"]},
		{"C2", m(Authorization(AuthorizationRequest{Amount: 1000, Currency: 978, PaymentType: b8(0x44), MaxStatusInfos: b8(1)})), v["C2"]},
		{"C3", m(Registration("123456", 0xDE, 978)), v["C3"]},
		{"C4", m(Completion(CompletionInfo{StatusByte: b8(0x10), TerminalID: "52523535", Currency: 978})), v["C4"]},
		{"C5", m(EndOfDay("123456")), v["C5"]},
		{"C6", IntermediateStatus(0x17), v["C6"]},
		{"C16", Abort(0x64), v["C16"]},
		{"C18", m(StatusInformation(StatusInfo{ResultCode: 0x00})), v["C18"]},
		{"C19", Nack(0x9C), v["C19"]}, // the ECR's "more time" to a held result
		{"C20", Nack(0x66), v["C20"]}, // the ECR's "do not book it"
		{"A1", m(StatusEnquiry("123456")), unframe("A1")},
		{"A2", Ack(), unframe("A2")},
		{"A3", m(StatusCompletion("061022a M IC_ Std", 0x00)), unframe("A3")},
		{"A4", m(StatusCompletion("2.14.15", 0x00)), unframe("A4")},
		{"B6", m(Authorization(AuthorizationRequest{Amount: 150000, Currency: pos.CurrencyVND})), unframe("B6")},
		{"B7", m(RepeatReceipt("000000", 0x01)), unframe("B7")},
		{"C7", m(StatusInformation(StatusInfo{
			ResultCode: 0x00, Amount: i64(2500), Currency: 978, Time: "22:55:58", Date: "04-05",
			PANMasked: "559883******8074", ReceiptNo: i64(231), ApprovalCode: "750071", TraceNo: i64(975),
			PaymentType: b8(0x60), TerminalID: "52523535", Expiry: "2405", CardType: b8(6), CardTypeID: b8(1),
			CardName: "MasterCard\x00", MerchantID: "804011926",
		})), v["C7"]},
		{"C8", m(EndOfDayStatus(EndOfDayInfo{
			Total: 958, TraceNo: 982, Date: "04-06", Time: "08:17:06",
			Totals: EODTotals{FirstReceipt: 233, LastReceipt: 234, Brands: []pos.BrandTotal{{Brand: "Eurocard", Count: 2, Amount: 958}}},
		})), v["C8"]},
	} {
		assert.Equal(t, hexUpper(tc.want), hexUpper(tc.got), tc.id)
	}
	// B5: the serial frame of C1, with the amount's 0x10 stuffed.
	assert.Equal(t, v["B5"], EncodeFrame(m(Authorization(AuthorizationRequest{Amount: 1000}))))
	assert.Equal(t, v["B6"], EncodeFrame(m(Authorization(AuthorizationRequest{Amount: 150000, Currency: 704}))))
	assert.Equal(t, v["B7"], EncodeFrame(m(RepeatReceipt("000000", 0x01))))
}

func TestEncodersOther(t *testing.T) {
	m := must(t)
	assert.Equal(t, []byte{0x06, 0x30, 0x06, 0, 0, 0, 0x87, 0x02, 0x31},
		m(Reversal("000000", 231, nil)))
	assert.Equal(t, []byte{0x06, 0x30, 0x0D, 0, 0, 0, 0x87, 0x02, 0x31, 0x04, 0, 0, 0, 0x15, 0, 0},
		m(Reversal("000000", 231, i64(150000))))
	assert.Equal(t, []byte{0x06, 0x31, 0x0D, 0, 0, 0, 0x04, 0, 0, 0, 0x15, 0, 0, 0x49, 0x07, 0x04},
		m(Refund("000000", 150000, 704)))
	assert.Equal(t, []byte{0x06, 0x10, 0x03, 0, 0, 0}, m(SendTurnoverTotals("000000")))
	assert.Equal(t, []byte{0x06, 0xB0, 0x00}, AbortRequest())
	assert.Equal(t, []byte{0x84, 0x9C, 0x00}, Nack(0x9C))

	for name, f := range map[string]func() ([]byte, error){
		"short password":    func() ([]byte, error) { return EndOfDay("123") },
		"letters":           func() ([]byte, error) { return EndOfDay("12345a") },
		"negative amount":   func() ([]byte, error) { return Authorization(AuthorizationRequest{Amount: -1}) },
		"amount too big":    func() ([]byte, error) { return Authorization(AuthorizationRequest{Amount: 1e12}) },
		"bad currency":      func() ([]byte, error) { return Authorization(AuthorizationRequest{Amount: 1, Currency: 1000}) },
		"merchant too long": func() ([]byte, error) { return StatusInformation(StatusInfo{MerchantID: "0123456789ABCDEF"}) },
		"unknown brand": func() ([]byte, error) {
			return EndOfDayStatus(EndOfDayInfo{Totals: EODTotals{Brands: []pos.BrandTotal{{Brand: "Napas"}}}})
		},
	} {
		_, err := f()
		assert.Error(t, err, name)
	}
}

// TestEncodeDecodeRoundTrip: what the simulator sends, the driver reads.
func TestEncodeDecodeRoundTrip(t *testing.T) {
	m := must(t)
	apdu := m(StatusInformation(StatusInfo{
		ResultCode: 0x00, Amount: i64(150000), Currency: 704, PANMasked: "4111111111111111",
		TraceNo: i64(12), ReceiptNo: i64(7), ApprovalCode: "A1B2C3", TerminalID: "12345678",
		CardName: "VISA", Text: "Giao dịch thành công", // ị is not Latin-1: sent as '?'
		TLV: []TLVObject{{Tag: TagLongTraceNo, Value: []byte{0x00, 0x00, 0x01, 0x23}}},
	}))
	got, err := Decode(apdu)
	require.NoError(t, err)
	assert.Equal(t, "411111******1111", got.PANMasked)
	assert.Equal(t, int64(150000), *got.AmountMinor)
	assert.Equal(t, "704", got.Currency)
	assert.Equal(t, "A1B2C3", got.ApprovalCode)
	assert.Equal(t, "Giao d?ch thành công", got.Text)
	assert.Equal(t, int64(123), got.Fields["long_trace_no"])
}
