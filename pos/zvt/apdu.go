package zvt

import (
	"errors"
	"fmt"
)

// APDU is one ZVT application message (PA00P015 ch. 2.1): a control field
// of class and instruction, a length, and the data. For the answers
// 80 00 (positive) and 84 xx (negative), Class is CCRC and Instr is APRC.
type APDU struct {
	Class byte
	Instr byte
	Data  []byte
}

// MaxAPDUData is the most data one APDU can carry: the extended length
// field FF lo hi holds 16 bits (PA00P015 ch. 2.1).
const MaxAPDUData = 0xFFFF

// ErrAPDU is wrapped by every APDU parse error.
var ErrAPDU = errors.New("zvt apdu")

// ParseAPDU splits b into an APDU. The length is one byte (00–FE) or, when
// that byte is FF, the two bytes after it, low byte first (PA00P015 ch.
// 2.1). A length that claims more bytes than b holds, or fewer, is an
// error: the decoder never reads past the data nor silently ignores bytes.
// Data aliases b.
func ParseAPDU(b []byte) (APDU, error) {
	if len(b) < 3 {
		return APDU{}, fmt.Errorf("%w: %d byte(s), need at least 3 (class, instruction, length)", ErrAPDU, len(b))
	}
	a := APDU{Class: b[0], Instr: b[1]}
	n, hdr := int(b[2]), 3
	if b[2] == 0xFF {
		if len(b) < 5 {
			return APDU{}, fmt.Errorf("%w: extended length FF needs 2 more bytes, have %d", ErrAPDU, len(b)-3)
		}
		n, hdr = int(b[3])|int(b[4])<<8, 5
	}
	switch have := len(b) - hdr; {
	case have < n:
		return APDU{}, fmt.Errorf("%w: length field says %d data bytes, only %d present", ErrAPDU, n, have)
	case have > n:
		return APDU{}, fmt.Errorf("%w: length field says %d data bytes, %d present (%d trailing)", ErrAPDU, n, have, have-n)
	}
	a.Data = b[hdr:]
	return a, nil
}

// Encode returns the APDU's bytes, with the extended length form when the
// data is longer than 254 bytes.
func (a APDU) Encode() ([]byte, error) {
	n := len(a.Data)
	if n > MaxAPDUData {
		return nil, fmt.Errorf("%w: %d data bytes, at most %d fit", ErrAPDU, n, MaxAPDUData)
	}
	out := make([]byte, 0, n+5)
	out = append(out, a.Class, a.Instr)
	if n < 0xFF {
		out = append(out, byte(n))
	} else {
		out = append(out, 0xFF, byte(n), byte(n>>8))
	}
	return append(out, a.Data...), nil
}

// Command returns the control field as 4 hex digits, e.g. "060F".
func (a APDU) Command() string { return fmt.Sprintf("%02X%02X", a.Class, a.Instr) }
