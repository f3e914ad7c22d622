package receipts

// GroupDigits writes whole đồng the Vietnamese way, dots between groups of
// three: 1500000 → "1.500.000".
func GroupDigits(n int64) string {
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	return groupDigits(n)
}

// FormatDong writes an amount as receipts print it: "150.000 đ".
func FormatDong(amount int64) string { return formatDong(amount) }

// PrintedNumber is a receipt number as printed and in verification links:
// eight digits, zero-padded (00000123).
func PrintedNumber(n int64) string { return printedNumber(n) }
