package terminals

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/pos"
)

// ChargeRequest is one payment, refund or reversal on one terminal.
type ChargeRequest struct {
	Terminal string // the terminal's id in the configuration, e.g. "T1"
	Kind     string // pos.KindPay (default), pos.KindRefund, pos.KindReverse
	Amount   int64  // whole đồng; for a reversal 0 or the payment's amount
	// Reference is sent to the terminal where the protocol carries it
	// (Concert's PRIV, at most 10 characters), and a late answer names it.
	// It must be new for every attempt: leave it empty and the attempt's
	// id is used.
	Reference string
	ReceiptNo int64  // reverse: the terminal's receipt number of the payment
	Cashier   string // who asked, for the record
}

// Charge is one attempt on a terminal: its result, and — for an approval
// — the hold on it until the caller has recorded it (Confirm) or could
// not (Reject). Every change of the attempt is written down.
type Charge struct {
	t   *terminal
	id  string
	req ChargeRequest

	ready         chan struct{} // closed when the result is known
	resultWritten chan struct{} // closed when the result is stored (or could not be)
	finished      chan struct{} // closed when nothing more happens to the attempt

	// Set before ready is closed.
	written  bool // the attempt was written down (else nothing was sent)
	res      pos.Result
	err      error
	pending  pos.Pending
	deadline time.Time
	held     bool
	mark     uint64 // the wire tap's mark when the attempt was sent

	phase atomic.Int32 // phaseNone, phaseHeld, phaseFinishing, phaseDone
	// Set before finished is closed.
	final    State
	finalErr error
	expired  bool // the manager ended the hold at the deadline, not the caller
}

const (
	phaseNone int32 = iota
	phaseHeld
	phaseFinishing
	phaseDone
)

// AttemptID is the attempt's id (also its reference when none was given).
func (c *Charge) AttemptID() string { return c.id }

// Terminal is the id of the terminal the charge ran on.
func (c *Charge) Terminal() string { return c.t.id }

// Done is closed when the terminal's result is known (Charge returns
// earlier only when its context ends).
func (c *Charge) Done() <-chan struct{} { return c.ready }

// Result is the terminal's result; Outcome Unknown before Done.
func (c *Charge) Result() pos.Result {
	select {
	case <-c.ready:
		return c.res
	default:
		return pos.Result{Outcome: pos.Unknown, Amount: c.req.Amount, Reference: c.req.Reference}
	}
}

// Err is the error that came with the result (set for busy, transport
// errors and unknown outcomes, as the drivers do).
func (c *Charge) Err() error {
	select {
	case <-c.ready:
		return c.err
	default:
		return nil
	}
}

// Deadline is when the hold on an approval ends: the driver's
// (pos.Pending.Deadline). Record it and Confirm before. At the deadline
// the driver acts by its protocol's rules: ZVT refuses the result (the
// terminal reverses it: expired, not charged); Concert acknowledges it
// itself and delivers it as an orphan (the charge stands: in doubt until
// that orphan settles it). Zero when nothing is held.
func (c *Charge) Deadline() time.Time {
	select {
	case <-c.ready:
		if c.held {
			return c.deadline
		}
	default:
	}
	return time.Time{}
}

// Held reports whether the result is an approval waiting for Confirm or
// Reject.
func (c *Charge) Held() bool {
	select {
	case <-c.ready:
		return c.held && c.phase.Load() == phaseHeld
	default:
		return false
	}
}

// State is the attempt's final state once Finished is closed.
func (c *Charge) State() State {
	select {
	case <-c.finished:
		return c.final
	default:
		return ""
	}
}

// Finished is closed when nothing more happens to the attempt: it was
// confirmed, rejected, expired, or ended without a hold.
func (c *Charge) Finished() <-chan struct{} { return c.finished }

// Confirm acknowledges a held approval once the caller has recorded it
// (ZVT 80 00 00; Concert the held ACK). Its error matches
// pos.ErrReversedByTerminal (the terminal reversed it: not charged),
// pos.ErrPendingExpired (too late: the ZVT driver had refused the result,
// not charged) or pos.ErrConfirmUncertain (the attempt is in doubt, and
// recovery settles it: no end came from a ZVT terminal, or a Concert
// terminal's charge stands though the hold had expired or the ACK
// failed). A result that holds nothing returns nil.
func (c *Charge) Confirm(ctx context.Context) error {
	return c.finish(ctx, true)
}

// Reject refuses a held approval the caller could not record. A ZVT
// terminal reverses it (nil: it said so). A Concert terminal does not:
// Reject returns an error matching pos.ErrConfirmUncertain, the attempt
// is in doubt, and the answer the driver delivers as an orphan settles
// it (charged).
func (c *Charge) Reject(ctx context.Context) error {
	return c.finish(ctx, false)
}

func (c *Charge) finish(ctx context.Context, confirm bool) error {
	select {
	case <-c.ready:
	default:
		return ErrNoResult
	}
	if !c.held {
		return nil
	}
	if !c.phase.CompareAndSwap(phaseHeld, phaseFinishing) {
		<-c.finished
		return c.lateError()
	}
	var err error
	if confirm {
		err = c.pending.Confirm(ctx)
	} else {
		err = c.pending.Reject(ctx)
	}
	state, reason := c.t.finishState(confirm, false, err)
	c.t.writeFinal(c, state, reason, err)
	return err
}

// lateError is what Confirm or Reject returns once the hold has ended.
// After the deadline it is the driver's own answer (ZVT:
// pos.ErrPendingExpired, refused; Concert: pos.ErrConfirmUncertain, the
// charge stands, in doubt), so that a caller that comes too late never
// takes the approval as booked.
func (c *Charge) lateError() error {
	if !c.expired {
		return fmt.Errorf("attempt %s is %s: %w", c.id, c.final, ErrFinished)
	}
	why := c.finalErr
	if why == nil {
		why = pos.ErrPendingExpired
	}
	return fmt.Errorf("attempt %s was not confirmed before its deadline %s and is %s: %w", c.id, c.deadline.Format(time.RFC3339), c.final, why)
}

// finishState is the state an approval ends in after Confirm (confirm),
// Reject, or the deadline (expiry), whose driver error is err.
//
// An error that matches pos.ErrConfirmUncertain puts the attempt in doubt
// whatever else it matches: a ZVT terminal that ended otherwise than told
// (it completed although refused, aborted after our 80 00 00) or did not
// end at all; and every error of a terminal that does not reverse
// (Concert: the charge stands, and the answer the driver delivered as an
// orphan settles it). Only a refusal the terminal confirmed is "not
// charged".
func (t *terminal) finishState(confirm, expiry bool, err error) (State, string) {
	switch {
	case err == nil && confirm && t.caps.HoldResult:
		return StateConfirmed, "acknowledged; the terminal booked it"
	case err == nil && confirm:
		return StateConfirmed, "acknowledged"
	case !t.caps.HoldResult:
		why := "rejected"
		switch {
		case expiry:
			why = "not recorded before the terminal's deadline (the driver acknowledged it itself)"
		case confirm:
			why = "confirmed too late, or the acknowledgement failed"
		}
		if err != nil {
			why += " (" + err.Error() + ")"
		}
		return StateInDoubt, why + ": this terminal does not reverse an approval, so the charge stands though feepos did not record it; the answer the driver kept as an orphan settles it"
	case errors.Is(err, pos.ErrConfirmUncertain):
		return StateInDoubt, "the terminal did not end as told, or did not say how it ended: " + err.Error()
	case err == nil && expiry:
		return StateExpired, "not recorded before the terminal's deadline: refused, the terminal reversed it"
	case err == nil:
		return StateRejected, "refused: the terminal reversed it"
	case errors.Is(err, pos.ErrPendingExpired):
		return StateExpired, "refused at the terminal's deadline: " + err.Error()
	case errors.Is(err, pos.ErrReversedByTerminal):
		return StateReversed, err.Error()
	}
	return StateInDoubt, "the terminal did not say whether it booked or reversed it: " + err.Error()
}

// writeFinal stores the end of a held approval and releases the worker.
// Only the one who moved the charge to phaseFinishing calls it.
func (t *terminal) writeFinal(c *Charge, state State, reason string, err error) {
	<-c.resultWritten
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if werr := t.m.store.SetAttemptState(ctx, c.id, StateChange{State: state, At: t.m.now(), Reason: reason}); werr != nil {
		// The terminal's side is done; the attempt stays held or recorded
		// in the store, which recovery at the next start settles.
		t.log.Error("attempt state not stored", "attempt", c.id, "state", state, "err", werr)
	} else {
		t.logAttempt(c.id, state, reason)
	}
	if state == StateInDoubt {
		t.inDoubt.Add(1)
	}
	t.keepWire(ctx, c.id, c.mark)
	c.final, c.finalErr = state, err
	c.phase.Store(phaseDone)
	close(c.finished)
}

// storeTimeout bounds one write of the attempt store.
const storeTimeout = 30 * time.Second

func (t *terminal) logAttempt(id string, s State, reason string) {
	t.log.Info("attempt state", "attempt", id, "state", s, "reason", reason)
}

// resultState is the state a transaction's result puts its attempt in.
func resultState(r pos.Result, err error) (State, string) {
	why := r.Text
	if err != nil {
		why = err.Error()
	}
	switch r.Outcome {
	case pos.Approved:
		return StateHeld, "approved; held while feepos records it"
	case pos.Declined, pos.CardError:
		return StateDeclined, "declined (" + string(r.Outcome) + ", result " + r.ResultCode + "): " + r.TextVI
	case pos.Aborted:
		return StateAborted, "aborted (result " + r.ResultCode + "): " + r.TextVI
	case pos.Busy, pos.TransportError:
		return StateFailed, "nothing ran on the terminal (" + string(r.Outcome) + "): " + why
	}
	if why == "" {
		why = "no final result"
	}
	return StateInDoubt, "the outcome is unknown: " + why
}

// runCharge is the charge's job on the worker.
func (t *terminal) runCharge(ctx context.Context, c *Charge, online bool) {
	if t.latestInDoubt || t.inDoubt.Load() > 0 {
		// The last result may still settle the attempt before; after this
		// one it never could.
		t.recoverOpen(ctx, online, "before a new charge")
	}
	if t.latestInDoubt && online && t.activity() != actOffline {
		// The terminal did not answer the question about its last
		// transaction: charging now would destroy the one piece of
		// evidence that can settle the attempt in doubt. Nothing is sent.
		c.err = &BusyError{Terminal: t.id, Queue: t.queueSize,
			Reason: "it did not answer the question about its last transaction, which settles the payment attempt before this one (" + t.latest + ")"}
		c.res = pos.Result{Outcome: pos.Busy, Amount: c.req.Amount, Currency: strconv.Itoa(pos.CurrencyVND), Reference: c.req.Reference,
			Text: c.err.Error(), TextVI: BusyMessageVI}
		c.endWithout()
		return
	}
	if !online || t.activity() == actOffline {
		err := &OfflineError{Terminal: t.id, Err: errors.New(t.lastError())}
		c.res = pos.Result{Outcome: pos.TransportError, Amount: c.req.Amount, Currency: strconv.Itoa(pos.CurrencyVND), Reference: c.req.Reference,
			Text: err.Error(), TextVI: err.MessageVI()}
		c.err = err
		t.count(c.res.Outcome)
		c.endWithout()
		return
	}
	now := t.m.now()
	a := Attempt{ID: c.id, Terminal: t.id, Protocol: t.cfg.Proto(), Kind: c.req.Kind, Amount: c.req.Amount,
		Reference: c.req.Reference, ReceiptNo: c.req.ReceiptNo, Cashier: c.req.Cashier,
		TraceBefore: t.traceBefore(), StartedAt: now}
	if err := t.m.store.CreateAttempt(ctx, a, now); err != nil {
		c.res = pos.Result{Outcome: pos.TransportError, Amount: c.req.Amount, Currency: strconv.Itoa(pos.CurrencyVND), Reference: c.req.Reference,
			Text:   "the attempt could not be written down, so nothing was sent: " + err.Error(),
			TextVI: "Không ghi được giao dịch vào cơ sở dữ liệu nên chưa gửi đến máy POS: thẻ chưa bị trừ tiền"}
		c.err = fmt.Errorf("%w: attempt not written down: %w", pos.ErrTransport, err)
		c.endWithout()
		return
	}
	t.logAttempt(c.id, StatePrepared, fmt.Sprintf("%s %d đồng, reference %s, trace before %d", a.Kind, a.Amount, a.Reference, a.TraceBefore))
	t.m.hook("prepared", c.id)
	c.mark = t.tap.Mark()
	if err := t.m.store.SetAttemptState(ctx, c.id, StateChange{State: StateSent, At: t.m.now(), Reason: "sending to the terminal"}); err != nil {
		_ = t.m.store.SetAttemptState(ctx, c.id, StateChange{State: StateFailed, At: t.m.now(), Reason: "not sent: " + err.Error()})
		c.res = pos.Result{Outcome: pos.TransportError, Amount: c.req.Amount, Currency: strconv.Itoa(pos.CurrencyVND), Reference: c.req.Reference,
			Text: "the attempt's state could not be written, so nothing was sent: " + err.Error()}
		c.err = fmt.Errorf("%w: %w", pos.ErrTransport, err)
		c.written = true
		c.endWithout()
		return
	}
	c.written = true
	t.m.hook("sent", c.id)
	t.latest, t.latestInDoubt, t.lastResultTries = c.id, false, 0
	t.setAttempt(c.id)
	defer t.setAttempt("")
	t.setActivity(actInTransaction, a.Kind)

	drvEvents := make(chan pos.Event, ListenerBuffer)
	stop := make(chan struct{})
	forwarded := t.forward(c.id, drvEvents, stop)
	defer func() {
		close(stop)
		<-forwarded
	}()

	req := pos.Request{Amount: c.req.Amount, Currency: pos.CurrencyVND, Reference: c.req.Reference}
	var p pos.Pending
	var err error
	switch c.req.Kind {
	case pos.KindRefund:
		p, err = t.drv.Refund(ctx, req, drvEvents)
	case pos.KindReverse:
		p, err = t.drv.Reverse(ctx, c.req.ReceiptNo, req, drvEvents)
	default:
		p, err = t.drv.Pay(ctx, req, drvEvents)
	}
	if p == nil {
		// The driver refused before anything happened (CheckRequest
		// should have caught it).
		p = donePending{pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: strconv.Itoa(pos.CurrencyVND), Reference: req.Reference, Text: fmt.Sprint(err)}}
	}
	res := p.Result()
	err = outcomeError(res, err)
	state, reason := resultState(res, err)
	if state == StateHeld && p.Deadline().IsZero() {
		// A driver holds an approval until its deadline; one that gives
		// none breaks the contract of pos.Pending. Nothing can be recorded
		// against an unknown deadline: refused below, in doubt.
		res.Outcome, res.Text = pos.Unknown, "the driver returned an approval with no deadline for holding it: not recorded, refused"
		err = outcomeError(res, err)
		state, reason = resultState(res, err)
	}
	c.res, c.err, c.pending = res, err, p
	if state == StateHeld {
		c.held = true
		c.deadline = p.Deadline()
		c.phase.Store(phaseHeld)
		t.setActivity(actAwaitingRecord, "approval held until "+c.deadline.Format(time.RFC3339))
	}
	close(c.ready) // the caller has the result now; the rest follows
	// Let the caller run now. close readied it on this goroutine's P, and
	// the store write below is a cgo call (a commit with its fsync) that
	// keeps the P until it returns or the runtime takes the P back: the
	// caller would wait for the write it does not need (bench/posbench
	// manager, docs/BENCHMARKS.md: p50 0.7 → 0.17 ms from the driver's read
	// of the last byte to the caller, p99 11 → 1.5 ms).
	runtime.Gosched()
	final := pos.FinalEvent(res, t.m.now())
	final.Attempt = c.id
	drvEvents <- final
	t.count(res.Outcome)

	if werr := t.m.store.SetAttemptResult(ctx, c.id, StateChange{State: state, At: t.m.now(), Reason: reason, Deadline: c.deadline}, res); werr != nil {
		t.log.Error("attempt result not stored", "attempt", c.id, "state", state, "err", werr)
	} else {
		t.logAttempt(c.id, state, reason)
	}
	close(c.resultWritten)
	t.setTID(res.TerminalID)
	t.traceAfter(ctx, res, "result of attempt "+c.id)

	switch state {
	case StateHeld:
		t.hold(ctx, c)
	case StateInDoubt:
		// Nothing can be recorded of an unknown outcome: a held answer is
		// not acknowledged (a Concert terminal's charge stands all the
		// same; the attempt is in doubt either way).
		rctx, cancel := context.WithTimeout(ctx, pollTimeout)
		_ = p.Reject(rctx)
		cancel()
		t.inDoubt.Add(1)
		t.keepWire(ctx, c.id, c.mark)
		c.final = StateInDoubt
		close(c.finished)
	default:
		// A decline or an abort is acknowledged; a failure holds nothing.
		rctx, cancel := context.WithTimeout(ctx, pollTimeout)
		_ = p.Confirm(rctx)
		cancel()
		t.keepWire(ctx, c.id, c.mark)
		c.final = state
		close(c.finished)
	}
	if c.final == StateInDoubt {
		t.latestInDoubt = true
	}
	if t.activity() != actOffline {
		t.setActivity(actIdle, "attempt "+string(c.State()))
	}
}

// endWithout ends a charge that was never sent.
func (c *Charge) endWithout() {
	c.final = StateFailed
	close(c.ready)
	close(c.resultWritten)
	close(c.finished)
}

// expiryGrace is how long after a held approval's deadline the manager
// collects its end: at the deadline the driver acts by its protocol's
// rules (ZVT refuses the result, Concert acknowledges it and delivers it
// as an orphan); the manager's Reject a moment later only reads how that
// ended, and never races the driver's own deadline.
const expiryGrace = time.Second

// hold waits, on the worker, for the caller to Confirm or Reject a held
// approval, or for its deadline; then it reads how the driver ended it.
func (t *terminal) hold(ctx context.Context, c *Charge) {
	timer := time.NewTimer(c.deadline.Add(expiryGrace).Sub(t.m.now()))
	defer timer.Stop()
	select {
	case <-c.finished:
		return
	case <-timer.C:
	case <-t.m.closing:
		// Give a caller that is recording now a moment to confirm.
		grace := time.NewTimer(closeGrace)
		defer grace.Stop()
		select {
		case <-c.finished:
			return
		case <-timer.C:
		case <-grace.C:
		}
	}
	if !c.phase.CompareAndSwap(phaseHeld, phaseFinishing) {
		<-c.finished // the caller is confirming or rejecting it now
		return
	}
	c.expired = true
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pollTimeout)
	err := c.pending.Reject(rctx)
	cancel()
	state, reason := t.finishState(false, true, err)
	t.writeFinal(c, state, reason, err)
}

// keepWire stores the wire tap of an attempt (masked) as its evidence.
func (t *terminal) keepWire(ctx context.Context, id string, mark uint64) {
	entries, lost := t.tap.Since(mark)
	if len(entries) == 0 && lost == 0 {
		return
	}
	e := Evidence{AttemptID: id, Terminal: t.id, Source: EvidenceWire, At: t.m.now(), Wire: entries, WireLost: lost}
	if lost > 0 {
		e.Note = fmt.Sprintf("%d units of the wire were overwritten before the attempt ended (the tap keeps %d)", lost, t.tap.Size())
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if _, err := t.m.store.AddEvidence(wctx, e); err != nil {
		t.log.Error("wire tap of the attempt not stored", "attempt", id, "err", err)
	}
}

// donePending is a Pending that holds nothing.
type donePending struct{ r pos.Result }

func (d donePending) Result() pos.Result            { return d.r }
func (d donePending) Deadline() time.Time           { return time.Time{} }
func (d donePending) Confirm(context.Context) error { return nil }
func (d donePending) Reject(context.Context) error  { return nil }

// count counts a transaction's outcome for the metrics.
func (t *terminal) count(o pos.Outcome) {
	if n := t.outcomes[o]; n != nil {
		n.Add(1)
	}
}

func (t *terminal) lastError() string {
	if p := t.lastErr.Load(); p != nil && *p != "" {
		return *p
	}
	return "not connected"
}
