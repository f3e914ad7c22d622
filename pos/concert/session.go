package concert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/pos/transport"
)

// Timers are the waits and retry counts of a Concert session. Zero fields
// take the protocol defaults (control.go); tests shrink them.
type Timers struct {
	ACK           time.Duration // wait for ACK/NAK after ENQ or a frame, and for the frame after our ACK (ACKTimeout)
	ENQAttempts   int           // ENQ sent at most this often (ENQAttempts)
	ENQRetryPause time.Duration // pause between two ENQ attempts (ENQRetryPause)
	FrameAttempts int           // a frame is sent, or received, at most this often (FrameAttempts)
	// ByteGap is the longest silence inside a frame. Default ACKTimeout:
	// "the Telium spec say that we have to wait up to 3 seconds to get LRC"
	// (pypostelium.py, transaction_start).
	ByteGap time.Duration
	EOT     time.Duration // wait for the peer's EOT after our last ACK (ACKTimeout)
	Answer  time.Duration // wait for the terminal's ENQ announcing its answer (AnswerTimeout)
}

// DefaultTimers are the protocol's timers.
func DefaultTimers() Timers {
	return Timers{
		ACK: ACKTimeout, ENQAttempts: ENQAttempts, ENQRetryPause: ENQRetryPause,
		FrameAttempts: FrameAttempts, ByteGap: ACKTimeout, EOT: ACKTimeout, Answer: AnswerTimeout,
	}
}

// WithDefaults fills the zero fields of t from DefaultTimers.
func (t Timers) WithDefaults() Timers {
	d := DefaultTimers()
	if t.ACK <= 0 {
		t.ACK = d.ACK
	}
	if t.ENQAttempts <= 0 {
		t.ENQAttempts = d.ENQAttempts
	}
	if t.ENQRetryPause < 0 {
		t.ENQRetryPause = 0
	} else if t.ENQRetryPause == 0 {
		t.ENQRetryPause = d.ENQRetryPause
	}
	if t.FrameAttempts <= 0 {
		t.FrameAttempts = d.FrameAttempts
	}
	if t.ByteGap <= 0 {
		t.ByteGap = d.ByteGap
	}
	if t.EOT <= 0 {
		t.EOT = d.EOT
	}
	if t.Answer <= 0 {
		t.Answer = d.Answer
	}
	return t
}

// Role says which end of the line a Session is; it only names the
// directions in the trace.
type Role int

const (
	RoleECR Role = iota // the cash register (feepos)
	RolePT              // the payment terminal (the simulator)
)

// Trace directions, as in the decoded message contract (docs/ARCHITECTURE.md).
const (
	DirECRToPT = "ecr_to_pt"
	DirPTToECR = "pt_to_ecr"
)

// Delivery says whether the peer may hold a frame we failed to get
// acknowledged.
type Delivery int

const (
	// NotDelivered: the peer certainly did not take the frame: it was never
	// written (the ENQ went unanswered, or the write failed before its
	// first byte), or the peer answered NAK to every attempt.
	NotDelivered Delivery = iota
	// MaybeDelivered: the whole frame went out at least once and the peer
	// said neither ACK nor NAK (its ACK may be lost), or the link broke
	// after the frame was written. The peer may be acting on it.
	MaybeDelivered
)

func (d Delivery) String() string {
	if d == NotDelivered {
		return "not delivered"
	}
	return "maybe delivered"
}

// Session errors.
var (
	ErrENQRefused   = errors.New("concert: the peer did not acknowledge ENQ")
	ErrFrameRefused = errors.New("concert: the peer did not acknowledge the frame")
	ErrNoENQ        = errors.New("concert: the peer announced no message (no ENQ) in time")
	ErrNoFrame      = errors.New("concert: no valid frame after the retries")
	ErrPeerEnded    = errors.New("concert: the peer ended the exchange (EOT) without a valid frame")
	ErrNoEOT        = errors.New("concert: the peer did not end the exchange with EOT")
	ErrNothingToAck = errors.New("concert: no received frame is waiting for its acknowledgement")
)

// SendError is why Send failed, and whether the peer may hold the frame.
type SendError struct {
	Stage    string // "enq" or "frame"
	Delivery Delivery
	Err      error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("concert send (%s, %s): %v", e.Stage, e.Delivery, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Session is the Concert link layer (E+ over serial; pyTeliumManager
// manager.py ask/verify, pypostelium transaction_start) over one
// transport.Conn, for either end of the line:
//
//	sender:   ENQ → ACK → STX text ETX LRC → ACK (NAK: send again) → EOT
//	receiver: ENQ → ACK → STX text ETX LRC → ACK (bad LRC: NAK)   → EOT
//
// The receiver side is split in two so that the driver can hold the
// acknowledgement of the terminal's answer until the caller has recorded
// it: ReceiveFrame returns the frame unacknowledged, then Acknowledge or
// Withhold. A Session is not safe for concurrent use.
type Session struct {
	conn    transport.Conn
	timers  Timers
	trace   func(direction string, b []byte)
	out, in string
	r       Reader
	held    []byte // the received frame not yet acknowledged
	// heldAt is when held arrived, heldTry which of the peer's attempts
	// it was (1 for the first): how long the peer still waits for our ACK.
	heldAt  time.Time
	heldTry int
	// acked is the last frame acknowledged: a peer that missed our ACK
	// sends it again, without a new ENQ, and is answered ACK again.
	acked []byte
}

// NewSession runs the link layer over conn. trace, if not nil, sees every
// byte sent and received (frames whole, other bytes one by one).
func NewSession(conn transport.Conn, role Role, timers Timers, trace func(direction string, b []byte)) *Session {
	s := &Session{conn: conn, timers: timers.WithDefaults(), trace: trace, out: DirECRToPT, in: DirPTToECR}
	if role == RolePT {
		s.out, s.in = DirPTToECR, DirECRToPT
	}
	return s
}

// Timers returns the session's timers, defaults filled in.
func (s *Session) Timers() Timers { return s.timers }

func (s *Session) traceOut(b []byte) {
	if s.trace != nil {
		s.trace(s.out, append([]byte(nil), b...))
	}
}

func (s *Session) traceIn(b ...byte) {
	if s.trace != nil {
		s.trace(s.in, append([]byte(nil), b...))
	}
}

func (s *Session) write(b ...byte) (int, error) {
	s.traceOut(b)
	return s.conn.Write(b)
}

// readByte waits at most timeout for one byte, watching ctx: 0 takes
// only a byte already received, a negative timeout waits without limit.
// The wait is one ReadWait: it sleeps until the byte, the timeout, ctx or
// wake (transport.ErrWoken), with no periodic wake-up, and a byte already
// received comes from the transport's buffer without a system call.
func (s *Session) readByte(ctx context.Context, timeout time.Duration, wake <-chan struct{}) (byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var b [1]byte
	if _, err := s.conn.ReadWait(ctx, b[:], timeout, wake); err != nil {
		return 0, err
	}
	return b[0], nil
}

// until is the time left before deadline, 0 once it passed (a byte
// already received still counts).
func until(deadline time.Time) time.Duration {
	return max(0, time.Until(deadline))
}

// waitACK waits for ACK or NAK, skipping anything else (a peer's own ENQ,
// line noise). It returns ACK, NAK, or an error (transport.ErrTimeout when
// neither came in time).
func (s *Session) waitACK(ctx context.Context) (byte, error) {
	deadline := time.Now().Add(s.timers.ACK)
	for {
		b, err := s.readByte(ctx, until(deadline), nil)
		if err != nil {
			return 0, err
		}
		s.traceIn(b)
		if b == ACK || b == NAK {
			return b, nil
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send delivers one message text as the sender: Open, then Transmit. It
// returns nil once the peer ACKed the frame; a failure to send the final
// EOT after that is only traced (the peer has the message). Any other
// failure is a *SendError saying whether the peer may hold it.
func (s *Session) Send(ctx context.Context, text []byte) error {
	if err := s.Open(ctx); err != nil {
		return err
	}
	return s.Transmit(ctx, text)
}

// Open is the sender's first step: ENQ, retried ENQAttempts times with an
// EOT after each failed attempt (pypostelium initialize_msg), until the
// peer answers ACK: the line is then ours for one frame (Transmit). Its
// error is a *SendError with Stage "enq" and Delivery NotDelivered:
// nothing of a message went out. A peer's own ENQ while we wait for its
// ACK is skipped: the register sends first, and the peer gives way.
func (s *Session) Open(ctx context.Context) error {
	return s.open(ctx, s.timers.ENQAttempts)
}

func (s *Session) open(ctx context.Context, attempts int) error {
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := sleepCtx(ctx, s.timers.ENQRetryPause); err != nil {
				return &SendError{Stage: "enq", Delivery: NotDelivered, Err: err}
			}
		}
		if _, err := s.write(ENQ); err != nil {
			return &SendError{Stage: "enq", Delivery: NotDelivered, Err: err}
		}
		b, err := s.waitACK(ctx)
		switch {
		case err == nil && b == ACK:
			return nil
		case err == nil: // NAK: the peer is not ready
			last = fmt.Errorf("%w: NAK on attempt %d", ErrENQRefused, attempt)
		case errors.Is(err, transport.ErrTimeout):
			last = fmt.Errorf("%w: nothing in %v on attempt %d", ErrENQRefused, s.timers.ACK, attempt)
		case ctx.Err() != nil:
			// The peer may still answer our ENQ: tell it we gave up.
			_, _ = s.write(EOT)
			return &SendError{Stage: "enq", Delivery: NotDelivered, Err: err}
		default:
			return &SendError{Stage: "enq", Delivery: NotDelivered, Err: err}
		}
		if _, err := s.write(EOT); err != nil {
			return &SendError{Stage: "enq", Delivery: NotDelivered, Err: err}
		}
	}
	return &SendError{Stage: "enq", Delivery: NotDelivered, Err: last}
}

// Transmit is the sender's second step, after a successful Open: the
// frame, sent again on NAK or silence (FrameAttempts in all), then EOT.
// It returns nil once the peer ACKed the frame, else a *SendError with
// Stage "frame" saying whether the peer may hold it.
func (s *Session) Transmit(ctx context.Context, text []byte) error {
	frame := Frame(text)
	delivery := NotDelivered
	var last error
	for attempt := 1; attempt <= s.timers.FrameAttempts; attempt++ {
		n, err := s.write(frame...)
		if err != nil {
			if n > 0 {
				delivery = MaybeDelivered
			}
			return &SendError{Stage: "frame", Delivery: delivery, Err: err}
		}
		b, err := s.waitACK(ctx)
		switch {
		case err == nil && b == ACK:
			// A failed EOT is left to the answer wait, which reports the
			// broken link: the peer has the message either way.
			_, _ = s.write(EOT)
			return nil
		case err == nil: // NAK: the peer saw the frame damaged and did not take it
			last = fmt.Errorf("%w: NAK on attempt %d", ErrFrameRefused, attempt)
		case errors.Is(err, transport.ErrTimeout):
			// Silence: the peer may have taken the frame and its ACK got lost.
			delivery = MaybeDelivered
			last = fmt.Errorf("%w: nothing in %v on attempt %d", ErrFrameRefused, s.timers.ACK, attempt)
		default:
			return &SendError{Stage: "frame", Delivery: MaybeDelivered, Err: err}
		}
	}
	_, _ = s.write(EOT)
	return &SendError{Stage: "frame", Delivery: delivery, Err: last}
}

// End closes, with EOT, a session Open opened, sending no message.
func (s *Session) End() error {
	_, err := s.write(EOT)
	return err
}

// Probe opens a session and closes it at once, with no message: ENQ, the
// peer's ACK, EOT, in one attempt. nil says the peer is on the line and
// ready to take a message; the error is Open's. A sender that gives up
// after the ENQ ends its session the same way (pypostelium sends EOT
// after an ENQ it saw no ACK to, which a peer that answered late receives
// in exactly this state), so a Concert terminal meets it in the field.
func (s *Session) Probe(ctx context.Context) error {
	if err := s.open(ctx, 1); err != nil {
		return err
	}
	_, err := s.write(EOT)
	return err
}

// ReceiveFrame is the receiver's first half: it waits at most wait for the
// peer's ENQ (0: only what was already received), answers ACK and reads
// its frame, answering NAK to a damaged one (bad LRC, a silence longer
// than ByteGap inside it, overflow) up to FrameAttempts receptions. The
// Reader takes exactly one byte after ETX as the LRC, whatever its value.
// The good frame's text is returned NOT acknowledged: call Acknowledge or
// Withhold next.
//
// Before the ENQ, a whole frame equal to the last one acknowledged is the
// peer sending it again because our ACK got lost: it is acknowledged
// again, and the wait goes on. Any other whole, valid frame without an ENQ
// (the ENQ was lost on the line) is taken as if the ENQ had come.
func (s *Session) ReceiveFrame(ctx context.Context, wait time.Duration) ([]byte, error) {
	return s.receive(ctx, wait, nil)
}

// Listen is ReceiveFrame without a time limit, for a line at rest: it
// returns transport.ErrWoken when wake fires before the peer began a
// session.
func (s *Session) Listen(ctx context.Context, wake <-chan struct{}) ([]byte, error) {
	return s.receive(ctx, -1, wake)
}

func (s *Session) receive(ctx context.Context, wait time.Duration, wake <-chan struct{}) ([]byte, error) {
	s.held = nil
	s.r.Reset()
	deadline := time.Now().Add(wait)
	for enq := false; !enq; {
		timeout := wait
		if wait > 0 {
			timeout = until(deadline)
		}
		b, err := s.readByte(ctx, timeout, wake)
		if errors.Is(err, transport.ErrTimeout) {
			return nil, fmt.Errorf("%w (waited %v)", ErrNoENQ, wait)
		}
		if err != nil {
			return nil, err
		}
		ev, frame, _ := s.r.Feed(b)
		switch ev {
		case EventNone:
		case EventENQ:
			s.traceIn(b)
			enq = true
		case EventFrame:
			s.traceIn(frame...)
			if bytes.Equal(frame, s.acked) {
				if _, err := s.write(ACK); err != nil {
					return nil, err
				}
				continue
			}
			s.hold(frame, 1)
			return frame[1 : len(frame)-2], nil
		default:
			if frame != nil {
				s.traceIn(frame...)
			} else {
				s.traceIn(b)
			}
		}
	}
	s.r.Reset()
	if _, err := s.write(ACK); err != nil {
		return nil, err
	}
	failures := 0
	fail := func(why error) error {
		failures++
		if failures >= s.timers.FrameAttempts {
			return fmt.Errorf("%w: %d failed receptions, last: %v", ErrNoFrame, failures, why)
		}
		if _, err := s.write(NAK); err != nil {
			return err
		}
		return nil
	}
	for {
		timeout := s.timers.ACK
		if s.r.InFrame() {
			timeout = s.timers.ByteGap
		}
		b, err := s.readByte(ctx, timeout, nil)
		if errors.Is(err, transport.ErrTimeout) {
			if s.r.InFrame() {
				s.r.Reset()
				if err := fail(fmt.Errorf("silence over %v inside the frame", s.timers.ByteGap)); err != nil {
					return nil, err
				}
				continue
			}
			failures++
			if failures >= s.timers.FrameAttempts {
				return nil, fmt.Errorf("%w: no frame after ACK", ErrNoFrame)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		ev, frame, ferr := s.r.Feed(b)
		switch ev {
		case EventNone:
			continue
		case EventFrame:
			s.traceIn(frame...)
			s.hold(frame, failures+1)
			return frame[1 : len(frame)-2], nil
		case EventBadLRC:
			s.traceIn(frame...)
			if err := fail(ferr); err != nil {
				return nil, err
			}
		case EventOverflow:
			if err := fail(ferr); err != nil {
				return nil, err
			}
		case EventENQ:
			// The peer started over (our ACK may be lost): accept again.
			s.traceIn(b)
			if _, err := s.write(ACK); err != nil {
				return nil, err
			}
		case EventEOT:
			s.traceIn(b)
			return nil, ErrPeerEnded
		default:
			s.traceIn(b)
		}
	}
}

func (s *Session) hold(frame []byte, try int) {
	s.held, s.heldAt, s.heldTry = frame, time.Now(), try
}

// Held is the whole received frame (STX … LRC) waiting for Acknowledge or
// Withhold, nil when none.
func (s *Session) Held() []byte { return s.held }

// HeldUntil is when the peer stops waiting for the ACK of the held frame,
// by the session's timers (which must be the peer's): it waits an ACK
// timer after each sending of the frame and sends it FrameAttempts times
// in all, the ones we refused (NAK) before this one included. An ACK
// sent while it waits for another sending is taken all the same. Zero
// when nothing is held.
func (s *Session) HeldUntil() time.Time {
	if s.held == nil {
		return time.Time{}
	}
	left := max(1, s.timers.FrameAttempts-s.heldTry+1)
	return s.heldAt.Add(time.Duration(left) * s.timers.ACK)
}

// Acknowledge is the receiver's second half: ACK the held frame, then wait
// for the peer's EOT. A resend of the same frame (our ACK came late) is
// acknowledged again. ErrNoEOT is informational: the peer has our ACK or
// will resend (and ReceiveFrame or Listen acknowledges the resend).
func (s *Session) Acknowledge(ctx context.Context) error {
	if s.held == nil {
		return ErrNothingToAck
	}
	held := s.held
	s.held = nil
	if _, err := s.write(ACK); err != nil {
		return err
	}
	s.acked = held
	s.r.Reset()
	deadline := time.Now().Add(s.timers.EOT)
	for {
		b, err := s.readByte(ctx, until(deadline), nil)
		if errors.Is(err, transport.ErrTimeout) {
			return ErrNoEOT
		}
		if err != nil {
			return err
		}
		ev, frame, _ := s.r.Feed(b)
		switch ev {
		case EventNone:
		case EventEOT:
			s.traceIn(b)
			return nil
		case EventFrame:
			s.traceIn(frame...)
			if bytes.Equal(frame, held) {
				if _, err := s.write(ACK); err != nil {
					return err
				}
				deadline = time.Now().Add(s.timers.EOT)
			}
		default:
			if frame != nil {
				s.traceIn(frame...)
			} else {
				s.traceIn(b)
			}
		}
	}
}

// Withhold is the other second half: the held frame is never
// acknowledged. It waits, sending nothing, until the peer gives up: its
// EOT, or silence past HeldUntil and one more ACK timer, so that the line
// is idle afterwards.
func (s *Session) Withhold(ctx context.Context) error {
	if s.held == nil {
		return ErrNothingToAck
	}
	deadline := s.HeldUntil().Add(s.timers.ACK)
	s.held = nil
	s.r.Reset()
	for {
		b, err := s.readByte(ctx, until(deadline), nil)
		if errors.Is(err, transport.ErrTimeout) {
			return nil
		}
		if err != nil {
			return err
		}
		ev, frame, _ := s.r.Feed(b)
		if frame != nil {
			s.traceIn(frame...)
		} else if ev != EventNone {
			s.traceIn(b)
		}
		if ev == EventEOT {
			return nil
		}
	}
}

// Receive is the whole receiver role: ReceiveFrame then Acknowledge.
func (s *Session) Receive(ctx context.Context, wait time.Duration) ([]byte, error) {
	text, err := s.ReceiveFrame(ctx, wait)
	if err != nil {
		return nil, err
	}
	if err := s.Acknowledge(ctx); err != nil && !errors.Is(err, ErrNoEOT) {
		return text, err
	}
	return text, nil
}
