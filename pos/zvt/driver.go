package zvt

import (
	"context"
	"errors"
	"fmt"
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
}

// Driver errors. Every transaction method returns a Pending (never nil)
// whose Result says the outcome; the error is set too when the outcome is
// Busy, TransportError or Unknown, so a caller that only checks err cannot
// miss them. A TransportError whose error is ErrInvalidRequest (limits.go)
// is a request refused before sending: the request, not the link, is wrong.
var (
	ErrBusy           = errors.New("zvt: terminal busy with another transaction")
	ErrTransport      = errors.New("zvt: command not sent, nothing was charged")
	ErrUnknownOutcome = errors.New("zvt: no final result from the terminal; the card may have been charged: run LastResult")
	// ErrConfirmUncertain: Confirm could not deliver the acknowledgement,
	// or the terminal did not complete; it may reverse the payment. Run
	// LastResult to learn what stands.
	ErrConfirmUncertain = errors.New("zvt: acknowledgement of the result not confirmed by the terminal: run LastResult")
	ErrNoTransaction    = errors.New("zvt: no transaction in progress")
	ErrNoLastResult     = errors.New("zvt: the terminal has no last transaction to repeat")
	ErrRefused          = errors.New("zvt: the terminal refused the command")
	ErrFinished         = errors.New("zvt: result already confirmed or rejected")
)

// Terminal is a ZVT payment terminal (PA00P015) seen from the ECR. It
// implements pos.Terminal and runs one conversation at a time.
type Terminal struct {
	cfg  Config
	link *Link

	conv  sync.Mutex    // held for one conversation, including an open Pending
	abort chan struct{} // Abort → the running transaction
	inTx  atomic.Bool

	registered bool   // under conv
	tid        string // from the Registration completion, under conv
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
	cfg.Timers = cfg.Timers.WithDefaults()
	return &Terminal{cfg: cfg, link: NewLink(conn, cfg.TCP, cfg.Timers, cfg.Trace), abort: make(chan struct{}, 1)}
}

func (t *Terminal) ID() string             { return t.cfg.ID }
func (t *Terminal) Protocol() pos.Protocol { return pos.ZVT }

// Capabilities: ZVT does everything feepos asks of a terminal.
func (t *Terminal) Capabilities() pos.Capabilities {
	return pos.Capabilities{Reverse: true, Refund: true, Abort: true, LastResult: true, EndOfDay: true, Status: true, HoldResult: true}
}
func (t *Terminal) Close() error { return t.link.Conn().Close() }

// TerminalID is the terminal's own id (TID) from its last Registration.
func (t *Terminal) TerminalID() string {
	t.conv.Lock()
	defer t.conv.Unlock()
	return t.tid
}

func (t *Terminal) now() time.Time { return t.cfg.Clock() }

// begin takes the terminal for one conversation and leaves the link in a
// known state: stale bytes dropped, registered.
func (t *Terminal) begin(ctx context.Context, tx bool) (ok bool, err error) {
	if !t.conv.TryLock() {
		return false, nil
	}
	select {
	case <-t.abort:
	default:
	}
	t.inTx.Store(tx)
	if err := t.link.Reset(); err != nil {
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
	t.inTx.Store(false)
	t.conv.Unlock()
}

// recv waits for the next APDU until deadline.
func (t *Terminal) recv(ctx context.Context, deadline time.Time, interrupt <-chan struct{}) ([]byte, error) {
	rem := time.Until(deadline)
	if rem <= 0 {
		return nil, transport.ErrTimeout
	}
	return t.link.Receive(ctx, rem, interrupt)
}

// ack sends the positive answer 80 00 00.
func (t *Terminal) ack() error { return t.link.Send(Ack()) }

// command sends apdu and waits T3 for the PT's answer: nil for 80 00 (and
// 84 00), the decoded refusal for 84 xx. Other messages before it are
// stale and ignored.
func (t *Terminal) command(ctx context.Context, apdu []byte) (*pos.Message, error) {
	if err := t.link.Send(apdu); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.cfg.Timers.T3)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
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
	}
}

// Register sends Registration (06 00) with the configured config byte and
// VND, and takes the TID from the Completion. Conversations register on
// their own when needed; call it to check the terminal at start-up.
func (t *Terminal) Register(ctx context.Context) error {
	if !t.conv.TryLock() {
		return ErrBusy
	}
	defer t.end()
	if err := t.link.Reset(); err != nil {
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
			if m.TerminalID != "" {
				t.tid = m.TerminalID
			}
			t.registered = true
			return nil
		case k061E:
			_ = t.ack()
			return fmt.Errorf("%w: registration aborted with %s", ErrRefused, m.ResultCode)
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
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
		return t.invalid(req, err)
	}
	apdu, err := Authorization(AuthorizationRequest{Amount: req.Amount, Currency: currencyOf(req)})
	if err != nil {
		return t.final(req, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return t.transaction(ctx, apdu, req, events)
}

// Reverse sends Reversal (06 30) of the payment with receiptNo.
// A request ZVT cannot carry (ValidateReversal) is refused before
// anything is sent, with ErrInvalidRequest.
func (t *Terminal) Reverse(ctx context.Context, receiptNo int64, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	if err := ValidateReversal(receiptNo, req); err != nil {
		return t.invalid(req, err)
	}
	var amount *int64
	if req.Amount > 0 {
		amount = &req.Amount
	}
	apdu, err := Reversal(t.cfg.Password, receiptNo, amount)
	if err != nil {
		return t.final(req, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return t.transaction(ctx, apdu, req, events)
}

// Refund sends Refund (06 31) of req.Amount đồng.
// A request ZVT cannot carry (ValidateRequest) is refused before anything
// is sent, with ErrInvalidRequest.
func (t *Terminal) Refund(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	if err := ValidateRequest(req); err != nil {
		return t.invalid(req, err)
	}
	apdu, err := Refund(t.cfg.Password, req.Amount, currencyOf(req))
	if err != nil {
		return t.final(req, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return t.transaction(ctx, apdu, req, events)
}

// Abort asks the terminal to abort the running transaction (06 B0). The
// running Pay sends it between two messages of the terminal and then
// reports whatever final result the terminal gives (usually 06 1E 6C).
func (t *Terminal) Abort(ctx context.Context) error {
	if !t.inTx.Load() {
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
func (t *Terminal) invalid(req pos.Request, err error) (pos.Pending, error) {
	p := t.final(req, pos.TransportError)
	p.res.Text = err.Error()
	p.res.TextVI = "Yêu cầu không hợp lệ (số tiền, số hóa đơn hoặc loại tiền), chưa gửi đến máy POS: thẻ chưa bị trừ tiền"
	return p, err
}

func (t *Terminal) final(req pos.Request, o pos.Outcome) *pending {
	r := pos.Result{Outcome: o, Amount: req.Amount, Currency: strconv.Itoa(currencyOf(req)), Reference: req.Reference}
	switch o {
	case pos.Busy:
		r.TextVI = "Terminal đang bận với giao dịch khác"
	case pos.TransportError:
		r.TextVI = "Không gửi được lệnh tới terminal: thẻ chưa bị trừ tiền. Kiểm tra cáp và nguồn terminal"
	case pos.Unknown:
		r.TextVI = "Không nhận được kết quả cuối từ terminal: đang kiểm tra lại giao dịch cuối"
	}
	return &pending{res: r}
}

// transaction runs the sequence of PA00P015 ch. 2.2 up to the final
// result: command → 80 00 / 84 xx within T3 → (04 FF | 06 D1 | 06 D3)*
// within T4 each → 04 0F (returned unacknowledged) or 06 1E.
func (t *Terminal) transaction(ctx context.Context, apdu []byte, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	ok, err := t.begin(ctx, true)
	if !ok {
		return t.final(req, pos.Busy), ErrBusy
	}
	holding := true
	defer func() {
		if holding {
			t.end()
		}
	}()
	if err != nil {
		return t.final(req, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err)
	}
	nack, err := t.command(ctx, apdu)
	if err != nil {
		if errors.Is(err, ErrNotSent) {
			return t.final(req, pos.TransportError), fmt.Errorf("%w: %w", ErrTransport, err)
		}
		t.registered = false // re-register once the link is back
		return t.final(req, pos.Unknown), fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
	if nack != nil {
		// A refused command ran nothing: nothing was charged.
		p := &pending{res: resultFromNack(*nack, req)}
		t.emitResult(events, p.res)
		if p.res.Outcome == pos.Busy {
			return p, ErrBusy
		}
		return p, nil
	}

	deadline := time.Now().Add(t.cfg.Timers.T4)
	cancelled := false
	for {
		rctx := ctx
		if cancelled {
			rctx = context.Background()
		}
		a, err := t.recv(rctx, deadline, t.abort)
		if errors.Is(err, ErrInterrupted) || (!cancelled && ctx.Err() != nil && errors.Is(err, ctx.Err())) {
			if !errors.Is(err, ErrInterrupted) {
				// The caller gave up: ask the terminal to stop, and wait a
				// little for its final word.
				cancelled = true
				deadline = minTime(deadline, time.Now().Add(t.cfg.Timers.T3))
			}
			if serr := t.link.Send(AbortRequest()); serr != nil {
				t.registered = false
				return t.final(req, pos.Unknown), fmt.Errorf("%w: sending abort: %w", ErrUnknownOutcome, serr)
			}
			continue
		}
		if err != nil {
			t.registered = false
			return t.final(req, pos.Unknown), fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
		}
		m, _ := Decode(a)
		switch kindOf(a) {
		case k04FF:
			if err := t.ack(); err != nil {
				t.registered = false
				return t.final(req, pos.Unknown), fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
			}
			if code, ok := intermediateCode(a); ok {
				pos.Send(events, IntermediateEvent(code, t.now()))
			}
			deadline = time.Now().Add(t.cfg.Timers.T4)
		case k06D1, k06D3:
			if err := t.ack(); err != nil {
				t.registered = false
				return t.final(req, pos.Unknown), fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
			}
		case k040F:
			res := resultFromStatus(m, req)
			if res.TerminalID == "" {
				res.TerminalID = t.tid
			}
			t.emitResult(events, res)
			holding = false // the Pending ends the conversation
			return &pending{t: t, res: res, raw: a, events: events}, nil
		case k061E:
			_ = t.ack() // the result is final whether or not this ACK arrives
			res := resultFromAbort(m, req)
			t.emitResult(events, res)
			return &pending{res: res}, nil
		case k060F:
			// Completion without a Status-Information: the terminal did
			// not say whether it charged. Never guess.
			_ = t.ack()
			return t.final(req, pos.Unknown), fmt.Errorf("%w: completion (06 0F) without a result", ErrUnknownOutcome)
		case kAck, kNack:
			// a duplicate answer to the command: ignore
		default:
			// A request feepos does not serve (input, menu, …): refuse it
			// so the terminal goes on.
			if err := t.link.Send(Nack(0x83)); err != nil {
				t.registered = false
				return t.final(req, pos.Unknown), fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
			}
		}
	}
}

func (t *Terminal) emitResult(events chan<- pos.Event, r pos.Result) {
	k := pos.EventDeclined
	if r.Outcome == pos.Approved {
		k = pos.EventApproved
	}
	pos.Send(events, pos.Event{Kind: k, Code: r.ResultCode, Text: r.TextVI, At: t.now()})
}

// LastResult sends Repeat Receipt (06 20) and decodes the Status-
// Information (04 0F) the terminal repeats. It is acknowledged at once:
// it is a copy, not a new transaction. A repeated payment that the
// terminal reversed after its approval (ResultReversed, or a record with
// BMP 37) comes back with Outcome Aborted.
func (t *Terminal) LastResult(ctx context.Context) (pos.Result, error) {
	ok, err := t.begin(ctx, false)
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
	deadline := time.Now().Add(t.cfg.Timers.T4)
	for {
		a, err := t.recv(ctx, deadline, nil)
		if err != nil {
			t.registered = false
			if res != nil {
				return *res, nil // the copy arrived; only the completion is missing
			}
			return unknown, fmt.Errorf("repeat receipt: %w", err)
		}
		m, _ := Decode(a)
		switch kindOf(a) {
		case k040F:
			if err := t.ack(); err != nil {
				return unknown, err
			}
			r := resultFromStatus(m, pos.Request{})
			if r.TerminalID == "" {
				r.TerminalID = t.tid
			}
			if r.ResultCode == fmt.Sprintf("%02X", ResultReversed) {
				r.Outcome = pos.Aborted
				r.TextVI = "Giao dịch đã bị terminal hủy (hoàn) sau khi duyệt: thẻ không bị trừ tiền"
			} else if m.OriginalTraceNo != nil && r.Outcome == pos.Approved {
				r.Outcome = pos.Aborted
				r.TraceNo = *m.OriginalTraceNo
				r.TextVI = "Giao dịch cuối là lệnh hủy của giao dịch này: thẻ không bị trừ tiền"
			}
			res = &r
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
				return unknown, err
			}
		case k060F:
			_ = t.ack()
			if res == nil {
				return unknown, ErrNoLastResult
			}
			return *res, nil
		case k061E:
			_ = t.ack()
			if res != nil {
				return *res, nil
			}
			return unknown, fmt.Errorf("%w (06 1E %s)", ErrNoLastResult, m.ResultCode)
		}
	}
}

// EndOfDay sends End-of-Day (06 50): the terminal submits and closes its
// batch and reports the totals in a Status-Information with BMP 60.
// Brand slots of BMP 60 are renamed for Vietnam: "Eurocard" is
// "Mastercard"; NAPAS and other domestic cards are counted under "others".
// Brands with no transaction are left out.
func (t *Terminal) EndOfDay(ctx context.Context) (pos.EndOfDay, error) {
	ok, err := t.begin(ctx, false)
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
				out.TerminalID = t.tid
			}
		case k04FF, k06D1, k06D3:
			if err := t.ack(); err != nil {
				return out, err
			}
			deadline = time.Now().Add(t.cfg.Timers.T4)
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
	ok, err := t.begin(ctx, false)
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
			return pos.Status{ResultCode: m.ResultCode, Text: ResultText(code), TerminalID: t.tid},
				fmt.Errorf("%w: status enquiry answered 84 %s", ErrRefused, m.ResultCode)
		case k04FF, k06D1, k06D3, k040F:
			if err := t.ack(); err != nil {
				return pos.Status{}, err
			}
		case k060F:
			_ = t.ack()
			st := pos.Status{TerminalID: t.tid}
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
			return pos.Status{ResultCode: m.ResultCode, Text: ResultText(code), TerminalID: t.tid}, nil
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
