package concert

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ParseHex reads hex as a technician types or pastes it for
// `feepos pos decode`: bytes may be separated by spaces, tabs, dashes or
// colons ("02 30 31", "02-30-31", "023031"); a leading "0x" is allowed.
func ParseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '-', ':', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean)%2 != 0 {
		return nil, fmt.Errorf("hex %q: odd number of digits (%d); each byte needs two", s, len(clean))
	}
	b := make([]byte, len(clean)/2)
	if _, err := hex.Decode(b, clean); err != nil {
		return nil, fmt.Errorf("hex %q: %v", s, err)
	}
	return b, nil
}
