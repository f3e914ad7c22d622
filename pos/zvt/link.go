package zvt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/pos/transport"
)

// Timers are the protocol timers a Link and the driver run. The zero
// value of a field means the spec's value (see T1..T4, MaxResends); tests
// shrink them.
type Timers struct {
	T1         time.Duration // inter-byte gap inside a serial frame
	T2         time.Duration // wait for ACK/NAK of a serial frame
	T3         time.Duration // wait for the PT's first answer (80 00 / 84 xx) to a command
	T4         time.Duration // wait for the end of a transaction; each 04 FF restarts it
	MaxResends int           // resends after NAK or T2 timeout; negative means none
}

// DefaultTimers are the spec's values (PA00P016 Teil 2 "Timeouts",
// PA00P015 ch. 2).
func DefaultTimers() Timers {
	return Timers{T1: T1, T2: T2, T3: T3, T4: T4, MaxResends: MaxResends}
}

// WithDefaults fills zero fields with the spec's values.
func (t Timers) WithDefaults() Timers {
	d := DefaultTimers()
	if t.T1 <= 0 {
		t.T1 = d.T1
	}
	if t.T2 <= 0 {
		t.T2 = d.T2
	}
	if t.T3 <= 0 {
		t.T3 = d.T3
	}
	if t.T4 <= 0 {
		t.T4 = d.T4
	}
	if t.MaxResends == 0 {
		t.MaxResends = d.MaxResends
	} else if t.MaxResends < 0 {
		t.MaxResends = 0
	}
	return t
}

// AckAction is how a Link answers a correct serial frame it received.
// Only the simulator picks anything but AckFrame (to inject faults).
type AckAction int

const (
	AckFrame    AckAction = iota // send ACK 06, deliver the APDU
	NakFrame                     // send NAK 15 as if the CRC were bad, drop the APDU
	DropAck                      // deliver the APDU but send no ACK (the ACK "got lost")
	IgnoreFrame                  // neither ACK nor deliver (the frame "got lost")
)

// Link errors.
var (
	// ErrNotSent: the first write failed before a byte went out. The
	// peer certainly did not get the message.
	ErrNotSent = errors.New("zvt link: message not sent")
	// ErrNoAck: a serial frame was sent MaxResends+1 times without an
	// ACK. The peer may or may not have it.
	ErrNoAck = errors.New("zvt link: no ACK from the peer")
	// ErrInterrupted: Receive returned because its interrupt channel fired.
	ErrInterrupted = errors.New("zvt link: receive interrupted")
	// ErrTruncated matches every *TruncatedError.
	ErrTruncated = errors.New("zvt link: APDU shorter than its length field")
)

// TruncatedError: over TCP, where the length field is the only framing, an
// APDU stopped before the bytes its length field announced, and nothing
// more came for T2. Receive drops it and returns this, so that the driver
// can answer the terminal (which waits for an answer) instead of leaving
// it waiting. Over a serial line a frame cut by the T1 gap is dropped
// without an error: the sender repeats a frame that was not acknowledged.
type TruncatedError struct {
	Class, Instr byte
	Declared     int    // data bytes the length field announced
	Got          int    // data bytes that came
	Bytes        []byte // what came, header included (may hold card data: print it masked)
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("zvt link: %02X %02X announced %d data bytes, only %d came before the line went quiet for T2", e.Class, e.Instr, e.Declared, e.Got)
}

// Is makes errors.Is(err, ErrTruncated) true.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

func truncated(b []byte) *TruncatedError {
	e := &TruncatedError{Bytes: append([]byte(nil), b...)}
	if len(b) >= 2 {
		e.Class, e.Instr = b[0], b[1]
	}
	hdr := 3
	switch {
	case len(b) >= 3 && b[2] != 0xFF:
		e.Declared = int(b[2])
	case len(b) >= 5:
		e.Declared, hdr = int(b[3])|int(b[4])<<8, 5
	default:
		hdr = len(b)
	}
	e.Got = max(0, len(b)-hdr)
	return e
}

// SendFaults disturbs a serial send on purpose (simulator only).
type SendFaults struct {
	// Garbage is written before the first attempt.
	Garbage []byte
	// Mutate, if set, may change the bytes of attempt n (0-based).
	Mutate func(attempt int, frame []byte) []byte
	// Gap pauses this long in the middle of the first attempt.
	Gap time.Duration
}

// Link is the ZVT transport protocol over one transport.Conn, for either
// role (ECR or PT): over a serial line the frame of PA00P016 Teil 2 with
// ACK/NAK, the T1 inter-byte gap, the T2 acknowledgement wait and at most
// MaxResends resends; over TCP the bare APDUs (PA00P015 ch. 2.1: class,
// instruction, length 00–FE or FF lo hi, data), without ACK, NAK or CRC.
//
// A Link is used by one goroutine at a time.
type Link struct {
	conn  transport.Conn
	tcp   bool
	tm    Timers
	trace func(direction string, frame []byte)

	// OnFrame, if set, decides how a correct serial frame is
	// acknowledged. nil means AckFrame. Used by the simulator.
	OnFrame func(apdu []byte) AckAction

	fr       FrameReader
	queue    [][]byte // APDUs received, not yet returned by Receive
	tcpBuf   []byte
	buf      [1024]byte
	lastByte time.Time
}

// NewLink wraps conn. trace, if not nil, sees every frame and control byte
// sent ("send") and received ("recv"); received frames are re-encoded from
// their APDU. Frames can carry card data the terminal sent: a trace hook
// prints them through Decode, which masks the PAN.
func NewLink(conn transport.Conn, tcp bool, tm Timers, trace func(direction string, frame []byte)) *Link {
	return &Link{conn: conn, tcp: tcp, tm: tm.WithDefaults(), trace: trace}
}

// Conn returns the underlying connection.
func (l *Link) Conn() transport.Conn { return l.conn }

// Timers returns the timers in force.
func (l *Link) Timers() Timers { return l.tm }

func (l *Link) traceOut(dir string, b []byte) {
	if l.trace != nil {
		l.trace(dir, append([]byte(nil), b...))
	}
}

// Reset drops everything received and not yet used: queued APDUs, a
// partial frame, and the bytes waiting in the transport (Drain). Call it
// before a new conversation.
func (l *Link) Reset() error {
	l.queue = nil
	l.tcpBuf = nil
	l.fr.Reset()
	_, err := l.conn.Drain()
	return err
}

// Send sends one APDU and, over a serial line, waits for its ACK,
// resending on NAK or T2 timeout. Errors: ErrNotSent (wrapped) when
// nothing went out; ErrNoAck after the last resend; a transport error.
// Frames the peer sends meanwhile are acknowledged and queued for Receive.
func (l *Link) Send(apdu []byte) error { return l.SendWith(apdu, SendFaults{}) }

// SendWith is Send with faults injected (simulator only).
func (l *Link) SendWith(apdu []byte, f SendFaults) error {
	if l.tcp {
		n, err := l.conn.Write(apdu)
		if err != nil {
			if n == 0 {
				return fmt.Errorf("%w: %w", ErrNotSent, err)
			}
			return err
		}
		l.traceOut("send", apdu)
		return nil
	}
	frame := EncodeFrame(apdu)
	for attempt := 0; attempt <= l.tm.MaxResends; attempt++ {
		b := frame
		if f.Mutate != nil {
			b = f.Mutate(attempt, append([]byte(nil), frame...))
		}
		if attempt == 0 && len(f.Garbage) > 0 {
			if n, err := l.conn.Write(f.Garbage); err != nil {
				if n == 0 {
					return fmt.Errorf("%w: %w", ErrNotSent, err)
				}
				return err
			}
			l.traceOut("send", f.Garbage)
		}
		if err := l.writeFrame(b, attempt == 0 && f.Gap > 0, f.Gap); err != nil {
			if attempt == 0 && errors.Is(err, ErrNotSent) {
				return err
			}
			return errors.Join(err, errors.New("zvt link: frame may be partly sent"))
		}
		acked, err := l.awaitAck()
		if err != nil {
			return err
		}
		if acked {
			return nil
		}
	}
	return fmt.Errorf("%w after %d attempt(s) of %s", ErrNoAck, l.tm.MaxResends+1, describe(apdu))
}

func (l *Link) writeFrame(b []byte, gap bool, d time.Duration) error {
	parts := [][]byte{b}
	if gap && len(b) > 4 {
		parts = [][]byte{b[:len(b)/2], b[len(b)/2:]}
	}
	for i, p := range parts {
		if i > 0 {
			time.Sleep(d)
		}
		n, err := l.conn.Write(p)
		if err != nil {
			if i == 0 && n == 0 {
				return fmt.Errorf("%w: %w", ErrNotSent, err)
			}
			return err
		}
		l.traceOut("send", p)
	}
	return nil
}

// awaitAck waits T2 for ACK (true) or NAK (false).
func (l *Link) awaitAck() (bool, error) {
	deadline := time.Now().Add(l.tm.T2)
	for {
		rem := time.Until(deadline)
		if rem <= 0 {
			l.fr.Reset()
			return false, nil
		}
		n, err := l.conn.ReadTimeout(l.buf[:], rem)
		if errors.Is(err, transport.ErrTimeout) {
			continue
		}
		if err != nil {
			return false, err
		}
		ack, nak, err := l.consume(l.buf[:n], true)
		if err != nil {
			return false, err
		}
		if ack {
			return true, nil
		}
		if nak {
			return false, nil
		}
	}
}

// consume feeds received bytes. It acknowledges and queues complete
// frames, and reports the first lone ACK or NAK when wantAck.
func (l *Link) consume(b []byte, wantAck bool) (ack, nak bool, err error) {
	l.lastByte = time.Now()
	if l.tcp {
		l.tcpBuf = append(l.tcpBuf, b...)
		for {
			a, ok := l.splitTCP()
			if !ok {
				return false, false, nil
			}
			l.traceOut("recv", a)
			l.queue = append(l.queue, a)
		}
	}
	for _, c := range b {
		apdu, ev, _ := l.fr.Feed(c)
		switch ev {
		case FrameAPDU:
			l.traceOut("recv", EncodeFrame(apdu))
			act := AckFrame
			if l.OnFrame != nil {
				act = l.OnFrame(apdu)
			}
			switch act {
			case AckFrame:
				if err := l.writeControl(ACK); err != nil {
					return ack, nak, err
				}
				l.queue = append(l.queue, apdu)
			case NakFrame:
				if err := l.writeControl(NAK); err != nil {
					return ack, nak, err
				}
			case DropAck:
				l.queue = append(l.queue, apdu)
			}
		case FrameBadCRC:
			if err := l.writeControl(NAK); err != nil {
				return ack, nak, err
			}
		case FrameACK:
			if wantAck && !ack && !nak {
				ack = true
			}
		case FrameNAK:
			if wantAck && !ack && !nak {
				nak = true
			}
		}
	}
	return ack, nak, nil
}

func (l *Link) writeControl(c byte) error {
	if _, err := l.conn.Write([]byte{c}); err != nil {
		return err
	}
	l.traceOut("send", []byte{c})
	return nil
}

// splitTCP takes one complete APDU off tcpBuf.
func (l *Link) splitTCP() ([]byte, bool) {
	b := l.tcpBuf
	if len(b) < 3 {
		return nil, false
	}
	n, hdr := int(b[2]), 3
	if b[2] == 0xFF {
		if len(b) < 5 {
			return nil, false
		}
		n, hdr = int(b[3])|int(b[4])<<8, 5
	}
	if len(b) < hdr+n {
		return nil, false
	}
	a := append([]byte(nil), b[:hdr+n]...)
	l.tcpBuf = append(l.tcpBuf[:0], b[hdr+n:]...)
	return a, true
}

func (l *Link) inFrame() bool {
	if l.tcp {
		return len(l.tcpBuf) > 0
	}
	return l.fr.InFrame()
}

// Receive returns the next APDU from the peer, waiting at most timeout
// (negative: without limit; 0: only what has already come, and the rest
// of a frame already begun). Serial frames are acknowledged (ACK 06) or
// refused (NAK 15, bad CRC) as they complete; a frame whose bytes stop
// for longer than T1 is dropped. Stray bytes are ignored. Returns
// transport.ErrTimeout when nothing complete came in time, ErrInterrupted
// when interrupt fired (only between frames), ctx.Err() on cancellation,
// and over TCP a *TruncatedError for an APDU cut short.
func (l *Link) Receive(ctx context.Context, timeout time.Duration, interrupt <-chan struct{}) ([]byte, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	polled := false // at the deadline, what has already come is still taken
	for {
		if len(l.queue) > 0 {
			a := l.queue[0]
			l.queue = l.queue[1:]
			return a, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		framing := l.inFrame()
		var wake <-chan struct{}
		if !framing && interrupt != nil {
			select {
			case <-interrupt:
				return nil, ErrInterrupted
			default:
			}
			wake = interrupt // only between frames
		}
		// One wait for the whole time left: the transport sleeps until
		// bytes, the deadline, the T1 gap, ctx or the interrupt, with no
		// periodic wake-up.
		wait := time.Duration(-1)
		if framing {
			gap := l.tm.T1
			if l.tcp {
				gap = l.tm.T2 // no T1 over TCP; a stalled APDU still ends
			}
			left := gap - time.Since(l.lastByte)
			if left <= 0 {
				// PA00P016: T1 ran out mid-frame, drop the partial frame.
				l.fr.Reset()
				if l.tcp {
					e := truncated(l.tcpBuf)
					l.tcpBuf = nil
					l.traceOut("recv", e.Bytes)
					return nil, e
				}
				continue
			}
			wait = left
		}
		if !deadline.IsZero() {
			rem := time.Until(deadline)
			if rem <= 0 && !framing {
				if polled {
					return nil, transport.ErrTimeout
				}
				polled, rem = true, 0
				wait = 0 // take what is there, without waiting
			}
			if rem > 0 && (wait < 0 || rem < wait) {
				wait = rem
			}
		}
		n, err := l.conn.ReadWait(ctx, l.buf[:], wait, wake)
		if errors.Is(err, transport.ErrTimeout) {
			continue
		}
		if errors.Is(err, transport.ErrWoken) {
			return nil, ErrInterrupted
		}
		if err != nil {
			return nil, err
		}
		if _, _, err := l.consume(l.buf[:n], false); err != nil {
			return nil, err
		}
	}
}

// describe names an APDU for error messages without its data (which can
// hold card data).
func describe(apdu []byte) string {
	if len(apdu) < 2 {
		return fmt.Sprintf("% X", apdu)
	}
	return fmt.Sprintf("%02X %02X", apdu[0], apdu[1])
}
