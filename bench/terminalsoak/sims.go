package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// The simulated terminals run in the parent process, each on a
// pseudo-terminal whose slave path the child opens as a serial port. They
// outlive every child: their journals are the truth the soak is checked
// against. A hang_up fault closes a terminal's pseudo-terminal and a new
// one comes up under another path (a replugged USB terminal); the current
// path is kept in a file of the ports folder, which the child's resolver
// reads at every (re)open.

// Timers of the soak. Shorter than the protocols' (a hung ZVT terminal
// would otherwise hold the soak for three minutes), in real time over
// pseudo-terminals, with the ratios each protocol relies on: ZVT's
// driver asks for more time (hold_answer) well inside the terminal's wait
// for an answer (T3), and waits for the repeated result (hold_repeat)
// well beyond the terminal's repeat (T3/2); the Concert terminal's ACK
// timer is longer than the driver's, so the driver's deadline for a held
// answer comes before the terminal gives up.
var (
	soakZVT = zvt.Timers{T1: 200 * time.Millisecond, T2: time.Second, T3: time.Second, T4: 3 * time.Second, MaxResends: 2}

	soakZVTConfig = config.Timers{T1: dur(soakZVT.T1), T2: dur(soakZVT.T2), T3: dur(soakZVT.T3), T4: dur(soakZVT.T4),
		MaxResends: soakZVT.MaxResends, HoldAnswer: dur(300 * time.Millisecond), HoldRepeat: dur(1500 * time.Millisecond),
		MaxHold: dur(4 * time.Second)}

	soakConcertDriver = concert.Timers{ACK: 500 * time.Millisecond, ENQAttempts: 3, ENQRetryPause: 100 * time.Millisecond,
		FrameAttempts: 3, ByteGap: 500 * time.Millisecond, EOT: 500 * time.Millisecond, Answer: 3 * time.Second}

	soakConcertConfig = config.Timers{ACK: dur(soakConcertDriver.ACK), ENQAttempts: soakConcertDriver.ENQAttempts,
		ENQRetryPause: dur(soakConcertDriver.ENQRetryPause), FrameAttempts: soakConcertDriver.FrameAttempts,
		ByteGap: dur(soakConcertDriver.ByteGap), EOT: dur(soakConcertDriver.EOT), Answer: dur(soakConcertDriver.Answer)}

	soakConcertTerminal = concert.Timers{ACK: 700 * time.Millisecond, ENQAttempts: 3, ENQRetryPause: 100 * time.Millisecond,
		FrameAttempts: 3, ByteGap: 500 * time.Millisecond}
)

// soakZVTHang is how long a hung ZVT terminal stays silent (the
// simulator's default, T4 + 2·T3).
var soakZVTHang = soakZVT.T4 + 2*soakZVT.T3

// quietAfter bounds how long a simulated terminal may still work on
// something after the last command it took: a hang, a late Concert
// answer, a held ZVT result with its repeats. The final settling waits
// this long so that every late answer meets a running feepos.
func quietAfter() time.Duration {
	return max(soakZVTHang, concertLateMax) + 3*time.Second
}

func dur(d time.Duration) config.Duration { return config.Duration{Duration: d} }

// Concert faults of the soak's random mix: every kind of concertsim, its
// delays scaled to the soak's timers (a late answer comes after the
// driver's 3 s answer wait; a busy menu outlasts the driver's knocking,
// about 1.7 s, or not).
const (
	concertLateMin = soakConcertDriverAnswer + 300*time.Millisecond
	concertLateMax = soakConcertDriverAnswer + 2500*time.Millisecond

	soakConcertDriverAnswer = 3 * time.Second
)

func concertMix() []concertsim.Fault {
	f := func(k concertsim.FaultKind, count int, d time.Duration) concertsim.Fault {
		return concertsim.Fault{Kind: k, Count: count, Delay: d}
	}
	return []concertsim.Fault{
		f(concertsim.FaultDecline, 0, 0), f(concertsim.FaultAbort, 0, 0), f(concertsim.FaultAbandon, 0, 0),
		f(concertsim.FaultSlowCard, 0, 300*time.Millisecond), f(concertsim.FaultSlowCard, 0, time.Second),
		f(concertsim.FaultHang, 0, 0),
		f(concertsim.FaultNAKRequest, 1, 0), f(concertsim.FaultNAKRequest, 3, 0),
		f(concertsim.FaultBadLRC, 1, 0), f(concertsim.FaultBadLRC, 2, 0),
		f(concertsim.FaultByteGap, 0, 100*time.Millisecond), f(concertsim.FaultByteGap, 0, 700*time.Millisecond),
		f(concertsim.FaultDropENQACK, 1, 0), f(concertsim.FaultDropENQACK, 2, 0),
		f(concertsim.FaultDropACK, 1, 0), f(concertsim.FaultDropACK, 3, 0),
		f(concertsim.FaultHangUp, 0, 0), f(concertsim.FaultGarbage, 0, 0), f(concertsim.FaultDuplicate, 0, 0),
		f(concertsim.FaultLRCIsSTX, 0, 0), f(concertsim.FaultWrongPriv, 0, 0), f(concertsim.FaultWrongAmount, 0, 0),
		f(concertsim.FaultLateAnswer, 0, concertLateMin), f(concertsim.FaultLateAnswer, 0, concertLateMax),
		f(concertsim.FaultBusy, 0, 300*time.Millisecond), f(concertsim.FaultBusy, 0, 2500*time.Millisecond),
		f(concertsim.FaultAnswerACKLost, 1, 0), f(concertsim.FaultAnswerACKLost, 3, 0),
		f(concertsim.FaultUnsolicited, 0, 0), f(concertsim.FaultShortTimers, 0, 200*time.Millisecond),
	}
}

// termSim is one simulated terminal and the configuration the child
// gives the manager for it.
type termSim struct {
	cfg      config.Terminal
	zvt      *zvtsim.Sim
	conc     *concertsim.Sim
	portFile string
	// repeatsOriginal: the terminal repeats the original receipt after a
	// reversal (zvtsim repeat_original), and is configured so.
	repeatsOriginal bool

	mu      sync.Mutex
	path    string
	replugs int

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// simSpec says which terminal to start.
type simSpec struct {
	id              string
	proto           pos.Protocol
	seed            uint64
	faultRate       float64
	repeatsOriginal bool
}

// startSim starts a simulated terminal on a new pseudo-terminal and keeps
// its path in portsDir/<id>.
func startSim(ctx context.Context, sp simSpec, portsDir string) (*termSim, error) {
	ts := &termSim{portFile: filepath.Join(portsDir, sp.id), repeatsOriginal: sp.repeatsOriginal, done: make(chan struct{})}
	ts.cfg = config.Terminal{ID: sp.id, Protocol: string(sp.proto), Counter: "Quầy " + sp.id}
	ctx, ts.cancel = context.WithCancel(ctx)
	var err error
	switch sp.proto {
	case pos.ZVT:
		ts.cfg.Timers = soakZVTConfig
		ts.cfg.RepeatsOriginalReceipt = sp.repeatsOriginal
		zc := zvtsim.Config{TerminalID: fmt.Sprintf("2900%04d", sp.seed%10000), Timers: soakZVT}
		if sp.faultRate > 0 {
			zc.Random = &zvtsim.RandomFaults{Seed: int64(sp.seed), Probability: sp.faultRate}
		}
		if ts.zvt, err = zvtsim.New(zc); err != nil {
			ts.cancel()
			return nil, err
		}
		err = ts.serveZVT(ctx)
	case pos.Concert:
		ts.cfg.Timers = soakConcertConfig
		cc := concertsim.Config{Timers: soakConcertTerminal, Seed: int64(sp.seed)}
		if sp.faultRate > 0 {
			cc.FaultRate, cc.FaultMix = sp.faultRate, concertMix()
		}
		if ts.conc, err = concertsim.New(cc); err != nil {
			ts.cancel()
			return nil, err
		}
		err = ts.serveConcert(ctx)
	default:
		err = fmt.Errorf("protocol %q", sp.proto)
	}
	if err != nil {
		ts.cancel()
		return nil, err
	}
	ts.cfg.Port = ts.Path()
	return ts, nil
}

func (ts *termSim) listening(path string) error {
	ts.mu.Lock()
	if ts.path != "" {
		ts.replugs++
	}
	ts.path = path
	ts.mu.Unlock()
	return writeFileAtomic(ts.portFile, []byte(path+"\n"))
}

// Path is the terminal's pseudo-terminal now.
func (ts *termSim) Path() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.path
}

// Replugs counts the new pseudo-terminals after a hang_up.
func (ts *termSim) Replugs() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.replugs
}

func (ts *termSim) serveZVT(ctx context.Context) error {
	ps, err := ts.zvt.ServePTY(ctx)
	if err != nil {
		return err
	}
	if err := ts.listening(ps.Path); err != nil {
		_ = ps.Close()
		return err
	}
	go func() {
		defer close(ts.done)
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
			// hang_up (or a failed line): plug a new pseudo-terminal in.
			next, err := ts.zvt.ServePTY(ctx)
			if err == nil {
				err = ts.listening(next.Path)
			}
			if err != nil {
				ts.err = fmt.Errorf("terminal %s: replug: %w", ts.cfg.ID, err)
				return
			}
			ps = next
		}
	}()
	return nil
}

func (ts *termSim) serveConcert(ctx context.Context) error {
	p, err := transport.NewPTY()
	if err != nil {
		return err
	}
	if err := ts.listening(p.SlavePath); err != nil {
		_ = p.Close()
		return err
	}
	go func() {
		defer close(ts.done)
		for {
			err := ts.conc.Serve(ctx, p.Master)
			_ = p.Close()
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, concertsim.ErrHungUp) {
				ts.err = fmt.Errorf("terminal %s: the simulator stopped: %w", ts.cfg.ID, err)
				return
			}
			if p, err = transport.NewPTY(); err == nil {
				err = ts.listening(p.SlavePath)
			}
			if err != nil {
				ts.err = fmt.Errorf("terminal %s: replug: %w", ts.cfg.ID, err)
				return
			}
		}
	}()
	return nil
}

// stop stops the simulator and returns why it had stopped on its own, if
// it had.
func (ts *termSim) stop() error {
	ts.cancel()
	<-ts.done
	return ts.err
}

// busy reports whether the terminal is inside a transaction it took (a
// ZVT journal entry still running or awaiting its answer). A Concert
// terminal's work is not visible from outside: quietAfter bounds it.
func (ts *termSim) busy() bool {
	if ts.zvt == nil {
		return false
	}
	for _, tx := range ts.zvt.Journal() {
		if tx.Status == zvtsim.Running || tx.Status == zvtsim.Awaiting {
			return true
		}
	}
	return false
}

// injectBetweenRuns gives the terminal, at random, a fault of what a
// terminal does outside a transaction: refuse the next registration, or
// answer Repeat Receipt by printing only; and tops up repeat_original on
// a terminal that always repeats the original receipt.
func (ts *termSim) injectBetweenRuns(rng *rand.Rand) []string {
	if ts.zvt == nil {
		return nil
	}
	var did []string
	if rng.Float64() < 0.05 {
		ts.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRegistrationRefused})
		did = append(did, string(zvtsim.FaultRegistrationRefused))
	}
	if rng.Float64() < 0.03 {
		ts.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatPrintOnly})
		did = append(did, string(zvtsim.FaultRepeatPrintOnly))
	}
	if ts.repeatsOriginal {
		for range 8 {
			ts.zvt.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatOriginal})
		}
	}
	return did
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
