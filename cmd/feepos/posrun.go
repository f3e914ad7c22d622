package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// A technician's direct test of one terminal: `feepos pos pay|reverse|
// status|eod`. Nothing is recorded in the database, so a payment's result
// is confirmed to the terminal (ZVT: the ECR's acknowledgement of the
// Status-Information; Concert: the held ACK) right after it is printed.
// The money a test payment takes is real on a real terminal: reverse it
// with `feepos pos reverse --receipt N`, or on the terminal.

// recoverTimeout bounds the Repeat Receipt (LastResult) asked after a ZVT
// payment ended Unknown: the spec's T3 for the answer plus time for the
// repeated Status-Information.
const recoverTimeout = 30 * time.Second

// posRunFlags are the flags the four commands share.
type posRunFlags struct {
	protocol, port, tcp string
	amount, receipt     string
	reference, password string
	baud, dataBits      int
	parity              string
	stopBits            float64
	trace               bool
	repeatsOriginal     bool
}

func (f *posRunFlags) register(cmd *cobra.Command, withAmount, withReceipt bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.protocol, "protocol", "", "zvt or concert")
	fl.StringVar(&f.port, "port", "", "serial port of the terminal, e.g. /dev/ttyACM0 (see `feepos pos ports`)")
	fl.StringVar(&f.tcp, "tcp", "", "HOST:PORT of a ZVT terminal on the network (instead of --port)")
	if withAmount {
		fl.StringVar(&f.amount, "amount", "", "amount in whole đồng, e.g. 150000 (ZVT: at most 999999999999; Concert: at most 99999999)")
		fl.StringVar(&f.reference, "reference", "", "reference sent with the payment (Concert PRIV: at most 10 characters; default TEST+time)")
	}
	if withReceipt {
		fl.StringVar(&f.receipt, "receipt", "", "the terminal's receipt number of the payment to reverse")
	}
	if withAmount {
		fl.BoolVar(&f.repeatsOriginal, "repeats-original-receipt", false, "ZVT: the terminal repeats the ORIGINAL receipt after a reversal (as [[terminals]] repeats_original_receipt): its approved last record then proves nothing after an unknown outcome")
	}
	fl.StringVar(&f.password, "password", "", "ZVT terminal password, 6 digits (default "+terminals.DefaultZVTPassword+")")
	fl.IntVar(&f.baud, "baud", 0, "serial speed (default: the protocol's, 9600)")
	fl.StringVar(&f.parity, "parity", "", "serial parity none|even|odd (default: ZVT none, Concert even)")
	fl.IntVar(&f.dataBits, "data-bits", 0, "serial data bits (default: ZVT 8, Concert 7)")
	fl.Float64Var(&f.stopBits, "stop-bits", 0, "serial stop bits 1 or 2 (default: ZVT 2, Concert 1)")
	fl.BoolVar(&f.trace, "trace", false, "write every frame sent and received to stderr, in hex and decoded (card numbers masked)")
}

// check validates the flags that do not need the terminal (usage errors).
func (f *posRunFlags) check(cmd *cobra.Command) error {
	p := pos.Protocol(f.protocol)
	if p != pos.ZVT && p != pos.Concert {
		return usagef("--protocol must be zvt or concert, got %q", f.protocol)
	}
	switch {
	case f.port == "" && f.tcp == "":
		return usagef("give the terminal's --port PATH (serial) or --tcp HOST:PORT")
	case f.port != "" && f.tcp != "":
		return usagef("give either --port or --tcp, not both")
	case p == pos.Concert && f.tcp != "":
		return usagef("--tcp: Concert over TCP is not supported; connect the terminal's serial/USB port and use --port")
	}
	if f.repeatsOriginal && p != pos.ZVT {
		return usagef("--repeats-original-receipt is for ZVT terminals only")
	}
	if f.password != "" {
		if p != pos.ZVT {
			return usagef("--password is for ZVT terminals only")
		}
		if len(f.password) != 6 || strings.Trim(f.password, "0123456789") != "" {
			return usagef("--password must be 6 digits")
		}
	}
	serialFlags := []string{"baud", "parity", "data-bits", "stop-bits"}
	for _, name := range serialFlags {
		if f.tcp != "" && cmd.Flags().Changed(name) {
			return usagef("--%s is a serial setting: it does not go with --tcp", name)
		}
	}
	if f.port != "" {
		if err := f.serialConfig(cmd).Validate(); err != nil {
			return usageError{err}
		}
	}
	return nil
}

// terminal is the terminal the flags name, as a configuration entry: the
// terminal manager's code opens it (terminals.Open) as it opens the
// configured ones.
func (f *posRunFlags) terminal(cmd *cobra.Command) config.Terminal {
	t := config.Terminal{Protocol: f.protocol, Port: f.port, TCP: f.tcp, Password: f.password, RepeatsOriginalReceipt: f.repeatsOriginal}
	ch := cmd.Flags().Changed
	if ch("baud") {
		t.Baud = f.baud
	}
	if ch("parity") {
		t.Parity = f.parity
	}
	if ch("data-bits") {
		t.DataBits = f.dataBits
	}
	if ch("stop-bits") {
		t.StopBits = f.stopBits
	}
	return t
}

func (f *posRunFlags) serialConfig(cmd *cobra.Command) transport.SerialConfig {
	cfg := transport.ZVTSerial(f.port)
	if pos.Protocol(f.protocol) == pos.Concert {
		cfg = transport.ConcertSerial(f.port)
	}
	ch := cmd.Flags().Changed
	if ch("baud") {
		cfg.Baud = f.baud
	}
	if ch("parity") {
		cfg.Parity = f.parity
	}
	if ch("data-bits") {
		cfg.DataBits = f.dataBits
	}
	if ch("stop-bits") {
		cfg.StopBits = f.stopBits
	}
	return cfg
}

// parseDong reads an amount of whole đồng: digits only, more than zero.
// What a protocol carries is checked by checkRequest.
func parseDong(flag, s string) (int64, error) {
	if s == "" {
		return 0, usagef("--%s is required (whole đồng, e.g. 150000)", flag)
	}
	if strings.Trim(s, "0123456789") != "" {
		return 0, usagef("--%s %q: write a positive whole number of đồng, digits only (đồng have no decimals; no sign, dots or spaces)", flag, s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usagef("--%s %s is too large: a ZVT terminal takes at most %d đồng per payment, a Concert terminal %d", flag, s, int64(terminals.ZVTMaxAmount), terminals.ConcertMaxAmount)
	}
	if n <= 0 {
		return 0, usagef("--%s %q: must be a whole number greater than 0", flag, s)
	}
	return n, nil
}

// checkRequest refuses, before the port is opened, a request the
// protocol cannot carry, with the driver's own limits
// (terminals.CheckRequest): bad usage, not a fault of the cable. receipt is
// the receipt number of a reversal, 0 for a payment.
func checkRequest(p pos.Protocol, receipt int64, req pos.Request) error {
	kind := pos.KindPay
	if receipt != 0 {
		kind = pos.KindReverse
	}
	if err := terminals.CheckRequest(p, kind, receipt, req); err != nil {
		return usageError{err}
	}
	return nil
}

// openTerminal connects to the terminal and, for ZVT, registers (06 00),
// with the terminal manager's code. The returned stderr lines are
// serialised (trace, events and messages).
func (a *app) openTerminal(ctx context.Context, cmd *cobra.Command, f *posRunFlags, errOut *lockedWriter) (pos.Terminal, error) {
	var trace func(string, []byte)
	if f.trace {
		trace = terminals.TraceWriter(pos.Protocol(f.protocol), errOut)
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return terminals.Open(ctx, f.terminal(cmd), terminals.OpenOptions{Trace: trace, Log: log})
}

// lockedWriter serialises lines written from the driver's trace hook, the
// event printer and the command itself.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// printEvents prints the terminal's intermediate statuses to stderr as they
// come; stop closes the channel and waits for the last line.
func printEvents(w io.Writer) (chan<- pos.Event, func()) {
	ch := make(chan pos.Event, 32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			fmt.Fprintf(w, "… %s\n", e.Text)
		}
	}()
	return ch, func() { close(ch); <-done }
}

func (a *app) posPayCommand() *cobra.Command {
	f := &posRunFlags{}
	cmd := &cobra.Command{
		Use:   "pay --protocol zvt|concert (--port PATH | --tcp ADDR) --amount N",
		Short: "Charge a test payment on one terminal (confirmed at once: nothing is recorded)",
		Long: `Charge --amount đồng on the terminal and print the result (--json: the
result object, "status" first). Intermediate statuses go to stderr as they
come. This is a technician's test: nothing is recorded in the database, so
the result is confirmed to the terminal immediately after it is printed.
The money is really taken on a real terminal: reverse it with
"feepos pos reverse --receipt N" (ZVT) or on the terminal.

Exit 0 approved; 1 declined, aborted, card_error, busy, transport_error or
unknown, with what to do; 2 bad usage, including an amount or --reference the
protocol cannot carry (refused before the port is opened).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			amount, err := parseDong("amount", f.amount)
			if err != nil {
				return err
			}
			ref := f.reference
			if ref == "" {
				ref = "TEST" + time.Now().Format("150405")
			}
			req := pos.Request{Amount: amount, Currency: pos.CurrencyVND, Reference: ref}
			if err := checkRequest(pos.Protocol(f.protocol), 0, req); err != nil {
				return err
			}
			return a.runTransaction(cmd, f, 0, req, func(ctx context.Context, t pos.Terminal, ev chan<- pos.Event) (pos.Pending, error) {
				return t.Pay(ctx, req, ev)
			})
		},
	}
	f.register(cmd, true, false)
	return cmd
}

func (a *app) posReverseCommand() *cobra.Command {
	f := &posRunFlags{}
	cmd := &cobra.Command{
		Use:   "reverse --protocol zvt (--port PATH | --tcp ADDR) --receipt N [--amount N]",
		Short: "Reverse (void) an approved payment of the open batch by its receipt number (ZVT)",
		Long: `Reverse the payment with the terminal's receipt number --receipt (ZVT
Reversal 06 30); --amount, if given, must be the payment's amount. The
result is confirmed to the terminal right after it is printed (nothing is
recorded). Concert E+ cannot reverse from the register: do it on the
terminal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			if err := concertUnsupported(f, terminals.OpReverse); err != nil {
				return err
			}
			receipt, err := parseReceipt(f.receipt)
			if err != nil {
				return err
			}
			var amount int64
			if f.amount != "" {
				if amount, err = parseDong("amount", f.amount); err != nil {
					return err
				}
			}
			req := pos.Request{Amount: amount, Currency: pos.CurrencyVND, Reference: f.reference}
			if err := checkRequest(pos.Protocol(f.protocol), receipt, req); err != nil {
				return err
			}
			return a.runTransaction(cmd, f, receipt, req, func(ctx context.Context, t pos.Terminal, ev chan<- pos.Event) (pos.Pending, error) {
				return t.Reverse(ctx, receipt, req, ev)
			})
		},
	}
	f.register(cmd, true, true)
	return cmd
}

func parseReceipt(s string) (int64, error) {
	if s == "" {
		return 0, usagef("--receipt is required: the terminal's receipt number of the payment (receipt_no in the pay result)")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > 9999 || strings.Trim(s, "0123456789") != "" {
		return 0, usagef("--receipt %q: must be the terminal's receipt number, 1 to 9999", s)
	}
	return n, nil
}

// runTransaction opens the terminal, runs do (Pay or Reverse), prints the
// result, confirms it, and turns the outcome into the exit code. receipt
// is the receipt number a reversal cancels, 0 for a payment.
func (a *app) runTransaction(cmd *cobra.Command, f *posRunFlags, receipt int64, req pos.Request,
	do func(context.Context, pos.Terminal, chan<- pos.Event) (pos.Pending, error)) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errOut := &lockedWriter{w: a.stderr}

	t, err := a.openTerminal(ctx, cmd, f, errOut)
	if err != nil {
		// Nothing was sent for this payment: the card was not charged.
		res := pos.Result{Outcome: pos.TransportError, Amount: req.Amount, Currency: strconv.Itoa(pos.CurrencyVND),
			Reference: req.Reference, Text: err.Error(),
			TextVI: "Không kết nối được với máy POS: thẻ chưa bị trừ tiền. Kiểm tra cáp, nguồn máy POS và cổng"}
		if perr := a.printResult(res); perr != nil {
			return perr
		}
		return fmt.Errorf("%w: nothing was charged; check the cable or network, that the terminal is on, and --port/--tcp (see `feepos pos ports`)", err)
	}
	defer t.Close()

	events, stopEvents := printEvents(errOut)
	kind := pos.KindPay
	if receipt != 0 {
		kind = pos.KindReverse
	}
	facts := pos.AttemptFacts{Kind: kind, Reference: req.Reference, Amount: req.Amount, StartedAt: time.Now()}
	p, err := do(ctx, t, events)
	// The terminal may still work on it for its longest wait after it
	// last answered: a record dated later is another transaction.
	facts.Until = terminals.AttemptUntil(f.terminal(cmd), time.Now())
	if p == nil { // the driver refused before anything happened (Concert reverse)
		stopEvents()
		return withVietnamese(err)
	}
	if errors.Is(err, pos.ErrInvalidRequest) {
		// Refused by the driver before sending (checkRequest catches the
		// limits first): the request is wrong, not the link.
		stopEvents()
		_ = p.Confirm(ctx)
		return usageError{err}
	}
	res := p.Result()
	if perr := a.printResult(res); perr != nil {
		stopEvents()
		return perr
	}
	// Nothing is recorded by this test, so the result is confirmed at
	// once: a ZVT terminal would otherwise reverse the payment itself.
	cerr := p.Confirm(ctx)
	stopEvents()
	if cerr != nil && res.Outcome == pos.Approved {
		return fmt.Errorf("the terminal did not confirm our acknowledgement (%w): it may have reversed the payment; check the terminal's last receipt%s", cerr, zvtHint(f))
	}
	if res.Outcome == pos.Approved {
		return nil
	}
	if res.Outcome == pos.Unknown {
		a.recoverLast(cmd.Context(), t, f.terminal(cmd), facts, errOut)
	}
	return outcomeError(res, err, f, receipt)
}

func zvtHint(f *posRunFlags) string {
	if pos.Protocol(f.protocol) != pos.ZVT {
		return ""
	}
	return " (ZVT: `feepos pos status`, then the terminal's Repeat Receipt shows whether it stands)"
}

// recoverLast asks a ZVT terminal, after a payment (or reversal) whose
// outcome is unknown, for its last transaction (Repeat Receipt, 06 20),
// and says what that record proves about THIS attempt (printRecovery).
func (a *app) recoverLast(ctx context.Context, t pos.Terminal, cfg config.Terminal, facts pos.AttemptFacts, w io.Writer) {
	if t.Protocol() != pos.ZVT {
		return
	}
	fmt.Fprintln(w, "… Đang hỏi lại giao dịch cuối trên máy POS (Repeat Receipt)")
	ctx, cancel := context.WithTimeout(ctx, recoverTimeout)
	defer cancel()
	r, err := t.LastResult(ctx)
	printRecovery(w, cfg, facts, r, err, time.Now())
}

// printRecovery prints the terminal's last record r as the record it is
// — of a payment, a reversal or a refund, whatever it was — and then what
// it proves for the attempt facts, by pos.Judge: charged, not charged or
// still unknown, with the reason, in Vietnamese. The terminal's last
// transaction is never shown as this attempt's result: a technician's
// test keeps no trace number, so it is this attempt's only when its time
// and amount prove it. at is when the record was read.
func printRecovery(w io.Writer, cfg config.Terminal, facts pos.AttemptFacts, r pos.Result, err error, at time.Time) pos.Finding {
	var f pos.Finding
	if err != nil {
		fmt.Fprintf(w, "… Máy POS không đưa ra giao dịch cuối: %v\n", err)
		f = pos.Finding{Verdict: pos.StillUnknown, Reason: "the terminal gave no record of its last transaction: " + err.Error(),
			ReasonVI: "máy POS không đưa ra bản ghi giao dịch cuối, nên không có gì chứng minh lần này đã hay chưa trừ tiền"}
	} else {
		kind := r.Kind
		if kind == "" {
			kind = pos.KindPay
		}
		line := fmt.Sprintf("… Giao dịch cuối trên máy POS (chưa chắc là lần này): %s %s, %s đồng", recordKindVI[kind], outcomeVI[r.Outcome], vnd(r.Amount))
		if r.TraceNo != 0 {
			line += fmt.Sprintf(", trace %d", r.TraceNo)
		}
		if r.ReceiptNo != 0 {
			line += fmt.Sprintf(", hóa đơn %d", r.ReceiptNo)
		}
		if r.Date != "" || r.Time != "" {
			line += ", lúc " + strings.TrimSpace(r.Date+" "+r.Time)
		}
		fmt.Fprintln(w, line)
		f = terminals.JudgeLast(cfg, facts, pos.Evidence{Source: pos.EvidenceLastResult, Result: r, At: at}, terminals.Zone, pos.DefaultClockSkew)
	}
	fmt.Fprintf(w, "… Kết luận cho lần %s này: %s — %s\n", recordKindVI[facts.Kind], pos.VerdictVI(facts.Kind, f.Verdict), f.ReasonVI)
	if f.Verdict == pos.StillUnknown {
		fmt.Fprintln(w, "… KHÔNG thu tiền lại cho đến khi đối chiếu xong: nhật ký và hóa đơn của máy POS, sao kê ngân hàng")
	}
	return f
}

// recordKindVI names what a terminal's record is of.
var recordKindVI = map[string]string{
	pos.KindPay:     "thanh toán",
	pos.KindRefund:  "hoàn tiền",
	pos.KindReverse: "hủy giao dịch",
}

// outcomeError says what a non-approved outcome means and what to do.
// receipt is the receipt number of a reversal, 0 for a payment: a refused
// reversal leaves the payment standing, and is never the card's bank
// asking for another card.
func outcomeError(r pos.Result, err error, f *posRunFlags, receipt int64) error {
	detail := r.TextVI
	if r.HostCode != "" {
		detail = fmt.Sprintf("host code %s: %s", r.HostCode, detail)
	} else if r.ResultCode != "" {
		detail = fmt.Sprintf("result code %s: %s", r.ResultCode, detail)
	}
	var msg string
	if receipt != 0 {
		msg = reversalOutcomeText(r, detail, f, receipt)
	} else {
		msg = paymentOutcomeText(r, detail, f)
	}
	if err != nil && r.Outcome != pos.Declined {
		msg += " [" + err.Error() + "]"
	}
	return fmt.Errorf("%s: %s", r.Outcome, msg)
}

func paymentOutcomeText(r pos.Result, detail string, f *posRunFlags) string {
	switch r.Outcome {
	case pos.Declined:
		if pos.Protocol(f.protocol) == pos.ZVT && r.HostCode == "" && r.ResultCode != "" {
			// A ZVT result code outside the host's range (01–63) is the
			// terminal's own refusal, not the card's bank's.
			return "refused by the terminal (" + detail + "): nothing was charged; see what the code says before trying again"
		}
		return "declined by the card's bank (" + detail + "): nothing was charged; ask for another card or another way to pay"
	case pos.Aborted:
		return "aborted on the terminal (" + detail + "): nothing was charged; start again if the customer still wants to pay by card"
	case pos.CardError:
		return "the card could not be used (" + detail + "): nothing was charged; insert the card again (chip first) or use another card"
	case pos.Busy:
		return "the terminal is busy with another transaction: let it finish (or cancel it on the terminal) and try again"
	case pos.TransportError:
		return "the command did not reach the terminal: nothing was charged; check the cable or network, that the terminal is on, and --port/--tcp"
	}
	msg := "no final result from the terminal: the card MAY have been charged. Do not charge again; check the terminal's display and last receipt"
	if pos.Protocol(f.protocol) == pos.ZVT {
		return msg + "; run `feepos pos status` and ask the terminal for its last transaction (Repeat Receipt, shown above when it answered)"
	}
	return msg + " and journal (Concert E+ cannot repeat the last transaction)"
}

// reversalOutcomeText reads a reversal's result code: ZVT B4 "already
// reversed", B5 "reversal not possible" (PA00P015 ch. 10).
func reversalOutcomeText(r pos.Result, detail string, f *posRunFlags, receipt int64) string {
	switch {
	case r.ResultCode == fmt.Sprintf("%02X", terminals.ZVTResultReversed):
		return fmt.Sprintf("the payment with receipt %d was already reversed (%s): it cannot be reversed again; nothing was changed", receipt, detail)
	case r.ResultCode == "B5":
		return fmt.Sprintf("the terminal cannot reverse receipt %d (%s): it is not an approved payment of the open batch — already reversed, in a batch already closed by end of day, or another receipt number. Nothing was changed; check --receipt against the terminal's receipts (after the end of day, refund on the terminal)", receipt, detail)
	}
	switch r.Outcome {
	case pos.Declined:
		return fmt.Sprintf("the terminal refused to reverse receipt %d (%s): the payment stands; check --receipt and the terminal's receipts", receipt, detail)
	case pos.Aborted:
		return fmt.Sprintf("the reversal of receipt %d was aborted on the terminal (%s): the payment stands; start again if it must be reversed", receipt, detail)
	case pos.CardError:
		return fmt.Sprintf("the card could not be read for the reversal of receipt %d (%s): the payment stands; insert the card of the payment again", receipt, detail)
	case pos.Busy:
		return "the terminal is busy with another transaction: let it finish (or cancel it on the terminal) and try again"
	case pos.TransportError:
		return "the command did not reach the terminal: nothing was reversed; check the cable or network, that the terminal is on, and --port/--tcp"
	}
	return fmt.Sprintf("no final result from the terminal: receipt %d MAY have been reversed. Check the terminal's display and last receipt%s before trying again", receipt, zvtHint(f))
}

var outcomeVI = map[pos.Outcome]string{
	pos.Approved:       "THÀNH CÔNG",
	pos.Declined:       "BỊ TỪ CHỐI",
	pos.Aborted:        "ĐÃ HỦY",
	pos.CardError:      "LỖI THẺ",
	pos.Busy:           "MÁY POS ĐANG BẬN",
	pos.TransportError: "LỖI KẾT NỐI",
	pos.Unknown:        "CHƯA RÕ KẾT QUẢ",
}

// printResult prints r as JSON (--json) or as Vietnamese text.
func (a *app) printResult(r pos.Result) error {
	if a.jsonOut {
		return a.printJSON(r)
	}
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" && v != "0" {
			fmt.Fprintf(w, "%s:\t%s\n", k, v)
		}
	}
	row("Kết quả", fmt.Sprintf("%s (%s)", outcomeVI[r.Outcome], r.Outcome))
	row("Số tiền", vnd(r.Amount)+" đồng")
	row("Thông báo", r.TextVI)
	row("Mã chuẩn chi", r.ApprovalCode)
	row("Thẻ", strings.TrimSpace(r.CardName+" "+r.PANMasked))
	row("Số hóa đơn POS", strconv.FormatInt(r.ReceiptNo, 10))
	row("Số trace", strconv.FormatInt(r.TraceNo, 10))
	row("Mã terminal", r.TerminalID)
	if r.Date != "" || r.Time != "" {
		row("Thời gian", strings.TrimSpace(r.Date+" "+r.Time))
	}
	row("Tham chiếu", r.Reference)
	row("Mã kết quả", r.ResultCode)
	return w.Flush()
}

// concertUnsupported refuses, before the port is opened, an operation the
// protocol cannot do (terminals.Unsupported; Concert E+ only): a wrong
// port must not turn "not supported" into a connection error.
func concertUnsupported(f *posRunFlags, op string) error {
	return withVietnamese(terminals.Unsupported(pos.Protocol(f.protocol), op))
}

// withVietnamese adds the cashier's Vietnamese message of err, if it has
// one, in parentheses.
func withVietnamese(err error) error {
	if err == nil {
		return nil
	}
	if vi := terminals.MessageVI(err); vi != "" {
		return fmt.Errorf("%w (%s)", err, vi)
	}
	return err
}

// withTerminal checks the flags, connects to the terminal (for ZVT,
// registers) and runs fn until it returns or SIGINT/SIGTERM: the shared
// frame of pos status and pos eod, which need no event printer.
func (a *app) withTerminal(cmd *cobra.Command, f *posRunFlags, fn func(context.Context, pos.Terminal) error) error {
	if err := f.check(cmd); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t, err := a.openTerminal(ctx, cmd, f, &lockedWriter{w: a.stderr})
	if err != nil {
		return fmt.Errorf("%w: check the cable or network, that the terminal is on, and --port/--tcp", err)
	}
	defer t.Close()
	return fn(ctx, t)
}

func (a *app) posStatusCommand() *cobra.Command {
	f := &posRunFlags{}
	cmd := &cobra.Command{
		Use:   "status --protocol zvt (--port PATH | --tcp ADDR)",
		Short: "Ask the terminal whether it is ready (ZVT Status Enquiry 05 01)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			if err := concertUnsupported(f, terminals.OpStatus); err != nil {
				return err
			}
			return a.withTerminal(cmd, f, func(ctx context.Context, t pos.Terminal) error {
				st, err := t.Status(ctx)
				if errors.Is(err, pos.ErrNotSupported) {
					return withVietnamese(err)
				}
				if err != nil {
					return fmt.Errorf("status enquiry: %w: check the link and try again", err)
				}
				if a.jsonOut {
					if err := a.printJSON(st); err != nil {
						return err
					}
				} else {
					w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
					ready := "CHƯA SẴN SÀNG"
					if st.Ready {
						ready = "SẴN SÀNG"
					}
					fmt.Fprintf(w, "Trạng thái:\t%s\n", ready)
					fmt.Fprintf(w, "Thông báo:\t%s\n", st.Text)
					fmt.Fprintf(w, "Mã terminal:\t%s\n", st.TerminalID)
					if st.Software != "" {
						fmt.Fprintf(w, "Phần mềm:\t%s\n", st.Software)
					}
					if err := w.Flush(); err != nil {
						return err
					}
				}
				if !st.Ready {
					return fmt.Errorf("the terminal is not ready (status %s: %s): finish or cancel what it shows, then try again", st.ResultCode, st.Text)
				}
				return nil
			})
		},
	}
	f.register(cmd, false, false)
	return cmd
}

func (a *app) posEODCommand() *cobra.Command {
	f := &posRunFlags{}
	cmd := &cobra.Command{
		Use:   "eod --protocol zvt (--port PATH | --tcp ADDR)",
		Short: "Close the terminal's batch (ZVT End-of-Day) and print its totals",
		Long: `Close the terminal's batch (ZVT End-of-Day 06 50) and print the totals per
card brand. The batch is really closed: the day's reconciliation uses these
totals. Concert E+ has no end-of-day message: close the batch on the
terminal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			// Nothing to ask a Concert terminal: printing its port as a
			// terminal id and a zero total would look like a closed empty
			// batch.
			if err := concertUnsupported(f, terminals.OpEndOfDay); err != nil {
				return err
			}
			return a.withTerminal(cmd, f, func(ctx context.Context, t pos.Terminal) error {
				eod, eerr := t.EndOfDay(ctx)
				if a.jsonOut {
					if err := a.printJSON(eod); err != nil {
						return err
					}
				} else if err := printEndOfDay(a.stdout, eod); err != nil {
					return err
				}
				switch {
				case eerr != nil:
					return fmt.Errorf("end of day: %w: check the terminal; if it printed a closing report, take the totals from it", eerr)
				case eod.Outcome != pos.Approved:
					return fmt.Errorf("end of day not done (%s): %s", eod.Outcome, eod.Text)
				}
				return nil
			})
		},
	}
	f.register(cmd, false, false)
	return cmd
}

func printEndOfDay(out io.Writer, e pos.EndOfDay) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Kết ca:\t%s (%s)\n", outcomeVI[e.Outcome], e.Outcome)
	if e.Text != "" {
		fmt.Fprintf(w, "Thông báo:\t%s\n", e.Text)
	}
	if e.TerminalID != "" {
		fmt.Fprintf(w, "Mã terminal:\t%s\n", e.TerminalID)
	}
	fmt.Fprintf(w, "Tổng cộng:\t%s đồng\n", vnd(e.Total))
	if e.FirstReceipt != 0 || e.LastReceipt != 0 {
		fmt.Fprintf(w, "Hóa đơn:\t%d – %d\n", e.FirstReceipt, e.LastReceipt)
	}
	if len(e.Totals) > 0 {
		fmt.Fprintln(w, "\nLoại thẻ\tSố giao dịch\tSố tiền (đồng)")
		for _, bt := range e.Totals {
			fmt.Fprintf(w, "%s\t%d\t%s\n", bt.Brand, bt.Count, vnd(bt.Amount))
		}
	}
	return w.Flush()
}
