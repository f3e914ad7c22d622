package zvt

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLV(t *testing.T) {
	long := make([]byte, 200)
	objs := []TLVObject{
		{Tag: TagExtendedErrorCode, Value: []byte{0x01, 0x02}},
		{Tag: TagExtendedErrorText, Value: []byte("PIN falsch")},
		{Tag: TagPrintTexts, Children: []TLVObject{
			{Tag: TagTextLines, Value: []byte("line 1")},
			{Tag: TagTextLines, Value: []byte("line 2")},
		}},
		{Tag: 0x1F2B, Value: []byte{0x00, 0x00, 0x09, 0x75}},
		{Tag: 0x1F8001, Value: long}, // 3-byte tag, 81 length
	}
	b, err := EncodeTLV(objs)
	require.NoError(t, err)
	back, err := ParseTLV(b)
	require.NoError(t, err)
	b2, err := EncodeTLV(back)
	require.NoError(t, err)
	assert.Equal(t, b, b2)
	assert.Equal(t, uint32(0x1F8001), back[4].Tag)

	apdu, err := newMessage(0x06, 0x1E).raw(0x6C).field(0x06, b).done()
	require.NoError(t, err)
	m, err := Decode(apdu)
	require.NoError(t, err)
	assert.Equal(t, "6C", m.ResultCode)
	assert.Equal(t, "0102", m.Fields["extended_error_code"])
	assert.Equal(t, "PIN falsch", m.Fields["extended_error_text"])
	assert.Equal(t, int64(975), m.Fields["long_trace_no"])
	assert.Equal(t, []string{"line 1", "line 2"}, m.Fields["text_lines"])
	assert.Equal(t, []any{"6C696E652031", "6C696E652032"}, m.TLV["25"].(map[string]any)["07"])
}

func TestTLVLengthForms(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{{0x7F, []byte{0x7F}}, {0x80, []byte{0x81, 0x80}}, {0x100, []byte{0x82, 0x01, 0x00}}} {
		got, err := appendBERLength(nil, tc.n)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
		n, hdr, err := berLength(got)
		require.NoError(t, err)
		assert.Equal(t, tc.n, n)
		assert.Equal(t, len(got), hdr)
	}
	for name, in := range map[string][]byte{
		"length past end":   {0x07, 0x05, 0x41},
		"indefinite length": {0x07, 0x80},
		"tag truncated":     {0x1F},
		"tag too long":      {0x1F, 0x81, 0x81, 0x81, 0x81, 0x01},
		"bad child":         {0x24, 0x02, 0x07, 0x05},
	} {
		_, err := ParseTLV(in)
		assert.ErrorIs(t, err, ErrTLV, name)
	}
}

func TestTLVSensitiveTagsRedacted(t *testing.T) {
	b, err := EncodeTLV([]TLVObject{{Tag: 0x5A, Value: []byte{0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}}})
	require.NoError(t, err)
	objs, err := ParseTLV(b)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"5A": redactedMark}, tlvMap(objs))

	apdu, err := newMessage(0x04, 0x0F).field(0x27, []byte{0}).field(0x06, b).done()
	require.NoError(t, err)
	m, err := Decode(apdu)
	require.NoError(t, err)
	assert.Equal(t, "040F0E2700060A5A08"+strings.Repeat("**", 8), m.Raw)
}
