// Package concertsim is a simulated Ingenico Telium terminal speaking
// Concert E+ on the master side of a pseudo-terminal (transport.NewPTY):
// the driver opens the slave path as a serial port, exactly as it opens a
// real terminal. (ServeConn serves any line, such as one end of a
// transport.Pipe in the driver's tests.) It answers payment requests with plausible data, echoes
// PRIV, keeps a journal of what it charged (the ground truth of the
// tests) and its counters in a state file, and misbehaves on demand.
package concertsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
)

// Config configures a Sim. Zero fields take defaults.
type Config struct {
	// Timers are the terminal's own waits: ACK (for the ECR's ACK to its
	// ENQ and frame, and for the ECR's frame), ByteGap, ENQAttempts,
	// ENQRetryPause, FrameAttempts. Defaults: the protocol's.
	Timers concert.Timers
	// StatePath, if set, keeps the counters (State) across runs.
	StatePath string
	// Seed, FaultRate and FaultMix draw a random fault for a transaction
	// when no fault was injected: with probability FaultRate one of
	// FaultMix, uniformly.
	Seed      int64
	FaultRate float64
	FaultMix  []Fault
	// PAN is the card presented; the answer carries it masked. Default a
	// test Visa number.
	PAN   string
	Trace func(direction string, b []byte)
	Clock func() time.Time
}

// ErrHungUp is what Serve returns after a FaultHangUp closed the line.
var ErrHungUp = errors.New("concertsim: the simulated terminal hung up the line (fault)")

// errPeerENQ: while the terminal waited for an ACK, the ECR sent ENQ: it
// wants to send a request, and the ECR has the priority. errWithheld goes
// with it when that ENQ came after our answer frame instead of the ACK.
var (
	errPeerENQ  = errors.New("concertsim: ECR sent ENQ")
	errWithheld = errors.New("concertsim: the ECR did not acknowledge the answer and began its own session")
)

// Sim is the simulated terminal. One Sim may serve several lines one after
// the other (a new pseudo-terminal after a hang-up); its journal and
// counters carry over.
type Sim struct {
	cfg    Config
	timers concert.Timers

	mu      sync.Mutex
	queue   []Fault
	rng     *rand.Rand
	journal []Entry
	state   State
	// undelivered are answers the register interrupted (its ENQ crossed
	// the terminal's): the terminal sends them as soon as the line is free
	// again, before anything else.
	undelivered []*answer
}

// New returns a simulator, reading its counters from cfg.StatePath.
func New(cfg Config) (*Sim, error) {
	if cfg.PAN == "" {
		cfg.PAN = "4111111111111111"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	st, err := loadState(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	seed := uint64(cfg.Seed)
	return &Sim{cfg: cfg, timers: cfg.Timers.WithDefaults(), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), state: st}, nil
}

// Inject queues one-shot faults: each applies to the next transaction
// (the next request the terminal sees), in order.
func (s *Sim) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, f...)
}

// ClearFaults drops the injected faults no transaction took yet (the
// register's requests did not reach the terminal: it was busy) and
// returns them.
func (s *Sim) ClearFaults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// Journal returns a copy of every transaction run so far.
func (s *Sim) Journal() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.journal...)
}

// Charged returns the journal entries that took money with this PRIV.
func (s *Sim) Charged(priv string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.journal {
		if e.Charged && e.Priv == priv {
			out = append(out, e)
		}
	}
	return out
}

// State returns the counters.
func (s *Sim) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *Sim) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) > 0 {
		f := s.queue[0]
		s.queue = s.queue[1:]
		return f
	}
	if len(s.cfg.FaultMix) > 0 && s.rng.Float64() < s.cfg.FaultRate {
		return s.cfg.FaultMix[s.rng.IntN(len(s.cfg.FaultMix))]
	}
	return Fault{}
}

// record journals a transaction and saves the counters; it returns the
// entry's sequence number.
func (s *Sim) record(req concert.PaymentRequest, status byte, charged bool, f Fault) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Seq++
	if charged {
		s.state.ChargedCount++
		s.state.ChargedTotal += req.Amount
	}
	e := Entry{Seq: s.state.Seq, At: s.cfg.Clock(), Priv: req.Priv, Amount: req.Amount,
		Currency: fmt.Sprintf("%03d", req.Currency), Status: string(status), Charged: charged, Fault: f.Kind, Applied: f}
	s.journal = append(s.journal, e)
	return e.Seq, saveState(s.cfg.StatePath, s.state)
}

// acked notes that the register acknowledged the answer of entry seq.
func (s *Sim) acked(seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.journal {
		if s.journal[i].Seq == seq {
			s.journal[i].Acked = true
		}
	}
}

// tx is the transaction the terminal is in, from the ECR's first ENQ
// until it answered (or the ECR gave up on sending).
type tx struct {
	fault      Fault
	timers     concert.Timers // the terminal's, for this transaction
	dropENQ    int
	nak        int
	dropACK    int
	badLRC     int
	lostACK    int
	gapPending bool
}

func newTx(f Fault, timers concert.Timers) *tx {
	t := &tx{fault: f, timers: timers}
	switch f.Kind {
	case FaultDropENQACK:
		t.dropENQ = f.count()
	case FaultNAKRequest:
		t.nak = f.count()
	case FaultDropACK:
		t.dropACK = f.count()
	case FaultBadLRC:
		t.badLRC = f.count()
	case FaultAnswerACKLost:
		t.lostACK = f.count()
	case FaultByteGap:
		t.gapPending = true
	case FaultShortTimers:
		t.timers.ACK = f.Delay
		if t.timers.ACK <= 0 {
			t.timers.ACK = timers.ACK / 3
		}
	}
	return t
}

// answer is one answer session the terminal has to send.
type answer struct {
	frame []byte
	seq   int64 // its journal entry
	t     *tx
}

// Serve runs the terminal on line (a pseudo-terminal master) until ctx
// ends, the line fails, or a FaultHangUp closes it (ErrHungUp). line is
// closed on return.
func (s *Sim) Serve(ctx context.Context, line *os.File) error {
	return s.ServeConn(ctx, transport.FromFile(line, line.Name()))
}

// ServeConn is Serve on any line, such as one end of a transport.Pipe
// (the driver's tests). conn is closed on return.
func (s *Sim) ServeConn(ctx context.Context, conn transport.Conn) error {
	defer conn.Close()
	l := &simLine{conn: conn, trace: s.cfg.Trace}
	quiet := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var cur *tx
	for {
		// An answer the register interrupted goes first.
		b := byte(0)
		err := s.flush(ctx, l)
		switch {
		case errors.Is(err, errPeerENQ):
			b = concert.ENQ
		case err != nil:
			return quiet(err)
		default:
			if b, err = l.readByte(ctx, -1); err != nil {
				return quiet(err)
			}
		}
		for b == concert.ENQ {
			if cur == nil {
				cur = newTx(s.nextFault(), s.timers)
			}
			if cur.fault.Kind == FaultBusy {
				// Someone is in the menu: the terminal answers nothing, the
				// transaction is not run.
				if err := s.busyWait(ctx, l, cur.fault.Delay, nil); err != nil {
					return quiet(err)
				}
				cur = nil
				break
			}
			var done bool
			done, err = s.request(ctx, l, cur)
			if done {
				cur = nil
			}
			if errors.Is(err, errPeerENQ) {
				continue // the ECR's ENQ interrupted us: serve it
			}
			if err != nil {
				return quiet(err)
			}
			b = 0
		}
	}
}

// flush sends the answers the register interrupted, oldest first.
func (s *Sim) flush(ctx context.Context, l *simLine) error {
	for {
		s.mu.Lock()
		if len(s.undelivered) == 0 {
			s.mu.Unlock()
			return nil
		}
		a := s.undelivered[0]
		s.undelivered = s.undelivered[1:]
		s.mu.Unlock()
		if err := s.sendAnswer(ctx, l, a); err != nil {
			return err
		}
	}
}

// request serves one ENQ of the ECR. done says the transaction is over
// (answered, abandoned by the ECR): the next ENQ starts a new one.
func (s *Sim) request(ctx context.Context, l *simLine, t *tx) (done bool, err error) {
	if t.dropENQ > 0 {
		t.dropENQ-- // our ACK is "lost": the ECR sends EOT and ENQ again
		return false, nil
	}
	if err := s.noise(l, t); err != nil {
		return true, err
	}
	if err := l.write(concert.ACK); err != nil {
		return true, err
	}
	var r concert.Reader
	var taken []byte // the request frame we took
	var req concert.PaymentRequest
	for taken == nil {
		timeout := t.timers.ACK
		if r.InFrame() {
			timeout = t.timers.ByteGap
		}
		b, err := l.readByte(ctx, timeout)
		if errors.Is(err, errTimeout) {
			if r.InFrame() {
				r.Reset()
				if err := l.write(concert.NAK); err != nil {
					return true, err
				}
				continue
			}
			return true, nil // the ECR went quiet: nothing taken
		}
		if err != nil {
			return true, err
		}
		ev, frame, _ := r.Feed(b)
		switch ev {
		case concert.EventFrame:
			l.traceIn(frame)
			text := frame[1 : len(frame)-2]
			p, perr := concert.ParsePaymentRequest(text)
			if perr != nil || t.nak > 0 {
				if perr == nil {
					t.nak--
				}
				if err := l.write(concert.NAK); err != nil {
					return true, err
				}
				continue
			}
			taken, req = frame, p
		case concert.EventBadLRC:
			l.traceIn(frame)
			if err := l.write(concert.NAK); err != nil {
				return true, err
			}
		case concert.EventEOT:
			l.traceIn([]byte{b})
			return true, nil // the ECR gave up (or only probed) before we took a frame
		case concert.EventENQ:
			if err := l.write(concert.ACK); err != nil {
				return true, err
			}
		}
	}
	// Taken: the payment runs whatever happens to our ACK now.
	if t.dropACK > 0 {
		t.dropACK--
	} else if err := l.write(concert.ACK); err != nil {
		return true, err
	}
	// Wait for the ECR's EOT; a resend of the same frame means our ACK
	// was lost: acknowledge it (unless that ACK is to be lost too).
	r.Reset()
	deadline := time.Now().Add(t.timers.ACK)
	for {
		b, err := l.readByte(ctx, time.Until(deadline))
		if errors.Is(err, errTimeout) {
			break
		}
		if err != nil {
			return true, err
		}
		ev, frame, _ := r.Feed(b)
		if ev == concert.EventEOT {
			break
		}
		if ev == concert.EventFrame && bytes.Equal(frame, taken) {
			if t.dropACK > 0 {
				t.dropACK--
			} else if err := l.write(concert.ACK); err != nil {
				return true, err
			}
			deadline = time.Now().Add(t.timers.ACK)
		}
	}
	return true, s.run(ctx, l, t, req)
}

// run is the card transaction and the answer.
func (s *Sim) run(ctx context.Context, l *simLine, t *tx, req concert.PaymentRequest) error {
	// An answer still owed from before goes first (the register, having
	// sent its request, now waits for an answer: it does not interrupt).
	if err := s.flush(ctx, l); err != nil && !errors.Is(err, errPeerENQ) {
		return err
	}
	status, charged := concert.StatusAccepted, true
	switch t.fault.Kind {
	case FaultDecline, FaultAbort:
		status, charged = concert.StatusRefused, false
	case FaultAbandon:
		status, charged = concert.StatusNotVerified, false
	}
	// The card transaction: the terminal is at work and ignores the
	// register (its ENQs get no ACK) until it answers.
	var work time.Duration
	switch t.fault.Kind {
	case FaultSlowCard, FaultLateAnswer:
		work = t.fault.Delay
	}
	if err := s.busyWait(ctx, l, work, t.fault.Gate); err != nil {
		return err
	}
	seq, err := s.record(req, status, charged, t.fault)
	if err != nil {
		return err
	}
	if t.fault.Kind == FaultHang {
		return nil // charged, never answered
	}
	frame, err := s.answer(req, status, t.fault.Kind)
	if err != nil {
		return err
	}
	if err := s.sendAnswer(ctx, l, &answer{frame: frame, seq: seq, t: t}); err != nil {
		return err
	}
	switch t.fault.Kind {
	case FaultDuplicate:
		t.badLRC, t.gapPending = 0, false
		return s.sendAnswer(ctx, l, &answer{frame: frame, seq: seq, t: t})
	case FaultUnsolicited:
		return s.unsolicited(ctx, l, t, req)
	}
	return nil
}

// unsolicited sends on the terminal's own an answer nobody asked for: a
// payment keyed in on the terminal, PRIV blank.
func (s *Sim) unsolicited(ctx context.Context, l *simLine, t *tx, like concert.PaymentRequest) error {
	req := like
	req.Amount, req.Priv, req.Currency = UnsolicitedAmount, "", pos.CurrencyVND
	seq, err := s.record(req, concert.StatusAccepted, true, t.fault)
	if err != nil {
		return err
	}
	frame, err := s.answer(req, concert.StatusAccepted, FaultNone)
	if err != nil {
		return err
	}
	return s.sendAnswer(ctx, l, &answer{frame: frame, seq: seq, t: &tx{fault: Fault{Kind: FaultUnsolicited}, timers: t.timers}})
}

// busyWait is the terminal at work for d, and until gate is closed: it
// takes whatever the register sends and answers nothing.
func (s *Sim) busyWait(ctx context.Context, l *simLine, d time.Duration, gate <-chan struct{}) error {
	deadline := time.Now().Add(d)
	for {
		timeout := time.Until(deadline)
		var wake <-chan struct{}
		if timeout <= 0 {
			if gate == nil {
				return nil
			}
			select {
			case <-gate:
				return nil
			default:
			}
			// The gate wakes the wait (a closed channel always can).
			timeout, wake = -1, gate
		}
		b, err := l.readByteWake(ctx, timeout, wake)
		switch {
		case errors.Is(err, errTimeout), errors.Is(err, transport.ErrWoken):
		case err != nil:
			return err
		default:
			l.traceIn([]byte{b}) // ignored
		}
	}
}

// answer builds the answer frame to req: the long form when the ECR asked
// for it, with the masked card number in the report.
func (s *Sim) answer(req concert.PaymentRequest, status byte, kind FaultKind) ([]byte, error) {
	lrcSTX := kind == FaultLRCIsSTX
	a := concert.PaymentAnswer{
		POSNumber: fmt.Sprintf("%02d", req.POSNumber), Status: status, Amount: req.Amount,
		Mode: req.PaymentMode, Currency: fmt.Sprintf("%03d", req.Currency), Priv: req.Priv,
		Long: req.AnswerFlag == concert.AnswerLong,
	}
	switch kind {
	case FaultWrongPriv:
		a.Priv = "ZZ" + req.Priv
		if len(a.Priv) > 10 {
			a.Priv = a.Priv[:10]
		}
	case FaultWrongAmount:
		a.Amount = (req.Amount % concert.MaxAmount) + 1
	}
	if a.Long {
		a.PANMasked = pos.MaskPAN(s.cfg.PAN)
		a.ReportRest = "AUT 00A1B2 SIM"
	}
	if !lrcSTX || !a.Long {
		text, err := a.Text()
		if err != nil {
			return nil, err
		}
		return concert.Frame(text), nil
	}
	// Two free characters at the end of the report make any LRC
	// reachable with printable ASCII: find the pair giving 0x02. (Both
	// range over printable ASCII: an upper-case letter alone cannot clear
	// bit 6 of the rest's XOR without setting bit 5.)
	for c1 := byte(0x20); c1 <= 0x7e; c1++ {
		for c2 := byte(0x20); c2 <= 0x7e; c2++ {
			a.ReportRest = "AUT 00A1B2 SIM" + string([]byte{c1, c2})
			text, err := a.Text()
			if err != nil {
				return nil, err
			}
			if f := concert.Frame(text); f[len(f)-1] == concert.STX {
				return f, nil
			}
		}
	}
	return nil, fmt.Errorf("concertsim: no report text gives an LRC of 0x02")
}

// sendAnswer is the terminal's own session: ENQ, the frame, EOT, with the
// transaction's faults. When the register's ENQ crosses ours
// (errPeerENQ), the terminal gives way and keeps the answer for when the
// line is free (flush). An ENQ of the register after our frame, instead
// of its ACK, is the register moving on without acknowledging the answer
// (it withheld it): the terminal gives it up, as after its resends, and
// serves the register.
func (s *Sim) sendAnswer(ctx context.Context, l *simLine, a *answer) error {
	err := s.deliver(ctx, l, a)
	if errors.Is(err, errPeerENQ) && !errors.Is(err, errWithheld) {
		s.mu.Lock()
		s.undelivered = append([]*answer{a}, s.undelivered...)
		s.mu.Unlock()
	}
	return err
}

func (s *Sim) deliver(ctx context.Context, l *simLine, a *answer) error {
	t := a.t
	acked := false
	for attempt := 1; attempt <= t.timers.ENQAttempts && !acked; attempt++ {
		if attempt > 1 {
			if err := sleepCtx(ctx, t.timers.ENQRetryPause); err != nil {
				return err
			}
		}
		if err := s.noise(l, t); err != nil {
			return err
		}
		if err := l.write(concert.ENQ); err != nil {
			return err
		}
		b, err := s.waitACK(ctx, l, t.timers.ACK)
		if err != nil {
			return err
		}
		if b == concert.ACK {
			acked = true
			break
		}
		if err := l.write(concert.EOT); err != nil {
			return err
		}
	}
	if !acked {
		return nil // the ECR is not listening: the answer is lost, the charge stands
	}
	for attempt := 1; attempt <= t.timers.FrameAttempts; attempt++ {
		out := a.frame
		if t.badLRC > 0 {
			t.badLRC--
			out = append([]byte(nil), a.frame...)
			out[len(out)-1] ^= 0x01
		}
		if err := s.noise(l, t); err != nil {
			return err
		}
		switch {
		case t.fault.Kind == FaultHangUp:
			half := len(out) / 2
			if err := l.write(out[:half]...); err != nil {
				return err
			}
			_ = l.conn.Close()
			return ErrHungUp
		case t.gapPending:
			t.gapPending = false
			half := len(out) / 2
			if err := l.write(out[:half]...); err != nil {
				return err
			}
			if err := sleepCtx(ctx, t.fault.Delay); err != nil {
				return err
			}
			if err := l.write(out[half:]...); err != nil {
				return err
			}
		default:
			if err := l.write(out...); err != nil {
				return err
			}
		}
		waitFrom := time.Now()
		b, err := s.waitACK(ctx, l, t.timers.ACK)
		if errors.Is(err, errPeerENQ) {
			return fmt.Errorf("%w: %w", errWithheld, err)
		}
		if err != nil {
			return err
		}
		if b == concert.ACK && t.lostACK > 0 {
			// The register's ACK is lost on the line: the terminal waits
			// its timer out, as if nothing came, and sends again.
			t.lostACK--
			if err := s.busyWait(ctx, l, t.timers.ACK-time.Since(waitFrom), nil); err != nil {
				return err
			}
			continue
		}
		if b == concert.ACK {
			s.acked(a.seq)
			return l.write(concert.EOT)
		}
	}
	// No ACK after every attempt: give up. E+ has no reversal: the charge
	// stands (this is what the driver's documentation warns about).
	return l.write(concert.EOT)
}

// waitACK waits up to timeout for the ECR's ACK or NAK; 0 on timeout. An
// ENQ from the ECR is errPeerENQ: it wants to send, and the terminal gives
// way.
func (s *Sim) waitACK(ctx context.Context, l *simLine, timeout time.Duration) (byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := l.readByte(ctx, time.Until(deadline))
		if errors.Is(err, errTimeout) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		switch b {
		case concert.ACK, concert.NAK:
			return b, nil
		case concert.ENQ:
			return 0, errPeerENQ
		}
	}
}

// noiseBytes are line noise that is no Concert control character.
var noiseBytes = []byte{0x00, 0x7f, 0xff, 'x', 0x11, 0x13, '\n', 0x80, 0xaa}

func (s *Sim) noise(l *simLine, t *tx) error {
	if t.fault.Kind != FaultGarbage {
		return nil
	}
	s.mu.Lock()
	n := 1 + s.rng.IntN(4)
	b := make([]byte, n)
	for i := range b {
		b[i] = noiseBytes[s.rng.IntN(len(noiseBytes))]
	}
	s.mu.Unlock()
	return l.write(b...)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
