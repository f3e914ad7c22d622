package concert

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
)

func i64(v int64) *int64 { return &v }

func TestDecodeEPlus(t *testing.T) {
	v := loadVectors(t)
	for _, tc := range []struct {
		id, kind, dir, currency, result, priv, outcome string
		amount                                         int64
	}{
		{"D1", KindPaymentRequest, "ecr_to_pt", "978", "", "", "", 1250},
		{"D2", KindPaymentRequest, "ecr_to_pt", "978", "", "", "", 1242},
		{"D3", KindPaymentAnswer, "pt_to_ecr", "978", "0", "0000000000", "approved", 1250},
		{"D4", KindPaymentAnswer, "pt_to_ecr", "978", "7", "0000000000", "declined", 1250},
		{"D5", KindPaymentRequest, "ecr_to_pt", "704", "", "HS00012345", "", 150000},
	} {
		t.Run(tc.id, func(t *testing.T) {
			frame := v[tc.id]
			for _, in := range [][]byte{frame, frame[1 : len(frame)-2]} { // framed and bare
				m, err := Decode(in)
				require.NoError(t, err)
				assert.Equal(t, pos.Concert, m.Protocol)
				assert.Equal(t, tc.kind, m.Kind)
				assert.Equal(t, tc.dir, m.Direction)
				assert.Equal(t, hex.EncodeToString(in), m.Raw)
				assert.Equal(t, i64(tc.amount), m.AmountMinor)
				assert.Equal(t, tc.currency, m.Currency)
				assert.Equal(t, tc.result, m.ResultCode)
				assert.Equal(t, tc.priv, m.Fields["priv"])
				assert.Equal(t, "01", m.Fields["pos_number"])
				assert.Equal(t, "1", m.Fields["mode"])
				assert.Equal(t, "card", m.PaymentType)
				if tc.outcome != "" {
					assert.Equal(t, tc.outcome, m.Fields["outcome"])
				}
			}
		})
	}
}

func TestDecodeControl(t *testing.T) {
	for b, kind := range map[byte]string{ENQ: "enq", ACK: "ack", NAK: "nak", EOT: "eot"} {
		m, err := Decode([]byte{b})
		require.NoError(t, err)
		assert.Equal(t, kind, m.Kind)
		assert.Equal(t, hex.EncodeToString([]byte{b}), m.Raw)
	}
	_, err := Decode([]byte{0x41})
	assert.ErrorIs(t, err, ErrUnrecognised)
	_, err = Decode(nil)
	assert.ErrorIs(t, err, ErrUnrecognised)
}

func TestDecodeBadLRCStillDecodes(t *testing.T) {
	bad := append([]byte(nil), loadVectors(t)["D4"]...)
	bad[len(bad)-1] = 0
	m, err := Decode(bad)
	assert.ErrorIs(t, err, ErrBadLRC)
	assert.Equal(t, KindPaymentAnswer, m.Kind)
	assert.Equal(t, "7", m.ResultCode)
}

func TestDecodeTLVMessages(t *testing.T) {
	v := loadVectors(t)
	m, err := Decode(v["E6"])
	require.NoError(t, err)
	assert.Equal(t, KindTLVRequest, m.Kind)
	assert.Equal(t, "ecr_to_pt", m.Direction)
	assert.Equal(t, i64(11245), m.AmountMinor)
	assert.Equal(t, "978", m.Currency)
	assert.Equal(t, "01", m.Fields["pos_number"])
	assert.Equal(t, "0", m.Fields["action"])
	assert.Equal(t, map[string]any{"CZ": "0300", "CJ": "012345678901", "CA": "01", "CE": "978",
		"BA": "0", "CD": "0", "CB": "11245"}, m.TLV)

	// An answer as the akretion simulator builds it on success, over the
	// serial framing, with a full PAN where the terminal should have sent a
	// partial one: it must come out masked, in the fields and in raw.
	answer := "CZ0040320CA00201CB0042500CD0010CE003978AE00210CC003001CI0011AC006A00395" +
		"AA0164111111111111111AI014A0000000041010AB0042612CF0101010000000CG006424242" +
		"ZT022CK003100AK004QUJDRF000FQ003xyz"
	m, err = Decode(Frame([]byte(answer)))
	require.NoError(t, err)
	assert.Equal(t, KindTLVAnswer, m.Kind)
	assert.Equal(t, "pt_to_ecr", m.Direction)
	assert.Equal(t, "10", m.ResultCode)
	assert.Equal(t, "approved", m.Fields["outcome"])
	assert.Equal(t, i64(2500), m.AmountMinor)
	assert.Equal(t, "A00395", m.ApprovalCode)
	assert.Equal(t, "411111******1111", m.PANMasked)
	assert.Equal(t, "411111******1111", m.TLV["AA"])
	assert.Equal(t, "2612", m.Expiry)
	assert.Equal(t, "001", m.CardType)
	assert.Equal(t, "424242", m.MerchantID)
	assert.Equal(t, "1", m.Fields["entry_mode"])
	assert.Equal(t, "A0000000041010", m.Fields["aid"])
	assert.Equal(t, "xyz", m.TLV["FQ"], "unknown tags kept")
	assert.Equal(t, map[string]any{"CK": "100", "AK": "QUJD", "RF": ""}, m.TLV["ZT"])
	assert.Equal(t, true, m.Fields["raw_redacted"])
	raw, err := hex.DecodeString(m.Raw)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "4111111111111111")
	assert.Contains(t, string(raw), "AA016411111******1111")

	js, err := json.Marshal(m)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "4111111111111111")
}

func TestDecodeLongAnswerRedactsRaw(t *testing.T) {
	a := PaymentAnswer{POSNumber: "01", Status: '0', Amount: 150000, Mode: '1', Currency: "704",
		Priv: "HS00012345", Long: true, PANMasked: "5598831234568074"}
	text, err := a.Text()
	require.NoError(t, err)
	m, err := Decode(Frame(text))
	require.NoError(t, err)
	assert.Equal(t, KindPaymentAnswer, m.Kind)
	assert.Equal(t, "559883******8074", m.PANMasked)
	assert.Equal(t, "HS00012345", m.Fields["priv"])
	assert.Equal(t, "long", m.Fields["answer"])
	raw, _ := hex.DecodeString(m.Raw)
	assert.NotContains(t, string(raw), "5598831234568074")
	assert.Contains(t, string(raw), "559883******8074")
}

func TestDecodeUnrecognised(t *testing.T) {
	for name, in := range map[string][]byte{
		"text":          []byte("hello world"),
		"bad tlv":       []byte("CB0102500"),
		"frame no etx":  {STX, 'a', 'b', 'c'},
		"35 characters": []byte(strings.Repeat("0", 35)),
	} {
		m, err := Decode(in)
		assert.Error(t, err, name)
		assert.Equal(t, KindUnknown, m.Kind, name)
	}
	m, err := Decode([]byte("4111111111111111 is a card"))
	assert.ErrorIs(t, err, ErrUnrecognised)
	raw, _ := hex.DecodeString(m.Raw)
	assert.NotContains(t, string(raw), "4111111111111111")
	txt, _ := hex.DecodeString(m.Unknown["text"])
	assert.Equal(t, "411111******1111 is a card", string(txt))
}

func TestParseHex(t *testing.T) {
	want := []byte{0x02, 0x30, 0x31, 0x03}
	for _, in := range []string{"02 30 31 03", "02-30-31-03", "02303103", " 02:30:31:03\n", "0x02303103", "02 30-3103"} {
		got, err := ParseHex(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"0", "02 3", "zz", "02 30 3G"} {
		_, err := ParseHex(in)
		assert.Error(t, err, in)
	}
}

func TestDecodeBrokenFrameRedactsRaw(t *testing.T) {
	in := append([]byte{STX}, "4111111111111111 no etx"...)
	m, err := Decode(in)
	assert.ErrorIs(t, err, ErrUnexpectedEnd)
	raw, _ := hex.DecodeString(m.Raw)
	assert.NotContains(t, string(raw), "4111111111111111")
	assert.Equal(t, true, m.Fields["raw_redacted"])
}
