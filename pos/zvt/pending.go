package zvt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// pending is a result of Pay, Reverse or Refund.
//
// An approved one is held: the terminal's Status-Information (04 0F) is
// not answered yet, and the terminal waits. A goroutine of the driver,
// the holder (hold), owns the line meanwhile: when the terminal's wait is
// about to run out it asks for more time (84 9C 00) and the terminal
// repeats the Status-Information later; Confirm has it answered 80 00 00
// (book it), Reject 84 66 00 (do not book it: the terminal reverses it),
// and at the Deadline the holder refuses it itself (PA00P015 ch. 2.2; the
// "issue of goods" completion of the public Portalum.Zvt client). Until
// the exchange ends the Terminal is busy.
//
// A final pending (refusal, abort, Busy, TransportError, Unknown) holds
// nothing open (t is nil): Confirm and Reject do nothing.
type pending struct {
	t        *Terminal // set only for a held result
	res      pos.Result
	raw      []byte // the held 04 0F, to recognise its repetitions
	heldAt   time.Time
	deadline time.Time

	events chan<- pos.Event
	evMu   sync.Mutex
	evOn   bool // a Confirm or Reject waits: the holder may send events

	// The holder goroutine starts when it has something to do: when the
	// terminal's wait runs out (a timer) or at the caller's decision,
	// whichever comes first. Pay returns without starting a goroutine:
	// most results are confirmed well within HoldAnswer.
	timer   *time.Timer
	started atomic.Bool

	wake     chan struct{} // a decision is waiting (interrupts the holder's read)
	mu       sync.Mutex
	decision int // decNone, decConfirm, decReject; under mu

	over  chan struct{} // closed when the exchange ended; end is set before
	end   holdEnd
	claim atomic.Int32 // claimOpen, claimTaken (the caller has or will read end), claimAbandoned

	finished atomic.Bool // Confirm or Reject was called
}

var _ pos.Pending = (*pending)(nil)

const (
	decNone = iota
	decConfirm
	decReject
)

const (
	claimOpen int32 = iota
	claimTaken
	claimAbandoned
)

// holdEnd is how a held exchange ended.
type holdEnd struct {
	applied int  // the decision the holder answered with (decNone: none; decConfirm: it sent 80 00 00)
	expired bool // no decision before the deadline: the holder refused the result
	booked  bool // the terminal completed (06 0F)
	aborted bool // the terminal aborted (06 1E): it reversed the result
	code    string
	why     string // what happened, for the error
}

func newPending(t *Terminal, res pos.Result, raw []byte, events chan<- pos.Event) *pending {
	now := time.Now()
	return &pending{t: t, res: res, raw: raw, heldAt: now, deadline: now.Add(t.cfg.MaxHold), events: events,
		wake: make(chan struct{}, 1), over: make(chan struct{})}
}

// holdInBackground arms the holder: it starts when the terminal's wait
// for an answer is about to run out, unless a decision starts it first.
func (p *pending) holdInBackground() {
	p.timer = time.AfterFunc(min(p.t.cfg.HoldAnswer, p.t.cfg.MaxHold), func() {
		if p.started.CompareAndSwap(false, true) {
			p.hold()
		}
	})
}

func (p *pending) Result() pos.Result { return p.res }

// Deadline is when the driver refuses the result if neither Confirm nor
// Reject came: MaxHold after the terminal's Status-Information. Zero for
// a result that holds nothing.
func (p *pending) Deadline() time.Time { return p.deadline }

// Confirm has the held result booked (80 00 00) and waits for the end of
// the exchange (Completion 06 0F). nil: booked. Its error matches
// pos.ErrReversedByTerminal when the terminal aborted the result while it
// was held, before our answer (nothing charged), pos.ErrPendingExpired
// when it came after the Deadline (the driver had refused the result),
// pos.ErrConfirmUncertain when the terminal's end did not come, or was an
// abort after our 80 00 00, which the protocol does not allow (settle it
// by recovery). A second call, of either, returns ErrFinished.
func (p *pending) Confirm(ctx context.Context) error { return p.decide(ctx, decConfirm) }

// Reject refuses the held result (84 66 00): the terminal reverses it and
// ends with an abort (06 1E). nil: the terminal confirmed it; an error
// matching pos.ErrConfirmUncertain when it did not say, and
// pos.ErrPendingExpired after the Deadline (refused already).
func (p *pending) Reject(ctx context.Context) error { return p.decide(ctx, decReject) }

func (p *pending) decide(ctx context.Context, dec int) error {
	if p.t == nil {
		return nil
	}
	if !p.finished.CompareAndSwap(false, true) {
		return ErrFinished
	}
	p.evMu.Lock()
	p.evOn = true
	p.evMu.Unlock()
	defer func() {
		p.evMu.Lock()
		p.evOn = false
		p.evMu.Unlock()
	}()
	p.mu.Lock()
	p.decision = dec
	p.mu.Unlock()
	if p.started.CompareAndSwap(false, true) {
		p.timer.Stop()
		go p.hold()
	} else {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	select {
	case <-p.over:
	case <-ctx.Done():
		if p.claim.CompareAndSwap(claimOpen, claimAbandoned) {
			return fmt.Errorf("%w: stopped waiting for the terminal (%w); the driver finishes the exchange and reports its end as an orphan", ErrConfirmUncertain, ctx.Err())
		}
		<-p.over // the end came at the same moment
	}
	return p.end.errorFor(dec)
}

// errorFor is what Confirm (dec = decConfirm) or Reject returns for the
// end of the exchange.
func (e holdEnd) errorFor(dec int) error {
	if e.expired {
		switch {
		case e.aborted:
			return fmt.Errorf("%w: %w (%s)", ErrPendingExpired, ErrReversedByTerminal, e.why)
		case e.booked:
			return fmt.Errorf("%w: but the terminal completed although refused: %w (%s)", ErrPendingExpired, ErrConfirmUncertain, e.why)
		}
		return fmt.Errorf("%w: %w (%s)", ErrPendingExpired, ErrConfirmUncertain, e.why)
	}
	switch {
	case e.aborted && dec == decReject:
		return nil
	case e.aborted && e.applied == decConfirm:
		// PA00P015: a terminal sends no abort after the ECR took the
		// result with 80 00 00. One that does is not keeping to the
		// protocol, and whether it booked is not something its abort
		// proves: its own record settles it (recovery).
		return fmt.Errorf("%w: the terminal aborted (06 1E %s) after our confirmation (80 00 00), which the protocol does not allow: whether it booked the payment is settled by its last transaction: %s", ErrConfirmUncertain, e.code, e.why)
	case e.aborted:
		return fmt.Errorf("%w (06 1E %s): %s", ErrReversedByTerminal, e.code, e.why)
	case e.booked && dec == decConfirm && e.applied == decConfirm:
		return nil
	case e.booked:
		return fmt.Errorf("%w: the terminal completed (06 0F) without our confirmation: %s", ErrConfirmUncertain, e.why)
	}
	return fmt.Errorf("%w: %s", ErrConfirmUncertain, e.why)
}

// emit sends an intermediate status while a Confirm or Reject waits (the
// caller may close its channel once they returned).
func (p *pending) emit(e pos.Event) {
	p.evMu.Lock()
	defer p.evMu.Unlock()
	if p.evOn {
		pos.Send(p.events, e)
	}
}

func (p *pending) takeDecision() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.decision
}

// hold runs in its own goroutine from the moment Pay (Refund, Reverse)
// returns an approved result until the exchange ends; it then ends the
// conversation (finishWith).
func (p *pending) hold() {
	t := p.t
	ctx := context.Background()
	waiting := true // the terminal waits for our answer to its latest 04 0F
	answerBy := p.heldAt.Add(t.cfg.HoldAnswer)
	var repeatBy time.Time
	dec, expired := decNone, false
	for {
		if dec == decNone {
			dec = p.takeDecision()
		}
		if dec == decNone && !expired && !time.Now().Before(p.deadline) {
			expired = true // the caller did not decide in time: refuse it
		}
		// Ready to answer: what the terminal has sent already is read
		// first (wait 0), so that an abort it sent while the result was
		// held is known to come before our answer, not after it.
		ready := waiting && (dec != decNone || expired)
		wait := time.Duration(0)
		if !ready {
			next := answerBy
			if !waiting {
				next = repeatBy
			}
			if dec == decNone && !expired && p.deadline.Before(next) {
				next = p.deadline
			}
			wait = max(time.Until(next), 0)
		}
		a, err := t.link.Receive(ctx, wait, p.wake)
		switch {
		case errors.Is(err, ErrInterrupted):
			continue
		case errors.Is(err, transport.ErrTimeout) && ready:
			p.finishWith(p.answer(ctx, dec, expired))
			return
		case errors.Is(err, transport.ErrTimeout):
			now := time.Now()
			switch {
			case waiting && !now.Before(answerBy) && now.Before(p.deadline):
				// The terminal's wait is running out: ask for more time;
				// it repeats its Status-Information later.
				if err := t.link.Send(Nack(0x9C)); err != nil {
					t.registered = false
					p.finishWith(holdEnd{applied: dec, expired: expired, why: fmt.Sprintf("asking the terminal for more time (84 9C) failed: %v", err)})
					return
				}
				waiting, repeatBy = false, now.Add(t.cfg.HoldRepeat)
			case !waiting && !now.Before(repeatBy):
				t.registered = false
				p.finishWith(holdEnd{applied: dec, expired: expired, why: fmt.Sprintf("the terminal did not repeat its status information within %s of our 84 9C", t.cfg.HoldRepeat)})
				return
			}
			continue
		case err != nil:
			t.registered = false
			if errors.Is(err, ErrTruncated) {
				_ = t.link.Send(Nack(0x66))
			}
			p.finishWith(holdEnd{applied: dec, expired: expired, why: fmt.Sprintf("the line failed while the result was held: %v", err)})
			return
		}
		var serr error
		switch kindOf(a) {
		case k040F:
			if !sameStatus(a, p.raw) {
				serr = t.stray(ctx, a, "while another result was held")
				break
			}
			// Repeated after our 84 9C, or because it missed it: it waits
			// for an answer again.
			waiting, answerBy = true, time.Now().Add(t.cfg.HoldAnswer)
		case k061E:
			_ = t.ack()
			m, _ := Decode(a)
			p.finishWith(holdEnd{applied: decNone, expired: expired, aborted: true, code: m.ResultCode, why: "the terminal aborted the held result before it was answered"})
			return
		case k060F:
			_ = t.ack()
			p.finishWith(holdEnd{applied: decNone, expired: expired, booked: true, why: "the terminal completed before the result was answered"})
			return
		case k04FF, k06D1, k06D3:
			serr = t.ack()
		case kAck, kNack:
		default:
			serr = t.link.Send(Nack(0x83))
		}
		if serr != nil {
			t.registered = false
			p.finishWith(holdEnd{applied: dec, expired: expired, why: fmt.Sprintf("answering the terminal failed while the result was held: %v", serr)})
			return
		}
	}
}

// answer answers the held Status-Information, the terminal waiting for
// it: 80 00 00 to book it, 84 66 00 to refuse it; then reads the end.
func (p *pending) answer(ctx context.Context, dec int, expired bool) holdEnd {
	t := p.t
	ans, what := Ack(), "confirmed (80 00 00)"
	if dec != decConfirm || expired {
		ans, what = Nack(0x66), "refused (84 66 00)"
		if expired {
			what += fmt.Sprintf(" by the driver: no decision within %s", t.cfg.MaxHold)
		}
	}
	e := holdEnd{applied: dec, expired: expired}
	if expired {
		e.applied = decNone
	}
	if err := t.link.Send(ans); err != nil {
		t.registered = false
		e.why = fmt.Sprintf("%s, but sending it failed: %v", what, err)
		return e
	}
	end := t.readTail(ctx, ans, p.raw, p.emit, t.cfg.Timers.T4)
	e.booked, e.aborted, e.code = end.completed, end.aborted, end.code
	e.why = what + "; " + end.says()
	if end.err != nil {
		t.registered = false
	}
	return e
}

// finishWith records the end, frees the terminal and wakes Confirm or
// Reject, in that order: a caller woken can start its next conversation
// at once. When the caller stopped waiting, the end is reported as an
// orphan instead.
func (p *pending) finishWith(e holdEnd) {
	p.end = e
	p.t.end()
	close(p.over)
	if p.claim.CompareAndSwap(claimOpen, claimTaken) {
		return
	}
	res := p.res
	switch {
	case e.booked && e.applied == decConfirm && !e.expired:
	case e.aborted && e.applied == decConfirm && !e.expired:
		// An abort after our 80 00 00 proves nothing (see errorFor).
		res.Outcome = pos.Unknown
	case e.aborted:
		res.Outcome = pos.Aborted
		res.TextVI = "Máy POS đã hủy giao dịch: thẻ không bị trừ tiền"
	default:
		res.Outcome = pos.Unknown
	}
	p.t.reportOrphan(pos.Orphan{Result: res, Wire: decodeLenient(p.raw).Raw, At: p.t.now(), Refused: e.applied == decReject || e.expired,
		Note: "the end of a held result whose Confirm or Reject had stopped waiting: " + e.why})
}
