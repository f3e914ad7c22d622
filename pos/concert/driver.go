package concert

import (
	"context"
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
	// Timers are the session's waits and retries, zero fields the
	// protocol's. They are the terminal's too (one protocol, one set of
	// timers): Pending.Deadline is computed from ACK and FrameAttempts, so
	// a terminal configured with shorter timers needs them here.
	Timers Timers
	Clock  func() time.Time
	// Trace, if set, sees every byte sent and received, with the direction
	// DirECRToPT or DirPTToECR (for --trace).
	Trace func(direction string, b []byte)
	// OnOrphan, if set, receives every answer the terminal sent that
	// nothing waited for (docs/TERMINALS.md, "Concert E+"): a late answer
	// to an earlier payment (its answer wait ran out, or its caller
	// stopped waiting), an answer held past its Pending's deadline or
	// refused (Reject), a message the terminal sent on its own. Its
	// Result.Reference is the answer's PRIV, the reference of the payment
	// it settles (pos.Judge). Answers repeated because our ACK got lost are
	// acknowledged again, not delivered twice.
	//
	// It is called from the driver's own goroutine, one orphan at a time,
	// before the answer is acknowledged (the evidence is kept first; at a
	// held answer's deadline only after, for the ACK must reach the
	// terminal in time): store it and return, for the terminal waits for
	// our ACK meanwhile (about FrameAttempts × ACK). Never call the
	// Terminal's methods from it. With
	// OnOrphan nil such answers are still acknowledged, and only traced.
	OnOrphan func(pos.Orphan)
}

// kindError is a driver error that matches (errors.Is) itself and, by
// Unwrap, the protocol-neutral pos kind it is.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Driver errors. Pay returns a Pending (never nil) whose Result says the
// outcome; the error is set too when the outcome is Busy, TransportError
// or Unknown (as the ZVT driver does), so a caller that only checks err
// cannot miss them. Each matches (errors.Is) the pos kind named, so no
// caller needs this package to tell them apart.
var (
	// ErrInvalidRequest: the driver refused the request before sending
	// anything (outcome TransportError: nothing was charged); the request,
	// not the link, is wrong (errors.Is pos.ErrInvalidRequest too). See
	// ValidateRequest.
	ErrInvalidRequest = fmt.Errorf("concert: %w", pos.ErrInvalidRequest)
	// ErrBusy (pos.ErrBusy): the driver is in another transaction, or still
	// in a payment whose caller stopped waiting; nothing was sent.
	ErrBusy error = &kindError{"concert: terminal busy with another transaction", pos.ErrBusy}
	// ErrTransport (pos.ErrTransport): the terminal did not take the
	// request; nothing was charged.
	ErrTransport error = &kindError{"concert: request not taken by the terminal, nothing was charged", pos.ErrTransport}
	// ErrUnknownOutcome (pos.ErrUnknownOutcome): the terminal took (or may
	// have taken) the request and no usable answer came in time. E+ cannot
	// ask again: the terminal's late answer, delivered as an orphan
	// (Config.OnOrphan), settles it, else a person does.
	ErrUnknownOutcome error = &kindError{"concert: no usable answer from the terminal; the card may have been charged: settle it by the terminal's late answer (orphan) or by hand", pos.ErrUnknownOutcome}
	// ErrNotSupported (pos.ErrNotSupported) matches every *NotSupportedError.
	ErrNotSupported error = &kindError{"concert: not supported by the Concert E+ protocol", pos.ErrNotSupported}
	// ErrHoldExpired (pos.ErrConfirmUncertain, never pos.ErrPendingExpired,
	// which says "refused, nothing charged"): Confirm or Reject came after
	// the Pending's deadline. The driver had acknowledged the answer itself
	// and delivered it as an orphan: the charge stands, and recovery settles
	// the payment from that orphan.
	ErrHoldExpired error = &kindError{"concert: the result was held past the terminal's wait: the driver acknowledged it itself and delivered it as an orphan; a Concert terminal does not reverse, so the charge stands: settle the payment from the orphan", pos.ErrConfirmUncertain}
	// ErrNotReversed (pos.ErrConfirmUncertain): Reject of an approved
	// result. The answer was not acknowledged, but a Concert terminal does
	// not reverse: the charge stands. The answer was delivered as an orphan
	// for recovery.
	ErrNotReversed error = &kindError{"concert: the result was refused, but a Concert terminal does not reverse: the charge stands; the answer was delivered as an orphan for recovery", pos.ErrConfirmUncertain}
	// ErrAckFailed (pos.ErrConfirmUncertain): the link failed while Confirm
	// acknowledged the answer. The charge stands whatever the terminal
	// heard; the answer was delivered as an orphan for recovery.
	ErrAckFailed error = &kindError{"concert: the acknowledgement of the answer failed on the link; a Concert terminal does not reverse, so the charge stands; the answer was delivered as an orphan for recovery", pos.ErrConfirmUncertain}
	// ErrClosed: the driver was closed (Close) before the operation ended.
	ErrClosed error = &kindError{"concert: the terminal driver was closed", pos.ErrConfirmUncertain}
)

// NotSupportedError says an operation E+ cannot do, and what to do instead.
type NotSupportedError struct {
	Op        string // "status", "reverse", "refund", "abort", …
	Reason    string // why, with the source
	MessageVI string // for the cashier
}

func (e *NotSupportedError) Error() string {
	return fmt.Sprintf("concert: %s is not supported by the Concert E+ protocol: %s", e.Op, e.Reason)
}

// Is makes errors.Is(err, ErrNotSupported) and errors.Is(err,
// pos.ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool {
	return target == ErrNotSupported || target == pos.ErrNotSupported
}

// The operations of pos.Terminal that E+ cannot do (NotSupportedError.Op).
const (
	OpReverse    = "reverse"
	OpRefund     = "refund"
	OpAbort      = "abort"
	OpStatus     = "status"
	OpEndOfDay   = "end of day"
	OpLastResult = "last result"
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
		Reason:    "E+ has no status enquiry; a terminal's readiness shows only when a payment is sent (Probe only proves the line is alive)",
		MessageVI: "Máy POS (Concert) không hỗ trợ kiểm tra trạng thái. Trạng thái chỉ biết khi gửi giao dịch"},
	OpEndOfDay: {Op: OpEndOfDay,
		Reason:    "E+ has no end-of-day message; close the batch on the terminal and take the day's totals from the report it prints",
		MessageVI: "Máy POS Concert không hỗ trợ kết ca từ phần mềm: kết ca trên máy POS và lấy tổng từ báo cáo in ra của máy"},
	OpLastResult: {Op: OpLastResult,
		Reason:    "E+ has no repeat-last-transaction message; a payment in doubt is settled by the terminal's late answer (Config.OnOrphan), else against the terminal's journal and the acquirer's settlement file",
		MessageVI: "Máy POS Concert không lấy lại được giao dịch gần nhất: đối chiếu bằng kết quả đến sau của máy POS, hoặc thủ công trên nhật ký máy POS và sao kê ngân hàng"},
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
//   - No abort message exists in E+: Abort returns a *NotSupportedError at
//     once; the cashier presses the red key on the terminal.
//   - No status enquiry (Status: *NotSupportedError; Probe proves the line
//     alive), no end of day (EndOfDay: Outcome Unknown, totals from the
//     terminal's own report), no repeat-last-transaction (LastResult:
//     *NotSupportedError): a payment in doubt is settled by the terminal's
//     late answer, which the driver delivers as an orphan
//     (Config.OnOrphan), else by a person.
//
// The driver owns the line through one goroutine of its own: while no
// payment runs it listens, so an answer the terminal sends late, or on its
// own, is taken off the line, delivered as an orphan and acknowledged,
// never left to the terminal's resends. Close stops it.
//
// Two-phase results: the ACK of an approved answer is held until
// Pending.Confirm, at most until Pending.Deadline. UNLIKE ZVT, A CONCERT
// TERMINAL DOES NOT REVERSE AN ANSWER THAT WAS NOT ACKNOWLEDGED: it
// resends it a few times and gives up, and the charge stands. Holding the
// ACK only keeps the order of things (the terminal finishes after feepos
// recorded the result); a Reject, or a Pending left past its deadline,
// does not undo the charge: the answer is then delivered as an orphan so
// that recovery settles the payment from it.
type Terminal struct {
	conn transport.Conn
	cfg  Config
	sess *Session // used by the line goroutine only

	ctx       context.Context // ends at Close
	cancel    context.CancelFunc
	wake      chan struct{} // a job was queued: the listener gives the line up
	done      chan struct{} // the line goroutine has ended
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex
	queue  []func() // jobs for the line goroutine
	busy   bool     // a payment is open (see begin)
	recent []string // references of requests the terminal may still answer

	// Owned by the line goroutine.
	lineErr error    // the link failed: do not listen until a job uses it again
	seen    [][]byte // answer frames handed over (to a caller or as orphans)
	refused [][]byte // answer frames the driver withholds (Reject)
}

// New returns a driver for the terminal on conn (e.g.
// transport.OpenSerial(transport.ConcertSerial(path))) and starts its line
// goroutine. Close it.
func New(conn transport.Conn, cfg Config) *Terminal {
	if cfg.PosNumber == "" {
		cfg.PosNumber = "01"
	}
	cfg.Timers = cfg.Timers.WithDefaults()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	t := &Terminal{conn: conn, cfg: cfg, sess: NewSession(conn, RoleECR, cfg.Timers, cfg.Trace),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	go t.run()
	return t
}

func (t *Terminal) ID() string             { return t.cfg.ID }
func (t *Terminal) Protocol() pos.Protocol { return pos.Concert }

// TerminalID is "": E+ answers carry no terminal id. It takes no lock.
func (t *Terminal) TerminalID() string { return "" }

// Capabilities: E+ pays and nothing else (see Terminal): no reverse, no
// refund, no abort message, no last result, no end of day, no status
// enquiry, and no hold a terminal honours (it does not reverse an answer
// left unacknowledged).
func (t *Terminal) Capabilities() pos.Capabilities { return pos.Capabilities{} }

// Close stops the line goroutine and closes the link. A result still held
// is delivered as an orphan first. Do not call it from OnOrphan.
func (t *Terminal) Close() error {
	t.closeOnce.Do(func() {
		t.cancel()
		t.closeErr = t.conn.Close()
	})
	<-t.done
	return t.closeErr
}

// begin takes the terminal for one payment; false when it is busy.
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

// sent reports whether a request with ref went to the terminal lately.
func (t *Terminal) sent(ref string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Contains(t.recent, ref)
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
	viCancelled   = "Đã ngừng chờ kết quả, nhưng giao dịch trên máy POS vẫn có thể hoàn tất: thẻ có thể bị trừ tiền. KHÔNG thu lại cho đến khi có kết quả đối chiếu"
	viBusy        = "Máy POS đang xử lý một giao dịch khác, vui lòng đợi"
	viTransport   = "Không gửi được yêu cầu đến máy POS (thẻ chưa bị trừ tiền). Kiểm tra cáp và nguồn máy POS rồi thử lại"
	viNoENQAnswer = "Máy POS không trả lời (đang mở menu, đang bận, đã tắt hoặc mất kết nối): thẻ chưa bị trừ tiền. Thoát menu trên máy POS, kiểm tra cáp rồi thử lại"
	viNotVerified = "Máy POS không xác nhận kết quả: thẻ có thể đã bị trừ tiền. Kiểm tra nhật ký máy POS"
	viOrphan      = "Kết quả đến sau từ máy POS: dùng để đối chiếu giao dịch chưa rõ kết quả"
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
// ErrUnknownOutcome). events gets the intermediate steps and exactly one
// final event (pos.FinalEvent of the result), and nothing after Pay
// returned.
//   - TransportError: the terminal certainly did not take the request (it
//     did not answer our ENQ: switched off, unplugged, or busy in its
//     menu; or it answered NAK to every send).
//   - Busy: another payment of this driver is open, or one whose caller
//     stopped waiting still waits for the terminal's answer.
//   - Approved / Declined: the terminal's answer, with PRIV, amount,
//     currency and register number matching the request.
//   - Unknown: the terminal took (or may have taken) the request and no
//     usable answer came: no answer in time, link lost, damaged answer,
//     status '9' or undefined, or an answer that does not match the
//     request. Nothing is guessed; the terminal's late answer, if it
//     comes, is delivered as an orphan (Config.OnOrphan) and settles it.
//
// A cancelled ctx ends the caller's wait, not the payment: E+ has no abort
// message, and the customer is at the terminal. Before the request went
// out, Pay stops (TransportError, nothing sent). After, it returns Unknown
// at once with an error saying so, while the driver keeps the session with
// the terminal to its end in the background: the answer, when it comes, is
// acknowledged and delivered as an orphan. Until then the driver is busy.
//
// Customer aborts: E+ defines no abort status in the sources
// (pyTeliumManager: 0 accepted, 7 refused, 9 not verified); an abort on the
// terminal is expected to answer 7 and comes back as Declined.
//
// The caller must call Confirm or Reject on an Approved Pending: until
// then, or its Deadline, the driver is busy.
func (t *Terminal) Pay(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	p, err := t.pay(ctx, req, events)
	t.final(events, p.result)
	return p, err
}

// final sends the event that ends a payment.
func (t *Terminal) final(events chan<- pos.Event, r pos.Result) {
	pos.Send(events, pos.FinalEvent(r, t.cfg.Clock()))
}

func (t *Terminal) pay(ctx context.Context, req pos.Request, events chan<- pos.Event) (*Pending, error) {
	text, err := t.paymentText(req)
	if err != nil {
		return settled(pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: err.Error(), TextVI: "Yêu cầu thanh toán không hợp lệ, chưa gửi đến máy POS"}), err
	}
	if t.sent(req.Reference) {
		// The answer carries only the reference: a late answer to the
		// earlier attempt would be taken for this one's, and this one's
		// charge would go unrecorded.
		err := fmt.Errorf("%w: reference %q was already sent to this terminal: give each payment attempt a new reference", ErrInvalidRequest, req.Reference)
		return settled(pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: err.Error(), TextVI: "Mã tham chiếu đã dùng cho lần thanh toán trước, chưa gửi đến máy POS"}), err
	}
	if !t.begin() {
		return settled(pos.Result{Outcome: pos.Busy, Amount: req.Amount, Currency: "704",
			Reference: req.Reference, Text: "the driver is in another transaction", TextVI: viBusy}), ErrBusy
	}
	j := &payJob{t: t, ctx: ctx, req: req, text: text, events: events,
		out: make(chan *Pending, 1), moved: make(chan struct{}), attended: true}
	t.submit(j.run)
	select {
	case p := <-j.out:
		return p, resultError(p.result)
	case <-ctx.Done():
		p := j.leave()
		if err := resultError(p.result); err != nil {
			return p, fmt.Errorf("%w: %w", err, ctx.Err())
		}
		return p, nil
	case <-t.done:
		p := j.closed()
		return p, resultError(p.result)
	}
}

// resultError is the error that goes with a result.
func resultError(r pos.Result) error {
	switch r.Outcome {
	case pos.TransportError:
		return fmt.Errorf("%w: %s", ErrTransport, r.Text)
	case pos.Unknown:
		return fmt.Errorf("%w: %s", ErrUnknownOutcome, r.Text)
	case pos.Busy:
		return ErrBusy
	}
	return nil
}

// result checks the answer to req (its PRIV is req's) against the request
// and maps it.
func (t *Terminal) result(base pos.Result, req pos.Request, text []byte, a PaymentAnswer, perr error) pos.Result {
	r := base
	if perr != nil {
		r.Outcome, r.TextVI = pos.Unknown, viUnknown
		r.Text = fmt.Sprintf("the terminal's answer (%d characters) is not an E+ answer: %v", len(text), perr)
		return r
	}
	outcome, note := a.Outcome()
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
	r.ResultCode = string(a.Status)
	r.PANMasked = a.PANMasked
	r.CardType = ModeName(a.Mode)
	r.Reference = a.Priv
	r.Amount = a.Amount
	r.Currency = a.Currency
	r.Outcome, r.Text = outcome, note
	r.TextVI = textVI(outcome)
	return r
}

func textVI(o pos.Outcome) string {
	switch o {
	case pos.Approved:
		return viApproved
	case pos.Declined:
		return viDeclined
	}
	return viNotVerified
}

// Probe proves the line alive without starting a payment: it opens a
// Concert session and closes it at once, ENQ, the terminal's ACK, EOT,
// with no message between (Session.Probe), in one attempt of at most the
// ACK timer. For health polls of an idle terminal: E+ has no status
// enquiry. The sources define no such check; the sequence is the link
// layer's own (ENQ "ask to open a new session", EOT "end of the session",
// PayXpert's Concert USB/RS232 specification) and a Telium meets it from
// the Python drivers already (pypostelium initialize_msg sends EOT after an
// ENQ it saw no ACK to). Not tried on a real terminal here: poll sparingly
// (tens of seconds), and treat one failure as a doubt, several as offline.
//
// nil: the terminal answered. An error: it did not (switched off,
// unplugged, busy in its menu) or the link failed; ErrBusy when a payment
// of this driver is open (the line is in use; nothing was sent). An answer
// the terminal had begun to send is taken first, as an orphan.
func (t *Terminal) Probe(ctx context.Context) error {
	t.mu.Lock()
	busy := t.busy
	t.mu.Unlock()
	if busy {
		return fmt.Errorf("%w: a payment is in progress, the line is in use", ErrBusy)
	}
	res := make(chan error, 1)
	t.submit(func() {
		t.lineErr = nil
		if err := ctx.Err(); err != nil {
			res <- err
			return
		}
		t.serveBuffered()
		octx, stop := either(t.ctx, ctx)
		err := t.sess.Probe(octx)
		stop()
		t.linkFailed(err)
		res <- err
	})
	select {
	case err := <-res:
		if err != nil {
			return fmt.Errorf("concert: the terminal did not answer a session opening (switched off, unplugged, or busy in its menu): %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return ErrClosed
	}
}

// either is a context that ends when a or b ends.
func either(a, b context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(a)
	stop := context.AfterFunc(b, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// Reverse is not supported: see Terminal.
func (t *Terminal) Reverse(ctx context.Context, receiptNo int64, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	return nil, Unsupported(OpReverse)
}

// Refund is not supported: see Terminal.
func (t *Terminal) Refund(ctx context.Context, req pos.Request, events chan<- pos.Event) (pos.Pending, error) {
	return nil, Unsupported(OpRefund)
}

// Abort is not supported: E+ has no abort message. It returns at once,
// whatever runs, and takes no lock.
func (t *Terminal) Abort(ctx context.Context) error {
	return Unsupported(OpAbort)
}

// Status is not supported: E+ has no status enquiry (Probe proves the line
// alive).
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
// message. It returns at once, Outcome Unknown and a *NotSupportedError
// (errors.Is pos.ErrNotSupported): recovery of a Concert payment relies on
// the terminal's late answers, delivered as orphans (Config.OnOrphan).
func (t *Terminal) LastResult(ctx context.Context) (pos.Result, error) {
	err := Unsupported(OpLastResult)
	return pos.Result{Outcome: pos.Unknown, Currency: "704", TerminalID: t.cfg.ID,
		Text: err.Error(), TextVI: err.MessageVI}, err
}

var (
	_ pos.Terminal = (*Terminal)(nil)
	_ pos.Prober   = (*Terminal)(nil)
)
