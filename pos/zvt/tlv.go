package zvt

import (
	"errors"
	"fmt"
)

// TLVObject is one data object of the BMP 06 TLV container (PA00P015
// ch. 9, "TLV container"): BER-TLV tags of one to four bytes (a first byte
// with low bits 1F continues, then bytes with bit 8 set continue), BER
// lengths (short form below 80, 81 xx, 82 xx xx) and constructed objects
// (bit 6 of the first tag byte) that hold further objects.
type TLVObject struct {
	Tag      uint32 // the tag bytes big-endian, e.g. 0x1F2B
	Value    []byte // primitive objects only
	Children []TLVObject
}

// Constructed reports whether the tag says the value is more TLV objects.
func (o TLVObject) Constructed() bool { return tagFirstByte(o.Tag)&0x20 != 0 }

// TLV tags with a meaning feepos uses (PA00P015 ch. 9, list of TLV tags).
const (
	TagTextLines         uint32 = 0x07   // one text line, inside 24/25
	TagDisplayTexts      uint32 = 0x24   // constructed
	TagPrintTexts        uint32 = 0x25   // constructed
	TagExtendedErrorCode uint32 = 0x1F16 // binary
	TagExtendedErrorText uint32 = 0x1F17 // text
	TagLongTraceNo       uint32 = 0x1F2B // trace number, long format
)

const maxTLVDepth = 8

// sensitiveTLVTags are EMV tags that carry card data (track 1/2
// equivalents, application PAN, cardholder name): never output.
var sensitiveTLVTags = map[uint32]bool{0x56: true, 0x57: true, 0x5A: true, 0x5F20: true, 0x9F1F: true, 0x9F20: true, 0x9F6B: true}

var ErrTLV = errors.New("zvt tlv")

func tagFirstByte(tag uint32) byte {
	for tag > 0xFF {
		tag >>= 8
	}
	return byte(tag)
}

// ParseTLV reads a sequence of TLV objects that fills b exactly.
func ParseTLV(b []byte) ([]TLVObject, error) { return parseTLV(b, 0) }

func parseTLV(b []byte, depth int) ([]TLVObject, error) {
	if depth > maxTLVDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrTLV, maxTLVDepth)
	}
	var out []TLVObject
	for i := 0; i < len(b); {
		start := i
		tag := uint32(b[i])
		i++
		if b[start]&0x1F == 0x1F { // multi-byte tag
			for {
				if i >= len(b) {
					return nil, fmt.Errorf("%w: tag at offset %d truncated", ErrTLV, start)
				}
				if i-start >= 4 {
					return nil, fmt.Errorf("%w: tag at offset %d longer than 4 bytes", ErrTLV, start)
				}
				tag = tag<<8 | uint32(b[i])
				i++
				if b[i-1]&0x80 == 0 {
					break
				}
			}
		}
		n, hdr, err := berLength(b[i:])
		if err != nil {
			return nil, fmt.Errorf("tag %X at offset %d: %w", tag, start, err)
		}
		i += hdr
		if n > len(b)-i {
			return nil, fmt.Errorf("%w: tag %X at offset %d says %d bytes, %d left", ErrTLV, tag, start, n, len(b)-i)
		}
		obj := TLVObject{Tag: tag}
		v := b[i : i+n]
		i += n
		if obj.Constructed() {
			if obj.Children, err = parseTLV(v, depth+1); err != nil {
				return nil, fmt.Errorf("inside tag %X: %w", tag, err)
			}
		} else {
			obj.Value = v
		}
		out = append(out, obj)
	}
	return out, nil
}

// berLength reads a BER length: 00–7F, 81 xx, or 82 hi lo.
func berLength(b []byte) (n, hdr int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: length missing", ErrTLV)
	}
	switch c := b[0]; {
	case c < 0x80:
		return int(c), 1, nil
	case c == 0x81:
		if len(b) < 2 {
			return 0, 0, fmt.Errorf("%w: length 81 truncated", ErrTLV)
		}
		return int(b[1]), 2, nil
	case c == 0x82:
		if len(b) < 3 {
			return 0, 0, fmt.Errorf("%w: length 82 truncated", ErrTLV)
		}
		return int(b[1])<<8 | int(b[2]), 3, nil
	default:
		return 0, 0, fmt.Errorf("%w: length form %02X not allowed", ErrTLV, c)
	}
}

func appendBERLength(out []byte, n int) ([]byte, error) {
	switch {
	case n < 0x80:
		return append(out, byte(n)), nil
	case n <= 0xFF:
		return append(out, 0x81, byte(n)), nil
	case n <= 0xFFFF:
		return append(out, 0x82, byte(n>>8), byte(n)), nil
	}
	return nil, fmt.Errorf("%w: %d bytes do not fit a length of 82 xx xx", ErrTLV, n)
}

func appendTag(out []byte, tag uint32) []byte {
	switch {
	case tag > 0xFFFFFF:
		return append(out, byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFFFF:
		return append(out, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		return append(out, byte(tag>>8), byte(tag))
	}
	return append(out, byte(tag))
}

// EncodeTLV writes objs as BER-TLV (the content of BMP 06, without the
// BMP byte and the container's own length).
func EncodeTLV(objs []TLVObject) ([]byte, error) {
	var out []byte
	for _, o := range objs {
		v := o.Value
		if o.Constructed() {
			var err error
			if v, err = EncodeTLV(o.Children); err != nil {
				return nil, err
			}
		}
		out = appendTag(out, o.Tag)
		var err error
		if out, err = appendBERLength(out, len(v)); err != nil {
			return nil, fmt.Errorf("tag %X: %w", o.Tag, err)
		}
		out = append(out, v...)
	}
	return out, nil
}

// tlvMap turns objects into the JSON shape of pos.Message.TLV: tag hex →
// value hex, or a nested map for a constructed tag; a tag that repeats
// becomes a list.
func tlvMap(objs []TLVObject) map[string]any {
	m := make(map[string]any, len(objs))
	for _, o := range objs {
		key := fmt.Sprintf("%02X", o.Tag)
		var v any = hexUpper(o.Value)
		if sensitiveTLVTags[o.Tag] {
			v = redactedMark
		}
		if o.Constructed() {
			v = tlvMap(o.Children)
		}
		switch old := m[key].(type) {
		case nil:
			m[key] = v
		case []any:
			m[key] = append(old, v)
		default:
			m[key] = []any{old, v}
		}
	}
	return m
}

// applyTLV decodes BMP 06 into m.TLV and lifts the tags feepos acts on
// into named fields.
func applyTLV(d *decoder, v []byte) error {
	objs, err := ParseTLV(v)
	if err != nil {
		return err
	}
	d.m.TLV = tlvMap(objs)
	d.walkTLV(objs)
	return nil
}

func (d *decoder) walkTLV(objs []TLVObject) {
	for _, o := range objs {
		if sensitiveTLVTags[o.Tag] && len(o.Value) > 0 {
			// o.Value is a subslice of the BMP value: find it in raw.
			d.redact(d.valueOff+cap(d.value)-cap(o.Value), len(o.Value))
		}
		switch o.Tag {
		case TagExtendedErrorCode:
			d.set("extended_error_code", hexUpper(o.Value))
		case TagExtendedErrorText:
			d.set("extended_error_text", latin1(o.Value))
		case TagLongTraceNo:
			if n, err := bcdInt(o.Value); err == nil && len(o.Value) > 0 {
				d.set("long_trace_no", n)
			} else {
				d.set("long_trace_no", hexUpper(o.Value))
			}
		case TagTextLines:
			lines, _ := d.fields()["text_lines"].([]string)
			d.set("text_lines", append(lines, latin1(o.Value)))
		}
		d.walkTLV(o.Children)
	}
}
