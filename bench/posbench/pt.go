package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/zvt"
)

// mono is CLOCK_MONOTONIC in nanoseconds: one clock for the whole machine,
// so a scripted terminal in another process can stamp its writes too.
func mono() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Stamp is the scripted terminal's record of one result frame it wrote:
// the monotonic time just before its write(2) and just after it returned
// (the last byte, the CRC high byte or the LRC, is in the pty by then).
type Stamp struct {
	Seq    int   `json:"seq"`
	Before int64 `json:"before_ns"`
	After  int64 `json:"after_ns"`
}

// Hold decides how long the scripted terminal "waits for the card" before
// it sends the result: a random pause (the latency runs), or until the
// benchmark releases it (the idle and memory runs).
type Hold struct {
	Min, Max time.Duration // random pause in [Min, Max)
	release  *Release      // if set: wait for the next release instead
}

func (h Hold) wait(rng *rand.Rand) {
	if h.release != nil {
		<-h.release.ch()
		return
	}
	d := h.Min
	if h.Max > h.Min {
		d += time.Duration(rng.Int64N(int64(h.Max - h.Min)))
	}
	if d > 0 {
		time.Sleep(d)
	}
}

// Release frees every terminal holding at the moment it is fired.
type Release struct {
	mu sync.Mutex
	c  chan struct{}
}

func NewRelease() *Release { return &Release{c: make(chan struct{})} }

func (r *Release) ch() chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

func (r *Release) Fire() {
	r.mu.Lock()
	close(r.c)
	r.c = make(chan struct{})
	r.mu.Unlock()
}

// errPT is a protocol surprise on the scripted terminal's side.
var errPT = errors.New("scripted terminal: unexpected input")

// ---------------------------------------------------------------- ZVT ---

// zvtPT is a scripted ZVT payment terminal on a pty master: just the
// messages of Registration and of an approved Authorization, each frame
// written with one write(2), every frame of the driver answered ACK 06 and
// every own frame waiting for the driver's ACK. It checks what it gets
// with the package's own FrameReader.
type zvtPT struct {
	f     *os.File
	fr    zvt.FrameReader
	buf   [1024]byte
	q     []zvtEvent
	hold  Hold
	rng   *rand.Rand
	seq   int
	trace int64
	// stamps receives one Stamp per result frame written.
	stamps chan<- Stamp
}

type zvtEvent struct {
	ack, nak bool
	apdu     []byte
}

func newZVTPT(f *os.File, hold Hold, stamps chan<- Stamp, seed uint64) *zvtPT {
	return &zvtPT{f: f, hold: hold, stamps: stamps, rng: rand.New(rand.NewPCG(seed, 7)), trace: 1000}
}

func (p *zvtPT) next() (zvtEvent, error) {
	for len(p.q) == 0 {
		n, err := p.f.Read(p.buf[:])
		if err != nil {
			return zvtEvent{}, err
		}
		for _, c := range p.buf[:n] {
			apdu, ev, _ := p.fr.Feed(c)
			switch ev {
			case zvt.FrameAPDU:
				p.q = append(p.q, zvtEvent{apdu: apdu})
			case zvt.FrameACK:
				p.q = append(p.q, zvtEvent{ack: true})
			case zvt.FrameNAK:
				p.q = append(p.q, zvtEvent{nak: true})
			case zvt.FrameBadCRC:
				if _, err := p.f.Write([]byte{zvt.NAK}); err != nil {
					return zvtEvent{}, err
				}
			}
		}
	}
	e := p.q[0]
	p.q = p.q[1:]
	return e, nil
}

// recv returns the driver's next frame, acknowledged.
func (p *zvtPT) recv() ([]byte, error) {
	for {
		e, err := p.next()
		if err != nil {
			return nil, err
		}
		if e.apdu == nil {
			continue // a stray ACK/NAK
		}
		if _, err := p.f.Write([]byte{zvt.ACK}); err != nil {
			return nil, err
		}
		return e.apdu, nil
	}
}

func (p *zvtPT) awaitACK() error {
	e, err := p.next()
	if err != nil {
		return err
	}
	if !e.ack {
		return fmt.Errorf("%w: wanted ACK, got %+v", errPT, e)
	}
	return nil
}

func (p *zvtPT) send(apdu []byte) error {
	if _, err := p.f.Write(zvt.EncodeFrame(apdu)); err != nil {
		return err
	}
	return p.awaitACK()
}

// expectAck takes the driver's 80 00 00.
func (p *zvtPT) expectAck() error {
	a, err := p.recv()
	if err != nil {
		return err
	}
	if len(a) < 1 || a[0] != 0x80 {
		return fmt.Errorf("%w: wanted 80 00 00, got % X", errPT, a)
	}
	return nil
}

const benchTID = "29001234"

// serve answers until the pty fails (closed master) or the driver errs.
func (p *zvtPT) serve() error {
	for {
		a, err := p.recv()
		if err != nil {
			return err
		}
		if len(a) < 2 {
			continue
		}
		switch {
		case a[0] == 0x06 && a[1] == 0x00: // Registration
			if err := p.registration(); err != nil {
				return err
			}
		case a[0] == 0x06 && a[1] == 0x01: // Authorization
			if err := p.authorization(a); err != nil {
				return err
			}
		case a[0] == 0x05 && a[1] == 0x01: // Status Enquiry (the manager's health poll)
			if err := p.status(); err != nil {
				return err
			}
		case a[0] == 0x80: // a late 80 00 00 (Confirm after a failure): ignore
		default:
			if err := p.send(zvt.Nack(0x83)); err != nil {
				return err
			}
		}
	}
}

func (p *zvtPT) registration() error {
	if err := p.send(zvt.Ack()); err != nil {
		return err
	}
	c, err := zvt.Completion(zvt.CompletionInfo{TerminalID: benchTID, Currency: pos.CurrencyVND})
	if err != nil {
		return err
	}
	if err := p.send(c); err != nil {
		return err
	}
	return p.expectAck()
}

// status answers a Status Enquiry: ready, with the software version.
func (p *zvtPT) status() error {
	if err := p.send(zvt.Ack()); err != nil {
		return err
	}
	c, err := zvt.StatusCompletion("posbench-pt", 0x00)
	if err != nil {
		return err
	}
	if err := p.send(c); err != nil {
		return err
	}
	return p.expectAck()
}

func (p *zvtPT) authorization(req []byte) error {
	m, err := zvt.Decode(req)
	if err != nil || m.AmountMinor == nil {
		return fmt.Errorf("%w: authorization without amount (% X)", errPT, req)
	}
	if err := p.send(zvt.Ack()); err != nil {
		return err
	}
	if err := p.send(zvt.IntermediateStatus(0x0A)); err != nil { // insert card
		return err
	}
	if err := p.expectAck(); err != nil {
		return err
	}
	// The result is encoded before the pause: at the measured moment the
	// terminal only writes.
	p.trace++
	p.seq++
	amount, receipt, trace, ct := *m.AmountMinor, p.trace%10000, p.trace, byte(10)
	si, err := zvt.StatusInformation(zvt.StatusInfo{
		ResultCode: 0x00, Amount: &amount, Currency: pos.CurrencyVND,
		Time: "163000", Date: "0314", PANMasked: "422151EEEEEE5678", ReceiptNo: &receipt,
		ApprovalCode: "A1B2C3", TraceNo: &trace, TerminalID: benchTID, Expiry: "2709",
		CardType: &ct, CardName: "VISA", MerchantID: "000000012345678",
	})
	if err != nil {
		return err
	}
	frame := zvt.EncodeFrame(si)
	p.hold.wait(p.rng)
	before := mono()
	_, werr := p.f.Write(frame) // the whole frame, CRC included, in one write(2)
	after := mono()
	if werr != nil {
		return werr
	}
	if p.stamps != nil {
		p.stamps <- Stamp{Seq: p.seq, Before: before, After: after}
	}
	if err := p.awaitACK(); err != nil { // the driver's line ACK 06 of the 04 0F
		return err
	}
	if err := p.expectAck(); err != nil { // Confirm: 80 00 00
		return err
	}
	c, err := zvt.Completion(zvt.CompletionInfo{TerminalID: benchTID})
	if err != nil {
		return err
	}
	if err := p.send(c); err != nil {
		return err
	}
	return p.expectAck()
}

// ------------------------------------------------------------ Concert ---

// concertPT is a scripted Concert E+ terminal on a pty master: it takes the
// payment request (ENQ/ACK, frame/ACK, EOT), holds, and answers "accepted"
// in its own session (ENQ, frame, EOT after the driver's ACK).
type concertPT struct {
	f      *os.File
	r      concert.Reader
	buf    [256]byte
	q      []concertEvent
	hold   Hold
	rng    *rand.Rand
	seq    int
	stamps chan<- Stamp
}

type concertEvent struct {
	ev    concert.Event
	frame []byte
}

func newConcertPT(f *os.File, hold Hold, stamps chan<- Stamp, seed uint64) *concertPT {
	return &concertPT{f: f, hold: hold, stamps: stamps, rng: rand.New(rand.NewPCG(seed, 11))}
}

func (p *concertPT) next() (concertEvent, error) {
	for len(p.q) == 0 {
		n, err := p.f.Read(p.buf[:])
		if err != nil {
			return concertEvent{}, err
		}
		for _, c := range p.buf[:n] {
			ev, frame, _ := p.r.Feed(c)
			if ev != concert.EventNone {
				p.q = append(p.q, concertEvent{ev: ev, frame: frame})
			}
		}
	}
	e := p.q[0]
	p.q = p.q[1:]
	return e, nil
}

func (p *concertPT) want(ev concert.Event) (concertEvent, error) {
	for {
		e, err := p.next()
		if err != nil {
			return e, err
		}
		if e.ev == ev {
			return e, nil
		}
		if e.ev == concert.EventBadLRC {
			if _, err := p.f.Write([]byte{concert.NAK}); err != nil {
				return e, err
			}
		}
	}
}

// wantFrameOrEOT is the driver's request frame after our ACK to its ENQ,
// or the EOT that ends a session opened only to see that we answer.
func (p *concertPT) wantFrameOrEOT() (concertEvent, error) {
	for {
		e, err := p.next()
		if err != nil {
			return e, err
		}
		switch e.ev {
		case concert.EventFrame, concert.EventEOT:
			return e, nil
		case concert.EventBadLRC:
			if _, err := p.f.Write([]byte{concert.NAK}); err != nil {
				return e, err
			}
		}
	}
}

func (p *concertPT) serve() error {
	for {
		if _, err := p.want(concert.EventENQ); err != nil {
			return err
		}
		if _, err := p.f.Write([]byte{concert.ACK}); err != nil {
			return err
		}
		e, err := p.wantFrameOrEOT()
		if err != nil {
			return err
		}
		if e.ev == concert.EventEOT {
			continue // a probe (the manager's health poll): ENQ, ACK, EOT
		}
		if _, err := p.f.Write([]byte{concert.ACK}); err != nil {
			return err
		}
		if _, err := p.want(concert.EventEOT); err != nil {
			return err
		}
		req, err := concert.ParsePaymentRequest(e.frame[1 : len(e.frame)-2])
		if err != nil {
			return fmt.Errorf("%w: %v", errPT, err)
		}
		p.seq++
		text, err := concert.PaymentAnswer{
			POSNumber: fmt.Sprintf("%02d", req.POSNumber), Status: concert.StatusAccepted, Amount: req.Amount,
			Mode: concert.ModeCard, Currency: "704", Priv: req.Priv, Long: req.AnswerFlag == concert.AnswerLong,
			PANMasked: "422151******5678", ReportRest: "VISA",
		}.Text()
		if err != nil {
			return err
		}
		frame := concert.Frame(text)
		p.hold.wait(p.rng)
		if _, err := p.f.Write([]byte{concert.ENQ}); err != nil {
			return err
		}
		if _, err := p.want(concert.EventACK); err != nil {
			return err
		}
		before := mono()
		_, werr := p.f.Write(frame) // STX text ETX LRC in one write(2)
		after := mono()
		if werr != nil {
			return werr
		}
		if p.stamps != nil {
			p.stamps <- Stamp{Seq: p.seq, Before: before, After: after}
		}
		if _, err := p.want(concert.EventACK); err != nil { // Confirm
			return err
		}
		if _, err := p.f.Write([]byte{concert.EOT}); err != nil {
			return err
		}
	}
}
