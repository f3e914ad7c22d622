package zvt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// DefaultPassword is the terminal password most ZVT terminals ship with.
const DefaultPassword = "000000"

// DefaultConfigByte is the Registration config byte feepos sends
// (PA00P015 ch. 2.1 "Registration", config-byte bits):
//
//	bit 1 (02) = 0, bit 2 (04) = 0: the terminal prints its own payment and
//	  administration receipts (feepos prints the fee receipt itself, from
//	  its ledger; the card slip stays the terminal's);
//	bit 3 (08) = 1: the ECR wants Intermediate Status-Information (04 FF),
//	  shown to the cashier;
//	bit 4 (10) = 1: the ECR controls payment (no amount entry on the PT);
//	bit 5 (20) = 1: the ECR controls administration (no EOD from the PT);
//	bit 7 (80) = 0: print-type irrelevant while the PT prints.
//
// A driver still acknowledges Print Line (06 D1) and Print Text-Block
// (06 D3) if a terminal sends them; set Config.ConfigByte to 0xBE to have
// the receipts sent to the ECR as print lines instead.
const DefaultConfigByte byte = 0x38

// Hold defaults (docs/TERMINALS.md, "ZVT").
const (
	// DefaultMaxHold is how long the driver holds an approved result for
	// the caller's Confirm or Reject before it refuses the result itself.
	DefaultMaxHold = 60 * time.Second
	// DefaultHoldAnswer is how long a held Status-Information waits for
	// our answer before the driver asks the terminal for more time
	// (84 9C 00). Terminals wait T3 (5 s) for the ECR's answer; 2 s
	// leaves room for a slow line.
	DefaultHoldAnswer = 2 * time.Second
	// DefaultHoldRepeat is how long, after 84 9C, the driver waits for the
	// terminal to repeat its Status-Information before it takes the
	// terminal as gone (the hold ends uncertain).
	DefaultHoldRepeat = 10 * time.Second
)

// Config configures a Terminal.
type Config struct {
	ID       string // feepos's name for the terminal, e.g. "T1"
	Password string // 6 digits; DefaultPassword when empty
	TCP      bool   // bare APDUs over TCP instead of serial frames
	Timers   Timers // zero fields: the spec's values
	Clock    func() time.Time
	// ConfigByte for Registration; 0 means DefaultConfigByte.
	ConfigByte byte
	// Trace, if set, sees every frame and control byte sent and received
	// (for --trace). Print it through Decode/DecodeAny, which masks the PAN.
	Trace func(direction string, frame []byte)

	// MaxHold bounds Pending.Deadline: an approved result not confirmed
	// or rejected by then is refused (84 66 00). 0: DefaultMaxHold.
	MaxHold time.Duration
	// HoldAnswer: a held Status-Information is answered "more time"
	// (84 9C 00) when it has waited this long. It must be shorter than the
	// terminal's own wait for the answer. 0: DefaultHoldAnswer.
	HoldAnswer time.Duration
	// HoldRepeat: after 84 9C the terminal repeats its Status-Information
	// within this, else the hold ends uncertain. 0: DefaultHoldRepeat.
	HoldRepeat time.Duration

	// OnOrphan receives every answer that arrived when no caller waited
	// for it (docs/TERMINALS.md, "Orphan answers"): a Status-Information
	// after a cancelled wait or a reconnect, the end of an exchange whose
	// Confirm stopped waiting. It is called from the driver's goroutines
	// and must not block; nil: orphans are only logged.
	OnOrphan func(pos.Orphan)
	// Log receives warnings (a Status-Information read leniently, an
	// orphan) and the driver's own notes. nil: discarded.
	Log *slog.Logger
}

// Driver errors. Every transaction method returns a Pending (never nil)
// whose Result says the outcome; the error is set too when the outcome is
// Busy, TransportError or Unknown, so a caller that only checks err cannot
// miss them. A TransportError whose error is ErrInvalidRequest (limits.go)
// is a request refused before sending: the request, not the link, is wrong.
//
// Each matches (errors.Is) the protocol-neutral kind of package pos it
// wraps, so that callers need not import this package to tell them apart.
var (
	ErrBusy           = fmt.Errorf("zvt: %w", pos.ErrBusy)
	ErrTransport      = fmt.Errorf("zvt: %w", pos.ErrTransport)
	ErrUnknownOutcome = fmt.Errorf("zvt: %w", pos.ErrUnknownOutcome)
	// ErrConfirmUncertain: Confirm (or Reject) could not learn whether the
	// terminal took the answer: it may have booked or reversed the
	// payment. Settle it by recovery (LastResult, pos.Judge).
	ErrConfirmUncertain = fmt.Errorf("zvt: %w", pos.ErrConfirmUncertain)
	// ErrReversedByTerminal: the terminal ended the held payment with an
	// abort (06 1E) instead of booking it: nothing was charged.
	ErrReversedByTerminal = fmt.Errorf("zvt: %w", pos.ErrReversedByTerminal)
	// ErrPendingExpired: the decision came after Pending.Deadline; the
	// driver had refused the result (84 66 00).
	ErrPendingExpired = fmt.Errorf("zvt: %w", pos.ErrPendingExpired)
	ErrNoTransaction  = fmt.Errorf("zvt: %w", pos.ErrNoTransaction)
	ErrResultHeld     = fmt.Errorf("zvt: %w", pos.ErrResultHeld)
	ErrNoLastResult   = fmt.Errorf("zvt: %w", pos.ErrNoLastResult)
	// ErrLastResultPrinted: the terminal answered Repeat Receipt by
	// printing its last receipt (print lines, no Status-Information): it
	// has a last transaction but gave no record of it feepos can read. It
	// is not ErrNoLastResult.
	ErrLastResultPrinted = errors.New("zvt: the terminal printed its last receipt but sent no record of it: read the receipt on the terminal")
	ErrRefused           = errors.New("zvt: the terminal refused the command")
	ErrFinished          = errors.New("zvt: result already confirmed or rejected")
)

// What a Terminal is doing, for Abort and the manager, read without a lock.
const (
	termIdle int32 = iota
	termBusy       // a conversation without a customer transaction (status, last result, end of day, registration)
	termTx         // a payment, refund or reversal runs (also after its caller stopped waiting)
	termHeld       // an approved result is held for Confirm or Reject
)

// Terminal is a ZVT payment terminal (PA00P015) seen from the ECR. It
// implements pos.Terminal and runs one conversation at a time.
type Terminal struct {
	cfg  Config
	link *Link
	log  *slog.Logger

	conv  sync.Mutex    // held for one conversation, including an open Pending (its holder goroutine unlocks it)
	abort chan struct{} // Abort → the running transaction
	state atomic.Int32
	tid   atomic.Pointer[string] // from the Registration completion

	registered bool // under conv
}

var _ pos.Terminal = (*Terminal)(nil)

// New makes a driver for the terminal on conn. It does not talk yet: the
// first conversation registers (06 00) first.
func New(conn transport.Conn, cfg Config) *Terminal {
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.ConfigByte == 0 {
		cfg.ConfigByte = DefaultConfigByte
	}
	if cfg.MaxHold <= 0 {
		cfg.MaxHold = DefaultMaxHold
	}
	if cfg.HoldAnswer <= 0 {
		cfg.HoldAnswer = DefaultHoldAnswer
	}
	if cfg.HoldRepeat <= 0 {
		cfg.HoldRepeat = DefaultHoldRepeat
	}
	cfg.Timers = cfg.Timers.WithDefaults()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Terminal{cfg: cfg, link: NewLink(conn, cfg.TCP, cfg.Timers, cfg.Trace), log: log.With("terminal", cfg.ID), abort: make(chan struct{}, 1)}
}

func (t *Terminal) ID() string             { return t.cfg.ID }
func (t *Terminal) Protocol() pos.Protocol { return pos.ZVT }

// Capabilities: ZVT does everything feepos asks of a terminal.
func (t *Terminal) Capabilities() pos.Capabilities {
	return pos.Capabilities{Reverse: true, Refund: true, Abort: true, LastResult: true, EndOfDay: true, Status: true, HoldResult: true}
}

// Close closes the line. A conversation running in the background (a
// held result, a transaction whose caller stopped waiting) ends with it.
func (t *Terminal) Close() error { return t.link.Conn().Close() }

// TerminalID is the terminal's own id (TID) from its last Registration. It
// never waits for a running conversation.
func (t *Terminal) TerminalID() string {
	if p := t.tid.Load(); p != nil {
		return *p
	}
	return ""
}

func (t *Terminal) setTID(id string) {
	if id != "" {
		t.tid.Store(&id)
	}
}

func (t *Terminal) now() time.Time { return t.cfg.Clock() }

// begin takes the terminal for one conversation and leaves the link in a
// known state: what the terminal sent while nobody listened answered
// (takeStale), registered.
func (t *Terminal) begin(ctx context.Context, state int32) (ok bool, err error) {
	if !t.conv.TryLock() {
		return false, nil
	}
	select {
	case <-t.abort:
	default:
	}
	t.state.Store(state)
	if err := t.takeStale(ctx); err != nil {
		t.registered = false
		return true, err
	}
	if !t.registered {
		if err := t.register(ctx); err != nil {
			return true, fmt.Errorf("register: %w", err)
		}
	}
	return true, nil
}

func (t *Terminal) end() {
	t.state.Store(termIdle)
	t.conv.Unlock()
}

// recv waits for the next APDU until deadline; at or after it, it still
// takes what has already come.
func (t *Terminal) recv(ctx context.Context, deadline time.Time, interrupt <-chan struct{}) ([]byte, error) {
	return t.link.Receive(ctx, max(time.Until(deadline), 0), interrupt)
}

// ack sends the positive answer 80 00 00.
func (t *Terminal) ack() error { return t.link.Send(Ack()) }

// command sends apdu and waits T3 for the PT's answer: nil for 80 00 (and
// 84 00), the decoded refusal for 84 xx. Anything else the terminal sends
// before it belongs to no exchange of ours: it is answered (stray).
func (t *Terminal) command(ctx context.Context, apdu []byte) (*pos.Message, error) {
	if err := t.link.Send(apdu); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.cfg.Timers.T3)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			var tr *TruncatedError
			if errors.As(err, &tr) {
				if err := t.strayTruncated(tr); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		switch {
		case len(a) >= 2 && a[0] == 0x80:
			return nil, nil
		case len(a) >= 2 && a[0] == 0x84 && a[1] == 0x00:
			return nil, nil
		case len(a) >= 2 && a[0] == 0x84:
			m, _ := Decode(a)
			return &m, nil
		}
		if err := t.stray(ctx, a, "before the terminal took our command"); err != nil {
			return nil, err
		}
	}
}

// Register sends Registration (06 00) with the configured config byte and
// VND, and takes the TID from the Completion. Conversations register on
// their own when needed; call it to check the terminal at start-up.
func (t *Terminal) Register(ctx context.Context) error {
	if !t.conv.TryLock() {
		return ErrBusy
	}
	t.state.Store(termBusy)
	defer t.end()
	if err := t.takeStale(ctx); err != nil {
		t.registered = false
		return err
	}
	return t.register(ctx)
}

func (t *Terminal) register(ctx context.Context) error {
	t.registered = false
	apdu, err := Registration(t.cfg.Password, t.cfg.ConfigByte, pos.CurrencyVND)
	if err != nil {
		return err
	}
	nack, err := t.command(ctx, apdu)
	if err != nil {
		return err
	}
	if nack != nil {
		return fmt.Errorf("%w: registration answered 84 %s: %s", ErrRefused, nack.ResultCode, ResultText(codeByte(nack.ResultCode)))
	}
	deadline := time.Now().Add(t.cfg.Timers.T4)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			return fmt.Errorf("registration completion: %w", err)
		}
		m, _ := Decode(a)
		switch kindOf(a) {
		case k060F:
			if err := t.ack(); err != nil {
				return err
			}
			t.setTID(m.TerminalID)
			t.registered = true
			return nil
		case k061E:
			_ = t.ack()
			return fmt.Errorf("%w: registration aborted with %s", ErrRefused, m.ResultCode)
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
				return err
			}
		case kAck, kNack:
		default:
			if err := t.stray(ctx, a, "during registration"); err != nil {
				return err
			}
		}
	}
}

// Pay sends Authorization (06 01) for req.Amount đồng (PA00P015 ch. 2.2).
// A request ZVT cannot carry (ValidateRequest) is refused before anything
// is sent, with ErrInvalidRequest.
func (t *Terminal) Pay(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	if err := ValidateRequest(req); err != nil {
		return t.invalid(req, pos.KindPay, events, err)
	}
	apdu, err := Authorization(AuthorizationRequest{Amount: req.Amount, Currency: currencyOf(req)})
	if err != nil {
		return t.finish(events, t.final(req, pos.KindPay, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err))
	}
	return t.transaction(ctx, pos.KindPay, apdu, req, events)
}

// Reverse sends Reversal (06 30) of the payment with receiptNo.
// A request ZVT cannot carry (ValidateReversal) is refused before
// anything is sent, with ErrInvalidRequest.
func (t *Terminal) Reverse(ctx context.Context, receiptNo int64, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	if err := ValidateReversal(receiptNo, req); err != nil {
		return t.invalid(req, pos.KindReverse, events, err)
	}
	var amount *int64
	if req.Amount > 0 {
		amount = &req.Amount
	}
	apdu, err := Reversal(t.cfg.Password, receiptNo, amount)
	if err != nil {
		return t.finish(events, t.final(req, pos.KindReverse, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err))
	}
	return t.transaction(ctx, pos.KindReverse, apdu, req, events)
}

// Refund sends Refund (06 31) of req.Amount đồng.
// A request ZVT cannot carry (ValidateRequest) is refused before anything
// is sent, with ErrInvalidRequest.
func (t *Terminal) Refund(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	if err := ValidateRequest(req); err != nil {
		return t.invalid(req, pos.KindRefund, events, err)
	}
	apdu, err := Refund(t.cfg.Password, req.Amount, currencyOf(req))
	if err != nil {
		return t.finish(events, t.final(req, pos.KindRefund, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err))
	}
	return t.transaction(ctx, pos.KindRefund, apdu, req, events)
}

// Abort asks the terminal to abort the running transaction (06 B0). The
// running transaction sends it between two messages of the terminal and
// then reports whatever final result the terminal gives (usually 6C). It
// never waits for the transaction: it returns at once, with an error
// matching pos.ErrNoTransaction when nothing runs, and pos.ErrResultHeld
// (doing nothing) while an approved result is held for Confirm or Reject:
// Reject refuses a held result.
func (t *Terminal) Abort(ctx context.Context) error {
	switch t.state.Load() {
	case termHeld:
		return ErrResultHeld
	case termTx:
	default:
		return ErrNoTransaction
	}
	select {
	case t.abort <- struct{}{}:
	default: // one is already on its way
	}
	return nil
}

// invalid is the answer to a request refused before sending (err wraps
// ErrInvalidRequest): nothing was sent, so the outcome is TransportError,
// and the text says the request, not the link, is at fault.
func (t *Terminal) invalid(req pos.Request, kind string, events chan<- pos.Event, err error) (pos.Pending, error) {
	p := t.final(req, kind, pos.TransportError)
	p.res.Text = err.Error()
	p.res.TextVI = "Yêu cầu không hợp lệ (số tiền, số hóa đơn hoặc loại tiền), chưa gửi đến máy POS: thẻ chưa bị trừ tiền"
	return t.finish(events, p, err)
}

// final is a result that holds nothing open.
func (t *Terminal) final(req pos.Request, kind string, o pos.Outcome) *pending {
	r := pos.Result{Outcome: o, Amount: req.Amount, Currency: strconv.Itoa(currencyOf(req)), Reference: req.Reference, Kind: kind}
	switch o {
	case pos.Busy:
		r.TextVI = "Máy POS đang bận với giao dịch khác: thẻ chưa bị trừ tiền"
	case pos.TransportError:
		r.TextVI = "Không gửi được lệnh tới máy POS: thẻ chưa bị trừ tiền. Kiểm tra cáp và nguồn máy POS"
	case pos.Unknown:
		r.TextVI = "Không nhận được kết quả cuối từ máy POS: KHÔNG thu lại tiền cho đến khi giao dịch được đối chiếu"
	}
	return &pending{res: r}
}

// finish sends the one final event of a transaction (pos.FinalEvent: the
// outcome's own kind, never "declined" for what is not a refusal) and
// returns its Pending. It is the only way a transaction method returns.
func (t *Terminal) finish(events chan<- pos.Event, p *pending, err error) (pos.Pending, error) {
	pos.Send(events, pos.FinalEvent(p.res, t.now()))
	return p, err
}

// LastResult sends Repeat Receipt (06 20) and decodes the Status-
// Information (04 0F) the terminal repeats: its record of its last
// transaction, whatever it was (a payment, a decline, an abort or a hung
// attempt that got a trace number, a reversal). It is evidence for
// pos.Judge, never "the result of this attempt". It is acknowledged at
// once: it is a copy, not a new transaction.
//
// A payment the terminal reversed after approving it (result code B4)
// comes back with Outcome Aborted and its own trace; a reversal (a record
// with the original trace, BMP 37) with Kind pos.KindReverse, its own
// trace and its outcome. With no record it returns ErrNoLastResult; a
// terminal that only prints its receipt again, ErrLastResultPrinted.
func (t *Terminal) LastResult(ctx context.Context) (pos.Result, error) {
	ok, err := t.begin(ctx, termBusy)
	if !ok {
		return pos.Result{Outcome: pos.Busy}, ErrBusy
	}
	defer t.end()
	unknown := pos.Result{Outcome: pos.Unknown}
	if err != nil {
		return unknown, err
	}
	apdu, err := RepeatReceipt(t.cfg.Password, 0x01)
	if err != nil {
		return unknown, err
	}
	nack, err := t.command(ctx, apdu)
	if err != nil {
		t.registered = false
		return unknown, fmt.Errorf("repeat receipt: %w", err)
	}
	if nack != nil {
		return unknown, fmt.Errorf("%w: repeat receipt answered 84 %s: %s", ErrRefused, nack.ResultCode, ResultText(codeByte(nack.ResultCode)))
	}
	var res *pos.Result
	printed := 0
	deadline := time.Now().Add(t.cfg.Timers.T4)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			var tr *TruncatedError
			if errors.As(err, &tr) {
				if err := t.strayTruncated(tr); err != nil {
					return unknown, err
				}
				continue
			}
			t.registered = false
			if res != nil {
				return *res, nil // the copy arrived; only the completion is missing
			}
			return unknown, fmt.Errorf("repeat receipt: %w", err)
		}
		switch kindOf(a) {
		case k040F:
			if err := t.ack(); err != nil {
				return unknown, err
			}
			r, err := t.record(a)
			if err != nil {
				// Unreadable: no record feepos can use (Outcome Unknown),
				// and why. The completion that follows is the next
				// conversation's to answer.
				return r, err
			}
			res = &r
		case k04FF:
			if err := t.ack(); err != nil {
				return unknown, err
			}
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case k06D1, k06D3:
			if err := t.ack(); err != nil {
				return unknown, err
			}
			printed++
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case k060F:
			_ = t.ack()
			switch {
			case res != nil:
				return *res, nil
			case printed > 0:
				return unknown, ErrLastResultPrinted
			}
			return unknown, ErrNoLastResult
		case k061E:
			_ = t.ack()
			if res != nil {
				return *res, nil
			}
			m, _ := Decode(a)
			return unknown, fmt.Errorf("%w (06 1E %s)", ErrNoLastResult, m.ResultCode)
		case kAck, kNack:
		default:
			if err := t.link.Send(Nack(0x83)); err != nil {
				return unknown, err
			}
		}
	}
}

// record reads a repeated Status-Information as the record of the
// terminal's last transaction. An unreadable one is an error (and Outcome
// Unknown: no record).
func (t *Terminal) record(a []byte) (pos.Result, error) {
	sr := t.readStatus(a, pos.Request{})
	if sr.warning != "" {
		t.log.Warn("repeated status information read leniently", "warning", sr.warning)
	}
	r := sr.res
	if sr.problem != nil {
		return r, fmt.Errorf("zvt: the terminal's last record cannot be used: %w", sr.problem)
	}
	switch {
	case r.ResultCode == fmt.Sprintf("%02X", ResultReversed):
		r.Outcome = pos.Aborted
		r.TextVI = "Giao dịch đã bị máy POS hủy (hoàn) sau khi duyệt: thẻ không bị trừ tiền"
	case sr.m.OriginalTraceNo != nil:
		r.Kind = pos.KindReverse
		r.TextVI = fmt.Sprintf("Giao dịch cuối là lệnh hủy giao dịch số trace %d (%s)", *sr.m.OriginalTraceNo, r.TextVI)
	}
	return r, nil
}

// EndOfDay sends End-of-Day (06 50): the terminal submits and closes its
// batch and reports the totals in a Status-Information with BMP 60.
// Brand slots of BMP 60 are renamed for Vietnam: "Eurocard" is
// "Mastercard"; NAPAS and other domestic cards are counted under "others".
// Brands with no transaction are left out.
func (t *Terminal) EndOfDay(ctx context.Context) (pos.EndOfDay, error) {
	ok, err := t.begin(ctx, termBusy)
	if !ok {
		return pos.EndOfDay{Outcome: pos.Busy}, ErrBusy
	}
	defer t.end()
	out := pos.EndOfDay{Outcome: pos.Unknown, Currency: strconv.Itoa(pos.CurrencyVND), Totals: []pos.BrandTotal{}}
	if err != nil {
		out.Outcome = pos.TransportError
		return out, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	apdu, err := EndOfDay(t.cfg.Password)
	if err != nil {
		return out, err
	}
	nack, err := t.command(ctx, apdu)
	if err != nil {
		t.registered = false
		if errors.Is(err, ErrNotSent) {
			out.Outcome = pos.TransportError
		}
		return out, fmt.Errorf("end of day: %w", err)
	}
	if nack != nil {
		out.Outcome = outcomeFor(codeByte(nack.ResultCode))
		out.Text = ResultText(codeByte(nack.ResultCode))
		return out, fmt.Errorf("%w: end of day answered 84 %s: %s", ErrRefused, nack.ResultCode, out.Text)
	}
	got := false
	deadline := time.Now().Add(t.cfg.Timers.T4)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			t.registered = false
			if got {
				return out, nil
			}
			return out, fmt.Errorf("end of day: %w", err)
		}
		m, _ := Decode(a)
		switch kindOf(a) {
		case k040F:
			if err := t.ack(); err != nil {
				return out, err
			}
			got = true
			fillEndOfDay(&out, m)
			if out.TerminalID == "" {
				out.TerminalID = t.TerminalID()
			}
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
				return out, err
			}
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case kAck, kNack:
		default:
			if err := t.stray(ctx, a, "during an end of day"); err != nil {
				return out, err
			}
		case k060F:
			_ = t.ack()
			if !got {
				return out, errors.New("end of day: completion without totals")
			}
			return out, nil
		case k061E:
			_ = t.ack()
			code := codeByte(m.ResultCode)
			out.Outcome = outcomeFor(code)
			if out.Outcome == pos.Approved {
				out.Outcome = pos.Aborted
			}
			out.Text = ResultText(code)
			return out, fmt.Errorf("%w: end of day aborted (06 1E %s): %s", ErrRefused, m.ResultCode, out.Text)
		}
	}
}

func fillEndOfDay(out *pos.EndOfDay, m pos.Message) {
	code := codeByte(m.ResultCode)
	out.Outcome = outcomeFor(code)
	out.Text = ResultText(code)
	if m.AmountMinor != nil {
		out.Total = *m.AmountMinor
	}
	if m.Currency != "" {
		out.Currency = m.Currency
	}
	if m.TraceNo != nil {
		out.TraceNo = *m.TraceNo
	}
	out.TerminalID = m.TerminalID
	if v, ok := m.Fields["first_receipt"].(int64); ok {
		out.FirstReceipt = v
	}
	if v, ok := m.Fields["last_receipt"].(int64); ok {
		out.LastReceipt = v
	}
	for _, bt := range m.Totals {
		if bt.Count == 0 && bt.Amount == 0 {
			continue
		}
		if bt.Brand == "Eurocard" {
			bt.Brand = "Mastercard"
		}
		out.Totals = append(out.Totals, bt)
	}
}

// Status sends Status Enquiry (05 01) and reads the Completion (06 0F)
// with the software version and terminal status (00 = ready).
func (t *Terminal) Status(ctx context.Context) (pos.Status, error) {
	ok, err := t.begin(ctx, termBusy)
	if !ok {
		return pos.Status{}, ErrBusy
	}
	defer t.end()
	if err != nil {
		return pos.Status{}, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	apdu, err := StatusEnquiry(t.cfg.Password)
	if err != nil {
		return pos.Status{}, err
	}
	if err := t.link.Send(apdu); err != nil {
		t.registered = false
		return pos.Status{}, fmt.Errorf("status enquiry: %w", err)
	}
	deadline := time.Now().Add(t.cfg.Timers.T3)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			t.registered = false
			return pos.Status{}, fmt.Errorf("status enquiry: %w", err)
		}
		m, _ := Decode(a)
		switch kindOf(a) {
		case kAck:
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case kNack:
			code := codeByte(m.ResultCode)
			return pos.Status{ResultCode: m.ResultCode, Text: ResultText(code), TerminalID: t.TerminalID()},
				fmt.Errorf("%w: status enquiry answered 84 %s", ErrRefused, m.ResultCode)
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
				return pos.Status{}, err
			}
		case k040F:
			// No status enquiry has a result: this belongs to no exchange
			// of ours (refused, reported).
			if err := t.stray(ctx, a, "during a status enquiry"); err != nil {
				return pos.Status{}, err
			}
		case k060F:
			_ = t.ack()
			st := pos.Status{TerminalID: t.TerminalID()}
			if m.TerminalID != "" {
				st.TerminalID = m.TerminalID
			}
			st.Software, _ = m.Fields["software_version"].(string)
			ts, _ := m.Fields["terminal_status"].(string)
			st.ResultCode = ts
			st.Ready = ts == "00"
			if ts == "" {
				st.Text = "Terminal không gửi trạng thái"
			} else if st.Ready {
				st.Text = "Terminal sẵn sàng"
			} else {
				st.Text = ResultText(codeByte(ts))
			}
			return st, nil
		case k061E:
			_ = t.ack()
			code := codeByte(m.ResultCode)
			return pos.Status{ResultCode: m.ResultCode, Text: ResultText(code), TerminalID: t.TerminalID()}, nil
		}
	}
}

// message kinds the driver tells apart by control field
type ctrl int

const (
	kOther ctrl = iota
	kAck
	kNack
	k04FF
	k040F
	k060F
	k061E
	k06D1
	k06D3
)

func kindOf(a []byte) ctrl {
	if len(a) < 2 {
		return kOther
	}
	switch {
	case a[0] == 0x80:
		return kAck
	case a[0] == 0x84:
		return kNack
	case a[0] == 0x04 && a[1] == 0xFF:
		return k04FF
	case a[0] == 0x04 && a[1] == 0x0F:
		return k040F
	case a[0] == 0x06 && a[1] == 0x0F:
		return k060F
	case a[0] == 0x06 && a[1] == 0x1E:
		return k061E
	case a[0] == 0x06 && a[1] == 0xD1:
		return k06D1
	case a[0] == 0x06 && a[1] == 0xD3:
		return k06D3
	}
	return kOther
}

func intermediateCode(a []byte) (byte, bool) {
	p, err := ParseAPDU(a)
	if err != nil || len(p.Data) < 1 {
		return 0, false
	}
	return p.Data[0], true
}

func codeByte(hex string) byte {
	v, err := strconv.ParseUint(hex, 16, 8)
	if err != nil {
		return 0xFF
	}
	return byte(v)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
