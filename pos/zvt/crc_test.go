package zvt

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCRC(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want uint16
	}{
		{"B1 check value", []byte("123456789"), 0x2189},
		{"B2 status enquiry", []byte{0x05, 0x01, 0x03, 0x12, 0x34, 0x56, 0x03}, 0x43E0},
		{"B3 ack", []byte{0x80, 0x00, 0x00, 0x03}, 0x1FF5},
	} {
		assert.Equal(t, tc.want, CRC(tc.in), tc.name)
	}
	assert.Equal(t, uint16(0x43E0), FrameCRC([]byte{0x05, 0x01, 0x03, 0x12, 0x34, 0x56}))
}
