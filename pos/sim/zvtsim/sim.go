// Package zvtsim is a ZVT payment terminal (the PT side of PA00P015 /
// PA00P016) for tests, demos and `feepos sim --protocol zvt`. It answers
// Registration, Authorization, Reversal, Refund, Repeat Receipt,
// End-of-Day, Status Enquiry and Abort with plausible Vietnamese data, keeps
// a batch and a journal (its ground truth of what it charged and
// reversed), keeps its last transaction across restarts in a JSON state
// file, reverses a payment whose Status-Information is not acknowledged,
// and injects faults on demand.
package zvtsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Card is a card the simulated customer presents.
type Card struct {
	Name     string // BMP 8B card name
	Slot     string // BMP 60 totals slot: girocard, JCB, Eurocard, Amex, VISA, Diners, others
	PAN      string // masked, 'E' for hidden digits (sent as E nibbles)
	CardType byte   // BMP 8A ZVT card type, 0 = not sent
	Expiry   string // YYMM
}

// DefaultCards: a NAPAS domestic card (Vietcombank BIN 970436), a VISA and
// a Mastercard. The simulator takes them in turn by trace number.
var DefaultCards = []Card{
	{Name: "NAPAS", Slot: "others", PAN: "970436EEEEEE1234", Expiry: "2812"},
	{Name: "VISA", Slot: "VISA", PAN: "422151EEEEEE5678", CardType: 10, Expiry: "2709"},
	{Name: "Mastercard", Slot: "Eurocard", PAN: "512345EEEEEE9012", CardType: 6, Expiry: "2903"},
}

// Config configures a Sim. Zero values are defaulted.
type Config struct {
	TerminalID string // 8 digits, default "29001234"
	MerchantID string // default "000000012345678"
	Password   string // default "000000" (not checked: any password is accepted)
	TCP        bool   // bare APDUs (TCP) instead of serial frames
	Timers     zvt.Timers
	Clock      func() time.Time
	// StateFile keeps counters, the batch and the last transaction across
	// restarts (JSON, written atomically). Empty: memory only.
	StateFile string
	// AckTimeout is how long the simulator waits for the ECR's 80 00 00
	// after a Status-Information before it reverses the payment; also its
	// wait for the answer to any other message it sends. Default T3. It
	// may be shorter than the ECR's timers: a real terminal's are its own.
	AckTimeout time.Duration
	// RepeatAfter is how long after the ECR's "more time" (84 9C 00) the
	// simulator repeats its Status-Information. Default AckTimeout/2.
	RepeatAfter time.Duration
	// HangFor is how long a Hang fault keeps the simulator silent.
	// Default T4 + 2·T3.
	HangFor time.Duration
	// Software is the version Status Enquiry reports.
	Software string
	// Random, if set, adds faults at random to transactions.
	Random *RandomFaults
	Cards  []Card
}

// Tx is one transaction of the simulator's journal.
type Tx struct {
	Seq        int       `json:"seq"`  // order in the journal
	Kind       string    `json:"kind"` // payment, reversal, refund
	Status     TxStatus  `json:"status"`
	ResultCode byte      `json:"result_code"`
	Amount     int64     `json:"amount"`
	Trace      int64     `json:"trace,omitempty"`
	Receipt    int64     `json:"receipt,omitempty"`
	Approval   string    `json:"approval,omitempty"`
	Card       Card      `json:"card"`
	At         time.Time `json:"at"`
	Original   int64     `json:"original_trace,omitempty"` // reversal: the payment's trace
	Fault      FaultKind `json:"fault,omitempty"`
}

// TxStatus is where a transaction ended.
type TxStatus string

const (
	// Running: the terminal took the command (and gave it its trace
	// number); no result yet.
	Running TxStatus = "running"
	// Awaiting: result sent, acknowledgement not yet received.
	Awaiting TxStatus = "awaiting_ack"
	Approved TxStatus = "approved" // charged, acknowledged, in the batch
	Declined TxStatus = "declined" // by the host (04 0F with a non-00 code)
	Aborted  TxStatus = "aborted"  // 06 1E: customer, card error, ECR abort, a hung attempt
	// AutoReversed: approved, but the ECR did not acknowledge the result
	// in time, or refused it (84 66), so the terminal reversed it. Not
	// charged, not in the batch.
	AutoReversed TxStatus = "auto_reversed"
	// Voided: approved, later reversed by a Reversal (06 30).
	Voided TxStatus = "voided"
)

// Charged reports whether the transaction stands as money moved.
func (t Tx) Charged() bool { return t.Status == Approved }

type state struct {
	Trace   int64 `json:"trace"`
	Receipt int64 `json:"receipt"`
	Last    *Tx   `json:"last,omitempty"`
	Batch   []Tx  `json:"batch"`
	Journal []Tx  `json:"journal"`
}

// Sim is one simulated terminal. It serves one link at a time.
type Sim struct {
	cfg Config

	mu     sync.Mutex
	st     state
	faults []Fault
	rng    *rand.Rand
}

// New makes a simulator and loads its state file, if any.
func New(cfg Config) (*Sim, error) {
	if cfg.TerminalID == "" {
		cfg.TerminalID = "29001234"
	}
	if cfg.MerchantID == "" {
		cfg.MerchantID = "000000012345678"
	}
	if cfg.Password == "" {
		cfg.Password = zvt.DefaultPassword
	}
	cfg.Timers = cfg.Timers.WithDefaults()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = cfg.Timers.T3
	}
	if cfg.RepeatAfter <= 0 {
		cfg.RepeatAfter = cfg.AckTimeout / 2
	}
	if cfg.HangFor <= 0 {
		cfg.HangFor = cfg.Timers.T4 + 2*cfg.Timers.T3
	}
	if cfg.Software == "" {
		cfg.Software = "feepos-zvtsim 1.0"
	}
	if len(cfg.Cards) == 0 {
		cfg.Cards = DefaultCards
	}
	s := &Sim{cfg: cfg}
	if cfg.Random != nil {
		s.rng = rand.New(rand.NewSource(cfg.Random.Seed))
	}
	if cfg.StateFile != "" {
		b, err := os.ReadFile(cfg.StateFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("zvtsim: read state %s: %w", cfg.StateFile, err)
		default:
			if err := json.Unmarshal(b, &s.st); err != nil {
				return nil, fmt.Errorf("zvtsim: state file %s is damaged (%w): move it away to start afresh", cfg.StateFile, err)
			}
		}
	}
	// A transaction the last run left unfinished (the process died in it)
	// ends the way a terminal ends it when it restarts: an unanswered
	// approval is reversed, anything else aborted.
	for _, t := range s.st.Journal {
		switch t.Status {
		case Awaiting:
			s.st.setStatus(t.Seq, AutoReversed)
		case Running:
			s.st.modify(t.Seq, func(t *Tx) { t.Status, t.ResultCode = Aborted, 0x6C })
		}
	}
	return s, nil
}

// Journal returns every transaction so far, oldest first: the ground
// truth tests compare the driver's outcomes with.
func (s *Sim) Journal() []Tx {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Tx(nil), s.st.Journal...)
}

// Batch returns the approved payments since the last End-of-Day.
func (s *Sim) Batch() []Tx {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Tx(nil), s.st.Batch...)
}

// Last returns the transaction Repeat Receipt would repeat.
func (s *Sim) Last() (Tx, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Last == nil {
		return Tx{}, false
	}
	return *s.st.Last, true
}

// saveLocked writes the state atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory.
func (s *Sim) saveLocked() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.cfg.StateFile)
	f, err := os.CreateTemp(dir, ".zvtsim-state-*")
	if err != nil {
		return fmt.Errorf("zvtsim: save state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("zvtsim: save state: %w", err)
	}
	if err := os.Rename(tmp, s.cfg.StateFile); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("zvtsim: save state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// update runs fn on the state under the lock and saves it.
func (s *Sim) update(fn func(st *state)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.st)
	if err := s.saveLocked(); err != nil {
		// The simulator keeps running; a test that needs the file fails
		// on its own check.
		fmt.Fprintln(os.Stderr, err)
	}
}

// setStatus changes a journal entry (and the last transaction) to status.
func (st *state) setStatus(seq int, status TxStatus) {
	st.modify(seq, func(t *Tx) { t.Status = status })
}

// modify changes a journal entry and, if it is the one, the last
// transaction.
func (st *state) modify(seq int, fn func(t *Tx)) {
	for i := range st.Journal {
		if st.Journal[i].Seq == seq {
			fn(&st.Journal[i])
		}
	}
	if st.Last != nil && st.Last.Seq == seq {
		fn(st.Last)
	}
}

// find returns the journal entry seq.
func (st *state) find(seq int) (Tx, bool) {
	for _, t := range st.Journal {
		if t.Seq == seq {
			return t, true
		}
	}
	return Tx{}, false
}

func (st *state) removeFromBatch(trace int64) {
	out := st.Batch[:0]
	for _, t := range st.Batch {
		if t.Trace != trace {
			out = append(out, t)
		}
	}
	st.Batch = out
}

// Serve runs the terminal on conn until ctx ends, the link is lost, or a
// HangUp fault closes it. conn is closed on return.
func (s *Sim) Serve(ctx context.Context, conn transport.Conn) error {
	defer conn.Close()
	ss := &session{sim: s, conn: conn}
	ss.link = zvt.NewLink(conn, s.cfg.TCP, s.cfg.Timers, nil)
	ss.link.OnFrame = ss.onFrame
	return ss.run(ctx)
}

// PTYServer is a simulator serving the master side of a pseudo-terminal.
type PTYServer struct {
	Path   string // the slave side: open it with transport.OpenSerial
	pty    *transport.PTY
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error
}

// ServePTY opens a pseudo-terminal and serves it in the background.
func (s *Sim) ServePTY(ctx context.Context) (*PTYServer, error) {
	p, err := transport.NewPTY()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ps := &PTYServer{Path: p.SlavePath, pty: p, cancel: cancel, done: make(chan struct{})}
	conn := transport.FromFile(p.Master, p.SlavePath)
	go func() {
		defer close(ps.done)
		_ = s.Serve(ctx, conn)
	}()
	return ps, nil
}

// Done is closed when Serve has returned (the link hung up, or Close).
func (p *PTYServer) Done() <-chan struct{} { return p.done }

// Close stops serving and closes the pseudo-terminal.
func (p *PTYServer) Close() error {
	p.once.Do(func() {
		p.cancel()
		p.err = p.pty.Close()
		<-p.done
	})
	return p.err
}

// ListenTCP serves ZVT over TCP (bare APDUs) on addr, one connection at a
// time, until ctx ends. It needs a Sim made with Config.TCP.
func (s *Sim) ListenTCP(ctx context.Context, addr string) (net.Listener, error) {
	if !s.cfg.TCP {
		return nil, errors.New("zvtsim: ListenTCP needs Config.TCP")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = s.Serve(ctx, transport.FromNetConn(c))
		}
	}()
	return ln, nil
}
