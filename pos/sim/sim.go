// Package sim starts a simulated card terminal for a protocol and reads
// fault options as a technician types them. It is the facade `feepos sim`
// uses over pos/sim/zvtsim and pos/sim/concertsim, which do the real work:
//
//   - ZVT on a new pseudo-terminal (serial frames) or on a TCP address
//     (bare APDUs, PA00P015 ch. 2.1);
//   - Concert E+ on a new pseudo-terminal only: Concert over TCP (Caisse-AP
//     IP) is not simulated, and Start says so.
//
// The pseudo-terminal's slave path (or the bound TCP address) is what a
// driver opens, exactly as it opens a real terminal's port.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// ErrConcertTCP: the Concert simulator speaks only over a (pseudo) serial
// line.
var ErrConcertTCP = errors.New("sim: Concert over TCP is not supported: the Concert simulator runs on a pseudo-terminal only (leave out --tcp)")

// Config says which simulator to start. Zero values take defaults.
type Config struct {
	Protocol pos.Protocol
	// TCP is the address to listen on (ZVT only), e.g. "127.0.0.1:20007";
	// port 0 picks a free port. Empty: a new pseudo-terminal.
	TCP string
	// StateFile keeps the simulator's counters (and for ZVT its batch and
	// last transaction, so Repeat Receipt works across restarts). Empty:
	// memory only.
	StateFile string
	// TerminalID is the ZVT terminal id (up to 8 digits). Concert E+
	// answers carry no terminal id: it must be empty for Concert.
	TerminalID string
	// Faults are one-shot faults for the next transactions, in order
	// (ZVT registration_refused and repeat_* wait for the next
	// Registration or Repeat Receipt instead).
	Faults []Fault
	// FaultRate is the probability that a transaction without an injected
	// fault gets a random one (every kind of the protocol), drawn from a
	// generator seeded with Seed: the same seed, the same faults.
	FaultRate float64
	Seed      int64
	// OnListen, if set, is told every address the simulator listens on:
	// first the pseudo-terminal's slave path (or the TCP address), then a
	// new path whenever a hang_up fault closed the old pseudo-terminal (a
	// pulled cable) and the simulator plugged in a new one.
	OnListen func(addr string)
	// Log receives short lines about what the simulator does. Card
	// numbers in it are masked. nil: discarded.
	Log *slog.Logger
	// ZVTTimers and ConcertTimers shrink the protocol timers (tests).
	ZVTTimers     zvt.Timers
	ConcertTimers concert.Timers
}

// Fault is one parsed fault option, for one protocol.
type Fault struct {
	Spec    string // as typed, e.g. "decline:51"
	zvt     zvtsim.Fault
	concert concertsim.Fault
}

// Kind is the fault's kind name.
func (f Fault) Kind() string {
	if f.zvt.Kind != "" {
		return string(f.zvt.Kind)
	}
	return string(f.concert.Kind)
}

// ZVT and Concert return the fault for the protocol's simulator.
func (f Fault) ZVT() zvtsim.Fault         { return f.zvt }
func (f Fault) Concert() concertsim.Fault { return f.concert }

// argKind is what the part after "KIND:" means for a fault kind.
type argKind int

const (
	argNone     argKind = iota
	argHostCode         // decimal 1–99: the host's ISO 8583 response code
	argHexCode          // ZVT result code, 2 hex digits
	argDuration         // Go duration, e.g. 2s, 500ms
	argTarget           // ZVT message the frame fault hits
	argCount            // how many times
)

var argHelp = map[argKind]string{
	argHostCode: "the host's response code, 1–99 (e.g. decline:51 insufficient funds)",
	argHexCode:  "a ZVT result code in hex (e.g. card_error:64 card not readable)",
	argDuration: "a duration (e.g. slow_card:3s, short_timers:500ms)",
	argTarget:   "the message hit: ack, intermediate, result or completion (e.g. bad_crc:result)",
	argCount:    "how many times (e.g. nak_request:2)",
}

var zvtArgs = map[zvtsim.FaultKind]argKind{
	zvtsim.FaultDecline:       argHostCode,
	zvtsim.FaultCustomerAbort: argNone,
	zvtsim.FaultCardError:     argHexCode,
	zvtsim.FaultSlowCard:      argDuration,
	zvtsim.FaultHang:          argNone,
	zvtsim.FaultNAK:           argNone,
	zvtsim.FaultBadCRC:        argTarget,
	zvtsim.FaultByteGap:       argTarget,
	zvtsim.FaultDropAck:       argNone,
	zvtsim.FaultHangUp:        argTarget,
	zvtsim.FaultGarbage:       argTarget,
	zvtsim.FaultDuplicate:     argTarget,
	zvtsim.FaultNoAckReverse:  argNone,
	// issue 9: the hold, the Status-Information, the terminal's state
	zvtsim.FaultLostAnswer:          argNone,
	zvtsim.FaultAbortAfterAck:       argNone,
	zvtsim.FaultAbortHeld:           argNone,
	zvtsim.FaultShortTimers:         argDuration,
	zvtsim.FaultStatusBadLength:     argNone,
	zvtsim.FaultStatusUnknownField:  argNone,
	zvtsim.FaultBusyMenu:            argNone,
	zvtsim.FaultUnsolicited:         argNone,
	zvtsim.FaultRegistrationRefused: argHexCode,
	zvtsim.FaultRepeatPrintOnly:     argNone,
	zvtsim.FaultRepeatOriginal:      argNone,
}

var concertArgs = map[concertsim.FaultKind]argKind{
	concertsim.FaultDecline:       argNone, // E+ has one refusal status, '7'
	concertsim.FaultAbort:         argNone,
	concertsim.FaultAbandon:       argNone,
	concertsim.FaultSlowCard:      argDuration,
	concertsim.FaultHang:          argNone,
	concertsim.FaultNAKRequest:    argCount,
	concertsim.FaultBadLRC:        argCount,
	concertsim.FaultByteGap:       argDuration,
	concertsim.FaultDropENQACK:    argCount,
	concertsim.FaultDropACK:       argCount,
	concertsim.FaultHangUp:        argNone,
	concertsim.FaultGarbage:       argNone,
	concertsim.FaultDuplicate:     argNone,
	concertsim.FaultLRCIsSTX:      argNone,
	concertsim.FaultWrongPriv:     argNone,
	concertsim.FaultWrongAmount:   argNone,
	concertsim.FaultLateAnswer:    argDuration,
	concertsim.FaultBusy:          argDuration,
	concertsim.FaultAnswerACKLost: argCount,
	concertsim.FaultUnsolicited:   argNone,
	concertsim.FaultShortTimers:   argDuration,
}

// Defaults of faults whose argument is left out.
const (
	// concertSlowCard is long enough for the cashier's screen to show the
	// wait, far below the ECR's answer timeout (concert.AnswerTimeout).
	concertSlowCard = 3 * time.Second
	// concertByteGap exceeds the receiver's byte gap (concert.ACKTimeout):
	// the first answer frame is broken and must be resent.
	concertByteGap = concert.ACKTimeout + time.Second
	// concertLateAnswer exceeds the ECR's answer wait
	// (concert.AnswerTimeout): the answer comes when nobody waits for it.
	concertLateAnswer = concert.AnswerTimeout + 10*time.Second
	// concertBusy keeps the menu open longer than the ECR knocks
	// (ENQAttempts ENQs, an ACK timer each, ENQRetryPause between: 11 s).
	concertBusy = 15 * time.Second
	// concertShortACK is the terminal's ACK timer under short_timers: a
	// third of the protocol's, which feepos uses.
	concertShortACK = concert.ACKTimeout / 3
)

// concertDefaultDelay is the Delay of a Concert fault kind whose argument
// is left out.
var concertDefaultDelay = map[concertsim.FaultKind]time.Duration{
	concertsim.FaultSlowCard:    concertSlowCard,
	concertsim.FaultByteGap:     concertByteGap,
	concertsim.FaultLateAnswer:  concertLateAnswer,
	concertsim.FaultBusy:        concertBusy,
	concertsim.FaultShortTimers: concertShortACK,
}

// aliases accept the other simulator's name for the same customer action.
var aliases = map[pos.Protocol]map[string]string{
	pos.ZVT:     {"abort": string(zvtsim.FaultCustomerAbort)},
	pos.Concert: {"customer_abort": string(concertsim.FaultAbort)},
}

// FaultKinds lists the fault kind names of protocol, sorted, each with
// ":ARG" when it takes an argument.
func FaultKinds(p pos.Protocol) []string {
	var out []string
	add := func(name string, a argKind) {
		switch a {
		case argNone:
			out = append(out, name)
		case argHostCode, argHexCode:
			out = append(out, name+"[:CODE]")
		case argDuration:
			out = append(out, name+"[:DURATION]")
		case argTarget:
			out = append(out, name+"[:TARGET]")
		case argCount:
			out = append(out, name+"[:COUNT]")
		}
	}
	switch p {
	case pos.ZVT:
		for k, a := range zvtArgs {
			add(string(k), a)
		}
	case pos.Concert:
		for k, a := range concertArgs {
			add(string(k), a)
		}
	}
	slices.Sort(out)
	return out
}

// ParseFault reads one fault option, KIND or KIND:ARG, for protocol p.
// An unknown kind is an error that lists the valid ones.
func ParseFault(p pos.Protocol, spec string) (Fault, error) {
	if p != pos.ZVT && p != pos.Concert {
		return Fault{}, fmt.Errorf("fault %q: protocol must be zvt or concert, got %q", spec, p)
	}
	name, arg, hasArg := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
	if a, ok := aliases[p][name]; ok {
		name = a
	}
	var kind argKind
	var known bool
	switch p {
	case pos.ZVT:
		kind, known = zvtArgs[zvtsim.FaultKind(name)]
	case pos.Concert:
		kind, known = concertArgs[concertsim.FaultKind(name)]
	}
	if !known {
		return Fault{}, fmt.Errorf("unknown %s fault %q; valid faults: %s", p, name, strings.Join(FaultKinds(p), ", "))
	}
	f := Fault{Spec: spec}
	if hasArg && kind == argNone {
		why := ""
		if p == pos.Concert && name == string(concertsim.FaultDecline) {
			why = " (Concert E+ has one refusal status, '7', and no host code)"
		}
		return Fault{}, fmt.Errorf("%s fault %q takes no argument%s: write just %q", p, spec, why, name)
	}
	switch p {
	case pos.ZVT:
		f.zvt.Kind = zvtsim.FaultKind(name)
	case pos.Concert:
		f.concert.Kind = concertsim.FaultKind(name)
	}
	if hasArg {
		if err := f.setArg(kind, strings.TrimSpace(arg)); err != nil {
			return Fault{}, fmt.Errorf("%s fault %q: %w; the part after ':' is %s", p, spec, err, argHelp[kind])
		}
	}
	if f.concert.Delay == 0 {
		f.concert.Delay = concertDefaultDelay[f.concert.Kind]
	}
	return f, nil
}

func (f *Fault) setArg(kind argKind, arg string) error {
	switch kind {
	case argHostCode:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > 99 {
			return fmt.Errorf("%q is not a host code from 1 to 99", arg)
		}
		// PA00P015 ch. 10: result codes 01–63 hex carry the host's ISO 8583
		// response code as a binary number (0x33 is "51").
		f.zvt.Code = byte(n)
	case argHexCode:
		n, err := strconv.ParseUint(arg, 16, 8)
		if err != nil || n == 0 {
			return fmt.Errorf("%q is not a non-zero hex byte", arg)
		}
		f.zvt.Code = byte(n)
	case argDuration:
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration", arg)
		}
		if f.zvt.Kind != "" {
			f.zvt.Delay = d
		} else {
			f.concert.Delay = d
		}
	case argTarget:
		t := zvtsim.Target(strings.ToLower(arg))
		switch t {
		case zvtsim.TargetAck, zvtsim.TargetIntermediate, zvtsim.TargetResult, zvtsim.TargetCompletion:
			f.zvt.Target = t
		default:
			return fmt.Errorf("%q is not a message the fault can hit", arg)
		}
	case argCount:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > 100 {
			return fmt.Errorf("%q is not a count from 1 to 100", arg)
		}
		f.concert.Count = n
	}
	return nil
}

// ParseFaults parses every spec; the first bad one is the error.
func ParseFaults(p pos.Protocol, specs []string) ([]Fault, error) {
	out := make([]Fault, 0, len(specs))
	for _, s := range specs {
		f, err := ParseFault(p, s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Simulator is a running simulated terminal.
type Simulator struct {
	protocol pos.Protocol
	log      *slog.Logger
	onListen func(string)

	zvt     *zvtsim.Sim
	concert *concertsim.Sim

	mu   sync.Mutex
	addr string

	seen map[int64]string // journal entries logged, with their status; owned by watch

	cancel context.CancelFunc
	wg     sync.WaitGroup // the serving and logging goroutines
	done   chan struct{}
	err    error
}

// Start starts the simulator of cfg.Protocol in the background. It runs
// until ctx ends or Close; Wait returns why it stopped.
func Start(ctx context.Context, cfg Config) (*Simulator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Simulator{protocol: cfg.Protocol, log: log, onListen: cfg.OnListen, done: make(chan struct{})}
	ctx, s.cancel = context.WithCancel(ctx)
	var err error
	switch cfg.Protocol {
	case pos.ZVT:
		err = s.startZVT(ctx, cfg)
	case pos.Concert:
		err = s.startConcert(ctx, cfg)
	}
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watch(ctx)
	}()
	go func() {
		s.wg.Wait()
		close(s.done)
	}()
	return s, nil
}

// serve runs fn in the background; the simulator is done when it and the
// log have returned.
func (s *Simulator) serve(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// Validate checks the configuration before anything is opened.
func (cfg Config) Validate() error {
	switch cfg.Protocol {
	case pos.ZVT:
		if cfg.TerminalID != "" {
			if len(cfg.TerminalID) > 8 || strings.Trim(cfg.TerminalID, "0123456789") != "" {
				return fmt.Errorf("sim: ZVT terminal id %q must be 1 to 8 digits", cfg.TerminalID)
			}
		}
	case pos.Concert:
		if cfg.TCP != "" {
			return ErrConcertTCP
		}
		if cfg.TerminalID != "" {
			return errors.New("sim: Concert E+ answers carry no terminal id: leave out the terminal id")
		}
	default:
		return fmt.Errorf("sim: protocol must be zvt or concert, got %q", cfg.Protocol)
	}
	if cfg.FaultRate < 0 || cfg.FaultRate > 1 {
		return fmt.Errorf("sim: fault rate %v must be between 0 and 1", cfg.FaultRate)
	}
	return nil
}

// Addr is where the simulator listens now: the pseudo-terminal's slave
// path, or the bound TCP address with its real port.
func (s *Simulator) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *Simulator) listening(addr string) {
	s.mu.Lock()
	s.addr = addr
	s.mu.Unlock()
	if s.onListen != nil {
		s.onListen(addr)
	}
}

// Inject queues one-shot faults for the next transactions. Faults parsed
// for another protocol are ignored.
func (s *Simulator) Inject(faults ...Fault) {
	for _, f := range faults {
		switch {
		case s.zvt != nil && f.zvt.Kind != "":
			s.zvt.Inject(f.zvt)
		case s.concert != nil && f.concert.Kind != "":
			s.concert.Inject(f.concert)
		}
	}
}

// Done is closed when the simulator has stopped.
func (s *Simulator) Done() <-chan struct{} { return s.done }

// Wait blocks until the simulator stops: nil after ctx ended or Close,
// else what stopped it.
func (s *Simulator) Wait() error {
	<-s.done
	return s.err
}

// Close stops the simulator and waits for it.
func (s *Simulator) Close() error {
	s.cancel()
	return s.Wait()
}

func (s *Simulator) startZVT(ctx context.Context, cfg Config) error {
	zc := zvtsim.Config{TerminalID: cfg.TerminalID, TCP: cfg.TCP != "", StateFile: cfg.StateFile, Timers: cfg.ZVTTimers}
	if cfg.FaultRate > 0 {
		zc.Random = &zvtsim.RandomFaults{Seed: cfg.Seed, Probability: cfg.FaultRate}
	}
	zs, err := zvtsim.New(zc)
	if err != nil {
		return err
	}
	s.zvt = zs
	s.prime()
	s.Inject(cfg.Faults...)

	if cfg.TCP != "" {
		ln, err := zs.ListenTCP(ctx, cfg.TCP)
		if err != nil {
			return fmt.Errorf("sim: listen on %s: %w", cfg.TCP, err)
		}
		s.listening(ln.Addr().String())
		s.log.Info("ZVT simulator ready", "tcp", ln.Addr().String(), "state", cfg.StateFile)
		return nil
	}

	ps, err := zs.ServePTY(ctx)
	if err != nil {
		return err
	}
	s.listening(ps.Path)
	s.log.Info("ZVT simulator ready", "pty", ps.Path, "state", cfg.StateFile)
	s.serve(func() {
		for {
			select {
			case <-ctx.Done():
				_ = ps.Close()
				return
			case <-ps.Done():
			}
			_ = ps.Close()
			if ctx.Err() != nil {
				return
			}
			// Serve ends early when a hang_up fault closed the link (the
			// cable is "pulled") or the line failed. Plug in a new one.
			s.log.Warn("link closed (hang_up fault or line error); opening a new pseudo-terminal", "old", ps.Path)
			next, err := zs.ServePTY(ctx)
			if err != nil {
				s.err = fmt.Errorf("sim: reopen pseudo-terminal: %w", err)
				return
			}
			ps = next
			s.listening(ps.Path)
		}
	})
	return nil
}

func (s *Simulator) startConcert(ctx context.Context, cfg Config) error {
	cc := concertsim.Config{StatePath: cfg.StateFile, Timers: cfg.ConcertTimers, Seed: cfg.Seed}
	if cfg.FaultRate > 0 {
		cc.FaultRate = cfg.FaultRate
		cc.FaultMix = concertFaultMix()
	}
	cs, err := concertsim.New(cc)
	if err != nil {
		return err
	}
	s.concert = cs
	s.prime()
	s.Inject(cfg.Faults...)

	p, err := transport.NewPTY()
	if err != nil {
		return err
	}
	s.listening(p.SlavePath)
	s.log.Info("Concert simulator ready", "pty", p.SlavePath, "state", cfg.StateFile)
	s.serve(func() {
		for {
			err := cs.Serve(ctx, p.Master)
			_ = p.Close()
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, concertsim.ErrHungUp) {
				s.err = fmt.Errorf("sim: concert line %s: %w", p.SlavePath, err)
				s.log.Error("simulator stopped", "err", err)
				return
			}
			s.log.Warn("line closed by a hang_up fault; opening a new pseudo-terminal", "old", p.SlavePath)
			if p, err = transport.NewPTY(); err != nil {
				s.err = fmt.Errorf("sim: reopen pseudo-terminal: %w", err)
				return
			}
			s.listening(p.SlavePath)
		}
	})
	return nil
}

// concertFaultMix is every Concert fault kind with its default argument,
// for --fault-rate.
func concertFaultMix() []concertsim.Fault {
	var mix []concertsim.Fault
	for _, name := range FaultKinds(pos.Concert) {
		name, _, _ = strings.Cut(name, "[")
		f, _ := ParseFault(pos.Concert, name)
		mix = append(mix, f.concert)
	}
	return mix
}

// journalPoll is how often the log looks at the simulator's journal.
const journalPoll = 100 * time.Millisecond

// watch logs every new transaction of the journal, and every change of
// its status (a ZVT payment goes from awaiting_ack to approved or
// auto_reversed), in one short line each. The simulators have no log
// hook of their own; their journal is their ground truth, so it is what
// the log reports.
func (s *Simulator) watch(ctx context.Context) {
	seen := s.seen
	tick := time.NewTicker(journalPoll)
	defer tick.Stop()
	for {
		s.logJournal(seen, true)
		select {
		case <-ctx.Done():
			s.logJournal(seen, true)
			return
		case <-tick.C:
		}
	}
}

// prime takes the journal the state file brought as already seen: it is
// history, logged as one line, not replayed.
func (s *Simulator) prime() {
	s.seen = map[int64]string{}
	if n := s.logJournal(s.seen, false); n > 0 {
		s.log.Info("journal loaded from the state file", "transactions", n)
	}
}

// logJournal logs (if log) the entries not in seen and returns how many
// there were.
func (s *Simulator) logJournal(seen map[int64]string, log bool) int {
	n := 0
	switch {
	case s.zvt != nil:
		for _, tx := range s.zvt.Journal() {
			key := string(tx.Status) + "/" + string(tx.Fault)
			if seen[int64(tx.Seq)] == key {
				continue
			}
			seen[int64(tx.Seq)] = key
			if n++; !log {
				continue
			}
			attrs := []any{"seq", tx.Seq, "status", tx.Status, "amount", tx.Amount, "result", fmt.Sprintf("%02X", tx.ResultCode)}
			if tx.Trace != 0 {
				attrs = append(attrs, "trace", tx.Trace)
			}
			if tx.Receipt != 0 {
				attrs = append(attrs, "receipt", tx.Receipt)
			}
			if tx.Card.Name != "" {
				attrs = append(attrs, "card", tx.Card.Name, "pan", pos.MaskPAN(tx.Card.PAN))
			}
			if tx.Fault != "" {
				attrs = append(attrs, "fault", tx.Fault)
			}
			s.log.Info("zvt "+tx.Kind, attrs...)
		}
	case s.concert != nil:
		for _, e := range s.concert.Journal() {
			if _, ok := seen[e.Seq]; ok {
				continue
			}
			seen[e.Seq] = e.Status
			if n++; !log {
				continue
			}
			attrs := []any{"seq", e.Seq, "status", e.Status, "charged", e.Charged, "amount", e.Amount, "priv", e.Priv}
			if e.Fault != "" {
				attrs = append(attrs, "fault", e.Fault)
			}
			s.log.Info("concert payment", attrs...)
		}
	}
	return n
}
