package concert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// Config configures a Concert terminal driver.
type Config struct {
	ID        string // feepos's name for the terminal, e.g. "T1"
	PosNumber string // the register number sent in every request, 2 digits; default "01"
	Timers    Timers // zero fields: the protocol defaults
	Clock     func() time.Time
	// Trace, if set, sees every byte sent and received, with the direction
	// DirECRToPT or DirPTToECR (for --trace).
	Trace func(direction string, b []byte)
}

// ErrNotSupported matches (errors.Is) every *NotSupportedError.
var ErrNotSupported = errors.New("concert: not supported by the Concert E+ protocol")

// Driver errors. Pay returns a Pending (never nil) whose Result says the
// outcome; the error is set too when the outcome is Busy, TransportError
// or Unknown (as the ZVT driver does), so a caller that only checks err
// cannot miss them.
var (
	// ErrInvalidRequest: the driver refused the request before sending
	// anything (outcome TransportError: nothing was charged); the request,
	// not the link, is wrong (errors.Is pos.ErrInvalidRequest too). See
	// ValidateRequest.
	ErrInvalidRequest = fmt.Errorf("concert: %w", pos.ErrInvalidRequest)
	ErrBusy           = errors.New("concert: terminal busy with another transaction")
	ErrTransport      = errors.New("concert: request not taken by the terminal, nothing was charged")
	// ErrUnknownOutcome: the terminal took (or may have taken) the request
	// and gave no usable answer. E+ cannot ask again: a human reviews it.
	ErrUnknownOutcome = errors.New("concert: no usable answer from the terminal; the card may have been charged: review it by hand")
)

// NotSupportedError says an operation E+ cannot do, and what to do instead.
type NotSupportedError struct {
	Op        string // "status", "reverse", "refund", "abort"
	Reason    string // why, with the source
	MessageVI string // for the cashier
}

func (e *NotSupportedError) Error() string {
	return fmt.Sprintf("concert: %s is not supported by the Concert E+ protocol: %s", e.Op, e.Reason)
}

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool { return target == ErrNotSupported }

// The operations of pos.Terminal that E+ cannot do (NotSupportedError.Op).
const (
	OpReverse  = "reverse"
	OpRefund   = "refund"
	OpAbort    = "abort"
	OpStatus   = "status"
	OpEndOfDay = "end of day"
)

var unsupported = map[string]NotSupportedError{
	OpReverse: {Op: OpReverse,
		Reason:    "an E+ request carries no reference to the transaction to cancel, and the sources disagree on the cancel code; cancel on the terminal itself",
		MessageVI: "Máy POS (Concert) không hỗ trợ hủy giao dịch từ phần mềm. Vui lòng hủy trực tiếp trên máy POS"},
	OpRefund: {Op: OpRefund,
		Reason:    "the sources disagree on the E+ transaction-type code for a refund (pyTeliumManager '1' credit / '2' refund; Concert V3 CD 1 refund / 2 cancel); refund on the terminal itself",
		MessageVI: "Máy POS (Concert) không hỗ trợ hoàn tiền từ phần mềm. Vui lòng hoàn tiền trực tiếp trên máy POS"},
	OpAbort: {Op: OpAbort,
		Reason:    "E+ has no abort message; the cashier cancels with the terminal's red key",
		MessageVI: "Không thể hủy từ phần mềm. Vui lòng bấm nút đỏ (hủy) trên máy POS"},
	OpStatus: {Op: OpStatus,
		Reason:    "E+ has no status enquiry; a terminal's readiness shows only when a payment is sent",
		MessageVI: "Máy POS (Concert) không hỗ trợ kiểm tra trạng thái. Trạng thái chỉ biết khi gửi giao dịch"},
	OpEndOfDay: {Op: OpEndOfDay,
		Reason:    "E+ has no end-of-day message; close the batch on the terminal and take the day's totals from the report it prints",
		MessageVI: "Máy POS Concert không hỗ trợ kết ca từ phần mềm: kết ca trên máy POS và lấy tổng từ báo cáo in ra của máy"},
}

// Unsupported is the error of an operation (Op*) E+ cannot do, saying what
// to do instead, so a caller can refuse it without opening the port; nil
// for any other op. (EndOfDay itself answers Outcome Unknown, without an
// error: see Terminal.)
func Unsupported(op string) *NotSupportedError {
	e, ok := unsupported[op]
	if !ok {
		return nil
	}
	return &e
}

// ErrorCode lets internal/apperr map the error to "invalid": the request
// cannot be made of this terminal, whatever the link does.
func (e *NotSupportedError) ErrorCode() string { return "invalid" }

// Terminal drives one Ingenico Telium (or other Caisse-AP V2) terminal in
// Concert E+ mode. It implements pos.Terminal, within the limits of E+:
//
//   - Pay only. E+ requests carry no reference to an earlier transaction,
//     so a cancellation (Reverse) cannot say which payment to cancel; and
//     the sources disagree on the transaction-type codes (pyTeliumManager
//     constant.py: '1' credit, '2' refund; the Concert V3 CD tag in the
//     PayXpert doc: 1 refund, 2 cancel), so Refund and Reverse return a
//     *NotSupportedError rather than send a code that might mean something
//     else on the counter's terminal. Refunds are made on the terminal.
//   - No abort message exists in E+: Abort returns a *NotSupportedError;
//     the cashier presses the red key on the terminal.
//   - No status enquiry (Status: *NotSupportedError), no end of day
//     (EndOfDay: Outcome Unknown, totals from the terminal's own report),
//     no repeat-last-transaction (LastResult: Outcome Unknown, for a human
//     to review against the terminal's journal and the acquirer's file).
//
// Two-phase results: the answer frame's link-level ACK is held until
// Pending.Confirm. UNLIKE ZVT, A CONCERT TERMINAL DOES NOT REVERSE AN
// ANSWER THAT WAS NOT ACKNOWLEDGED: it resends it a few times and gives
// up, and the charge stands. Holding the ACK only keeps the order of
// things (the terminal finishes after feepos recorded the result); it
// does not make a crash or a Reject safe. A caller that Rejects, or dies
// between the answer and its commit, must treat the payment as needing
// review.
type Terminal struct {
	conn transport.Conn
	cfg  Config
	sess *Session

	mu     sync.Mutex
	busy   bool
	recent []string // references of requests the terminal may still answer
}

// New returns a driver for the terminal on conn (e.g.
// transport.OpenSerial(transport.ConcertSerial(path))).
func New(conn transport.Conn, cfg Config) *Terminal {
	if cfg.PosNumber == "" {
		cfg.PosNumber = "01"
	}
	cfg.Timers = cfg.Timers.WithDefaults()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Terminal{conn: conn, cfg: cfg, sess: NewSession(conn, RoleECR, cfg.Timers, cfg.Trace)}
}

func (t *Terminal) ID() string             { return t.cfg.ID }
func (t *Terminal) Protocol() pos.Protocol { return pos.Concert }

// TerminalID is "": E+ answers carry no terminal id.
func (t *Terminal) TerminalID() string { return "" }

// Capabilities: E+ pays and nothing else (see Terminal).
func (t *Terminal) Capabilities() pos.Capabilities { return pos.Capabilities{} }
func (t *Terminal) Close() error                   { return t.conn.Close() }

// begin takes the terminal for one transaction; false when it is busy.
func (t *Terminal) begin() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.busy {
		return false
	}
	t.busy = true
	return true
}

func (t *Terminal) end() {
	t.mu.Lock()
	t.busy = false
	t.mu.Unlock()
}

const recentRefs = 16

func (t *Terminal) remember(ref string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recent = append(t.recent, ref)
	if len(t.recent) > recentRefs {
		t.recent = t.recent[len(t.recent)-recentRefs:]
	}
}

// stale reports whether ref belongs to an earlier request of this driver.
func (t *Terminal) stale(ref, current string) bool {
	return ref != current && t.sent(ref)
}

// sent reports whether a request with ref went to the terminal lately.
func (t *Terminal) sent(ref string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Contains(t.recent, ref)
}

func (t *Terminal) emit(ch chan<- pos.Event, kind pos.EventKind, text string) {
	pos.Send(ch, pos.Event{Kind: kind, Text: text, At: t.cfg.Clock()})
}

// Vietnamese texts for the cashier.
const (
	viSending     = "Đang gửi yêu cầu thanh toán đến máy POS"
	viInsertCard  = "Mời khách đưa thẻ vào máy"
	viWaiting     = "Đang chờ kết quả từ máy POS"
	viReceiving   = "Đang nhận kết quả từ máy POS"
	viApproved    = "Giao dịch thành công"
	viDeclined    = "Giao dịch bị từ chối, thẻ không bị trừ tiền"
	viUnknown     = "Chưa rõ kết quả: thẻ có thể đã bị trừ tiền. Không thu lại; kiểm tra nhật ký máy POS và báo kế toán"
	viBusy        = "Máy POS đang xử lý một giao dịch khác, vui lòng đợi"
	viTransport   = "Không gửi được yêu cầu đến máy POS (thẻ chưa bị trừ tiền). Kiểm tra cáp và nguồn máy POS rồi thử lại"
	viNotVerified = "Máy POS không xác nhận kết quả: thẻ có thể đã bị trừ tiền. Kiểm tra nhật ký máy POS"
)

// ValidateRequest checks a payment for what E+ and feepos carry: an amount
// of 1 to MaxAmount đồng (8 digits), in đồng (Currency 0 or 704), and a
// reference of 1 to 10 printable ASCII characters (the PRIV field, the
// only link between a request and the terminal's answer). The error wraps
// ErrInvalidRequest and says what is allowed.
func ValidateRequest(req pos.Request) error {
	if req.Currency != 0 && req.Currency != pos.CurrencyVND {
		return fmt.Errorf("%w: currency %d; feepos takes đồng only (704)", ErrInvalidRequest, req.Currency)
	}
	if req.Reference == "" {
		return fmt.Errorf("%w: no reference: the E+ PRIV field (1 to %d characters) is the only link between a request and the terminal's answer", ErrInvalidRequest, privLen)
	}
	if err := ValidatePriv(req.Reference); err != nil {
		return fmt.Errorf("%w: %w (give the payment a short reference, e.g. its number, of at most %d ASCII characters)", ErrInvalidRequest, err, privLen)
	}
	if err := ValidateAmount(req.Amount); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return nil
}

// paymentText validates req and builds the E+ request text.
func (t *Terminal) paymentText(req pos.Request) ([]byte, error) {
	posNo, err := strconv.Atoi(t.cfg.PosNumber)
	if err != nil || len(t.cfg.PosNumber) != 2 || posNo < 1 {
		return nil, fmt.Errorf("%w: register number %q must be 2 digits, 01 to 99 (Config.PosNumber)", ErrInvalidRequest, t.cfg.PosNumber)
	}
	if err := ValidateRequest(req); err != nil {
		return nil, err
	}
	r := NewPaymentRequest(req.Amount, req.Reference)
	r.POSNumber = posNo
	text, err := r.Text()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return text, nil
}

// Pay charges req.Amount đồng. It sends the E+ payment request (card,
// debit, long answer at the end of the transaction, PRIV = req.Reference)
// in one session, then waits up to Timers.Answer for the terminal's own
// session carrying the answer.
//
// The returned Pending is never nil; its Result says what happened, and
// the error is set for every outcome but Approved and Declined
// (ErrInvalidRequest or ErrTransport with TransportError, ErrBusy,
// ErrUnknownOutcome):
//   - TransportError: the terminal certainly did not take the request (it
//     did not answer our ENQ, or it answered NAK to every send).
//   - Busy: another transaction of this driver is open.
//   - Approved / Declined: the terminal's answer, with PRIV, amount,
//     currency and register number matching the request.
//   - Unknown: the terminal took (or may have taken) the request and no
//     usable answer came: no answer in time, link lost, damaged answer,
//     status '9' or undefined, or an answer that does not match the
//     request. Nothing is guessed; a human reviews it.
//
// Customer aborts: E+ defines no abort status in the sources
// (pyTeliumManager: 0 accepted, 7 refused, 9 not verified); an abort on the
// terminal is expected to answer 7 and comes back as Declined.
//
// The caller must call Confirm or Reject on the Pending: until then the
// driver is busy.
func (t *Terminal) Pay(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	text, err := t.paymentText(req)
	if err != nil {
		return &Pending{result: pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: err.Error(), TextVI: "Yêu cầu thanh toán không hợp lệ, chưa gửi đến máy POS"}, done: true}, err
	}
	if t.sent(req.Reference) {
		// The answer carries only the reference: a late answer to the
		// earlier attempt would be taken for this one's, and this one's
		// charge would go unrecorded.
		err := fmt.Errorf("%w: reference %q was already sent to this terminal: give each payment attempt a new reference", ErrInvalidRequest, req.Reference)
		return &Pending{result: pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: err.Error(), TextVI: "Mã tham chiếu đã dùng cho lần thanh toán trước, chưa gửi đến máy POS"}, done: true}, err
	}
	if !t.begin() {
		return &Pending{result: pos.Result{Outcome: pos.Busy, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: "the driver is in another transaction", TextVI: viBusy}, done: true}, ErrBusy
	}
	res, held := t.pay(ctx, req, text, events)
	switch res.Outcome {
	case pos.Approved:
		t.emit(events, pos.EventApproved, viApproved)
	case pos.Declined:
		t.emit(events, pos.EventDeclined, viDeclined)
	case pos.Unknown:
		t.emit(events, pos.EventOther, viUnknown)
	case pos.TransportError:
		t.emit(events, pos.EventOther, viTransport)
	}
	err = nil
	switch res.Outcome {
	case pos.TransportError:
		err = fmt.Errorf("%w: %s", ErrTransport, res.Text)
	case pos.Unknown:
		err = fmt.Errorf("%w: %s", ErrUnknownOutcome, res.Text)
	}
	if !held {
		t.end()
		return &Pending{result: res, done: true}, err
	}
	return &Pending{t: t, result: res}, err
}

// pay runs one payment; held says a received answer waits for its ACK.
func (t *Terminal) pay(ctx context.Context, req pos.Request, text []byte, events chan<- pos.Event) (pos.Result, bool) {
	base := pos.Result{Amount: req.Amount, Currency: "704", Reference: req.Reference}
	unknown := func(why string) pos.Result {
		r := base
		r.Outcome, r.Text, r.TextVI = pos.Unknown, why, viUnknown
		return r
	}
	if _, err := t.conn.Drain(); err != nil {
		r := base
		r.Outcome, r.TextVI = pos.TransportError, viTransport
		r.Text = fmt.Sprintf("before sending: %v", err)
		return r, false
	}
	t.emit(events, pos.EventProcessing, viSending)
	err := t.sess.Send(ctx, text)
	var serr *SendError
	switch {
	case err == nil:
		t.remember(req.Reference)
		t.emit(events, pos.EventInsertCard, viInsertCard)
	case errors.As(err, &serr) && serr.Delivery == NotDelivered:
		r := base
		r.Outcome, r.TextVI = pos.TransportError, viTransport
		r.Text = fmt.Sprintf("the terminal did not take the request, nothing was charged: %v", err)
		return r, false
	case errors.Is(err, ErrFrameRefused):
		// The frame went out and neither ACK nor NAK came back: the
		// terminal may be running the payment (its ACK lost). Listen for
		// its answer.
		t.remember(req.Reference)
		t.emit(events, pos.EventWait, viWaiting)
	default:
		// The link broke, or ctx ended, after the frame went out.
		t.remember(req.Reference)
		return unknown(fmt.Sprintf("the request may have reached the terminal: %v", err)), false
	}

	for {
		ans, err := t.sess.ReceiveFrame(ctx, t.cfg.Timers.Answer)
		if err != nil {
			why := "no answer from the terminal"
			switch {
			case errors.Is(err, ErrNoENQ):
				why = fmt.Sprintf("no answer from the terminal within %v", t.cfg.Timers.Answer)
			case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
				why = "stopped waiting for the terminal's answer (cancelled)"
			}
			return unknown(fmt.Sprintf("%s; the card may have been charged: %v", why, err)), false
		}
		t.emit(events, pos.EventProcessing, viReceiving)
		a, perr := ParsePaymentAnswer(ans)
		if perr == nil && t.stale(a.Priv, req.Reference) {
			// A late or repeated answer to an earlier request of ours (its
			// PRIV says so): take it off the line and keep waiting for ours.
			if err := t.sess.Acknowledge(ctx); err != nil && !errors.Is(err, ErrNoEOT) {
				return unknown(fmt.Sprintf("link failed while skipping a late answer for %q: %v", a.Priv, err)), false
			}
			continue
		}
		return t.result(base, req, ans, a, perr), true
	}
}

// result checks the answer against the request and maps it.
func (t *Terminal) result(base pos.Result, req pos.Request, text []byte, a PaymentAnswer, perr error) pos.Result {
	r := base
	if perr != nil {
		r.Outcome, r.TextVI = pos.Unknown, viUnknown
		r.Text = fmt.Sprintf("the terminal's answer (%d characters) is not an E+ answer: %v", len(text), perr)
		return r
	}
	outcome, note := a.Outcome()
	r.ResultCode = string(a.Status)
	r.PANMasked = a.PANMasked
	r.CardType = ModeName(a.Mode)
	r.Reference = a.Priv
	r.Amount = a.Amount
	r.Currency = a.Currency
	var mismatch []string
	if a.Priv != req.Reference {
		mismatch = append(mismatch, fmt.Sprintf("PRIV %q, sent %q", a.Priv, req.Reference))
	}
	if a.Amount != req.Amount {
		mismatch = append(mismatch, fmt.Sprintf("amount %d, sent %d", a.Amount, req.Amount))
	}
	if a.Currency != "704" {
		mismatch = append(mismatch, fmt.Sprintf("currency %s, sent 704", a.Currency))
	}
	if a.POSNumber != t.cfg.PosNumber {
		mismatch = append(mismatch, fmt.Sprintf("register %s, sent %s", a.POSNumber, t.cfg.PosNumber))
	}
	if len(mismatch) > 0 {
		r.Outcome, r.TextVI = pos.Unknown, viUnknown
		r.Text = fmt.Sprintf("the terminal answered %s (status %q) but the answer does not match the request: %v", note, a.Status, mismatch)
		return r
	}
	r.Outcome, r.Text = outcome, note
	switch outcome {
	case pos.Approved:
		r.TextVI = viApproved
	case pos.Declined:
		r.TextVI = viDeclined
	default:
		r.TextVI = viNotVerified
	}
	return r
}

// Reverse is not supported: see Terminal.
func (t *Terminal) Reverse(ctx context.Context, receiptNo int64, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	return nil, Unsupported(OpReverse)
}

// Refund is not supported: see Terminal.
func (t *Terminal) Refund(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	return nil, Unsupported(OpRefund)
}

// Abort is not supported: E+ has no abort message.
func (t *Terminal) Abort(ctx context.Context) error {
	return Unsupported(OpAbort)
}

// Status is not supported: E+ has no status enquiry.
func (t *Terminal) Status(ctx context.Context) (pos.Status, error) {
	err := Unsupported(OpStatus)
	return pos.Status{Ready: false, Text: err.Error(), TerminalID: t.cfg.ID}, err
}

// EndOfDay closes nothing: E+ has no end-of-day message. The outcome is
// Unknown; the day's totals must come from the terminal's own report.
func (t *Terminal) EndOfDay(ctx context.Context) (pos.EndOfDay, error) {
	return pos.EndOfDay{Outcome: pos.Unknown, Currency: "704", Totals: []pos.BrandTotal{}, TerminalID: t.cfg.ID,
		Text: "Concert E+ has no end-of-day message: close the batch on the terminal and take the totals from the terminal's own report " +
			"(Máy POS Concert không hỗ trợ kết ca từ phần mềm: kết ca trên máy POS và lấy tổng từ báo cáo in ra của máy)"}, nil
}

// LastResult cannot ask the terminal: E+ has no repeat-last-transaction
// message. The outcome is Unknown, for a human to review.
func (t *Terminal) LastResult(ctx context.Context) (pos.Result, error) {
	return pos.Result{Outcome: pos.Unknown, Currency: "704", TerminalID: t.cfg.ID,
		Text:   "Concert E+ cannot repeat the last transaction: review it against the terminal's journal and the acquirer's settlement file",
		TextVI: "Không lấy lại được kết quả giao dịch gần nhất từ máy POS Concert: cần kiểm tra thủ công trên nhật ký máy POS và sao kê ngân hàng"}, nil
}

var _ pos.Terminal = (*Terminal)(nil)
