package printer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts/printer"
)

// The answers to DLE EOT 1, 2 and 4, bit by bit as the ESC/POS reference
// gives them (0x12 is the fixed pattern with nothing set).
func TestParseStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                   string
		printer, offline, roll byte
		want                   printer.Status
	}{
		{"ready", 0x12, 0x12, 0x12, printer.Status{}},
		{"drawer pin high is no problem", 0x16, 0x12, 0x12, printer.Status{}},
		{"offline, no cause", 0x1A, 0x12, 0x12, printer.Status{Offline: true}},
		{"cover open", 0x1A, 0x16, 0x12, printer.Status{Offline: true, CoverOpen: true}},
		{"feed button", 0x1A, 0x1A, 0x12, printer.Status{Offline: true, FeedButton: true}},
		{"stopped at paper end", 0x1A, 0x32, 0x12, printer.Status{Offline: true, PaperOut: true}},
		{"error", 0x1A, 0x52, 0x12, printer.Status{Offline: true, Error: true}},
		{"near end", 0x12, 0x12, 0x1E, printer.Status{PaperNearEnd: true}},
		{"roll end sensor", 0x1A, 0x32, 0x7E, printer.Status{Offline: true, PaperOut: true, PaperNearEnd: true}},
		{"one near-end bit is not near end", 0x12, 0x12, 0x16, printer.Status{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := printer.ParseStatus(c.printer, c.offline, c.roll)
			require.NoError(t, err)
			c.want.Raw = [3]byte{c.printer, c.offline, c.roll}
			assert.Equal(t, c.want, got)
		})
	}
	for _, b := range []byte{0x00, 0x11, 0x13, 0x92, 0x02, 0xFF} {
		_, err := printer.ParseStatus(0x12, b, 0x12)
		assert.Error(t, err, "%#02x is not a status byte", b)
	}
	assert.Equal(t, []byte{0x10, 0x04, 0x02}, printer.StatusRequest(2))
}
