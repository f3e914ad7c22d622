package zvt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// txRun is one payment, refund or reversal from the command's
// acknowledgement to its final result. It runs in the caller's goroutine
// while the caller waits, and in a goroutine of its own (orphan mode)
// once the caller stopped waiting: the terminal is never left without
// its answers, and what it finally says is reported as an orphan.
type txRun struct {
	t        *Terminal
	kind     string
	req      pos.Request
	events   chan<- pos.Event // nil in orphan mode: the caller may have closed it
	acked    bool             // the terminal took the command (80 00 00)
	deadline time.Time        // T3 for the acknowledgement, then T4 (each 04 FF restarts it)
	orphan   bool             // the caller stopped waiting
}

// transaction runs the sequence of PA00P015 ch. 2.2 up to the final
// result: command → 80 00 / 84 xx within T3 → (04 FF | 06 D1 | 06 D3)*
// within T4 each → 04 0F or 06 1E. An approved 04 0F is held for the
// caller (hold); a declined or aborted one is acknowledged at once.
func (t *Terminal) transaction(ctx context.Context, kind string, apdu []byte, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	ok, err := t.begin(ctx, termTx)
	if !ok {
		return t.finish(events, t.final(req, kind, pos.Busy), ErrBusy)
	}
	handedOff := false
	defer func() {
		if !handedOff {
			t.end()
		}
	}()
	if err != nil {
		return t.finish(events, t.final(req, kind, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err))
	}
	if err := t.link.Send(apdu); err != nil {
		if errors.Is(err, ErrNotSent) {
			return t.finish(events, t.final(req, kind, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err))
		}
		t.registered = false // re-register once the link is back
		return t.finish(events, t.final(req, kind, pos.Unknown), fmt.Errorf("%w: sending the command: %w", ErrUnknownOutcome, err))
	}
	r := &txRun{t: t, kind: kind, req: req, events: events, deadline: time.Now().Add(t.cfg.Timers.T3)}
	p, err, cancelled := r.run(ctx)
	switch {
	case cancelled:
		// The caller stopped waiting. That is not an abort: the customer
		// may be paying. The conversation goes on in the background to
		// its end, and its result is reported as an orphan (refused, if
		// it is an approval nobody can record now).
		handedOff = true
		r.orphan, r.events = true, nil
		go r.background()
		return t.finish(events, t.final(req, kind, pos.Unknown),
			fmt.Errorf("%w: stopped waiting (%w) after the command was sent; the transaction goes on at the terminal and its end is reported as an orphan", ErrUnknownOutcome, ctx.Err()))
	case p.t != nil:
		handedOff = true // the holder ends the conversation
		p.holdInBackground()
	}
	return t.finish(events, p, err)
}

// background finishes a transaction whose caller stopped waiting.
func (r *txRun) background() {
	defer r.t.end()
	if _, err, _ := r.run(context.Background()); err != nil {
		r.t.log.Warn("transaction ended without a result after its caller stopped waiting", "err", err)
	}
}

// unknown ends the transaction without a final result: the card may have
// been charged.
func (r *txRun) unknown(format string, args ...any) (*pending, error, bool) {
	err := fmt.Errorf("%w: "+format, append([]any{ErrUnknownOutcome}, args...)...)
	return r.t.final(r.req, r.kind, pos.Unknown), err, false
}

// run waits for the terminal's messages and answers them, up to the final
// result. cancelled: ctx ended first (never in orphan mode).
func (r *txRun) run(ctx context.Context) (p *pending, err error, cancelled bool) {
	t := r.t
	for {
		a, err := t.recv(ctx, r.deadline, t.abort)
		switch {
		case errors.Is(err, ErrInterrupted):
			// Abort was asked: tell the terminal, then wait for its word.
			if serr := t.link.Send(AbortRequest()); serr != nil {
				t.registered = false
				return r.unknown("sending abort (06 B0): %w", serr)
			}
			continue
		case err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, nil, true
		case errors.Is(err, ErrTruncated):
			var tr *TruncatedError
			errors.As(err, &tr)
			if p, err, done := r.truncated(ctx, tr); done {
				return p, err, false
			}
			continue
		case err != nil:
			t.registered = false
			if !r.acked {
				return r.unknown("the terminal did not take the command within T3 (%s): %w", t.cfg.Timers.T3, err)
			}
			return r.unknown("no final result within T4 (%s) of the terminal's last message: %w", t.cfg.Timers.T4, err)
		}
		if p, err, done := r.handle(ctx, a); done {
			return p, err, false
		}
	}
}

// handle answers one message of the terminal; done when it ended the
// transaction.
func (r *txRun) handle(ctx context.Context, a []byte) (p *pending, err error, done bool) {
	t := r.t
	k := kindOf(a)
	if !r.acked {
		switch k {
		case kAck:
			r.acked = true
			r.deadline = time.Now().Add(t.cfg.Timers.T4)
			return nil, nil, false
		case kNack:
			// A refused command ran nothing: nothing was charged.
			m, _ := Decode(a)
			res := resultFromNack(m, r.req)
			res.Kind = r.kind
			if r.orphan {
				t.log.Info("the terminal refused the command of a transaction whose caller stopped waiting: nothing charged", "result_code", m.ResultCode)
				return nil, nil, true
			}
			if res.Outcome == pos.Busy {
				return &pending{res: res}, fmt.Errorf("%w (84 %s: %s)", ErrBusy, m.ResultCode, res.TextVI), true
			}
			return &pending{res: res}, nil, true
		}
		// Before the terminal took the command, anything else belongs to
		// no exchange of ours.
		if err := t.stray(ctx, a, "before the terminal took our command"); err != nil {
			t.registered = false
			p, err, _ := r.unknown("answering the terminal: %w", err)
			return p, err, true
		}
		return nil, nil, false
	}
	var sendErr error
	switch k {
	case kAck, kNack:
		// a duplicate answer to the command: ignore
	case k04FF:
		sendErr = t.ack()
		if code, ok := intermediateCode(a); ok && !r.orphan {
			pos.Send(r.events, IntermediateEvent(code, t.now()))
		}
		r.deadline = time.Now().Add(t.cfg.Timers.T4)
	case k06D1, k06D3:
		sendErr = t.ack()
		r.deadline = time.Now().Add(t.cfg.Timers.T4)
	case k040F:
		p, err := r.result(ctx, a)
		return p, err, true
	case k061E:
		_ = t.ack() // the result is final whether or not this answer arrives
		m, _ := Decode(a)
		res := resultFromAbort(m, r.req)
		res.Kind = r.kind
		if r.orphan {
			t.reportOrphan(pos.Orphan{Result: res, Wire: m.Raw, At: t.now(), Note: "the terminal aborted a transaction whose caller had stopped waiting"})
			return nil, nil, true
		}
		return &pending{res: res}, nil, true
	case k060F:
		// Completion without a Status-Information: the terminal did
		// not say whether it charged. Never guess.
		_ = t.ack()
		p, err, _ := r.unknown("completion (06 0F) without a result")
		return p, err, true
	default:
		// A request feepos does not serve (input, menu, …): refuse it
		// so the terminal goes on.
		sendErr = t.link.Send(Nack(0x83))
	}
	if sendErr != nil {
		t.registered = false
		p, err, _ := r.unknown("answering the terminal: %w", sendErr)
		return p, err, true
	}
	return nil, nil, false
}

// result handles the transaction's Status-Information.
func (r *txRun) result(ctx context.Context, a []byte) (*pending, error) {
	t := r.t
	sr := t.readStatus(a, r.req)
	sr.res.Kind = r.kind
	if sr.warning != "" {
		t.log.Warn("status information read leniently", "warning", sr.warning)
	}
	if r.orphan {
		t.orphanStatus(ctx, a, sr, true, "a transaction whose caller had stopped waiting")
		return nil, nil
	}
	emit := func(e pos.Event) { pos.Send(r.events, e) }
	switch {
	case sr.problem != nil:
		// Never book what feepos cannot read: refuse it (84 66 00), so a
		// terminal that approved reverses it, and say why it is unknown.
		refuse := Nack(0x66)
		if err := t.link.Send(refuse); err != nil {
			t.registered = false
			return r.unknownResult(sr, fmt.Errorf("%w: %v; refusing it (84 66) failed: %w", ErrUnknownOutcome, sr.problem, err))
		}
		end := t.readTail(ctx, refuse, a, emit, t.cfg.Timers.T3)
		return r.unknownResult(sr, fmt.Errorf("%w: %v; feepos refused it (84 66) so that the terminal reverses it if it approved, and %s: settle it by recovery", ErrUnknownOutcome, sr.problem, end.says()))
	case sr.res.Outcome == pos.Approved:
		t.state.Store(termHeld)
		return newPending(t, sr.res, a, r.events), nil
	}
	// Declined, aborted, card error: nothing to hold. Acknowledge at once
	// and take the rest (the completion) while the caller still waits.
	if err := t.ack(); err != nil {
		t.registered = false
		t.log.Warn("acknowledging a final refusal failed; the terminal may repeat it", "err", err)
		return &pending{res: sr.res}, nil
	}
	if end := t.readTail(ctx, Ack(), a, emit, t.cfg.Timers.T3); end.err != nil {
		t.registered = false
	}
	return &pending{res: sr.res}, nil
}

func (r *txRun) unknownResult(sr statusRead, err error) (*pending, error) {
	res := sr.res
	res.Outcome = pos.Unknown
	res.TextVI = "Máy POS gửi kết quả không đọc được, feepos đã từ chối nhận: KHÔNG thu lại tiền cho đến khi giao dịch được đối chiếu"
	return &pending{res: res}, err
}

// truncated handles an APDU cut short on TCP (where its length field is
// the only framing): the terminal waits for an answer, so it gets one.
func (r *txRun) truncated(ctx context.Context, tr *TruncatedError) (p *pending, err error, done bool) {
	t := r.t
	if !r.acked || tr.Class != 0x04 || tr.Instr != 0x0F {
		if err := t.strayTruncated(tr); err != nil {
			t.registered = false
			return r.unknown("answering the terminal: %w", err)
		}
		if r.acked && tr.Class == 0x06 && tr.Instr == 0x1E {
			// An abort, whatever the rest said: nothing was charged.
			res := resultFromAbort(pos.Message{}, r.req)
			res.Kind = r.kind
			if r.orphan {
				return nil, nil, true
			}
			return &pending{res: res}, nil, true
		}
		return nil, nil, false
	}
	why := fmt.Errorf("status information (04 0F) announced %d data bytes, only %d came: over TCP its length is its only framing, so it cannot be read", tr.Declared, tr.Got)
	sr := statusRead{res: r.t.final(r.req, r.kind, pos.Unknown).res, problem: why, wire: maskDigitRuns(tr.Bytes)}
	if r.orphan {
		t.orphanStatus(ctx, nil, sr, true, "a transaction whose caller had stopped waiting")
		return nil, nil, true
	}
	refuse := Nack(0x66)
	if err := t.link.Send(refuse); err != nil {
		t.registered = false
		p, err := r.unknownResult(sr, fmt.Errorf("%w: %v; refusing it (84 66) failed: %w", ErrUnknownOutcome, why, err))
		return p, err, true
	}
	end := t.readTail(ctx, refuse, nil, func(e pos.Event) { pos.Send(r.events, e) }, t.cfg.Timers.T3)
	p, err = r.unknownResult(sr, fmt.Errorf("%w: %v; feepos refused it (84 66) so that the terminal reverses it if it approved, and %s: settle it by recovery", ErrUnknownOutcome, why, end.says()))
	return p, err, true
}

// tailEnd is how the terminal ended an exchange after our answer to its
// Status-Information.
type tailEnd struct {
	completed bool   // 06 0F
	aborted   bool   // 06 1E
	code      string // of the 06 1E
	err       error  // neither came
}

func (e tailEnd) says() string {
	switch {
	case e.completed:
		return "the terminal then completed (06 0F)"
	case e.aborted:
		return fmt.Sprintf("the terminal then aborted (06 1E %s)", e.code)
	}
	return fmt.Sprintf("the terminal did not say how it ended (%v)", e.err)
}

// readTail reads the end of an exchange after we answered the terminal's
// Status-Information held with answer: up to Completion (06 0F) or Abort
// (06 1E), acknowledging intermediate statuses and print lines (each
// restarts the wait) and answering a repeated Status-Information again
// with answer: the terminal missed it. emit, if not nil, gets the
// intermediate statuses.
func (t *Terminal) readTail(ctx context.Context, answer, held []byte, emit func(pos.Event), wait time.Duration) tailEnd {
	deadline := time.Now().Add(wait)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			var tr *TruncatedError
			if errors.As(err, &tr) {
				if serr := t.strayTruncated(tr); serr != nil {
					return tailEnd{err: serr}
				}
				if tr.Class == 0x06 && tr.Instr == 0x1E {
					return tailEnd{aborted: true}
				}
				continue
			}
			return tailEnd{err: err}
		}
		var serr error
		switch kindOf(a) {
		case k060F:
			_ = t.ack()
			return tailEnd{completed: true}
		case k061E:
			_ = t.ack()
			m, _ := Decode(a)
			return tailEnd{aborted: true, code: m.ResultCode}
		case k040F:
			if held != nil && sameStatus(a, held) {
				serr = t.link.Send(answer) // it missed our answer: the same again
			} else {
				serr = t.stray(ctx, a, "after a result was answered")
			}
			deadline = time.Now().Add(wait)
		case k04FF:
			serr = t.ack()
			if code, ok := intermediateCode(a); ok && emit != nil {
				emit(IntermediateEvent(code, t.now()))
			}
			deadline = time.Now().Add(wait)
		case k06D1, k06D3:
			serr = t.ack()
			deadline = time.Now().Add(wait)
		case kAck, kNack:
		default:
			serr = t.link.Send(Nack(0x83))
		}
		if serr != nil {
			return tailEnd{err: serr}
		}
	}
}

// maxStale bounds what takeStale answers before a conversation, so that a
// terminal that never stops talking cannot hold feepos there.
const maxStale = 32

// takeStale answers what the terminal sent while nobody listened (a
// Status-Information repeated after a reconnect, an end of an exchange
// whose caller stopped waiting, a message it sent on its own), so that
// the new conversation starts clean and nothing is dropped unanswered.
func (t *Terminal) takeStale(ctx context.Context) error {
	for i := 0; i < maxStale; i++ {
		a, err := t.link.Receive(ctx, 0, nil)
		switch {
		case errors.Is(err, transport.ErrTimeout):
			return nil
		case errors.Is(err, ErrTruncated):
			var tr *TruncatedError
			errors.As(err, &tr)
			if err := t.strayTruncated(tr); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if kindOf(a) == k040F {
			sr := t.readStatus(a, pos.Request{})
			if err := t.orphanStatus(ctx, a, sr, true, "a status information the terminal sent while no conversation ran"); err != nil {
				return err
			}
			continue
		}
		if err := t.stray(ctx, a, "while no conversation ran"); err != nil {
			return err
		}
	}
	return nil
}

// stray answers a message that belongs to no exchange of ours, so that
// the terminal is not left waiting: a Status-Information is refused
// (84 66 00) and reported as an orphan, other messages of a terminal are
// acknowledged, requests refused (84 83 00).
func (t *Terminal) stray(ctx context.Context, a []byte, why string) error {
	switch kindOf(a) {
	case kAck, kNack:
		return nil
	case k040F:
		return t.orphanStatus(ctx, a, t.readStatus(a, pos.Request{}), false, why)
	case k04FF, k06D1, k06D3, k060F, k061E:
		t.log.Info("answered a message that belongs to no exchange", "message", describe(a), "why", why)
		return t.ack()
	}
	t.log.Info("refused a request that belongs to no exchange", "message", describe(a), "why", why)
	return t.link.Send(Nack(0x83))
}

// strayTruncated answers an APDU cut short (TCP) that belongs to no
// exchange: a Status-Information is refused, other messages of a terminal
// acknowledged; bytes that are no message of a terminal get nothing.
func (t *Terminal) strayTruncated(tr *TruncatedError) error {
	t.log.Warn("message cut short", "err", tr.Error())
	switch {
	case tr.Class == 0x04 && tr.Instr == 0x0F:
		t.reportOrphan(pos.Orphan{Result: pos.Result{Outcome: pos.Unknown}, Wire: maskDigitRuns(tr.Bytes), At: t.now(), Refused: true,
			Note: "a status information cut short (" + tr.Error() + ") that belongs to no exchange: refused (84 66)"})
		return t.link.Send(Nack(0x66))
	case tr.Class == 0x04 || tr.Class == 0x06:
		return t.ack()
	}
	return nil
}

// orphanStatus answers a Status-Information no caller waits for, and
// reports it (pos.Orphan). An approval, or one that cannot be read, is
// refused (84 66 00): nobody can record it now, and a refused approval is
// reversed by the terminal. Anything else is acknowledged. With tail, the
// end of the exchange is read too (when nothing else of ours is under
// way): the Orphan's Outcome then says what the terminal did with it.
// a may be nil (a message cut short: sr says what is known).
func (t *Terminal) orphanStatus(ctx context.Context, a []byte, sr statusRead, tail bool, why string) error {
	res := sr.res
	refused := sr.problem != nil || res.Outcome == pos.Approved
	answer := Ack()
	if refused {
		answer = Nack(0x66)
	}
	note := "status information of " + why
	if sr.problem != nil {
		note += " (" + sr.problem.Error() + ")"
	}
	err := t.link.Send(answer)
	switch {
	case err != nil:
		note += fmt.Sprintf("; answering it failed: %v", err)
		if refused {
			res.Outcome = pos.Unknown
		}
	case refused && tail:
		end := t.readTail(ctx, answer, a, nil, t.cfg.Timers.T3)
		note += "; refused (84 66), and " + end.says()
		if end.aborted {
			res.Outcome = pos.Aborted
			res.TextVI = "Máy POS đã hủy giao dịch sau khi feepos từ chối kết quả: thẻ không bị trừ tiền"
		} else {
			res.Outcome = pos.Unknown
		}
	case refused:
		note += "; refused (84 66): a terminal reverses a refused approval"
		res.Outcome = pos.Unknown
	case tail:
		end := t.readTail(ctx, answer, a, nil, t.cfg.Timers.T3)
		note += "; acknowledged, and " + end.says()
	}
	if res.TerminalID == "" {
		res.TerminalID = t.TerminalID()
	}
	t.reportOrphan(pos.Orphan{Result: res, Wire: sr.wire, At: t.now(), Refused: refused, Note: note})
	return err
}

// reportOrphan hands an orphan to Config.OnOrphan, and logs it.
func (t *Terminal) reportOrphan(o pos.Orphan) {
	t.log.Warn("orphan answer", "outcome", o.Result.Outcome, "trace", o.Result.TraceNo, "amount", o.Result.Amount, "refused", o.Refused, "note", o.Note)
	if t.cfg.OnOrphan != nil {
		t.cfg.OnOrphan(o)
	}
}
