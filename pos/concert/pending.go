package concert

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
)

// Pending is a Concert result whose answer frame is not yet acknowledged.
//
// Confirm sends the held ACK and waits for the terminal's EOT. Reject
// withholds it. A Concert terminal does NOT reverse an unacknowledged
// answer (unlike ZVT): after its own resends it gives up and THE CHARGE
// STANDS. So a Reject, or a crash before Confirm, after an Approved (or
// Unknown) result leaves money taken that feepos may not have recorded:
// the caller must mark such a payment needs-review, never "not paid".
//
// A Pending without a held answer (TransportError, Busy, most Unknown
// outcomes) is already finished: Confirm and Reject do nothing.
type Pending struct {
	t      *Terminal
	result pos.Result

	mu   sync.Mutex
	done bool
}

// Deadline is zero: a Concert terminal does not reverse an answer that is
// not acknowledged, so there is no deadline after which it is undone.
func (p *Pending) Deadline() time.Time { return time.Time{} }

// Result is the terminal's result, as checked against the request.
func (p *Pending) Result() pos.Result { return p.result }

// Confirm acknowledges the answer (ACK) and waits for the terminal's EOT.
// Its error never changes the result: the terminal has decided, and a
// missing EOT (ErrNoEOT) only means the exchange ended untidily.
func (p *Pending) Confirm(ctx context.Context) error {
	return p.finish(ctx, true)
}

// Reject withholds the acknowledgement and waits, silent, until the
// terminal gives up. The payment is NOT undone by this (see Pending).
func (p *Pending) Reject(ctx context.Context) error {
	return p.finish(ctx, false)
}

func (p *Pending) finish(ctx context.Context, ack bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return nil
	}
	p.done = true
	defer p.t.end()
	var err error
	if ack {
		err = p.t.sess.Acknowledge(ctx)
	} else {
		err = p.t.sess.Withhold(ctx)
	}
	if errors.Is(err, ErrNothingToAck) {
		return nil
	}
	return err
}

var _ pos.Pending = (*Pending)(nil)
