package zvt

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAPDU(t *testing.T) {
	a, err := ParseAPDU([]byte{0x06, 0x1E, 0x01, 0x64})
	require.NoError(t, err)
	assert.Equal(t, APDU{Class: 0x06, Instr: 0x1E, Data: []byte{0x64}}, a)

	for name, in := range map[string][]byte{
		"empty":              nil,
		"two bytes":          {0x06, 0x01},
		"length too long":    {0x06, 0x01, 0x07, 0x04},
		"trailing bytes":     {0x80, 0x00, 0x00, 0x00},
		"extended truncated": {0x06, 0xD3, 0xFF, 0x10},
		"extended too long":  {0x06, 0xD3, 0xFF, 0x00, 0x01, 0x06},
	} {
		_, err := ParseAPDU(in)
		assert.ErrorIs(t, err, ErrAPDU, name)
	}
}

func TestAPDUExtendedLength(t *testing.T) {
	data := bytes.Repeat([]byte{0x41}, 300)
	b, err := APDU{Class: 0x06, Instr: 0xD3, Data: data}.Encode()
	require.NoError(t, err)
	assert.Equal(t, []byte{0x06, 0xD3, 0xFF, 0x2C, 0x01}, b[:5]) // 300 = 0x012C, low byte first
	a, err := ParseAPDU(b)
	require.NoError(t, err)
	assert.Equal(t, data, a.Data)

	b, err = APDU{Class: 0x06, Instr: 0xD3, Data: make([]byte, 254)}.Encode()
	require.NoError(t, err)
	assert.Equal(t, byte(0xFE), b[2])
	b, err = APDU{Class: 0x06, Instr: 0xD3, Data: make([]byte, 255)}.Encode()
	require.NoError(t, err)
	assert.Equal(t, []byte{0xFF, 0xFF, 0x00}, b[2:5])

	_, err = APDU{Data: make([]byte, MaxAPDUData+1)}.Encode()
	assert.ErrorIs(t, err, ErrAPDU)
}

func TestParseHex(t *testing.T) {
	for in, want := range map[string][]byte{
		"04 FF 01 17":  {0x04, 0xFF, 0x01, 0x17},
		"04-ff-01-17":  {0x04, 0xFF, 0x01, 0x17},
		" 0x04FF0117 ": {0x04, 0xFF, 0x01, 0x17},
		"04:FF\t0117":  {0x04, 0xFF, 0x01, 0x17},
	} {
		got, err := ParseHex(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"0", "zz", "04 F"} {
		_, err := ParseHex(in)
		assert.Error(t, err, in)
	}
}
