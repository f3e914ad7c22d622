package zvt

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/feepos/feepos/pos"
)

// statusRead is a Status-Information (04 0F) as the driver reads it.
type statusRead struct {
	m   pos.Message
	res pos.Result
	// problem says why the outcome cannot be trusted: no result code, or
	// an approval whose fields could not all be read. res.Outcome is then
	// Unknown. nil: the result stands.
	problem error
	// warning is an oddity the result survives (a length byte that
	// disagrees with its frame), for the log.
	warning string
	wire    string // the message as hex, card number masked
}

// readStatus decodes a Status-Information for req.
//
// Over a serial line the frame, whose CRC is checked, delimits the APDU:
// a length byte that disagrees with it (real terminals send these) is
// overruled by the frame, and what the frame carries is read, with a
// warning. Over TCP the length is the only framing (the link cut the APDU
// by it), so it cannot disagree here.
//
// The result stands when its result code (BMP 27) was read and the rest
// read cleanly. A result code that says "not approved" stands even when
// fields after it could not be read: the terminal said nothing was
// charged. An approval that could not be read completely does not: the
// caller would record what it cannot see.
func (t *Terminal) readStatus(a []byte, req pos.Request) statusRead {
	var sr statusRead
	m, err := Decode(a)
	lengthOff := false
	if err != nil && !t.cfg.TCP {
		if m2, err2 := DecodeFramedAPDU(a); err2 == nil {
			m, err, lengthOff = m2, nil, true
		}
	}
	sr.m, sr.wire = m, m.Raw
	if err != nil {
		sr.problem = fmt.Errorf("status information unreadable: %w", err)
		sr.res = pos.Result{Outcome: pos.Unknown, Amount: req.Amount, Reference: req.Reference}
		return sr
	}
	sr.res = resultFromStatus(m, req)
	if sr.res.TerminalID == "" {
		sr.res.TerminalID = t.TerminalID()
	}
	warns, _ := m.Fields["warnings"].([]string)
	if lengthOff {
		sr.warning, warns = warns[0], warns[1:] // the length byte: the result survives it
	}
	switch {
	case m.ResultCode == "":
		sr.problem = errors.New("status information without a result code (BMP 27)")
	case len(warns) > 0 && sr.res.Outcome == pos.Approved:
		sr.problem = fmt.Errorf("approval that could not be read completely (%s)", strings.Join(warns, "; "))
	case len(warns) > 0:
		sr.warning = strings.TrimPrefix(sr.warning+"; "+strings.Join(warns, "; "), "; ")
	}
	if sr.warning != "" {
		sr.warning = "status information: " + sr.warning
	}
	if sr.problem != nil {
		sr.res.Outcome = pos.Unknown
	}
	return sr
}

// fixLength rewrites the length field of apdu to the data it carries.
// ok is false when the header itself is incomplete.
func fixLength(apdu []byte) (fixed []byte, declared, have int, ok bool) {
	if len(apdu) < 3 {
		return nil, 0, 0, false
	}
	declared, hdr := int(apdu[2]), 3
	if apdu[2] == 0xFF {
		if len(apdu) < 5 {
			return nil, 0, 0, false
		}
		declared, hdr = int(apdu[3])|int(apdu[4])<<8, 5
	}
	have = len(apdu) - hdr
	fixed, err := APDU{Class: apdu[0], Instr: apdu[1], Data: apdu[hdr:]}.Encode()
	return fixed, declared, have, err == nil
}

// sameStatus reports whether b repeats the Status-Information a: the same
// bytes, or the same trace number and result code (a terminal may restamp
// what it repeats).
func sameStatus(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ma, mb := decodeLenient(a), decodeLenient(b)
	return ma.TraceNo != nil && mb.TraceNo != nil && *ma.TraceNo == *mb.TraceNo && ma.ResultCode == mb.ResultCode
}

func decodeLenient(a []byte) pos.Message {
	m, err := Decode(a)
	if err != nil {
		if fixed, _, _, ok := fixLength(a); ok {
			m, _ = Decode(fixed)
		}
	}
	return m
}
