package zvt

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// LengthRule is how a BMP's value length is known (PA00P015 ch. 3,
// "Bitmaps"): fixed, or a length prefix of digits with F high nibbles.
type LengthRule int

const (
	Fixed  LengthRule = iota // Size bytes
	LLVar                    // F x F y: 00–99 bytes follow
	LLLVar                   // F x F y F z: 000–999 bytes follow
	TLVLen                   // BER length (short, 81 xx, 82 xx xx): BMP 06 only
)

// Encoding is how a BMP's value is read.
type Encoding int

const (
	Binary   Encoding = iota // bytes, shown as hex or as a number
	BCD                      // packed decimal digits
	ASCII                    // text (Latin-1 on the wire, UTF-8 out)
	PAN                      // BCD digits, E = masked digit, F = padding
	Redacted                 // card secrets: never decoded or output
	TLV                      // BMP 06 container
	Totals                   // BMP 60 individual totals
)

// Field declares one BMP. Apply puts the decoded value into the message;
// it gets the value bytes without the length prefix.
type Field struct {
	BMP   byte
	Name  string
	Len   LengthRule
	Size  int // for Fixed
	Enc   Encoding
	Apply func(d *decoder, v []byte) error
}

var errNoLength = errors.New("length prefix not F0–F9 digits")

// valueBounds returns where the value of field f starts and ends in data
// (data starts just after the BMP byte).
func (f *Field) valueBounds(data []byte) (start, end int, err error) {
	switch f.Len {
	case Fixed:
		start, end = 0, f.Size
	case LLVar, LLLVar:
		digits := 2
		if f.Len == LLLVar {
			digits = 3
		}
		if len(data) < digits {
			return 0, 0, fmt.Errorf("BMP %02X (%s): length prefix truncated", f.BMP, f.Name)
		}
		n := 0
		for _, c := range data[:digits] {
			if c&0xF0 != 0xF0 || c&0x0F > 9 {
				return 0, 0, fmt.Errorf("BMP %02X (%s): %w: % X", f.BMP, f.Name, errNoLength, data[:digits])
			}
			n = n*10 + int(c&0x0F)
		}
		start, end = digits, digits+n
	case TLVLen:
		n, hdr, err := berLength(data)
		if err != nil {
			return 0, 0, fmt.Errorf("BMP %02X (%s): %w", f.BMP, f.Name, err)
		}
		start, end = hdr, hdr+n
	}
	if end > len(data) {
		return 0, 0, fmt.Errorf("BMP %02X (%s): needs %d byte(s), only %d left", f.BMP, f.Name, end, len(data))
	}
	return start, end, nil
}

// appendField encodes value as BMP f: tag, length prefix if any, value.
func appendField(out []byte, bmp byte, value []byte) ([]byte, error) {
	f, ok := fieldByBMP[bmp]
	if !ok {
		return nil, fmt.Errorf("zvt: BMP %02X is not declared", bmp)
	}
	out = append(out, bmp)
	switch f.Len {
	case Fixed:
		if len(value) != f.Size {
			return nil, fmt.Errorf("zvt: BMP %02X (%s) takes %d byte(s), got %d", bmp, f.Name, f.Size, len(value))
		}
	case LLVar:
		if len(value) > 99 {
			return nil, fmt.Errorf("zvt: BMP %02X (%s) takes at most 99 bytes, got %d", bmp, f.Name, len(value))
		}
		out = append(out, 0xF0|byte(len(value)/10), 0xF0|byte(len(value)%10))
	case LLLVar:
		if len(value) > 999 {
			return nil, fmt.Errorf("zvt: BMP %02X (%s) takes at most 999 bytes, got %d", bmp, f.Name, len(value))
		}
		n := len(value)
		out = append(out, 0xF0|byte(n/100), 0xF0|byte(n/10%10), 0xF0|byte(n%10))
	case TLVLen:
		var err error
		if out, err = appendBERLength(out, len(value)); err != nil {
			return nil, err
		}
	}
	return append(out, value...), nil
}

// bcdDigits returns the digits of packed BCD b, or an error if a nibble is
// not 0–9.
func bcdDigits(b []byte) (string, error) {
	var s strings.Builder
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return "", fmt.Errorf("not BCD: % X", b)
		}
		s.WriteByte('0' + hi)
		s.WriteByte('0' + lo)
	}
	return s.String(), nil
}

// bcdInt reads packed BCD b as a number (at most 18 digits).
func bcdInt(b []byte) (int64, error) {
	if len(b) > 9 {
		return 0, fmt.Errorf("BCD number of %d bytes is too long", len(b))
	}
	d, err := bcdDigits(b)
	if err != nil {
		return 0, err
	}
	var n int64
	for i := 0; i < len(d); i++ {
		n = n*10 + int64(d[i]-'0')
	}
	return n, nil
}

// toBCD encodes n as packed BCD of exactly size bytes.
func toBCD(n int64, size int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("zvt: %d is negative, BCD holds no sign", n)
	}
	out := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		out[i] = byte(n%10) | byte(n/10%10)<<4
		n /= 100
	}
	if n != 0 {
		return nil, fmt.Errorf("zvt: number does not fit %d BCD digits", 2*size)
	}
	return out, nil
}

// digitsToBCD packs a string of digits (even length) into BCD.
func digitsToBCD(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("zvt: %q: BCD needs an even number of digits", s)
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("zvt: %q is not all digits", s)
		}
		out[i/2] |= (c - '0') << (4 * (1 - i%2))
	}
	return out, nil
}

// latin1 turns ZVT text (ISO 8859-1 by default, PA00P015 Registration
// config) into UTF-8 and drops the NUL padding terminals put at the end.
func latin1(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return strings.TrimRight(s.String(), "\x00")
}

// toLatin1 is latin1 backwards; runes above U+00FF become '?'.
func toLatin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
