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
	deadline := time.Now().Add(ss.sim.cfg.AckTimeout)
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

// journal appends t to the journal (and makes it the last transaction
// when it has a trace number) and returns its sequence number.
func (ss *session) journal(t Tx) int {
	var seq int
	ss.sim.update(func(st *state) {
		t.Seq = len(st.Journal) + 1
		seq = t.Seq
		st.Journal = append(st.Journal, t)
		if t.Trace != 0 {
			c := t
			st.Last = &c
		}
	})
	return seq
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
	ss.frameFaultDone, ss.abortReq, ss.ignoreAcks = false, false, false
	defer func() {
		ss.inTx, ss.fault, ss.ignoreAcks = false, Fault{}, false
	}()

	m, _ := zvt.Decode(a)
	kind := map[byte]string{0x01: "payment", 0x30: "reversal", 0x31: "refund"}[a[1]]
	tx := Tx{Kind: kind, Fault: fault.Kind, At: ss.sim.cfg.Clock()}
	if m.AmountMinor != nil {
		tx.Amount = *m.AmountMinor
	}

	if err := ss.send(zvt.Ack(), TargetAck); err != nil {
		return err // nothing ran
	}
	if fault.Kind == FaultHang {
		// Silent: a terminal that froze after taking the command. It
		// charged nothing; what the ECR sent meanwhile is lost.
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
			return ss.abort(ctx, tx, 0xB5) // reversal not possible
		}
		if tx.Amount != 0 && tx.Amount != original.Amount {
			return ss.abort(ctx, tx, 0xB5)
		}
		tx.Amount, tx.Original, tx.Card = original.Amount, original.Trace, original.Card
	}

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
		return ss.abort(ctx, tx, 0x6C)
	case ss.pushback != nil:
		// The ECR gave up and sent another command: end silently.
		tx.Status, tx.ResultCode = Aborted, 0x6C
		ss.journal(tx)
		return nil
	case fault.Kind == FaultCustomerAbort:
		return ss.abort(ctx, tx, 0x6C)
	case fault.Kind == FaultCardError:
		code := fault.Code
		if code == 0 {
			code = 0x64
		}
		return ss.abort(ctx, tx, code)
	}

	// A result with a trace number.
	ss.sim.mu.Lock()
	ss.sim.st.Trace++
	tx.Trace = ss.sim.st.Trace
	if fault.Kind != FaultDecline {
		ss.sim.st.Receipt++
		tx.Receipt = ss.sim.st.Receipt
	}
	ss.sim.mu.Unlock()
	if tx.Card.Name == "" {
		cards := ss.sim.cfg.Cards
		tx.Card = cards[int(tx.Trace)%len(cards)]
	}
	if fault.Kind == FaultDecline {
		tx.Status, tx.ResultCode = Declined, fault.Code
		if tx.ResultCode == 0 {
			tx.ResultCode = 0x05
		}
		ss.journal(tx)
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

	tx.Status, tx.ResultCode = Awaiting, 0x00
	tx.Approval = fmt.Sprintf("%06d", (tx.Trace*7919+104729)%1000000)
	seq := ss.journal(tx)
	si, err := ss.statusInfo(tx)
	if err != nil {
		return err
	}
	if err := ss.send(si, TargetResult); err != nil {
		ss.reverse(seq)
		return err
	}
	if fault.Kind == FaultNoAckReverse {
		ss.ignoreAcks = true
	}
	ok, err := ss.awaitAck(ctx)
	ss.ignoreAcks = false
	if !ok || err != nil {
		// PA00P015 ch. 2.2: the ECR did not take the result; the
		// terminal reverses the payment.
		ss.reverse(seq)
		return err
	}
	ss.commit(seq, tx, original)
	if ss.configByte&0x82 == 0x82 { // receipts printed by the ECR via 06 D1
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
	}
	return ss.complete(ctx)
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

// abort ends the transaction with 06 1E <code>: nothing charged.
func (ss *session) abort(ctx context.Context, tx Tx, code byte) error {
	tx.Status, tx.ResultCode = Aborted, code
	ss.journal(tx)
	if err := ss.send(zvt.Abort(code), TargetResult); err != nil {
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
	if err := ss.link.Send(zvt.Ack()); err != nil {
		return err
	}
	last, ok := ss.sim.Last()
	if !ok {
		if err := ss.link.Send(zvt.Abort(0x83)); err != nil {
			return err
		}
		_, err := ss.awaitAck(ctx)
		return err
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
