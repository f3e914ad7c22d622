package pos

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ParseHex reads bytes as a technician types or pastes them from a trace:
// spaces, tabs, dashes, colons and line breaks between digits are ignored,
// and a leading 0x is allowed ("10 02 05 01", "10-02-05-01", "0x10020501").
func ParseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', ':', '\r', '\n':
			return -1
		}
		return r
	}, s)
	if len(clean)%2 != 0 {
		return nil, fmt.Errorf("hex %q: odd number of digits (%d); each byte needs two", s, len(clean))
	}
	b, err := hex.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("hex %q: %w", s, err)
	}
	return b, nil
}
