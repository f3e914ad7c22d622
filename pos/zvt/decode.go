package zvt

import (
	"fmt"
	"strings"

	"github.com/feepos/feepos/pos"
)

// decoder fills one pos.Message.
type decoder struct {
	m        *pos.Message
	raw      []byte // copy of the APDU; card secrets are blanked for Raw
	redacted []bool // per raw byte: shown as "**" in Raw
	valueOff int    // where the value being applied starts in raw
	value    []byte // the value being applied
}

func (d *decoder) fields() map[string]any {
	if d.m.Fields == nil {
		d.m.Fields = map[string]any{}
	}
	return d.m.Fields
}

func (d *decoder) set(name string, v any) { d.fields()[name] = v }

func (d *decoder) unknown(key string, b []byte) {
	if d.m.Unknown == nil {
		d.m.Unknown = map[string]string{}
	}
	d.m.Unknown[key] = hexUpper(b)
}

func (d *decoder) warn(format string, args ...any) {
	w, _ := d.fields()["warnings"].([]string)
	d.set("warnings", append(w, fmt.Sprintf(format, args...)))
}

// Decode decodes one APDU (no serial framing) into the message contract of
// docs/ARCHITECTURE.md ("Decoded ECR message"). Only a broken APDU header is an
// error; a field the decoder cannot read is kept as hex under Unknown with
// a note in Fields["warnings"]. It never panics on any input.
func Decode(apdu []byte) (pos.Message, error) {
	m := pos.Message{Protocol: pos.ZVT, Raw: hexUpper(apdu)}
	a, err := ParseAPDU(apdu)
	if err != nil {
		m.Kind, m.Raw = "invalid", maskDigitRuns(apdu)
		return m, err
	}
	d := &decoder{m: &m, raw: append([]byte(nil), apdu...), redacted: make([]bool, len(apdu))}
	base := len(apdu) - len(a.Data)

	switch a.Class {
	case 0x80: // positive acknowledgement 80 00 00 (PA00P015 ch. 2, "CCRC/APRC")
		m.Kind = "ack"
		if len(a.Data) > 0 {
			d.unknown("data", a.Data)
		}
		m.Raw = d.rawHex()
		return m, nil
	case 0x84: // negative: 84 <error code> 00
		m.Kind = "nack"
		m.ResultCode = fmt.Sprintf("%02X", a.Instr)
		if len(a.Data) > 0 {
			d.unknown("data", a.Data)
		}
		m.Raw = d.rawHex()
		return m, nil
	}

	k := findKind(a.Class, a.Instr, a.Data)
	if k == nil {
		m.Kind = "unknown"
		d.set("command", a.Command())
		if len(a.Data) > 0 {
			d.unknown("data", a.Data)
		}
		m.Raw = d.rawHex()
		return m, nil
	}
	m.Kind, m.Direction = k.Name, k.Direction

	rest, off := a.Data, base
	for _, l := range k.Lead {
		if len(rest) == 0 {
			if !l.Optional {
				d.warn("%s: missing", l.Name)
			}
			break
		}
		n, err := l.Read(d, rest)
		if err != nil {
			d.warn("%v", err)
			d.unknown(l.Name, rest)
			rest = nil
			break
		}
		rest, off = rest[n:], off+n
	}
	if len(rest) > 0 {
		if k.BMPs {
			d.parseBMPs(rest, off)
		} else {
			d.unknown("trailing", rest)
		}
	}
	if k.After != nil {
		k.After(d)
	}
	m.Raw = d.rawHex()
	return m, nil
}

// parseBMPs decodes a BMP sequence with the field table. data starts at
// byte off of the APDU.
func (d *decoder) parseBMPs(data []byte, off int) {
	for i := 0; i < len(data); {
		bmp := data[i]
		key := fmt.Sprintf("%02X", bmp)
		f, ok := fieldByBMP[bmp]
		if !ok {
			// Its length rule is unknown, so nothing after it can be found.
			d.warn("BMP %s unknown: %d byte(s) after it kept as hex, not parsed", key, len(data)-i-1)
			d.unknown(key, data[i+1:])
			return
		}
		s, e, err := f.valueBounds(data[i+1:])
		if err != nil {
			d.warn("%v; rest kept as hex", err)
			d.keepUnparsed(f, key, data[i+1:], off+i+1)
			return
		}
		v := data[i+1+s : i+1+e]
		vOff := off + i + 1 + s
		d.valueOff, d.value = vOff, v
		if err := f.Apply(d, v); err != nil {
			d.warn("BMP %s (%s): %v", key, f.Name, err)
			d.keepUnparsed(f, key, v, vOff)
		}
		switch f.Enc {
		case Redacted:
			d.redact(vOff, len(v))
		case PAN:
			d.rewritePAN(vOff, v)
		}
		i += 1 + e
	}
}

// keepUnparsed keeps bytes the decoder could not read as hex — except card
// secrets, which are only marked present.
func (d *decoder) keepUnparsed(f *Field, key string, b []byte, off int) {
	if f.Enc == Redacted || f.Enc == PAN {
		d.set(f.Name, redactedMark)
		d.redact(off, len(b))
		return
	}
	d.unknown(key, b)
}

func (d *decoder) redact(off, n int) {
	for i := off; i < off+n && i < len(d.redacted); i++ {
		d.redacted[i] = true
	}
}

// rewritePAN puts the masked PAN back into Raw, so the raw hex never shows
// more digits than pan_masked does.
func (d *decoder) rewritePAN(off int, v []byte) {
	masked := panToBCD(d.m.PANMasked)
	if len(masked) != len(v) || off+len(v) > len(d.raw) {
		d.redact(off, len(v))
		return
	}
	copy(d.raw[off:], masked)
}

func (d *decoder) rawHex() string {
	var s strings.Builder
	for i, b := range d.raw {
		if d.redacted[i] {
			s.WriteString("**")
			continue
		}
		fmt.Fprintf(&s, "%02X", b)
	}
	return s.String()
}

// maskDigitRuns is the hex of bytes that could not be decoded, so nothing
// says where a card number or track data sits in them: every run of six or
// more bytes that read as BCD digits (nibbles 0-9, D the track separator, F
// the padding), as long as the shortest card number, shows as "**" per
// byte. Amounts and dates in such a run are hidden too; a technician who
// needs them decodes a frame that is not broken.
func maskDigitRuns(b []byte) string {
	digit := func(n byte) bool { return n <= 9 || n == 0xD || n == 0xF }
	var s strings.Builder
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && digit(b[j]>>4) && digit(b[j]&0x0F) {
			j++
		}
		if j-i >= 6 {
			s.WriteString(strings.Repeat("**", j-i))
		} else {
			s.WriteString(hexUpper(b[i:j]))
		}
		if j < len(b) {
			fmt.Fprintf(&s, "%02X", b[j])
			j++
		}
		i = j
	}
	return s.String()
}

// DecodeFrame decodes one whole serial frame (DLE STX … DLE ETX CRC),
// checking the CRC. The frame delimits the APDU: a length byte that
// disagrees with it is overruled (DecodeFramedAPDU).
func DecodeFrame(frame []byte) (pos.Message, error) {
	apdu, err := UnwrapFrame(frame)
	if err != nil {
		return pos.Message{Protocol: pos.ZVT, Kind: "invalid", Raw: maskDigitRuns(frame)}, err
	}
	m, err := DecodeFramedAPDU(apdu)
	if m.Fields == nil {
		m.Fields = map[string]any{}
	}
	m.Fields["framed"] = true
	return m, err
}

// DecodeFramedAPDU decodes an APDU that a serial frame with a correct CRC
// delimited. Real terminals send APDUs whose length byte disagrees with
// the frame (one public capture announces 0x44 data bytes and carries
// 37); the frame is the better witness, so what it carries is decoded,
// with a warning in Fields["warnings"] and Raw showing the bytes as they
// came. Whether the result can be trusted is the caller's decision (the
// driver requires a clean field walk; see readStatus).
func DecodeFramedAPDU(apdu []byte) (pos.Message, error) {
	m, err := Decode(apdu)
	if err == nil {
		return m, nil
	}
	fixed, declared, have, ok := fixLength(apdu)
	if !ok {
		return m, err
	}
	m2, err2 := Decode(fixed)
	if err2 != nil {
		return m, err
	}
	if len(fixed) == len(apdu) && len(m2.Raw) >= 6 {
		m2.Raw = m2.Raw[:4] + hexUpper(apdu[2:3]) + m2.Raw[6:] // the length byte as it came
	}
	if m2.Fields == nil {
		m2.Fields = map[string]any{}
	}
	w, _ := m2.Fields["warnings"].([]string)
	m2.Fields["warnings"] = append([]string{fmt.Sprintf( // first: readStatus tells it from the field walk's
		"length byte announces %d data bytes, the frame (CRC correct) carries %d: decoded what the frame carries", declared, have)}, w...)
	return m2, nil
}

// DecodeAny decodes a serial frame if b starts with DLE STX, a lone ACK or
// NAK byte of the serial line, and a bare APDU (TCP) otherwise. It is what
// `feepos pos decode --protocol zvt` needs.
func DecodeAny(b []byte) (pos.Message, error) {
	switch {
	case len(b) >= 2 && b[0] == DLE && b[1] == STX:
		return DecodeFrame(b)
	case len(b) == 1 && b[0] == ACK:
		return pos.Message{Protocol: pos.ZVT, Kind: "line_ack", Raw: "06"}, nil
	case len(b) == 1 && b[0] == NAK:
		return pos.Message{Protocol: pos.ZVT, Kind: "line_nak", Raw: "15"}, nil
	}
	return Decode(b)
}

// ParseHex reads hex as typed by a technician; see pos.ParseHex.
var ParseHex = pos.ParseHex
