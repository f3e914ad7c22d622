package pos

import "strings"

// MaskPAN returns a card number safe to store, log and print: at most the
// first 6 and last 4 digits, every other digit '*' (PCI DSS 3.4). Masking
// characters a terminal already sent ('*', 'E', 'X', '#') stay masked, as
// '*'. Anything that is not a digit or a mask is dropped. A number too short
// to show 10 digits safely keeps only its last 4.
func MaskPAN(pan string) string {
	var b []byte
	for i := 0; i < len(pan); i++ {
		c := pan[i]
		switch {
		case c >= '0' && c <= '9':
			b = append(b, c)
		case c == '*' || c == 'E' || c == 'e' || c == 'X' || c == 'x' || c == '#':
			b = append(b, '*')
		}
	}
	n := len(b)
	keepHead, keepTail := 6, 4
	if n < 13 { // shorter than any card number: show only the tail
		keepHead = 0
		if n <= 4 {
			return strings.Repeat("*", n)
		}
	}
	for i := range b {
		if i >= keepHead && i < n-keepTail {
			b[i] = '*'
		}
	}
	return string(b)
}
