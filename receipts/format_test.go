package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/receipts"
)

func TestFormats(t *testing.T) {
	for n, want := range map[int64]string{0: "0 đ", 5: "5 đ", 150_000: "150.000 đ", 1_500_000_000_000: "1.500.000.000.000 đ", -2_000: "-2.000 đ"} {
		assert.Equal(t, want, receipts.FormatDong(n))
	}
	assert.Equal(t, "1.500.000", receipts.GroupDigits(1_500_000))
	assert.Equal(t, "-999", receipts.GroupDigits(-999))
	assert.Equal(t, "00000123", receipts.PrintedNumber(123))
	assert.Equal(t, "12345678", receipts.PrintedNumber(12_345_678))
}
