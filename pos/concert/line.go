package concert

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// The line goroutine. It alone uses the Session: it runs the jobs that
// callers queue (a payment, a probe) one after the other, and between
// them it listens, so that whatever the terminal sends on its own (a late
// answer, a repeated one, a message nobody asked for) is taken off the
// line at once, kept as an orphan and acknowledged.

func (t *Terminal) run() {
	defer close(t.done)
	for t.ctx.Err() == nil {
		if job := t.next(); job != nil {
			job()
			continue
		}
		t.idle()
	}
}

// submit queues a job for the line goroutine and wakes its listener.
func (t *Terminal) submit(job func()) {
	t.mu.Lock()
	t.queue = append(t.queue, job)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *Terminal) next() func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return nil
	}
	job := t.queue[0]
	t.queue = t.queue[1:]
	return job
}

// idle listens until a job is queued. The wait is one read that sleeps
// until a byte, the wake-up or Close: no CPU while the line is quiet.
func (t *Terminal) idle() {
	if t.lineErr != nil {
		// The link failed: reading on would only fail again (or make a
		// reconnecting link reopen in a loop). The next job tries it.
		select {
		case <-t.wake:
		case <-t.ctx.Done():
		}
		return
	}
	text, err := t.sess.Listen(t.ctx, t.wake)
	if err != nil {
		t.linkFailed(err)
		return
	}
	t.unasked(text, "")
}

// linkFailed notes a failure of the link itself (port gone, driver
// closed); protocol failures (no ACK, bad frames) leave the line usable.
func (t *Terminal) linkFailed(err error) {
	if err != nil && t.ctx.Err() == nil && (errors.Is(err, transport.ErrVanished) || errors.Is(err, transport.ErrClosed)) {
		t.lineErr = err
	}
}

// serveBuffered takes, before a job sends anything, a session the
// terminal began (its ENQ already received): an answer it sends late has
// the line first, and a stale byte cannot pass for the ACK to our ENQ.
func (t *Terminal) serveBuffered() {
	for t.lineErr == nil && t.ctx.Err() == nil {
		text, err := t.sess.ReceiveFrame(t.ctx, 0)
		if err != nil {
			t.linkFailed(err)
			return
		}
		t.unasked(text, "")
	}
}

// unasked handles a frame the terminal sent while no payment waited, held
// by the session: a repeat of an answer already handed over is
// acknowledged again, one the driver withholds stays withheld, anything
// else is an orphan, kept first and acknowledged.
func (t *Terminal) unasked(text []byte, note string) {
	frame := t.sess.Held()
	switch {
	case contains(t.refused, frame):
		t.linkFailed(t.sess.Withhold(t.ctx))
	case contains(t.seen, frame):
		t.ack()
	default:
		t.deliver(frame, text, note)
		t.ack()
	}
}

// ack acknowledges the held frame; a missing EOT only means the exchange
// ended untidily (a resend is acknowledged when it comes).
func (t *Terminal) ack() {
	if err := t.sess.Acknowledge(t.ctx); err != nil && !errors.Is(err, ErrNoEOT) {
		t.linkFailed(err)
	}
}

const keptFrames = 16

func contains(frames [][]byte, f []byte) bool {
	for _, g := range frames {
		if bytes.Equal(g, f) {
			return true
		}
	}
	return false
}

func keep(frames [][]byte, f []byte) [][]byte {
	if contains(frames, f) {
		return frames
	}
	frames = append(frames, f)
	if len(frames) > keptFrames {
		frames = frames[len(frames)-keptFrames:]
	}
	return frames
}

// deliver hands a frame nobody waits for to OnOrphan.
func (t *Terminal) deliver(frame, text []byte, note string) {
	t.seen = keep(t.seen, frame)
	if t.cfg.OnOrphan != nil {
		t.cfg.OnOrphan(t.orphan(frame, text, note))
	}
}

// orphan describes a frame as evidence: the answer as the terminal stated
// it (its PRIV as the reference), the wire with the card number masked.
func (t *Terminal) orphan(frame, text []byte, note string) pos.Orphan {
	wire := hex.EncodeToString(frame)
	if m, _ := Decode(frame); m.Raw != "" {
		wire = m.Raw
	}
	o := pos.Orphan{Wire: wire, At: t.cfg.Clock()}
	a, err := ParsePaymentAnswer(text)
	if err != nil {
		o.Result = pos.Result{Outcome: pos.Unknown, Text: fmt.Sprintf("not an E+ answer: %v", err), TextVI: viOrphan}
		o.Note = join(note, "a message the terminal sent that is no E+ answer")
		return o
	}
	outcome, why := a.Outcome()
	o.Result = pos.Result{Outcome: outcome, Amount: a.Amount, Currency: a.Currency, ResultCode: string(a.Status),
		Text: why, TextVI: viOrphan, PANMasked: a.PANMasked, CardType: ModeName(a.Mode), Reference: a.Priv}
	if note == "" {
		if t.sent(a.Priv) {
			note = fmt.Sprintf("late answer to reference %q: its payment no longer waited", a.Priv)
		} else {
			note = fmt.Sprintf("an answer the terminal sent on its own: reference %q was not sent by this driver lately", a.Priv)
		}
	}
	if a.POSNumber != t.cfg.PosNumber {
		note = join(note, fmt.Sprintf("for register %s (this driver is register %s)", a.POSNumber, t.cfg.PosNumber))
	}
	o.Note = note
	return o
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// payJob is one payment, run by the line goroutine for a caller that may
// stop waiting.
type payJob struct {
	t      *Terminal
	ctx    context.Context // the caller's
	req    pos.Request
	text   []byte
	events chan<- pos.Event
	out    chan *Pending // the caller's result, once

	mu       sync.Mutex
	stage    jobStage
	moved    chan struct{} // closed when the job leaves stageOpening
	attended bool          // the caller still waits: it gets the result and the events
}

type jobStage int

const (
	stageQueued  jobStage = iota // nothing done yet
	stageOpening                 // ENQ sent, no frame yet: nothing of the request went out
	stageSent                    // the request may have reached the terminal
	stageDone                    // the result went to the caller (or it left)
)

func (j *payJob) setStage(s jobStage) {
	if j.stage == stageOpening && s != stageOpening {
		close(j.moved)
	}
	j.stage = s
}

// emit sends an intermediate event while the caller waits.
func (j *payJob) emit(kind pos.EventKind, text string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.attended {
		pos.Send(j.events, pos.Event{Kind: kind, Text: text, At: j.t.cfg.Clock()})
	}
}

// handOver gives the caller its result; false when it left (then the job
// owns the answer). No event is sent after it.
func (j *payJob) handOver(p *Pending) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.attended {
		return false
	}
	j.attended = false
	j.out <- p
	j.setStage(stageDone)
	return true
}

// finish ends the payment with a result that holds nothing.
func (j *payJob) finish(r pos.Result) {
	j.t.end()
	j.handOver(settled(r))
}

// leave is the caller's side of a cancelled wait. Before the request went
// out the payment stops; after, the caller gets Unknown at once and the
// job goes on without it.
func (j *payJob) leave() *Pending {
	for {
		j.mu.Lock()
		switch j.stage {
		case stageQueued:
			j.attended = false
			j.setStage(stageDone)
			j.mu.Unlock()
			j.t.end()
			return settled(j.notSent(fmt.Sprintf("cancelled before anything was sent (%v)", j.ctx.Err()), viTransport))
		case stageOpening:
			// Open watches the caller's ctx: it ends at once.
			moved := j.moved
			j.mu.Unlock()
			<-moved
		case stageSent:
			j.attended = false
			j.mu.Unlock()
			r := j.base()
			r.Outcome, r.TextVI = pos.Unknown, viCancelled
			r.Text = fmt.Sprintf("stopped waiting for the terminal's answer (%v); the payment goes on on the terminal: its answer, when it comes, is acknowledged and delivered as an orphan", j.ctx.Err())
			return settled(r)
		default:
			j.mu.Unlock()
			return <-j.out
		}
	}
}

// closed is the caller's side of a Close during the payment.
func (j *payJob) closed() *Pending {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch j.stage {
	case stageDone:
		select {
		case p := <-j.out:
			return p
		default:
		}
	case stageQueued:
		j.attended = false
		j.setStage(stageDone)
		return settled(j.notSent("the driver was closed before anything was sent", viTransport))
	}
	j.attended = false
	r := j.base()
	r.Outcome, r.TextVI, r.Text = pos.Unknown, viUnknown, "the driver was closed while the payment ran"
	return settled(r)
}

func (j *payJob) base() pos.Result {
	return pos.Result{Amount: j.req.Amount, Currency: "704", Reference: j.req.Reference}
}

func (j *payJob) notSent(why, vi string) pos.Result {
	r := j.base()
	r.Outcome, r.Text, r.TextVI = pos.TransportError, why, vi
	return r
}

func (j *payJob) unknown(why string) pos.Result {
	r := j.base()
	r.Outcome, r.Text, r.TextVI = pos.Unknown, why, viUnknown
	return r
}

// run is the payment on the line goroutine.
func (j *payJob) run() {
	t := j.t
	t.lineErr = nil // this job tries the link again
	// A session the terminal began goes first; nothing of ours is on the
	// line yet, so the caller may still leave at once.
	t.serveBuffered()
	j.mu.Lock()
	if j.stage != stageQueued { // the caller left before it began
		j.mu.Unlock()
		return
	}
	j.setStage(stageOpening)
	j.mu.Unlock()

	j.emit(pos.EventProcessing, viSending)
	octx, stop := either(t.ctx, j.ctx)
	err := t.sess.Open(octx)
	stop()
	if err == nil && j.ctx.Err() != nil {
		// The caller left as the terminal took our ENQ: send nothing.
		t.linkFailed(t.sess.End())
		err = &SendError{Stage: "enq", Delivery: NotDelivered, Err: j.ctx.Err()}
	}
	if err != nil {
		t.linkFailed(err)
		why, vi := fmt.Sprintf("the terminal did not take the request, nothing was charged: %v", err), viTransport
		if errors.Is(err, ErrENQRefused) {
			why = fmt.Sprintf("the terminal did not answer our ENQ (switched off, unplugged, or busy in its menu), nothing was charged: %v", err)
			vi = viNoENQAnswer
		}
		j.finish(j.notSent(why, vi))
		return
	}
	j.mu.Lock()
	j.setStage(stageSent)
	j.mu.Unlock()

	err = t.sess.Transmit(t.ctx, j.text)
	var serr *SendError
	switch {
	case err == nil:
		t.remember(j.req.Reference)
		j.emit(pos.EventInsertCard, viInsertCard)
	case errors.As(err, &serr) && serr.Delivery == NotDelivered:
		j.finish(j.notSent(fmt.Sprintf("the terminal refused the request, nothing was charged: %v", err), viTransport))
		return
	case errors.Is(err, ErrFrameRefused):
		// The frame went out and neither ACK nor NAK came back: the
		// terminal may be running the payment (its ACK lost). Listen for
		// its answer.
		t.remember(j.req.Reference)
		j.emit(pos.EventWait, viWaiting)
	default:
		// The link broke, or the driver was closed, after the frame went out.
		t.remember(j.req.Reference)
		t.linkFailed(err)
		j.finish(j.unknown(fmt.Sprintf("the request may have reached the terminal: %v", err)))
		return
	}
	j.await()
}

// await waits for the terminal's answer to the request.
func (j *payJob) await() {
	t := j.t
	ref := j.req.Reference
	deadline := time.Now().Add(t.cfg.Timers.Answer)
	for {
		text, err := t.sess.ReceiveFrame(t.ctx, until(deadline))
		if err != nil {
			t.linkFailed(err)
			why := "no usable answer from the terminal"
			switch {
			case errors.Is(err, ErrNoENQ):
				why = fmt.Sprintf("no answer from the terminal within %v", t.cfg.Timers.Answer)
			case t.ctx.Err() != nil:
				why = "the driver was closed while it waited for the answer"
			}
			j.finish(j.unknown(fmt.Sprintf("%s; the card may have been charged: a late answer is delivered as an orphan: %v", why, err)))
			return
		}
		frame := t.sess.Held()
		j.emit(pos.EventProcessing, viReceiving)
		a, perr := ParsePaymentAnswer(text)
		switch {
		case contains(t.refused, frame):
			t.linkFailed(t.sess.Withhold(t.ctx))
			continue
		case contains(t.seen, frame):
			// An answer already handed over, sent again: our ACK got lost.
			t.ack()
			continue
		case perr == nil && a.Priv != ref:
			// Not this request's answer: its PRIV, the only link between a
			// request and its answer, names another. A late or repeated
			// answer to an earlier request of ours, or one the terminal sent
			// on its own: that payment's evidence. Keep it, take it off the
			// line and wait on for ours.
			note := fmt.Sprintf("an answer naming reference %q arrived while the payment %q waited: not its answer", a.Priv, ref)
			if t.sent(a.Priv) {
				note = fmt.Sprintf("late answer to reference %q, arrived while the payment %q waited", a.Priv, ref)
			}
			t.deliver(frame, text, note)
			t.ack()
			continue
		}
		res := t.result(j.base(), j.req, text, a, perr)
		if res.Outcome != pos.Approved {
			// Nothing to hold: a refusal, or an outcome that stays unknown
			// whatever we say.
			t.end()
			if !j.handOver(settled(res)) {
				t.deliver(frame, text, fmt.Sprintf("answer to reference %q, whose caller had stopped waiting", ref))
			}
			t.seen = keep(t.seen, frame)
			t.ack()
			return
		}
		p := &Pending{t: t, result: res, decide: make(chan decision, 1), frame: frame, text: text,
			deadline: t.sess.HeldUntil().Add(-holdMargin(t.cfg.Timers))}
		if !j.handOver(p) {
			t.deliver(frame, text, fmt.Sprintf("answer to reference %q, whose caller had stopped waiting", ref))
			t.ack()
			t.end()
			return
		}
		t.seen = keep(t.seen, frame)
		t.hold(p)
		return
	}
}
