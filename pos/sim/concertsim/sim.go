// Package concertsim is a simulated Ingenico Telium terminal speaking
// Concert E+ on the master side of a pseudo-terminal (transport.NewPTY):
// the driver opens the slave path as a serial port, exactly as it opens a
// real terminal. It answers payment requests with plausible data, echoes
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
// wants to send a request, and the ECR has the priority.
var errPeerENQ = errors.New("concertsim: ECR sent ENQ")

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

// record journals a transaction and saves the counters.
func (s *Sim) record(req concert.PaymentRequest, status byte, charged bool, f Fault) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Seq++
	if charged {
		s.state.ChargedCount++
		s.state.ChargedTotal += req.Amount
	}
	e := Entry{Seq: s.state.Seq, At: s.cfg.Clock(), Priv: req.Priv, Amount: req.Amount,
		Currency: fmt.Sprintf("%03d", req.Currency), Status: string(status), Charged: charged, Fault: f.Kind}
	s.journal = append(s.journal, e)
	return e, saveState(s.cfg.StatePath, s.state)
}

// tx is the transaction the terminal is in, from the ECR's first ENQ
// until it answered (or the ECR gave up on sending).
type tx struct {
	fault      Fault
	dropENQ    int
	nak        int
	dropACK    int
	badLRC     int
	gapPending bool
}

func newTx(f Fault) *tx {
	t := &tx{fault: f}
	switch f.Kind {
	case FaultDropENQACK:
		t.dropENQ = f.count()
	case FaultNAKRequest:
		t.nak = f.count()
	case FaultDropACK:
		t.dropACK = f.count()
	case FaultBadLRC:
		t.badLRC = f.count()
	case FaultByteGap:
		t.gapPending = true
	}
	return t
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
	var cur *tx
	for {
		b, err := l.readByte(ctx, -1)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for b == concert.ENQ {
			if cur == nil {
				cur = newTx(s.nextFault())
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
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			b = 0
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
		timeout := s.timers.ACK
		if r.InFrame() {
			timeout = s.timers.ByteGap
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
			return true, nil // the ECR gave up before we took a frame
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
	deadline := time.Now().Add(s.timers.ACK)
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
			deadline = time.Now().Add(s.timers.ACK)
		}
	}
	return true, s.run(ctx, l, t, req)
}

// run is the card transaction and the answer.
func (s *Sim) run(ctx context.Context, l *simLine, t *tx, req concert.PaymentRequest) error {
	status, charged := concert.StatusAccepted, true
	switch t.fault.Kind {
	case FaultDecline, FaultAbort:
		status, charged = concert.StatusRefused, false
	case FaultAbandon:
		status, charged = concert.StatusNotVerified, false
	case FaultSlowCard:
		if err := sleepCtx(ctx, t.fault.Delay); err != nil {
			return err
		}
	}
	if _, err := s.record(req, status, charged, t.fault); err != nil {
		return err
	}
	if t.fault.Kind == FaultHang {
		return nil // charged, never answered
	}
	frame, err := s.answer(req, status, t.fault.Kind)
	if err != nil {
		return err
	}
	if err := s.sendAnswer(ctx, l, t, frame); err != nil {
		return err
	}
	if t.fault.Kind == FaultDuplicate {
		t.badLRC, t.gapPending = 0, false
		return s.sendAnswer(ctx, l, t, frame)
	}
	return nil
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
	// reachable with printable ASCII: find the pair giving 0x02.
	for c1 := byte('A'); c1 <= 'Z'; c1++ {
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
// transaction's faults.
func (s *Sim) sendAnswer(ctx context.Context, l *simLine, t *tx, frame []byte) error {
	acked := false
	for attempt := 1; attempt <= s.timers.ENQAttempts && !acked; attempt++ {
		if attempt > 1 {
			if err := sleepCtx(ctx, s.timers.ENQRetryPause); err != nil {
				return err
			}
		}
		if err := s.noise(l, t); err != nil {
			return err
		}
		if err := l.write(concert.ENQ); err != nil {
			return err
		}
		b, err := s.waitACK(ctx, l)
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
	for attempt := 1; attempt <= s.timers.FrameAttempts; attempt++ {
		out := frame
		if t.badLRC > 0 {
			t.badLRC--
			out = append([]byte(nil), frame...)
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
		b, err := s.waitACK(ctx, l)
		if err != nil {
			return err
		}
		if b == concert.ACK {
			return l.write(concert.EOT)
		}
	}
	// No ACK after every attempt: give up. E+ has no reversal: the charge
	// stands (this is what the driver's documentation warns about).
	return l.write(concert.EOT)
}

// waitACK waits for the ECR's ACK or NAK; 0 on timeout. An ENQ from the
// ECR is errPeerENQ: it wants to send, and the terminal gives way.
func (s *Sim) waitACK(ctx context.Context, l *simLine) (byte, error) {
	deadline := time.Now().Add(s.timers.ACK)
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
