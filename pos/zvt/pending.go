package zvt

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/pos"
)

// pending is a result of Pay, Reverse or Refund. When open, the
// terminal's Status-Information (04 0F) is not yet acknowledged and the
// terminal stays in the conversation: Confirm acknowledges it and runs
// the rest of the sequence, Reject withholds the acknowledgement, after
// which the terminal reverses the transaction by itself (PA00P015 ch. 2.2,
// Status-Information is answered by the ECR before the PT books it as
// final). Until one of them is called the Terminal is busy.
//
// A final pending (refusal, abort, Busy, TransportError, Unknown) holds
// nothing open (t is nil): Confirm and Reject do nothing.
type pending struct {
	t      *Terminal // set only while the 04 0F waits for its answer
	res    pos.Result
	raw    []byte // the 04 0F as received, to recognise a duplicate
	events chan<- pos.Event

	finished atomic.Bool // Confirm or Reject has run
}

var _ pos.Pending = (*pending)(nil)

func (p *pending) Result() pos.Result { return p.res }

// Deadline: not yet computed (issue 9 brings the hold with 84 9C).
func (p *pending) Deadline() time.Time { return time.Time{} }

// finish marks an open result answered. Only the first Confirm or Reject
// talks to the terminal; any later call gets ErrFinished.
func (p *pending) finish() error {
	if !p.finished.CompareAndSwap(false, true) {
		return ErrFinished
	}
	return nil
}

// Confirm acknowledges the result (80 00 00) and reads the terminal's
// remaining messages up to Completion (06 0F). An error wrapping
// ErrConfirmUncertain means the terminal may not have booked the result
// (the acknowledgement was not taken, or the terminal aborted after it):
// run LastResult.
func (p *pending) Confirm(ctx context.Context) error {
	t := p.t
	if t == nil {
		return nil
	}
	if err := p.finish(); err != nil {
		return err
	}
	defer t.end()
	// Any failure here leaves the terminal's state unknown: register
	// again before the next command.
	uncertain := func(err error) error {
		t.registered = false
		return fmt.Errorf("%w: %w", ErrConfirmUncertain, err)
	}
	if err := t.ack(); err != nil {
		return uncertain(err)
	}
	deadline := time.Now().Add(t.cfg.Timers.T4)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			return uncertain(fmt.Errorf("completion (06 0F) not received: %w", err))
		}
		switch kindOf(a) {
		case k040F:
			if bytes.Equal(a, p.raw) {
				continue // the same result sent twice: already answered
			}
			if err := t.ack(); err != nil {
				return uncertain(err)
			}
		case k04FF:
			if err := t.ack(); err != nil {
				return uncertain(err)
			}
			if code, ok := intermediateCode(a); ok {
				pos.Send(p.events, IntermediateEvent(code, t.now()))
			}
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case k06D1, k06D3:
			if err := t.ack(); err != nil {
				return uncertain(err)
			}
		case k060F:
			_ = t.ack() // the sequence is over either way
			return nil
		case k061E:
			_ = t.ack()
			m, _ := Decode(a)
			return fmt.Errorf("%w: terminal aborted after the result (06 1E %s)", ErrConfirmUncertain, m.ResultCode)
		}
	}
}

// Reject withholds the acknowledgement: the terminal reverses the
// transaction when its wait for it runs out. The next conversation starts
// by dropping whatever the terminal still sends of this one.
func (p *pending) Reject(ctx context.Context) error {
	if p.t == nil {
		return nil
	}
	if err := p.finish(); err != nil {
		return err
	}
	p.t.end()
	return nil
}
