package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// The simulated terminals run in the harness, each on a pseudo-terminal
// whose slave side feepos opens as its serial port. They outlive every
// feepos process: their journals are the truth the run is checked
// against. feepos's config names a stable symbolic link per terminal
// (ports/<id>) rather than the /dev/pts path, so a terminal that hangs up
// and comes back on a new pseudo-terminal (a replugged USB terminal) is
// found again at the next open.

// Timers of the harness: shorter than the protocols' so that a hung
// terminal holds a run for seconds, not minutes, with the ratios each
// protocol relies on (the same as bench/terminalsoak's): ZVT's driver
// asks for more time well inside the terminal's wait for an answer (T3)
// and waits for the repeated result well beyond the terminal's repeat; the
// Concert terminal's ACK timer is longer than the driver's.
var (
	simZVT = zvt.Timers{T1: 200 * time.Millisecond, T2: time.Second, T3: time.Second, T4: 3 * time.Second, MaxResends: 2}

	simConcert = concert.Timers{ACK: 700 * time.Millisecond, ENQAttempts: 3, ENQRetryPause: 100 * time.Millisecond,
		FrameAttempts: 3, ByteGap: 500 * time.Millisecond}

	// concertAnswer is the driver's wait for the terminal's answer.
	concertAnswer = 3 * time.Second
)

// zvtTimersTOML and concertTimersTOML are the [terminals.timers] feepos
// is configured with for the simulators above.
const (
	zvtTimersTOML = `t1 = "200ms"
t2 = "1s"
t3 = "1s"
t4 = "3s"
max_resends = 2
hold_answer = "300ms"
hold_repeat = "1500ms"
max_hold = "4s"
`
	concertTimersTOML = `ack = "500ms"
enq_attempts = 3
enq_retry_pause = "100ms"
frame_attempts = 3
byte_gap = "500ms"
eot = "500ms"
answer = "3s"
`
)

// quietAfter bounds how long a simulated terminal may still work on a
// transaction after the last command it took (a hang, a late answer, a
// held ZVT result with its repeats): the settling run waits this long so
// that every late answer meets a running feepos.
func quietAfter() time.Duration {
	return max(simZVT.T4+2*simZVT.T3, concertAnswer+2500*time.Millisecond) + 3*time.Second
}

// zvtFaults are the ZVT faults drawn at random: declines, aborts, hangs,
// slow cards and the line's troubles. Left out: unsolicited messages and
// the result of the wrong length (nothing of the payment flow), and the
// timers the terminal shortens on its own.
var zvtFaults = []zvtsim.FaultKind{
	zvtsim.FaultDecline, zvtsim.FaultDecline, zvtsim.FaultCustomerAbort, zvtsim.FaultCardError, zvtsim.FaultSlowCard,
	zvtsim.FaultHang, zvtsim.FaultNAK, zvtsim.FaultBadCRC, zvtsim.FaultByteGap, zvtsim.FaultDropAck, zvtsim.FaultHangUp,
	zvtsim.FaultGarbage, zvtsim.FaultDuplicate, zvtsim.FaultNoAckReverse, zvtsim.FaultLostAnswer,
	zvtsim.FaultAbortAfterAck, zvtsim.FaultAbortHeld, zvtsim.FaultStatusUnknownField, zvtsim.FaultBusyMenu,
}

// concertFaults are the Concert faults drawn at random, their delays
// scaled to the harness's timers. Left out: a wrong amount or reference
// in the answer and payments keyed in on the terminal (the journal is
// matched to the requests by amount), and shortened timers.
func concertFaults() []concertsim.Fault {
	f := func(k concertsim.FaultKind, count int, d time.Duration) concertsim.Fault {
		return concertsim.Fault{Kind: k, Count: count, Delay: d}
	}
	return []concertsim.Fault{
		f(concertsim.FaultDecline, 0, 0), f(concertsim.FaultDecline, 0, 0), f(concertsim.FaultAbort, 0, 0),
		f(concertsim.FaultAbandon, 0, 0), f(concertsim.FaultSlowCard, 0, time.Second), f(concertsim.FaultHang, 0, 0),
		f(concertsim.FaultNAKRequest, 1, 0), f(concertsim.FaultBadLRC, 1, 0), f(concertsim.FaultByteGap, 0, 100*time.Millisecond),
		f(concertsim.FaultDropENQACK, 1, 0), f(concertsim.FaultDropACK, 1, 0), f(concertsim.FaultHangUp, 0, 0),
		f(concertsim.FaultGarbage, 0, 0), f(concertsim.FaultDuplicate, 0, 0),
		f(concertsim.FaultLateAnswer, 0, concertAnswer+300*time.Millisecond),
		f(concertsim.FaultBusy, 0, 300*time.Millisecond), f(concertsim.FaultAnswerACKLost, 1, 0),
	}
}

// journalTx is one transaction of a simulator's journal, the same for
// both protocols.
type journalTx struct {
	Terminal string `json:"terminal"`
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"` // payment, reversal, refund
	Amount   int64  `json:"amount"`
	Ref      string `json:"ref,omitempty"` // Concert: the request's reference (PRIV)
	Status   string `json:"status"`
	Charged  bool   `json:"charged"` // the money moved and stands
	// Approved: the terminal approved it (whether it stands or was
	// reversed afterwards, by itself or by feepos).
	Approved bool   `json:"approved"`
	Reversed bool   `json:"reversed"` // approved, then reversed (not acknowledged, voided)
	Fault    string `json:"fault,omitempty"`
}

// terminal is one simulated terminal.
type terminal struct {
	ID    string
	Proto pos.Protocol
	Link  string // the stable path in feepos's config: a symbolic link to the pseudo-terminal
	zvt   *zvtsim.Sim
	conc  *concertsim.Sim

	mu      sync.Mutex
	path    string
	replugs int

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startTerminal starts a simulated terminal on a new pseudo-terminal and
// points portsDir/<id> at it.
func startTerminal(ctx context.Context, id string, proto pos.Protocol, seed uint64, faultRate float64, portsDir string) (*terminal, error) {
	t := &terminal{ID: id, Proto: proto, Link: filepath.Join(portsDir, id), done: make(chan struct{})}
	ctx, t.cancel = context.WithCancel(ctx)
	var err error
	switch proto {
	case pos.ZVT:
		zc := zvtsim.Config{TerminalID: fmt.Sprintf("2900%04d", seed%10000), Timers: simZVT}
		if faultRate > 0 {
			zc.Random = &zvtsim.RandomFaults{Seed: int64(seed >> 1), Probability: faultRate, Kinds: zvtFaults}
		}
		if t.zvt, err = zvtsim.New(zc); err == nil {
			err = t.serveZVT(ctx)
		}
	case pos.Concert:
		cc := concertsim.Config{Timers: simConcert, Seed: int64(seed >> 1)}
		if faultRate > 0 {
			cc.FaultRate, cc.FaultMix = faultRate, concertFaults()
		}
		if t.conc, err = concertsim.New(cc); err == nil {
			err = t.serveConcert(ctx)
		}
	default:
		err = fmt.Errorf("protocol %q: zvt or concert", proto)
	}
	if err != nil {
		t.cancel()
		return nil, fmt.Errorf("terminal %s: %w", id, err)
	}
	return t, nil
}

// plugged points the terminal's link at its (new) pseudo-terminal.
func (t *terminal) plugged(path string) error {
	t.mu.Lock()
	if t.path != "" {
		t.replugs++
	}
	t.path = path
	t.mu.Unlock()
	tmp := t.Link + ".new"
	_ = os.Remove(tmp)
	if err := os.Symlink(path, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, t.Link)
}

// Replugs counts the new pseudo-terminals after a hang_up.
func (t *terminal) Replugs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.replugs
}

func (t *terminal) serveZVT(ctx context.Context) error {
	ps, err := t.zvt.ServePTY(ctx)
	if err != nil {
		return err
	}
	if err := t.plugged(ps.Path); err != nil {
		_ = ps.Close()
		return err
	}
	go func() {
		defer close(t.done)
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
			next, err := t.zvt.ServePTY(ctx)
			if err == nil {
				err = t.plugged(next.Path)
			}
			if err != nil {
				t.err = fmt.Errorf("terminal %s: replug: %w", t.ID, err)
				return
			}
			ps = next
		}
	}()
	return nil
}

func (t *terminal) serveConcert(ctx context.Context) error {
	p, err := transport.NewPTY()
	if err != nil {
		return err
	}
	if err := t.plugged(p.SlavePath); err != nil {
		_ = p.Close()
		return err
	}
	go func() {
		defer close(t.done)
		for {
			err := t.conc.Serve(ctx, p.Master)
			_ = p.Close()
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, concertsim.ErrHungUp) {
				t.err = fmt.Errorf("terminal %s: the simulator stopped: %w", t.ID, err)
				return
			}
			if p, err = transport.NewPTY(); err == nil {
				err = t.plugged(p.SlavePath)
			}
			if err != nil {
				t.err = fmt.Errorf("terminal %s: replug: %w", t.ID, err)
				return
			}
		}
	}()
	return nil
}

// stop stops the simulator and returns why it had stopped on its own, if
// it had.
func (t *terminal) stop() error {
	t.cancel()
	<-t.done
	return t.err
}

// busy reports whether a ZVT terminal is inside a transaction (running,
// or its result not yet acknowledged). A Concert terminal's work is not
// visible from outside: quietAfter bounds it.
func (t *terminal) busy() bool {
	if t.zvt == nil {
		return false
	}
	if last, ok := t.zvt.Last(); ok {
		return last.Status == zvtsim.Running || last.Status == zvtsim.Awaiting
	}
	return false
}

// configTOML is the terminal's [[terminals]] entry.
func (t *terminal) configTOML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[[terminals]]\nid = %q\nprotocol = %q\ncounter = %q\nport = %q\npoll_interval = \"2s\"\n",
		t.ID, string(t.Proto), "Quầy "+t.ID, t.Link)
	b.WriteString("[terminals.timers]\n")
	if t.Proto == pos.ZVT {
		b.WriteString(zvtTimersTOML)
	} else {
		b.WriteString(concertTimersTOML)
	}
	return b.String()
}

// journal is the terminal's journal, protocol-neutral.
func (t *terminal) journal() []journalTx {
	var out []journalTx
	if t.zvt != nil {
		for _, tx := range t.zvt.Journal() {
			j := journalTx{Terminal: t.ID, Seq: int64(tx.Seq), Kind: tx.Kind, Amount: tx.Amount, Status: string(tx.Status),
				Fault: string(tx.Fault)}
			j.Charged = tx.Status == zvtsim.Approved || (tx.Kind == "payment" && tx.Status == zvtsim.Voided)
			j.Reversed = tx.Status == zvtsim.AutoReversed || (tx.Kind == "payment" && tx.Status == zvtsim.Voided)
			j.Approved = j.Charged || j.Reversed || tx.Status == zvtsim.Awaiting
			if tx.Kind == "payment" && tx.Status == zvtsim.Voided {
				j.Charged = false // voided by a reversal: the money went back
			}
			out = append(out, j)
		}
		return out
	}
	for _, e := range t.conc.Journal() {
		out = append(out, journalTx{Terminal: t.ID, Seq: e.Seq, Kind: "payment", Amount: e.Amount, Ref: e.Priv,
			Status: e.Status, Charged: e.Charged, Approved: e.Charged, Fault: string(e.Fault)})
	}
	return out
}

// approvalWatch calls fn whenever a terminal has just sent an approval:
// a ZVT result awaiting its acknowledgement, or a Concert charge not yet
// acknowledged. It polls the simulators (they have no hooks) every few
// milliseconds until ctx ends.
func approvalWatch(ctx context.Context, terms []*terminal, fn func(terminal string)) {
	seen := map[string]int64{}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range terms {
			if t.zvt != nil {
				if last, ok := t.zvt.Last(); ok && last.Status == zvtsim.Awaiting && int64(last.Seq) > seen[t.ID] {
					seen[t.ID] = int64(last.Seq)
					fn(t.ID)
				}
				continue
			}
			j := t.conc.Journal()
			if n := len(j); n > 0 && j[n-1].Seq > seen[t.ID] {
				seen[t.ID] = j[n-1].Seq
				if j[n-1].Charged && !j[n-1].Acked {
					fn(t.ID)
				}
			}
		}
	}
}
