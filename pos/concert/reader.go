package concert

import (
	"errors"
	"fmt"
)

// Event is what one received byte completed.
type Event int

const (
	EventNone     Event = iota // the byte was taken; nothing complete yet
	EventENQ                   // ENQ outside a frame: the peer wants to send
	EventACK                   // ACK outside a frame
	EventNAK                   // NAK outside a frame: resend the last frame
	EventEOT                   // EOT outside a frame: the peer ends the exchange
	EventFrame                 // a whole frame with a correct LRC
	EventBadLRC                // a whole frame whose LRC is wrong: answer NAK
	EventGarbage               // a byte outside a frame that means nothing: skipped
	EventOverflow              // a frame grew past the length cap: dropped
)

var eventNames = [...]string{"none", "enq", "ack", "nak", "eot", "frame", "bad_lrc", "garbage", "overflow"}

func (e Event) String() string {
	if int(e) >= 0 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// Errors the Reader reports with their events.
var (
	ErrBadLRC        = errors.New("concert: frame LRC mismatch")
	ErrFrameTooLong  = errors.New("concert: frame longer than the length cap")
	ErrFrameRestart  = errors.New("concert: STX inside a frame, the partial frame was dropped")
	ErrUnexpectedEnd = errors.New("concert: frame incomplete")
)

// DefaultMaxText caps the text between STX and ETX. An E+ message has 34
// (request) or 25 / 80 (answer) characters; a Concert V3 TLV message with
// a ticket (ZT up to 999 characters) stays well under this.
const DefaultMaxText = 4096

type readerState int

const (
	stateIdle readerState = iota // between frames
	stateText                    // after STX, collecting text up to ETX
	stateLRC                     // after ETX: the next byte, whatever it is, is the LRC
)

// Reader is the receive state machine of the Concert serial link, fed one
// byte at a time. It never blocks, never panics, and holds no timer: the
// caller calls Reset when its own timer (ACKTimeout, the inter-byte wait)
// runs out in the middle of a frame.
//
// Outside a frame it reports ENQ, ACK, NAK and EOT; any other byte but STX
// is skipped as garbage. Inside a frame it collects bytes up to ETX, then
// takes EXACTLY ONE byte as the LRC, even when that byte equals STX (vector
// D2 has LRC 0x02): it never scans for STX there.
type Reader struct {
	// MaxText caps the text of one frame; 0 means DefaultMaxText.
	MaxText int

	state readerState
	buf   []byte // STX, text, ETX of the frame being received
}

// Feed takes the next received byte. With EventFrame and EventBadLRC the
// returned slice is the whole frame, STX … ETX LRC, owned by the caller.
// The error is set with EventBadLRC (ErrBadLRC), EventOverflow
// (ErrFrameTooLong) and with EventGarbage when a STX inside a frame
// restarted it (ErrFrameRestart).
func (r *Reader) Feed(b byte) (Event, []byte, error) {
	switch r.state {
	case stateText:
		switch b {
		case ETX:
			r.buf = append(r.buf, b)
			r.state = stateLRC
			return EventNone, nil, nil
		case STX:
			// A new frame starts before the old one ended: the old one is
			// lost (the peer gave up on it). Keep the new one.
			r.buf = append(r.buf[:0], STX)
			return EventGarbage, nil, ErrFrameRestart
		}
		if len(r.buf)-1 >= r.maxText() {
			r.Reset()
			return EventOverflow, nil, ErrFrameTooLong
		}
		r.buf = append(r.buf, b)
		return EventNone, nil, nil
	case stateLRC:
		frame := make([]byte, len(r.buf)+1)
		copy(frame, r.buf)
		frame[len(r.buf)] = b
		r.Reset()
		if LRC(frame[1:len(frame)-1]) != b {
			return EventBadLRC, frame, ErrBadLRC
		}
		return EventFrame, frame, nil
	}
	switch b {
	case STX:
		r.buf = append(r.buf[:0], STX)
		r.state = stateText
		return EventNone, nil, nil
	case ENQ:
		return EventENQ, nil, nil
	case ACK:
		return EventACK, nil, nil
	case NAK:
		return EventNAK, nil, nil
	case EOT:
		return EventEOT, nil, nil
	}
	return EventGarbage, nil, nil
}

// InFrame reports whether a frame has begun and not yet ended: a timeout now
// loses a partial frame (call Reset, then answer NAK or wait for a resend).
func (r *Reader) InFrame() bool { return r.state != stateIdle }

// Reset drops any partial frame: call it when a timer runs out.
func (r *Reader) Reset() {
	r.state = stateIdle
	r.buf = r.buf[:0]
}

func (r *Reader) maxText() int {
	if r.MaxText > 0 {
		return r.MaxText
	}
	return DefaultMaxText
}

// SplitFrame checks a whole frame (STX text ETX LRC) and returns its text.
// It reports ErrBadLRC with the text when only the LRC is wrong.
func SplitFrame(frame []byte) ([]byte, error) {
	n := len(frame)
	if n < 3 || frame[0] != STX {
		return nil, fmt.Errorf("%w: a frame is STX text ETX LRC, got %d bytes", ErrUnexpectedEnd, n)
	}
	if frame[n-2] != ETX {
		return nil, fmt.Errorf("%w: no ETX before the LRC byte", ErrUnexpectedEnd)
	}
	text := frame[1 : n-2]
	if got, want := frame[n-1], LRC(frame[1:n-1]); got != want {
		return text, fmt.Errorf("%w: got %02X, computed %02X", ErrBadLRC, got, want)
	}
	return text, nil
}
