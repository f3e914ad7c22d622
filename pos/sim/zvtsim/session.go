package zvtsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// errHungUp ends Serve after a HangUp fault closed the link.
var errHungUp = errors.New("zvtsim: link closed on purpose (hang_up fault)")

// vietnam is the terminal's local time zone (Asia/Ho_Chi_Minh, UTC+7,
// no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// session is the terminal's side of one link.
type session struct {
	sim  *Sim
	conn transport.Conn
	link *zvt.Link

	configByte byte
	pushback   []byte // a command that arrived while we waited for something else

	// the fault drawn for the transaction command that arrived last
	armed    *Fault
	armedCmd []byte
	nakDone  bool
	dropDone bool

	// the transaction being served
	inTx           bool
	cmd            []byte
	dups           int // copies of cmd received and to be ignored
	fault          Fault
	frameFaultDone bool
	ignoreAcks     bool
	abortReq       bool
	ackWait        time.Duration // this transaction's wait for an answer (short_timers); 0: Config.AckTimeout
}

// wait is how long the terminal waits for the ECR's answer to a message.
func (ss *session) wait() time.Duration {
	if ss.ackWait > 0 {
		return ss.ackWait
	}
	return ss.sim.cfg.AckTimeout
}

func isTxCommand(a []byte) bool {
	return len(a) >= 2 && a[0] == 0x06 && (a[1] == 0x01 || a[1] == 0x30 || a[1] == 0x31)
}

// onFrame decides the transport answer to each frame from the ECR; it is
// where faults on the ECR's frames happen, as the frame arrives.
func (ss *session) onFrame(apdu []byte) zvt.AckAction {
	if ss.ignoreAcks && len(apdu) > 0 && apdu[0] == 0x80 {
		return zvt.IgnoreFrame
	}
	if !isTxCommand(apdu) {
		return zvt.AckFrame
	}
	if ss.cmd != nil && bytes.Equal(apdu, ss.cmd) && (ss.inTx || ss.dropDone) {
		// A resend of the command we serve (our ACK was lost): ACK it,
		// and let the readers ignore it.
		ss.dups++
		ss.dropDone = false
		return zvt.AckFrame
	}
	if ss.armed == nil || !bytes.Equal(apdu, ss.armedCmd) {
		f := ss.drawFault()
		ss.armed, ss.armedCmd, ss.nakDone, ss.dropDone = &f, append([]byte(nil), apdu...), false, false
	}
	switch ss.armed.Kind {
	case FaultNAK:
		if !ss.nakDone {
			ss.nakDone = true
			return zvt.NakFrame
		}
	case FaultDropAck:
		if !ss.dropDone {
			ss.dropDone = true
			return zvt.DropAck
		}
	}
	return zvt.AckFrame
}

// drawFault takes the next fault; over TCP the serial-only ones are void.
func (ss *session) drawFault() Fault {
	f := ss.sim.nextFault()
	if ss.sim.cfg.TCP {
		switch f.Kind {
		case FaultNAK, FaultBadCRC, FaultByteGap, FaultDropAck, FaultGarbage:
			f = Fault{}
		}
	}
	if f.Kind == FaultDuplicate && f.Target == TargetIntermediate {
		// An ECR cannot tell a copy of an Intermediate Status from a
		// repeated one and acknowledges both; the spare 80 00 00 would
		// then answer our next message. ZVT has no sequence numbers, so
		// this fault is moved to the result, whose copy an ECR can spot.
		f.Target = TargetResult
	}
	return f
}

func (ss *session) isDup(a []byte) bool {
	if ss.dups > 0 && bytes.Equal(a, ss.cmd) {
		ss.dups--
		return true
	}
	return false
}

func (ss *session) run(ctx context.Context) error {
	for {
		a := ss.pushback
		ss.pushback = nil
		if a == nil {
			var err error
			a, err = ss.link.Receive(ctx, -1, nil)
			if err != nil {
				return err
			}
		}
		if ss.isDup(a) {
			continue
		}
		if err := ss.handle(ctx, a); err != nil {
			if errors.Is(err, zvt.ErrNoAck) {
				continue // the ECR did not take a frame: it will ask again
			}
			return err
		}
	}
}

func (ss *session) handle(ctx context.Context, a []byte) error {
	if len(a) < 2 {
		return nil
	}
	switch {
	case a[0] == 0x80 || a[0] == 0x84:
		return nil // a late answer to something already settled
	case a[0] == 0x06 && a[1] == 0x00:
		return ss.registration(ctx, a)
	case isTxCommand(a):
		return ss.transaction(ctx, a)
	case a[0] == 0x06 && a[1] == 0x20:
		return ss.repeatReceipt(ctx)
	case a[0] == 0x06 && a[1] == 0x50:
		return ss.endOfDay(ctx)
	case a[0] == 0x05 && a[1] == 0x01:
		return ss.status(ctx)
	case a[0] == 0x06 && a[1] == 0xB0:
		return ss.link.Send(zvt.Ack()) // nothing to abort
	}
	return ss.link.Send(zvt.Nack(0x83)) // function not possible
}

// send sends one of our messages, with the transaction's frame fault if
// it targets this message.
func (ss *session) send(apdu []byte, target Target) error {
	f := ss.fault
	tgt := f.Target
	if tgt == "" {
		tgt = TargetResult
	}
	if !ss.inTx || ss.frameFaultDone || target != tgt {
		return ss.link.Send(apdu)
	}
	tcp := ss.sim.cfg.TCP
	wire := apdu
	if !tcp {
		wire = zvt.EncodeFrame(apdu)
	}
	switch f.Kind {
	case FaultBadCRC:
		ss.frameFaultDone = true
		return ss.link.SendWith(apdu, zvt.SendFaults{Mutate: func(attempt int, b []byte) []byte {
			if attempt == 0 {
				b[len(b)-1] ^= 0xFF
			}
			return b
		}})
	case FaultByteGap:
		ss.frameFaultDone = true
		return ss.link.SendWith(apdu, zvt.SendFaults{Gap: 3 * ss.sim.cfg.Timers.T1})
	case FaultGarbage:
		ss.frameFaultDone = true
		return ss.link.SendWith(apdu, zvt.SendFaults{Garbage: []byte{0xAA, 0x55, 0x00, 0xFF, 0x42, 0x7E}})
	case FaultHangUp:
		ss.frameFaultDone = true
		_, _ = ss.conn.Write(wire[:len(wire)/2])
		_ = ss.conn.Close()
		return errHungUp
	case FaultDuplicate:
		ss.frameFaultDone = true
		if err := ss.link.Send(apdu); err != nil {
			return err
		}
		_, err := ss.conn.Write(wire) // the copy: fire and forget
		return err
	}
	return ss.link.Send(apdu)
}

// awaitAck waits for the ECR's 80 00 00. false: none came in time, the
// ECR refused (84 xx), or it sent another command (kept for run).
func (ss *session) awaitAck(ctx context.Context) (bool, error) {
	deadline := time.Now().Add(ss.wait())
	for {
		rem := time.Until(deadline)
		if rem <= 0 {
			return false, nil
		}
		a, err := ss.link.Receive(ctx, rem, nil)
		if errors.Is(err, transport.ErrTimeout) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if ss.isDup(a) || len(a) < 2 {
			continue
		}
		switch {
		case a[0] == 0x80:
			if ss.ignoreAcks {
				continue
			}
			return true, nil
		case a[0] == 0x84:
			return false, nil
		case a[0] == 0x06 && a[1] == 0xB0:
			ss.abortReq = true
		default:
			ss.pushback = a
			return false, nil
		}
	}
}

// pause waits d while still listening: an Abort (06 B0) ends it early.
func (ss *session) pause(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		rem := time.Until(deadline)
		if rem <= 0 || ss.abortReq || ss.pushback != nil {
			return nil
		}
		a, err := ss.link.Receive(ctx, rem, nil)
		if errors.Is(err, transport.ErrTimeout) {
			return nil
		}
		if err != nil {
			return err
		}
		if ss.isDup(a) || len(a) < 2 || a[0] == 0x80 || a[0] == 0x84 {
			continue
		}
		if a[0] == 0x06 && a[1] == 0xB0 {
			ss.abortReq = true
			return nil
		}
		ss.pushback = a // the ECR moved on
		return nil
	}
}

func (ss *session) now() time.Time { return ss.sim.cfg.Clock().In(vietnam) }

// start journals tx as the transaction the terminal runs now: it gets
// the next trace number and becomes the last transaction (what Repeat
// Receipt repeats), whatever becomes of it, as a real terminal records
// every transaction it began. It returns its sequence number.
func (ss *session) start(tx *Tx) int {
	ss.sim.update(func(st *state) {
		st.Trace++
		tx.Trace = st.Trace
		tx.Seq = len(st.Journal) + 1
		tx.Status = Running
		st.Journal = append(st.Journal, *tx)
		c := *tx
		st.Last = &c
	})
	return tx.Seq
}

// settle ends transaction seq if it is still open when the terminal
// leaves it (the line was lost, the simulator stopped): an unanswered
// approval is reversed, anything else aborted, as a terminal does.
func (ss *session) settle(seq int) {
	ss.sim.update(func(st *state) {
		st.modify(seq, func(t *Tx) {
			switch t.Status {
			case Running:
				t.Status, t.ResultCode = Aborted, 0x6C
			case Awaiting:
				t.Status = AutoReversed
			}
		})
	})
}

// end records how transaction seq ended.
func (ss *session) end(seq int, status TxStatus, code byte) {
	ss.sim.update(func(st *state) {
		st.modify(seq, func(t *Tx) { t.Status, t.ResultCode = status, code })
	})
}

func (ss *session) transaction(ctx context.Context, a []byte) error {
	var fault Fault
	if ss.armed != nil && bytes.Equal(a, ss.armedCmd) {
		fault = *ss.armed
	} else { // TCP: no frame hook saw the command
		fault = ss.drawFault()
	}
	ss.armed = nil
	ss.inTx, ss.cmd, ss.fault = true, append([]byte(nil), a...), fault
	ss.frameFaultDone, ss.abortReq, ss.ignoreAcks, ss.ackWait = false, false, false, 0
	if fault.Kind == FaultShortTimers {
		ss.ackWait = fault.Delay
		if ss.ackWait <= 0 {
			ss.ackWait = ss.sim.cfg.Timers.T1
		}
	}
	defer func() {
		ss.inTx, ss.fault, ss.ignoreAcks, ss.ackWait = false, Fault{}, false, 0
	}()

	m, _ := zvt.Decode(a)
	kind := map[byte]string{0x01: "payment", 0x30: "reversal", 0x31: "refund"}[a[1]]
	tx := Tx{Kind: kind, Fault: fault.Kind, At: ss.sim.cfg.Clock()}
	if m.AmountMinor != nil {
		tx.Amount = *m.AmountMinor
	}

	switch fault.Kind {
	case FaultBusyMenu:
		// Someone is in the terminal's menu: it refuses; nothing runs.
		return ss.link.Send(zvt.Nack(0x9C))
	case FaultUnsolicited:
		if err := ss.unsolicited(ctx); err != nil {
			return err
		}
	}
	if err := ss.send(zvt.Ack(), TargetAck); err != nil {
		return err // nothing ran
	}
	seq := ss.start(&tx)
	defer ss.settle(seq)
	if fault.Kind == FaultHang {
		// Silent: a terminal that froze after taking the command. It
		// charged nothing, and records the attempt as aborted; what the
		// ECR sent meanwhile is lost.
		ss.end(seq, Aborted, 0x6C)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(ss.sim.cfg.HangFor):
		}
		return ss.link.Reset()
	}

	var original *Tx
	if kind == "reversal" {
		var receipt int64
		if m.ReceiptNo != nil {
			receipt = *m.ReceiptNo
		}
		ss.sim.mu.Lock()
		for i := range ss.sim.st.Batch {
			if ss.sim.st.Batch[i].Receipt == receipt {
				c := ss.sim.st.Batch[i]
				original = &c
			}
		}
		ss.sim.mu.Unlock()
		if original == nil {
			return ss.abort(ctx, seq, tx, 0xB5) // reversal not possible
		}
		if tx.Amount != 0 && tx.Amount != original.Amount {
			return ss.abort(ctx, seq, tx, 0xB5)
		}
		tx.Amount, tx.Original, tx.Card = original.Amount, original.Trace, original.Card
	}
	if tx.Card.Name == "" {
		cards := ss.sim.cfg.Cards
		tx.Card = cards[int(tx.Trace)%len(cards)]
	}
	ss.sim.update(func(st *state) {
		st.modify(seq, func(t *Tx) { t.Amount, t.Original, t.Card = tx.Amount, tx.Original, tx.Card })
	})

	// Intermediate statuses (PA00P015 ch. 3 04 FF): insert card, please
	// wait, remove card; a slow card adds PIN entry and the host wait.
	steps := []byte{0x0A, 0x0E, 0x0B}
	delay := time.Duration(0)
	if fault.Kind == FaultSlowCard {
		n := fault.Steps
		if n <= 0 {
			n = 4
		}
		all := []byte{0x0A, 0x01, 0x04, 0x17, 0x0E, 0x0E, 0x0E, 0x0B}
		steps = append(all[:min(n, len(all)-1)], 0x0B)
		delay = fault.Delay
		if delay <= 0 {
			delay = ss.sim.cfg.Timers.T1
		}
	}
	for i, code := range steps {
		if delay > 0 {
			if err := ss.pause(ctx, delay); err != nil {
				return err
			}
		}
		if ss.abortReq || ss.pushback != nil {
			break
		}
		tgt := Target("")
		if i == 0 {
			tgt = TargetIntermediate
		}
		if err := ss.send(zvt.IntermediateStatus(code), tgt); err != nil {
			return err
		}
		if _, err := ss.awaitAck(ctx); err != nil {
			return err
		}
		if code == 0x0A && (fault.Kind == FaultCustomerAbort || fault.Kind == FaultCardError) {
			break
		}
	}
	switch {
	case ss.abortReq:
		return ss.abort(ctx, seq, tx, 0x6C)
	case ss.pushback != nil:
		// The ECR gave up and sent another command: end silently.
		ss.end(seq, Aborted, 0x6C)
		return nil
	case fault.Kind == FaultCustomerAbort:
		return ss.abort(ctx, seq, tx, 0x6C)
	case fault.Kind == FaultCardError:
		code := fault.Code
		if code == 0 {
			code = 0x64
		}
		return ss.abort(ctx, seq, tx, code)
	}

	if fault.Kind == FaultDecline {
		code := fault.Code
		if code == 0 {
			code = 0x05
		}
		ss.end(seq, Declined, code)
		tx.Status, tx.ResultCode = Declined, code
		si, err := ss.statusInfo(tx)
		if err != nil {
			return err
		}
		if err := ss.send(si, TargetResult); err != nil {
			return err
		}
		if ok, err := ss.awaitAck(ctx); !ok || err != nil {
			return err
		}
		return ss.complete(ctx)
	}

	ss.sim.mu.Lock()
	ss.sim.st.Receipt++
	tx.Receipt = ss.sim.st.Receipt
	ss.sim.mu.Unlock()
	tx.Status, tx.ResultCode = Awaiting, 0x00
	tx.Approval = fmt.Sprintf("%06d", (tx.Trace*7919+104729)%1000000)
	ss.sim.update(func(st *state) {
		st.modify(seq, func(t *Tx) { t.Status, t.ResultCode, t.Receipt, t.Approval = Awaiting, 0x00, tx.Receipt, tx.Approval })
	})
	si, err := ss.statusInfo(tx)
	if err != nil {
		return err
	}
	si, err = disturb(si, fault.Kind)
	if err != nil {
		return err
	}
	if err := ss.send(si, TargetResult); err != nil {
		ss.reverse(seq)
		return err
	}
	return ss.holdResult(ctx, seq, tx, original, si, fault)
}

// disturb spoils a Status-Information as fault kind k says.
func disturb(si []byte, k FaultKind) ([]byte, error) {
	switch k {
	case FaultStatusBadLength:
		if len(si) > 3 && si[2] < 0xFF-31 {
			b := append([]byte(nil), si...)
			b[2] += 31 // announces more than it carries
			return b, nil
		}
	case FaultStatusUnknownField:
		a, err := zvt.ParseAPDU(si)
		if err != nil {
			return nil, err
		}
		data := append(append([]byte(nil), a.Data...), UnknownBMP, 0x01, 0x02)
		return zvt.APDU{Class: a.Class, Instr: a.Instr, Data: data}.Encode()
	}
	return si, nil
}

// answer is the ECR's answer to a Status-Information.
type answer int

const (
	answerNone     answer = iota // none in time
	answerAck                    // 80 00 00: book it
	answerMoreTime               // 84 9C 00: wait, the ECR needs more time
	answerRefused                // 84 xx (84 66 00): do not book it
	answerOther                  // the ECR sent another command (kept in pushback)
)

// awaitAnswer waits for the ECR's answer to the Status-Information. The
// first lose answers are missed (the lost_answer fault).
func (ss *session) awaitAnswer(ctx context.Context, lose *int) (answer, error) {
	deadline := time.Now().Add(ss.wait())
	for {
		rem := time.Until(deadline)
		if rem <= 0 {
			return answerNone, nil
		}
		a, err := ss.link.Receive(ctx, rem, nil)
		if errors.Is(err, transport.ErrTimeout) {
			return answerNone, nil
		}
		if err != nil {
			return answerNone, err
		}
		if ss.isDup(a) || len(a) < 2 {
			continue
		}
		switch {
		case a[0] == 0x80 && ss.ignoreAcks:
		case (a[0] == 0x80 || a[0] == 0x84) && *lose > 0:
			*lose--
		case a[0] == 0x80:
			return answerAck, nil
		case a[0] == 0x84 && a[1] == 0x9C:
			return answerMoreTime, nil
		case a[0] == 0x84:
			return answerRefused, nil
		case a[0] == 0x06 && a[1] == 0xB0:
			// Abort after the result was sent: too late, the result stands
			// until the ECR answers it.
		default:
			ss.pushback = a
			return answerOther, nil
		}
	}
}

// holdResult waits for the ECR's decision on an approved result (PA00P015
// ch. 2.2, "issue of goods" completion): 80 00 00 books it, 84 9C 00
// asks for more time (the Status-Information is repeated after
// RepeatAfter), 84 66 00 (any 84 xx) refuses it: reversed, and the
// terminal ends with an abort. No answer in time, or another command:
// reversed, silently.
func (ss *session) holdResult(ctx context.Context, seq int, tx Tx, original *Tx, si []byte, fault Fault) error {
	if fault.Kind == FaultNoAckReverse {
		ss.ignoreAcks = true
	}
	if fault.Kind == FaultAbortHeld {
		// It gives the result up before any answer, and says so.
		ss.reverse(seq)
		return ss.abortMessage(ctx, 0x6C)
	}
	lose := 0
	if fault.Kind == FaultLostAnswer {
		lose = 1
	}
	repeated := false
	for {
		ans, err := ss.awaitAnswer(ctx, &lose)
		if err != nil {
			ss.reverse(seq)
			return err
		}
		switch ans {
		case answerAck:
			ss.ignoreAcks = false
			if fault.Kind == FaultAbortAfterAck {
				ss.reverse(seq)
				return ss.abortMessage(ctx, 0x6C)
			}
			ss.commit(seq, tx, original)
			if ss.configByte&0x82 == 0x82 { // receipts printed by the ECR via 06 D1
				if err := ss.printLines(ctx, tx); err != nil {
					return err
				}
			}
			return ss.complete(ctx)
		case answerMoreTime:
			if err := ss.pause(ctx, ss.sim.cfg.RepeatAfter); err != nil {
				ss.reverse(seq)
				return err
			}
			if ss.pushback != nil {
				ss.reverse(seq)
				return nil
			}
			if err := ss.link.Send(si); err != nil {
				ss.reverse(seq)
				return err
			}
		case answerRefused:
			ss.ignoreAcks = false
			ss.reverse(seq)
			return ss.abortMessage(ctx, 0x6C)
		case answerNone:
			if fault.Kind == FaultLostAnswer && !repeated {
				// It missed the answer: it asks again.
				repeated = true
				if err := ss.link.Send(si); err != nil {
					ss.reverse(seq)
					return err
				}
				continue
			}
			// PA00P015 ch. 2.2: the ECR did not take the result; the
			// terminal reverses the payment.
			ss.reverse(seq)
			return nil
		case answerOther:
			ss.reverse(seq)
			return nil
		}
	}
}

// unsolicited sends, on the terminal's own initiative, its last
// Status-Information again (or an Intermediate Status "automatic end of
// day" when it has none), and takes whatever answer comes: the record is
// already settled either way.
func (ss *session) unsolicited(ctx context.Context) error {
	msg := zvt.IntermediateStatus(0x0F)
	if last, ok := ss.sim.Last(); ok {
		si, err := ss.statusInfo(last)
		if err != nil {
			return err
		}
		msg = si
	}
	if err := ss.link.Send(msg); err != nil {
		return err
	}
	_, err := ss.awaitAck(ctx)
	return err
}

func (ss *session) printLines(ctx context.Context, tx Tx) error {
	for _, line := range ss.receiptLines(tx) {
		pl, err := zvt.PrintLine(0x00, line)
		if err != nil {
			return err
		}
		if err := ss.link.Send(pl); err != nil {
			return err
		}
		if _, err := ss.awaitAck(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (ss *session) receiptLines(tx Tx) []string {
	return []string{
		"TID " + ss.sim.cfg.TerminalID + "  TRACE " + strconv.FormatInt(tx.Trace, 10),
		tx.Card.Name + " " + pos.MaskPAN(tx.Card.PAN),
		"SO TIEN " + strconv.FormatInt(tx.Amount, 10) + " VND",
		"MA CHUAN CHI " + tx.Approval,
	}
}

// reverse marks the awaited transaction reversed: not charged, not in the
// batch; Repeat Receipt reports it with ResultReversed.
func (ss *session) reverse(seq int) {
	ss.sim.update(func(st *state) { st.setStatus(seq, AutoReversed) })
}

func (ss *session) commit(seq int, tx Tx, original *Tx) {
	ss.sim.update(func(st *state) {
		st.setStatus(seq, Approved)
		tx.Status = Approved
		tx.Seq = seq
		switch tx.Kind {
		case "payment":
			st.Batch = append(st.Batch, tx)
		case "reversal":
			st.removeFromBatch(original.Trace)
			for i := range st.Journal {
				if st.Journal[i].Trace == original.Trace && st.Journal[i].Kind == "payment" {
					st.Journal[i].Status = Voided
				}
			}
		}
	})
}

// abort ends transaction seq with code: nothing charged. Like real
// terminals, it first reports the result in a Status-Information (with
// the trace number, so the ECR knows it), then ends with 06 1E <code>.
func (ss *session) abort(ctx context.Context, seq int, tx Tx, code byte) error {
	ss.end(seq, Aborted, code)
	tx.Status, tx.ResultCode = Aborted, code
	si, err := ss.statusInfo(tx)
	if err != nil {
		return err
	}
	if err := ss.send(si, TargetResult); err != nil {
		return err
	}
	if _, err := ss.awaitAck(ctx); err != nil {
		return err
	}
	return ss.abortMessage(ctx, code)
}

// abortMessage sends Abort (06 1E <code>) and takes its answer.
func (ss *session) abortMessage(ctx context.Context, code byte) error {
	if err := ss.link.Send(zvt.Abort(code)); err != nil {
		return err
	}
	_, err := ss.awaitAck(ctx)
	return err
}

// complete sends Completion (06 0F) and takes its acknowledgement.
func (ss *session) complete(ctx context.Context) error {
	var sb byte
	c, err := zvt.Completion(zvt.CompletionInfo{StatusByte: &sb, TerminalID: ss.sim.cfg.TerminalID, Currency: pos.CurrencyVND})
	if err != nil {
		return err
	}
	if err := ss.send(c, TargetCompletion); err != nil {
		return err
	}
	_, err = ss.awaitAck(ctx)
	return err
}

// statusInfo is the Status-Information (04 0F) for tx.
func (ss *session) statusInfo(tx Tx) ([]byte, error) {
	at := tx.At.In(vietnam)
	amount, trace := tx.Amount, tx.Trace
	si := zvt.StatusInfo{
		ResultCode: tx.ResultCode,
		Amount:     &amount,
		Currency:   pos.CurrencyVND,
		Time:       at.Format("150405"),
		Date:       at.Format("0102"),
		TraceNo:    &trace,
		TerminalID: ss.sim.cfg.TerminalID,
	}
	if tx.Status == AutoReversed {
		si.ResultCode = zvt.ResultReversed
	}
	switch {
	case tx.ResultCode == 0x00:
		receipt := tx.Receipt
		si.ReceiptNo = &receipt
		si.ApprovalCode = tx.Approval
		si.PANMasked = tx.Card.PAN
		si.Expiry = tx.Card.Expiry
		si.CardName = tx.Card.Name
		si.MerchantID = ss.sim.cfg.MerchantID
		if tx.Card.CardType != 0 {
			ct := tx.Card.CardType
			si.CardType = &ct
		}
		if tx.Original != 0 {
			o := tx.Original
			si.OriginalTraceNo = &o
		}
		si.Text = "GIAO DICH THANH CONG"
		if tx.Status == AutoReversed {
			si.Text = "DA HUY TU DONG"
		}
	default:
		si.Text = fmt.Sprintf("TU CHOI - MA %02X", tx.ResultCode)
	}
	return zvt.StatusInformation(si)
}

func (ss *session) registration(ctx context.Context, a []byte) error {
	if f, ok := ss.sim.takeFault(scopeRegistration); ok {
		code := f.Code
		if code == 0 {
			code = 0x83
		}
		return ss.link.Send(zvt.Nack(code))
	}
	m, _ := zvt.Decode(a)
	if s, ok := m.Fields["config_byte"].(string); ok {
		if v, err := strconv.ParseUint(s, 16, 8); err == nil {
			ss.configByte = byte(v)
		}
	}
	if err := ss.link.Send(zvt.Ack()); err != nil {
		return err
	}
	return ss.complete(ctx)
}

func (ss *session) repeatReceipt(ctx context.Context) error {
	f, _ := ss.sim.takeFault(scopeRepeat)
	if err := ss.link.Send(zvt.Ack()); err != nil {
		return err
	}
	last, ok := ss.sim.Last()
	if !ok {
		return ss.abortMessage(ctx, 0x83)
	}
	switch f.Kind {
	case FaultRepeatPrintOnly:
		// The terminal prints the receipt again, to the ECR, and sends no
		// record of it.
		if err := ss.printLines(ctx, last); err != nil {
			return err
		}
		return ss.complete(ctx)
	case FaultRepeatOriginal:
		last = ss.original(last)
	}
	si, err := ss.statusInfo(last)
	if err != nil {
		return err
	}
	if err := ss.link.Send(si); err != nil {
		return err
	}
	if _, err := ss.awaitAck(ctx); err != nil {
		return err
	}
	return ss.complete(ctx)
}

// original is the receipt a terminal that repeats "the original" shows
// for last: after a reversal, the reversed payment as it was approved;
// a payment it reversed itself, as it was approved.
func (ss *session) original(last Tx) Tx {
	switch {
	case last.Kind == "reversal" && last.Original != 0:
		ss.sim.mu.Lock()
		defer ss.sim.mu.Unlock()
		for _, t := range ss.sim.st.Journal {
			if t.Kind == "payment" && t.Trace == last.Original {
				t.Status = Approved
				return t
			}
		}
	case last.Status == AutoReversed:
		last.Status = Approved
	}
	return last
}

func (ss *session) endOfDay(ctx context.Context) error {
	if err := ss.link.Send(zvt.Ack()); err != nil {
		return err
	}
	var info zvt.EndOfDayInfo
	ss.sim.mu.Lock()
	ss.sim.st.Trace++
	info.TraceNo = ss.sim.st.Trace
	bySlot := map[string]*pos.BrandTotal{}
	var slots []string
	for _, t := range ss.sim.st.Batch {
		info.Total += t.Amount
		if info.Totals.FirstReceipt == 0 || t.Receipt < info.Totals.FirstReceipt {
			info.Totals.FirstReceipt = t.Receipt
		}
		info.Totals.LastReceipt = max(info.Totals.LastReceipt, t.Receipt)
		bt := bySlot[t.Card.Slot]
		if bt == nil {
			bt = &pos.BrandTotal{Brand: t.Card.Slot}
			bySlot[t.Card.Slot] = bt
			slots = append(slots, t.Card.Slot)
		}
		bt.Count++
		bt.Amount += t.Amount
	}
	ss.sim.mu.Unlock()
	for _, s := range slots {
		info.Totals.Brands = append(info.Totals.Brands, *bySlot[s])
	}
	now := ss.now()
	info.Date, info.Time = now.Format("0102"), now.Format("150405")
	si, err := zvt.EndOfDayStatus(info)
	if err != nil {
		return err
	}
	if err := ss.link.Send(si); err != nil {
		return err
	}
	ok, err := ss.awaitAck(ctx)
	if err != nil {
		return err
	}
	if ok {
		ss.sim.update(func(st *state) { st.Batch = nil })
	}
	return ss.complete(ctx)
}

func (ss *session) status(ctx context.Context) error {
	if err := ss.link.Send(zvt.Ack()); err != nil {
		return err
	}
	c, err := zvt.StatusCompletion(ss.sim.cfg.Software, 0x00)
	if err != nil {
		return err
	}
	if err := ss.link.Send(c); err != nil {
		return err
	}
	_, err = ss.awaitAck(ctx)
	return err
}
