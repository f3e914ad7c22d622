package zvt

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/pos"
)

// specIntermediateCodes are the status bytes of the intermediate status
// table of PA00P015 (04 FF), as the public Portalum.Zvt client lists
// them: each must have its own text.
func specIntermediateCodes() []byte {
	var codes []byte
	add := func(from, to byte) {
		for c := from; ; c++ {
			codes = append(codes, c)
			if c == to {
				return
			}
		}
	}
	add(0x00, 0x1D)
	add(0x26, 0x2C)
	add(0x41, 0x5D)
	add(0x66, 0x69)
	add(0xC7, 0xCC)
	add(0xD2, 0xD3)
	add(0xE0, 0xE2)
	add(0xF1, 0xF3)
	return append(codes, 0xFF)
}

func TestIntermediateStatusTableIsComplete(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range specIntermediateCodes() {
		e := IntermediateEvent(c, at)
		assert.NotEqual(t, fmt.Sprintf("Máy POS đang xử lý (mã %02X)", c), e.Text, "code %02X has no text of its own", c)
		assert.NotEmpty(t, e.Text, "code %02X", c)
		assert.True(t, utf8.ValidString(e.Text))
		assert.False(t, e.Kind.Final(), "code %02X is an intermediate status, never a final %s", c, e.Kind)
		assert.Equal(t, fmt.Sprintf("%02X", c), e.Code)
		assert.Equal(t, at, e.At)
	}
	// A code the table does not know still shows, with its number.
	e := IntermediateEvent(0x30, at)
	assert.Equal(t, pos.EventOther, e.Kind)
	assert.Contains(t, e.Text, "30")
}

func TestIntermediateStatusKinds(t *testing.T) {
	// 0D is a processing error of the terminal, not a cancellation.
	e := IntermediateEvent(0x0D, time.Time{})
	assert.Equal(t, pos.EventOther, e.Kind)
	assert.NotContains(t, strings.ToLower(e.Text), "hủy")
	assert.Contains(t, e.Text, "Lỗi xử lý")

	// "Card not accepted, try another" and the like: the terminal goes
	// on; the cashier must not read "declined" and charge again.
	for _, c := range []byte{0x03, 0x07, 0x08, 0x09, 0x0C, 0x10, 0x13, 0x14, 0x16, 0x18, 0x19, 0x1D, 0x47, 0x4C, 0x5D} {
		assert.Equal(t, pos.EventCardProblem, IntermediateEvent(c, time.Time{}).Kind, "code %02X", c)
	}
	for c, want := range map[byte]pos.EventKind{
		0x0A: pos.EventInsertCard, 0x0B: pos.EventRemoveCard, 0x4B: pos.EventRemoveCard, 0x4A: pos.EventRemoveCard,
		0x01: pos.EventEnterPIN, 0x15: pos.EventEnterPIN, 0x04: pos.EventProcessing, 0x17: pos.EventWait,
		0x1C: pos.EventProcessing, // "approved, take the goods" is still not the end
	} {
		assert.Equal(t, want, IntermediateEvent(c, time.Time{}).Kind, "code %02X", c)
	}
	// The "… please remove card" codes say both.
	assert.Equal(t, "Không đọc được thẻ. Mời khách rút thẻ", IntermediateEvent(0x4C, time.Time{}).Text)
}
