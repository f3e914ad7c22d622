package concert

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
)

// Pending is a Concert result whose answer frame is not yet acknowledged.
//
// Only an Approved answer is held: a refusal or an unknown outcome is
// acknowledged at once (nothing the caller records changes what the
// terminal did), and its Pending holds nothing (Deadline zero, Confirm and
// Reject do nothing).
//
// A Concert terminal does NOT reverse an unacknowledged answer (unlike
// ZVT): it waits an ACK timer, sends the answer again, FrameAttempts times
// in all, then gives up, and THE CHARGE STANDS. So:
//
//   - Confirm sends the held ACK and waits for the terminal's EOT.
//   - Reject withholds the ACK until the terminal gives up, delivers the
//     answer as an orphan and returns ErrNotReversed: the charge stands.
//   - At Deadline, just before the terminal gives up, the driver
//     acknowledges the answer itself (so the terminal ends its session
//     cleanly and is free again) and delivers it as an orphan; a Confirm
//     or Reject after that returns ErrHoldExpired. Neither says "not
//     charged": the payment stays in doubt until recovery settles it from
//     the orphan (by its reference), which proves it charged.
//
// Confirm and Reject do not watch their ctx: the driver finishes the
// exchange it began, within the session's timers (seconds).
type Pending struct {
	t        *Terminal
	result   pos.Result
	deadline time.Time
	decide   chan decision // the caller's Confirm or Reject, for the line goroutine
	frame    []byte        // the held answer frame
	text     []byte

	mu    sync.Mutex
	state pendingState
}

type pendingState int

const (
	pendingHeld     pendingState = iota // the answer waits for Confirm or Reject
	pendingDeciding                     // Confirm or Reject is being carried out
	pendingDone                         // settled, or held nothing
	pendingExpired                      // the driver acknowledged it at the deadline
	pendingClosed                       // the driver was closed while it was held
)

type decision struct {
	ack   bool
	reply chan error
}

// settled is a Pending that holds nothing.
func settled(r pos.Result) *Pending { return &Pending{result: r, state: pendingDone} }

// holdMargin is how long before the terminal stops waiting the driver acts
// at the deadline: its ACK must reach the terminal in time.
func holdMargin(t Timers) time.Duration { return t.ACK / 3 }

// Deadline is when the driver acknowledges a held answer itself: a margin
// before the terminal stops waiting for our ACK, by the session's timers
// (Session.HeldUntil; with the protocol's, 3 × 3 s from the answer's
// arrival, less 1 s). Zero for a Pending that holds nothing.
func (p *Pending) Deadline() time.Time { return p.deadline }

// Result is the terminal's result, as checked against the request.
func (p *Pending) Result() pos.Result { return p.result }

// Confirm acknowledges the answer (ACK) and waits for the terminal's EOT.
// nil when the ACK went out (a missing EOT only means the exchange ended
// untidily: a resend is acknowledged when it comes). Its errors never mean
// "not charged": ErrHoldExpired after the deadline, ErrAckFailed when the
// link failed, ErrClosed; each matches pos.ErrConfirmUncertain and comes
// with the answer delivered as an orphan, from which recovery proves the
// charge.
func (p *Pending) Confirm(ctx context.Context) error {
	return p.finish(true)
}

// Reject withholds the acknowledgement until the terminal gives up. The
// payment is NOT undone by this: a held (approved) answer is delivered as
// an orphan and Reject returns ErrNotReversed (pos.ErrConfirmUncertain).
func (p *Pending) Reject(ctx context.Context) error {
	return p.finish(false)
}

func (p *Pending) finish(ack bool) error {
	p.mu.Lock()
	switch p.state {
	case pendingDone:
		p.mu.Unlock()
		return nil
	case pendingExpired:
		p.mu.Unlock()
		return fmt.Errorf("%w (deadline %s)", ErrHoldExpired, p.deadline.Format(time.TimeOnly))
	case pendingClosed:
		p.mu.Unlock()
		return ErrClosed
	case pendingDeciding:
		p.mu.Unlock()
		return fmt.Errorf("concert: Confirm or Reject of this result is already under way")
	}
	p.state = pendingDeciding
	p.mu.Unlock()
	reply := make(chan error, 1)
	p.decide <- decision{ack: ack, reply: reply}
	select {
	case err := <-reply:
		p.mu.Lock()
		p.state = pendingDone
		p.mu.Unlock()
		return err
	case <-p.t.done:
		return ErrClosed
	}
}

// expire marks the Pending expired unless a decision came first.
func (p *Pending) expire(to pendingState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != pendingHeld {
		return false
	}
	p.state = to
	return true
}

// hold keeps the answer's ACK on the line goroutine until the caller
// decides, the deadline comes, or the driver is closed.
func (t *Terminal) hold(p *Pending) {
	timer := time.NewTimer(time.Until(p.deadline))
	defer timer.Stop()
	var d decision
	select {
	case d = <-p.decide:
	case <-timer.C:
		if p.expire(pendingExpired) {
			// The terminal is about to give up: acknowledge it so that it
			// ends cleanly, and keep the answer as evidence.
			t.ack()
			t.deliver(p.frame, p.text, fmt.Sprintf("approved answer to reference %q held past its deadline without Confirm: the driver acknowledged it; the charge stands", p.result.Reference))
			t.end()
			return
		}
		d = <-p.decide
	case <-t.ctx.Done():
		if p.expire(pendingClosed) {
			t.deliver(p.frame, p.text, fmt.Sprintf("approved answer to reference %q still held when the driver was closed: not acknowledged; the charge stands", p.result.Reference))
		}
		t.end()
		return
	}
	err := t.settle(p, d.ack)
	t.end() // before the caller hears back: its next Pay must not find the driver busy
	d.reply <- err
}

// settle carries out Confirm (ack) or Reject.
func (t *Terminal) settle(p *Pending, ack bool) error {
	if ack {
		err := t.sess.Acknowledge(t.ctx)
		if err == nil || errors.Is(err, ErrNoEOT) {
			return nil
		}
		t.linkFailed(err)
		t.deliver(p.frame, p.text, fmt.Sprintf("approved answer to reference %q: its acknowledgement failed (%v); the charge stands", p.result.Reference, err))
		return fmt.Errorf("%w: %w", ErrAckFailed, err)
	}
	t.deliver(p.frame, p.text, fmt.Sprintf("approved answer to reference %q refused by the caller (Reject): not acknowledged, but a Concert terminal does not reverse: the charge stands", p.result.Reference))
	t.refused = keep(t.refused, p.frame)
	t.linkFailed(t.sess.Withhold(t.ctx))
	return ErrNotReversed
}

var _ pos.Pending = (*Pending)(nil)
