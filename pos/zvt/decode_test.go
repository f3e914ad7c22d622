package zvt

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/feepos/feepos/pos"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func i64(n int64) *int64 { return &n }

// TestDecodeVectors checks every VERBATIM vector of ECR-VECTORS.md
// sections A and C against the fields written there.
func TestDecodeVectors(t *testing.T) {
	v := vectors(t)
	for _, tc := range []struct {
		id   string
		want pos.Message // Protocol and Raw are filled in by the test
	}{
		{"A1", pos.Message{Kind: "status_enquiry", Direction: ECRToPT,
			Fields: map[string]any{"password": "123456", "framed": true}}},
		{"A2", pos.Message{Kind: "ack", Fields: map[string]any{"framed": true}}},
		{"A3", pos.Message{Kind: "completion", Direction: PTToECR,
			Fields: map[string]any{"software_version": "061022a M IC_ Std", "terminal_status": "00", "framed": true}}},
		{"A4", pos.Message{Kind: "completion", Direction: PTToECR,
			Fields: map[string]any{"software_version": "2.14.15", "terminal_status": "00", "framed": true}}},
		{"C1", pos.Message{Kind: "authorization", Direction: ECRToPT, AmountMinor: i64(1000)}},
		{"C2", pos.Message{Kind: "authorization", Direction: ECRToPT, AmountMinor: i64(1000),
			Currency: "978", PaymentType: "44", Fields: map[string]any{"max_status_infos": 1}}},
		{"C3", pos.Message{Kind: "registration", Direction: ECRToPT, Currency: "978",
			Fields: map[string]any{"password": "123456", "config_byte": "DE"}}},
		{"C4", pos.Message{Kind: "completion", Direction: PTToECR, TerminalID: "52523535", Currency: "978",
			Fields: map[string]any{"status_byte": "10"}}},
		{"C5", pos.Message{Kind: "end_of_day", Direction: ECRToPT, Fields: map[string]any{"password": "123456"}}},
		{"C6", pos.Message{Kind: "intermediate_status", Direction: PTToECR,
			Fields: map[string]any{"intermediate_status": "17"}}},
		{"C7", pos.Message{Kind: "status_information", Direction: PTToECR,
			ResultCode: "00", AmountMinor: i64(2500), Currency: "978", Time: "22:55:58", Date: "04-05",
			PANMasked: "559883******8074", ReceiptNo: i64(231), ApprovalCode: "750071", TraceNo: i64(975),
			PaymentType: "60", TerminalID: "52523535", Expiry: "2405", CardType: "6", CardName: "MasterCard",
			MerchantID: "804011926",
			Fields:     map[string]any{"card_type_id": 1, "card_type_name": "Mastercard"}}},
		{"C8", pos.Message{Kind: "status_information", Direction: PTToECR,
			ResultCode: "00", AmountMinor: i64(958), TraceNo: i64(982), Date: "04-06", Time: "08:17:06",
			Totals: []pos.BrandTotal{
				{Brand: "girocard"}, {Brand: "JCB"}, {Brand: "Eurocard", Count: 2, Amount: 958},
				{Brand: "Amex"}, {Brand: "VISA"}, {Brand: "Diners"}, {Brand: "others"},
			},
			Fields: map[string]any{"first_receipt": int64(233), "last_receipt": int64(234)}}},
		{"C12", pos.Message{Kind: "status_information", Direction: PTToECR,
			ResultCode: "05", TerminalID: "29000274", Text: "Abgelehnt", CardType: "6",
			TLV:    map[string]any{"24": map[string]any{"07": "416267656C65686E74"}},
			Fields: map[string]any{"card_type_name": "Mastercard", "text_lines": []string{"Abgelehnt"}}}},
		{"C13", pos.Message{Kind: "status_information", Direction: PTToECR,
			ResultCode: "6C", TerminalID: "28004869", Text: "Abbruch durch Kunde"}},
		{"C16", pos.Message{Kind: "abort", Direction: PTToECR, ResultCode: "64"}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			in := v[tc.id]
			require.NotEmpty(t, in)
			got, err := DecodeAny(in)
			require.NoError(t, err)
			want := tc.want
			want.Protocol = pos.ZVT
			want.Raw = got.Raw
			assert.Equal(t, want, got)
			if tc.id[0] == 'C' {
				assert.Equal(t, hexUpper(in), got.Raw, "raw is the APDU (nothing to redact here)")
			}
			_, err = json.Marshal(got)
			require.NoError(t, err)
		})
	}
}

func TestDecodeNack(t *testing.T) {
	m, err := Decode(Nack(0x83))
	require.NoError(t, err)
	assert.Equal(t, "nack", m.Kind)
	assert.Equal(t, "83", m.ResultCode)
}

func TestDecodeUnknownBMPKeepsRest(t *testing.T) {
	// 27 00, then BMP 2F (not declared), then bytes that cannot be found.
	m, err := Decode([]byte{0x04, 0x0F, 0x06, 0x27, 0x00, 0x2F, 0x01, 0x02, 0x03})
	require.NoError(t, err)
	assert.Equal(t, "00", m.ResultCode)
	assert.Equal(t, map[string]string{"2F": "010203"}, m.Unknown)
	assert.NotEmpty(t, m.Fields["warnings"])
}

func TestDecodeTruncatedField(t *testing.T) {
	// BMP 04 needs 6 bytes, only 2 are left.
	m, err := Decode([]byte{0x06, 0x01, 0x03, 0x04, 0x00, 0x10})
	require.NoError(t, err)
	assert.Nil(t, m.AmountMinor)
	assert.Equal(t, map[string]string{"04": "0010"}, m.Unknown)
}

func TestDecodeRedactsCardSecrets(t *testing.T) {
	// A PAN sent in full (16 digits), track 2 and a CVV: none may come out.
	b := newMessage(0x04, 0x0F).
		field(0x22, []byte{0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}).
		field(0x23, []byte{0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0xD2, 0x51}).
		field(0x3A, []byte{0x12, 0x3F})
	apdu, err := b.done()
	require.NoError(t, err)
	m, err := Decode(apdu)
	require.NoError(t, err)
	assert.Equal(t, "411111******1111", m.PANMasked)
	assert.Equal(t, redactedMark, m.Fields["track_2"])
	assert.Equal(t, redactedMark, m.Fields["cvv"])
	assert.Equal(t, "040F1B22F0F8411111EEEEEE111123F1F0"+strings.Repeat("**", 10)+"3A****", m.Raw)
	assert.NotContains(t, m.Raw, "4111111111111111")
}

func TestDecodeTruncatedTrackIsRedacted(t *testing.T) {
	// Track 2 says 16 bytes, 3 are there: the rest must not leak as hex.
	m, err := Decode([]byte{0x04, 0x0F, 0x06, 0x23, 0xF1, 0xF6, 0x41, 0x11, 0x11})
	require.NoError(t, err)
	assert.Empty(t, m.Unknown)
	assert.Equal(t, redactedMark, m.Fields["track_2"])
	assert.NotContains(t, m.Raw, "411111")
}

func TestDecodeRegistrationWithoutCurrency(t *testing.T) {
	m, err := Decode([]byte{0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0x8E, 0x03, 0x01})
	require.NoError(t, err)
	assert.Empty(t, m.Currency)
	assert.Equal(t, "01", m.Fields["service_byte"])
	assert.Equal(t, "8E", m.Fields["config_byte"])
}

func TestDecodeUnknownCommand(t *testing.T) {
	m, err := Decode([]byte{0x08, 0x20, 0x01, 0xAA})
	require.NoError(t, err)
	assert.Equal(t, "unknown", m.Kind)
	assert.Equal(t, "0820", m.Fields["command"])
	assert.Equal(t, "AA", m.Unknown["data"])
}

func TestDecodePrintLine(t *testing.T) {
	apdu, err := PrintLine(0x00, "Betrag EUR 10,00")
	require.NoError(t, err)
	m, err := Decode(apdu)
	require.NoError(t, err)
	assert.Equal(t, "print_line", m.Kind)
	assert.Equal(t, "Betrag EUR 10,00", m.Text)
	assert.Equal(t, "00", m.Fields["attribute"])
}

// A frame or APDU that cannot be decoded shows its raw hex with every run
// of BCD digits long enough to be a card number hidden: with a bad CRC or
// a broken header, nothing says where the PAN or track 2 sits.
func TestInvalidInputHidesDigitRuns(t *testing.T) {
	b := newMessage(0x04, 0x0F).
		field(0x22, []byte{0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}).
		field(0x23, []byte{0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0xD2, 0x51})
	apdu, err := b.done()
	require.NoError(t, err)
	frame := EncodeFrame(apdu)
	frame[len(frame)-1] ^= 0xFF // bad CRC
	m, err := DecodeFrame(frame)
	require.Error(t, err)
	assert.Equal(t, "invalid", m.Kind)
	assert.NotContains(t, m.Raw, "411111")
	assert.Len(t, m.Raw, 2*len(frame), "every byte is shown, as hex or **")

	cut := apdu[:len(apdu)-3] // the length byte says more than there is
	cut[2] = 0xFF
	m, err = Decode(cut)
	require.Error(t, err)
	assert.NotContains(t, m.Raw, "411111")

	assert.Equal(t, "AA"+strings.Repeat("**", 6)+"BB1234CC", maskDigitRuns([]byte{0xAA, 0x41, 0x11, 0x11, 0x11, 0x11, 0x1F, 0xBB, 0x12, 0x34, 0xCC}),
		"six digit-like bytes hidden, two shown")
}
