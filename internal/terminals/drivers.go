package terminals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// This file is the only one that knows the drivers' own types: how a
// configured terminal becomes a pos.Terminal (its timers, hold and hooks),
// what each protocol can carry, and the little of their errors the pos
// kinds do not say (Concert's Vietnamese "not supported" text, a ZVT
// terminal that answers Repeat Receipt by printing). Every driver error
// matches its pos kind (errors.Is) as it comes: nothing is converted.

// hooks are what the manager hands a driver.
type hooks struct {
	trace func(direction string, b []byte)
	// onOrphan receives an answer nothing waited for: evidence. The
	// drivers call it on their line goroutine (Concert before it
	// acknowledges the answer): it must store and return at once, and
	// never call the driver.
	onOrphan func(pos.Orphan)
	log      *slog.Logger // the driver's warnings (nil: discarded)
}

// newDriver makes the driver of c on conn. It does not talk yet.
func newDriver(c config.Terminal, conn transport.Conn, h hooks) pos.Terminal {
	tm := c.Timers
	if c.Proto() == pos.Concert {
		return concert.New(conn, concert.Config{
			ID:        c.ID,
			PosNumber: c.Register,
			Timers: concert.Timers{ACK: tm.ACK.Duration, ENQAttempts: tm.ENQAttempts, ENQRetryPause: tm.ENQRetryPause.Duration,
				FrameAttempts: tm.FrameAttempts, ByteGap: tm.ByteGap.Duration, EOT: tm.EOT.Duration, Answer: tm.Answer.Duration},
			Trace:    h.trace,
			OnOrphan: h.onOrphan,
		})
	}
	return zvt.New(conn, zvt.Config{
		ID:         c.ID,
		Password:   c.Password,
		TCP:        c.TCP != "",
		Timers:     zvt.Timers{T1: tm.T1.Duration, T2: tm.T2.Duration, T3: tm.T3.Duration, T4: tm.T4.Duration, MaxResends: tm.MaxResends},
		Trace:      h.trace,
		MaxHold:    tm.MaxHold.Duration,
		HoldAnswer: tm.HoldAnswer.Duration,
		HoldRepeat: tm.HoldRepeat.Duration,
		OnOrphan:   h.onOrphan,
		Log:        h.log,
	})
}

// registerer is a driver that registers with its terminal (ZVT 06 00):
// after every (re)connect, before anything else.
type registerer interface {
	Register(ctx context.Context) error
}

// lateBound is the longest a terminal of c may still work on a
// transaction after feepos last heard of it: ZVT's T4 (the wait for the
// end of a transaction, restarted by every message of the terminal),
// Concert's answer wait. It bounds pos.AttemptFacts.Until.
func lateBound(c config.Terminal) time.Duration {
	tm := c.Timers
	if c.Proto() == pos.Concert {
		return concert.Timers{Answer: tm.Answer.Duration}.WithDefaults().Answer
	}
	return zvt.Timers{T4: tm.T4.Duration}.WithDefaults().T4
}

// Operations a terminal may or may not support (UnsupportedError.Op).
const (
	OpPay        = "pay"
	OpRefund     = "refund"
	OpReverse    = "reverse"
	OpAbort      = "abort"
	OpStatus     = "status"
	OpEndOfDay   = "end of day"
	OpLastResult = "last result"
)

// UnsupportedError is an operation the terminal's protocol cannot do,
// known before anything is sent; errors.Is(err, pos.ErrNotSupported).
type UnsupportedError struct {
	Protocol  pos.Protocol
	Op        string
	Reason    string // why, and what to do instead
	MessageVI string // for the cashier
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: %s is not supported by the %s protocol: %s", e.Protocol, e.Op, protocolName(e.Protocol), e.Reason)
}

// Is makes errors.Is(err, pos.ErrNotSupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == pos.ErrNotSupported }

// ErrorCode: internal/apperr maps it to "invalid" (no link can fix it).
func (e *UnsupportedError) ErrorCode() string { return "invalid" }

func protocolName(p pos.Protocol) string {
	if p == pos.Concert {
		return "Concert E+"
	}
	return "ZVT"
}

var concertOps = map[string]string{
	OpRefund: concert.OpRefund, OpReverse: concert.OpReverse, OpAbort: concert.OpAbort,
	OpStatus: concert.OpStatus, OpEndOfDay: concert.OpEndOfDay,
}

// Unsupported is the error of op on a terminal speaking p, nil when p
// supports it. Call it before opening the port: "not supported" must not
// turn into a connection error.
func Unsupported(p pos.Protocol, op string) error {
	if p != pos.Concert {
		return nil
	}
	if op == OpLastResult {
		return &UnsupportedError{Protocol: p, Op: op,
			Reason:    "E+ has no repeat-last-transaction message; review the payment against the terminal's journal and the acquirer's settlement file",
			MessageVI: "Máy POS Concert không lấy lại được giao dịch gần nhất: cần kiểm tra thủ công trên nhật ký máy POS và sao kê ngân hàng"}
	}
	cop, ok := concertOps[op]
	if !ok {
		return nil
	}
	if ns := concert.Unsupported(cop); ns != nil {
		return &UnsupportedError{Protocol: p, Op: op, Reason: ns.Reason, MessageVI: ns.MessageVI}
	}
	return nil
}

// driverMessageVI is the Vietnamese message a driver's error carries for
// the cashier ("" if none): Concert's "not supported" says what to do on
// the terminal instead.
func driverMessageVI(err error) string {
	var ns *concert.NotSupportedError
	if errors.As(err, &ns) {
		return ns.MessageVI
	}
	return ""
}

// lastResultAnswered reports whether the terminal answered a LastResult
// (with its record, with "none", with a refusal, or by printing the
// receipt again with no record) rather than not at all. Asking again
// what it answered would only print another copy.
func lastResultAnswered(err error) bool {
	return err == nil || errors.Is(err, pos.ErrNoLastResult) || errors.Is(err, zvt.ErrRefused) || errors.Is(err, zvt.ErrLastResultPrinted)
}

// outcomeError makes a transaction's error match the pos kind of its
// outcome (a driver may return its own error only), and gives an unknown
// outcome an error even when the driver gave none.
func outcomeError(r pos.Result, err error) error {
	var kind error
	switch r.Outcome {
	case pos.Unknown:
		kind = pos.ErrUnknownOutcome
	case pos.TransportError:
		if errors.Is(err, pos.ErrInvalidRequest) {
			return err
		}
		kind = pos.ErrTransport
	case pos.Busy:
		kind = pos.ErrBusy
	default:
		return err
	}
	switch {
	case err == nil && r.Text != "":
		return fmt.Errorf("%w: %s", kind, r.Text)
	case err == nil:
		return kind
	case errors.Is(err, kind):
		return err
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// CheckRequest refuses, before anything is opened or written, a
// request the protocol cannot carry or the terminal cannot do, with the
// drivers' own limits. receiptNo is the receipt number of a reversal.
// The error matches pos.ErrInvalidRequest or pos.ErrNotSupported.
func CheckRequest(p pos.Protocol, kind string, receiptNo int64, req pos.Request) error {
	switch kind {
	case pos.KindPay:
	case pos.KindRefund:
		if err := Unsupported(p, OpRefund); err != nil {
			return err
		}
	case pos.KindReverse:
		if err := Unsupported(p, OpReverse); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: kind %q: use %s, %s or %s", pos.ErrInvalidRequest, kind, pos.KindPay, pos.KindRefund, pos.KindReverse)
	}
	switch {
	case p == pos.ZVT && kind == pos.KindReverse:
		return zvt.ValidateReversal(receiptNo, req)
	case p == pos.ZVT:
		return zvt.ValidateRequest(req)
	default:
		return concert.ValidateRequest(req)
	}
}

// Limits of the protocols, for messages.
const (
	ZVTMaxAmount     = zvt.MaxAmount
	ConcertMaxAmount = concert.MaxAmount
	ZVTMaxReceiptNo  = zvt.MaxReceiptNo
	// DefaultZVTPassword is the password most ZVT terminals ship with.
	DefaultZVTPassword = zvt.DefaultPassword
	// ZVTResultReversed is the ZVT result code B4, "already reversed"
	// (PA00P015 ch. 10).
	ZVTResultReversed = zvt.ResultReversed
)
