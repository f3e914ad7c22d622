package zvt

import (
	"errors"
	"fmt"
	"time"
)

// Control characters of the serial transport (PA00P016 Teil 2).
const (
	STX byte = 0x02
	ETX byte = 0x03
	ACK byte = 0x06
	DLE byte = 0x10
	NAK byte = 0x15
)

// Serial transport timers and retries (PA00P016 Teil 2, transport protocol
// "Timeouts"; PA00P015 ch. 2 for T4). The driver that runs them lives
// outside this package; they are here so both sides name the same values.
const (
	// T1 is the longest gap between two bytes of one frame. When it runs
	// out mid-frame the receiver drops the partial frame (FrameReader.Reset).
	T1 = 200 * time.Millisecond
	// T2 is how long a sender waits for the ACK (06) or NAK (15) of a frame.
	T2 = 5 * time.Second
	// T3 is how long the ECR waits for the PT's first answer to a command
	// (the 80 00 00 / 84 xx acknowledgement) before giving up.
	T3 = 5 * time.Second
	// T4 is how long the ECR waits for the end of a transaction
	// (Completion 06 0F or Abort 06 1E) while the customer acts on the PT;
	// each Intermediate Status (04 FF) restarts it.
	T4 = 180 * time.Second
	// MaxResends is how often a frame is sent again after a NAK or a T2
	// timeout before the link is declared broken: three tries in all.
	MaxResends = 2
)

// MaxAPDULen caps what a FrameReader collects, so line noise that never
// sends DLE ETX cannot grow memory without bound. The largest APDU is
// 2 control bytes + FF lo hi + 65535 data bytes (PA00P015 ch. 2.1).
const MaxAPDULen = 2 + 3 + 0xFFFF

// EncodeFrame wraps apdu in a serial frame: DLE STX, the APDU with every
// DLE doubled, DLE ETX, then the CRC low byte and high byte.
func EncodeFrame(apdu []byte) []byte {
	out := make([]byte, 0, len(apdu)+8)
	out = append(out, DLE, STX)
	for _, b := range apdu {
		if b == DLE {
			out = append(out, DLE)
		}
		out = append(out, b)
	}
	crc := FrameCRC(apdu)
	return append(out, DLE, ETX, byte(crc), byte(crc>>8))
}

// FrameEvent is what one byte fed to a FrameReader completed.
type FrameEvent int

const (
	// FrameNone: the byte was consumed, nothing is complete yet.
	FrameNone FrameEvent = iota
	// FrameAPDU: a frame with a correct CRC ended; the APDU is returned.
	// The caller answers ACK (06).
	FrameAPDU
	// FrameBadCRC: a frame ended but its CRC is wrong. The caller answers
	// NAK (15); the sender repeats the frame.
	FrameBadCRC
	// FrameACK: a lone ACK (06) outside a frame.
	FrameACK
	// FrameNAK: a lone NAK (15) outside a frame.
	FrameNAK
	// FrameError: the byte broke the framing rules (err says how); the
	// partial frame is dropped and the reader waits for the next DLE STX.
	FrameError
)

func (e FrameEvent) String() string {
	switch e {
	case FrameNone:
		return "none"
	case FrameAPDU:
		return "apdu"
	case FrameBadCRC:
		return "bad_crc"
	case FrameACK:
		return "ack"
	case FrameNAK:
		return "nak"
	case FrameError:
		return "error"
	}
	return fmt.Sprintf("FrameEvent(%d)", int(e))
}

// Framing errors.
var (
	ErrBadCRC        = errors.New("zvt frame: CRC mismatch")
	ErrBadEscape     = errors.New("zvt frame: DLE followed by a byte other than DLE, ETX or STX")
	ErrFrameRestart  = errors.New("zvt frame: DLE STX inside a frame, partial frame dropped")
	ErrFrameTooLong  = errors.New("zvt frame: APDU longer than MaxAPDULen, frame dropped")
	ErrFrameTrailing = errors.New("zvt frame: bytes after the frame")
	ErrFrameShort    = errors.New("zvt frame: frame incomplete")
)

type frameState int

const (
	stIdle    frameState = iota // outside a frame: wait for DLE (or a lone ACK/NAK)
	stStart                     // got DLE, want STX
	stData                      // inside the APDU
	stDataDLE                   // got DLE inside the APDU: DLE, ETX or STX must follow
	stCRCLo                     // got DLE ETX, want the CRC low byte
	stCRCHi                     // want the CRC high byte
)

// FrameReader is the receiving side of the serial transport, an explicit
// state machine fed one byte at a time: wait DLE → STX → data (DLE DLE is
// one 0x10, DLE ETX ends the data) → CRC lo → CRC hi. It never blocks,
// never panics, and keeps at most MaxAPDULen bytes. The zero value is
// ready to use.
type FrameReader struct {
	state   frameState
	buf     []byte
	crcLo   byte
	skipped int
}

// Feed consumes one byte. When a frame is complete it returns the APDU (a
// fresh slice the caller owns) with FrameAPDU; see FrameEvent for the rest.
// err is set exactly when ev is FrameBadCRC or FrameError.
func (r *FrameReader) Feed(b byte) (apdu []byte, ev FrameEvent, err error) {
	switch r.state {
	case stIdle:
		switch b {
		case DLE:
			r.state = stStart
		case ACK:
			return nil, FrameACK, nil
		case NAK:
			return nil, FrameNAK, nil
		default:
			r.skipped++ // line noise before a frame
		}
	case stStart:
		switch b {
		case STX:
			r.buf = r.buf[:0]
			r.state = stData
		case DLE:
			// DLE DLE outside a frame: still waiting for STX
		default:
			r.skipped++
			r.state = stIdle
		}
	case stData:
		if b == DLE {
			r.state = stDataDLE
			return nil, FrameNone, nil
		}
		return r.appendData(b)
	case stDataDLE:
		switch b {
		case DLE:
			r.state = stData
			return r.appendData(DLE)
		case ETX:
			r.state = stCRCLo
		case STX:
			// The sender started over (e.g. a resend after our T1 ran
			// out on its side). Keep the new frame, report the old one.
			r.buf = r.buf[:0]
			r.state = stData
			return nil, FrameError, ErrFrameRestart
		default:
			r.reset()
			return nil, FrameError, fmt.Errorf("%w (0x%02X)", ErrBadEscape, b)
		}
	case stCRCLo:
		r.crcLo = b
		r.state = stCRCHi
	case stCRCHi:
		got := uint16(r.crcLo) | uint16(b)<<8
		out := append([]byte(nil), r.buf...)
		r.reset()
		if want := FrameCRC(out); got != want {
			return nil, FrameBadCRC, fmt.Errorf("%w: frame says %04X, computed %04X", ErrBadCRC, got, want)
		}
		return out, FrameAPDU, nil
	}
	return nil, FrameNone, nil
}

func (r *FrameReader) appendData(b byte) ([]byte, FrameEvent, error) {
	if len(r.buf) >= MaxAPDULen {
		r.reset()
		return nil, FrameError, ErrFrameTooLong
	}
	r.buf = append(r.buf, b)
	return nil, FrameNone, nil
}

// Reset drops a partial frame; call it when T1 (the inter-byte timeout)
// runs out while InFrame reports true.
func (r *FrameReader) Reset() { r.reset() }

func (r *FrameReader) reset() {
	r.state = stIdle
	if cap(r.buf) > 4096 { // do not keep a huge buffer alive after garbage
		r.buf = nil
	} else {
		r.buf = r.buf[:0]
	}
}

// InFrame reports whether a frame has started and not yet ended, i.e.
// whether the T1 inter-byte timer should run.
func (r *FrameReader) InFrame() bool { return r.state != stIdle }

// Skipped counts the bytes ignored outside frames since the reader was
// made (noise on the line); a driver may log it.
func (r *FrameReader) Skipped() int { return r.skipped }

// UnwrapFrame checks one complete serial frame (DLE STX … DLE ETX CRC) and
// returns its APDU. Anything after the CRC is an error.
func UnwrapFrame(frame []byte) ([]byte, error) {
	var r FrameReader
	for i, b := range frame {
		apdu, ev, err := r.Feed(b)
		switch ev {
		case FrameAPDU:
			if i != len(frame)-1 {
				return nil, fmt.Errorf("%w: %d byte(s)", ErrFrameTrailing, len(frame)-1-i)
			}
			return apdu, nil
		case FrameBadCRC, FrameError:
			return nil, fmt.Errorf("at byte %d: %w", i, err)
		case FrameACK, FrameNAK:
			return nil, fmt.Errorf("at byte %d: lone %s byte, not a frame", i, ev)
		}
	}
	return nil, ErrFrameShort
}
