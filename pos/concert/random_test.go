package concert_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/soak"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim/concertsim"
)

// The randomized run uses tighter timers than the other tests: about
// half, the terminal's still above the driver's.
var (
	randomDriverTimers = concert.Timers{ACK: 50 * time.Millisecond, ENQRetryPause: 5 * time.Millisecond,
		ByteGap: 30 * time.Millisecond, EOT: 80 * time.Millisecond, Answer: 200 * time.Millisecond}
	randomSimTimers = concert.Timers{ACK: 80 * time.Millisecond, ENQRetryPause: 5 * time.Millisecond,
		ByteGap: 30 * time.Millisecond}
)

// weightedFault is a fault with how often the randomized run draws it.
type weightedFault struct {
	weight int
	fault  func(r *rand.Rand) concertsim.Fault
}

var randomFaults = []weightedFault{
	{40, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{} }},
	{6, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultDecline} }},
	{4, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultAbort} }},
	{2, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultAbandon} }},
	{3, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: time.Duration(r.IntN(120)) * time.Millisecond}
	}},
	{1, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultHang} }},
	{4, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultNAKRequest, Count: 1 + r.IntN(concert.FrameAttempts)}
	}},
	{4, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultBadLRC, Count: 1 + r.IntN(concert.FrameAttempts)}
	}},
	{3, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultByteGap, Delay: time.Duration(2+r.IntN(50)) * time.Millisecond}
	}},
	// At most ENQAttempts-1 lost: with all lost the driver gives up before
	// the terminal saw a request, and the sim would keep that fault for
	// the next one (TestPayOutcomes covers "every time").
	{3, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultDropENQACK, Count: 1 + r.IntN(concert.ENQAttempts-1)}
	}},
	{3, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultDropACK, Count: 1 + r.IntN(concert.FrameAttempts)}
	}},
	{1, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultHangUp} }},
	{4, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultGarbage} }},
	{3, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultDuplicate} }},
	{3, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultLRCIsSTX} }},
	{1, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultWrongPriv} }},
	{1, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultWrongAmount} }},
	// Answers after the driver's 200 ms wait: while the terminal works on,
	// the next payments find it deaf (transport errors) or cross its answer.
	{2, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultLateAnswer, Delay: time.Duration(201+r.IntN(600)) * time.Millisecond}
	}},
	{2, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultBusy, Delay: time.Duration(1+r.IntN(400)) * time.Millisecond}
	}},
	{2, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultAnswerACKLost, Count: 1 + r.IntN(concert.FrameAttempts)}
	}},
	{1, func(*rand.Rand) concertsim.Fault { return concertsim.Fault{Kind: concertsim.FaultUnsolicited} }},
	{2, func(r *rand.Rand) concertsim.Fault {
		return concertsim.Fault{Kind: concertsim.FaultShortTimers, Delay: time.Duration(5+r.IntN(45)) * time.Millisecond}
	}},
}

// unknownAllowed says whether a fault makes the outcome undeterminable.
func unknownAllowed(f concertsim.Fault) bool {
	switch f.Kind {
	case concertsim.FaultAbandon, concertsim.FaultHang, concertsim.FaultHangUp,
		concertsim.FaultWrongPriv, concertsim.FaultWrongAmount, concertsim.FaultLateAnswer:
		return true
	case concertsim.FaultBadLRC:
		return f.Count >= concert.FrameAttempts
	case concertsim.FaultByteGap:
		// A silence longer than the driver's ByteGap costs one reception;
		// the tail of the broken frame may hold an EOT-valued LRC byte.
		// At exactly ByteGap the byte and the timer are due at the same
		// instant: either may come first.
		return f.Delay >= randomDriverTimers.ByteGap
	}
	return false
}

func drawFault(r *rand.Rand) concertsim.Fault {
	total := 0
	for _, w := range randomFaults {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range randomFaults {
		if n < w.weight {
			return w.fault(r)
		}
		n -= w.weight
	}
	panic("unreachable")
}

// TestRandomConversationsAgainstJournal runs many payments with mixed
// faults, some of them with a wait the caller cancels, and checks every
// outcome against what the simulated terminal actually did: an approved
// payment was charged once, a refused or unsent one not at all, each
// payment ends with its final event; and at the end, every answer the
// terminal counts delivered reached feepos, as a result or as an orphan,
// and every orphan Judge settles agrees with the terminal's journal. It
// runs in a synctest bubble on a transport.Pipe: every timer is on the
// bubble's fake clock, so a slow card of 119 ms is always within the
// 200 ms answer wait, however busy the machine. FEEPOS_CONCERT_SEED
// replays a run; FEEPOS_CONCERT_RUNS changes its length (default 1000,
// 20000 with FEEPOS_SOAK=1).
func TestRandomConversationsAgainstJournal(t *testing.T) {
	seed := uint64(time.Now().UnixNano()) // outside the bubble: its clock starts at a fixed time
	var err error
	if s := os.Getenv("FEEPOS_CONCERT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "FEEPOS_CONCERT_SEED")
		seed = v
	}
	runs := soak.Pick(1000, 20000)
	if s := os.Getenv("FEEPOS_CONCERT_RUNS"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "FEEPOS_CONCERT_RUNS")
		runs = v
	}
	if testing.Short() {
		runs = 200
	}
	synctest.Test(t, func(t *testing.T) {
		t.Logf("seed %d (replay: FEEPOS_CONCERT_SEED=%d go test -run %s ./pos/concert/)", seed, seed, t.Name())
		rng := rand.New(rand.NewPCG(seed, seed>>1|1))
		// The state file (fsync'd after every transaction: most of the run
		// time on a disk) is kept and checked in the long run only;
		// concertsim's own tests check it in every run.
		statePath := ""
		if soak.Enabled() {
			statePath = t.TempDir() + "/state.json"
		}
		// FEEPOS_CONCERT_TRACE=N prints the line from conversation N on
		// (with a replayed seed: what led to a failure).
		traceFrom := -1
		if s := os.Getenv("FEEPOS_CONCERT_TRACE"); s != "" {
			traceFrom, err = strconv.Atoi(s)
			require.NoError(t, err, "FEEPOS_CONCERT_TRACE")
		}
		var tracing atomic.Bool // the simulator's goroutine traces too
		t0 := time.Now()
		logf := func(format string, args ...any) {
			if tracing.Load() {
				fmt.Printf("%9v "+format+"\n", append([]any{time.Since(t0)}, args...)...)
			}
		}
		sim, err := concertsim.New(concertsim.Config{Timers: randomSimTimers, Seed: int64(seed), StatePath: statePath,
			Trace: func(dir string, b []byte) { logf("%s % x", dir, b) }})
		require.NoError(t, err)
		r := newRigTimers(t, sim, randomDriverTimers)

		start := time.Now()
		counts := map[pos.Outcome]int{}
		faults := map[concertsim.FaultKind]int{}
		spent := map[string]time.Duration{}
		results := map[string]pos.Result{}
		attempts := map[string]pos.AttemptFacts{}
		orphans := map[string][]pos.Orphan{}
		takeOrphans := func() { // the rig's channel holds 64
			for len(r.orphans) > 0 {
				o := <-r.orphans
				orphans[o.Result.Reference] = append(orphans[o.Result.Reference], o)
			}
		}
		var chargedTotal int64
		for i := range runs {
			f := drawFault(rng)
			amount := 1 + rng.Int64N(concert.MaxAmount)
			if rng.IntN(2) == 0 {
				amount = 1_000 * (1 + rng.Int64N(5_000))
			}
			ref := fmt.Sprintf("P%09d", i)
			// A fault meant for an earlier payment that never reached the
			// terminal (it was busy) must not hit this one.
			sim.ClearFaults()
			sim.Inject(f)
			tracing.Store(traceFrom >= 0 && i >= traceFrom)
			logf("conversation %d %s fault %+v", i, ref, f)
			began := time.Now()
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			cancelled := rng.IntN(25) == 0
			if cancelled {
				ctx, cancel = context.WithTimeout(ctx, time.Duration(rng.IntN(250))*time.Millisecond)
			}
			attempts[ref] = pos.AttemptFacts{Kind: pos.KindPay, Reference: ref, Amount: amount, StartedAt: began}
			events := make(chan pos.Event, 32)
			p, err := r.term.Pay(ctx, pos.Request{Amount: amount, Reference: ref}, events)
			cancel()
			res := p.Result()
			logf("conversation %d: %s (%s)", i, res.Outcome, res.Text)
			results[ref] = res
			checkPayError(t, res, err)
			checkFinal(t, drain(events), res)
			takeOrphans()
			key := string(f.Kind)
			if cancelled {
				key += "+cancel"
			}
			if rng.IntN(50) == 0 {
				key += "+reject"
				_ = p.Reject(context.Background())
			} else {
				_ = p.Confirm(context.Background())
			}
			if res.Outcome == pos.Busy {
				// Still with a payment whose caller left: a manager would
				// queue this one; the run lets the time pass.
				time.Sleep(randomDriverTimers.Answer)
			}
			spent[key] += time.Since(began)
			// The fault the terminal ran this payment with: the one drawn,
			// unless the terminal was still in a transaction of the last
			// payments' (a busy or late one) when this one came.
			// No entry: the terminal ran nothing for it (a busy one, a
			// refused request), nor the fault.
			if i := slices.IndexFunc(sim.Journal(), func(e concertsim.Entry) bool { return e.Priv == ref }); i >= 0 {
				f = sim.Journal()[i].Applied
			} else if f.Kind == concertsim.FaultHangUp {
				f = concertsim.Fault{}
			}
			if f.Kind == concertsim.FaultHangUp {
				r.reconnectAfterHangUp()
			}
			counts[res.Outcome]++
			faults[f.Kind]++

			where := fmt.Sprintf("seed %d conversation %d fault %+v: outcome %s (%s)", seed, i, f, res.Outcome, res.Text)
			charged := sim.Charged(ref)
			for _, e := range charged {
				chargedTotal += e.Amount
			}
			switch res.Outcome {
			case pos.Approved:
				require.Len(t, charged, 1, where)
				require.Equal(t, amount, charged[0].Amount, where)
				require.Equal(t, ref, res.Reference, where)
				require.Equal(t, amount, res.Amount, where)
			case pos.Declined, pos.Aborted:
				require.Empty(t, charged, where)
			case pos.TransportError, pos.Busy:
				require.Empty(t, charged, where)
				for _, e := range sim.Journal() {
					require.NotEqual(t, ref, e.Priv, "a transport error must mean the terminal never ran it: "+where)
				}
			case pos.Unknown:
				require.True(t, cancelled || unknownAllowed(f), "Unknown without a fault that hides the result: "+where)
			default:
				require.Failf(t, "unexpected outcome", where)
			}
		}

		// Late answers still on their way come in; then every answer the
		// terminal counts delivered must have reached feepos.
		time.Sleep(time.Hour)
		takeOrphans()
		settled := map[pos.Verdict]int{}
		inDoubt := map[concertsim.FaultKind]int{}
		for _, e := range sim.Journal() {
			where := fmt.Sprintf("seed %d journal entry %+v", seed, e)
			if e.Priv == "" { // an answer the terminal sent on its own
				require.Equal(t, concertsim.FaultUnsolicited, e.Fault, where)
				if e.Acked {
					require.NotEmpty(t, orphans[""], "an unsolicited answer acknowledged but not delivered: "+where)
				}
				continue
			}
			res := results[e.Priv]
			if res.Outcome != pos.Unknown {
				continue // checked above
			}
			verdict := pos.StillUnknown
			for _, o := range orphans[e.Priv] {
				f := pos.Judge(attempts[e.Priv], pos.Evidence{Source: pos.EvidenceOrphan, Result: o.Result, At: o.At}, time.UTC, pos.DefaultClockSkew)
				if f.Verdict != pos.StillUnknown {
					require.True(t, verdict == pos.StillUnknown || verdict == f.Verdict, "two orphans disagree: "+where)
					verdict = f.Verdict
				}
			}
			switch verdict {
			case pos.Charged:
				require.True(t, e.Charged, "an orphan proves a charge the terminal did not take: "+where)
			case pos.NotCharged:
				require.False(t, e.Charged, "an orphan proves no charge where the terminal took one: "+where)
			default:
				inDoubt[e.Fault]++
				if e.Acked && e.Status != string(concert.StatusNotVerified) {
					// The terminal counts its answer delivered: feepos has it,
					// as the (unknown) result or as an orphan naming another
					// reference (wrong_priv, wrong_amount).
					require.Contains(t, []concertsim.FaultKind{concertsim.FaultWrongPriv, concertsim.FaultWrongAmount}, e.Fault,
						"an answer the terminal counts delivered settles nothing: "+where)
				}
			}
			settled[verdict]++
		}
		for ref, os := range orphans {
			if ref == "" || strings.HasPrefix(ref, "ZZ") {
				continue
			}
			_, ok := results[ref]
			require.True(t, ok, "an orphan for a reference never sent: %+v", os)
		}

		// No charge twice, none behind an outcome that says "not charged".
		var journalTotal int64
		byRef := map[string]int{}
		for _, e := range sim.Journal() {
			if !e.Charged {
				continue
			}
			journalTotal += e.Amount
			if e.Priv == "" {
				continue
			}
			byRef[e.Priv]++
			require.Equal(t, 1, byRef[e.Priv], "charged twice: %+v", e)
			switch o := results[e.Priv].Outcome; o {
			case pos.Approved, pos.Unknown:
			default:
				require.Failf(t, "a charge behind a 'not charged' outcome", "%s: %+v", o, e)
			}
		}
		st := sim.State()
		require.Equal(t, journalTotal, st.ChargedTotal, "the simulator's counters match its journal")
		require.LessOrEqual(t, chargedTotal, journalTotal)
		if statePath != "" {
			again, err := concertsim.New(concertsim.Config{StatePath: statePath})
			require.NoError(t, err)
			require.Equal(t, st, again.State(), "the state file holds the counters")
		}
		t.Logf("%d conversations in %v; outcomes %v; faults %v", runs, time.Since(start).Round(time.Millisecond), counts, faults)
		t.Logf("unknown outcomes of transactions the terminal ran, by what orphans proved: %v; left in doubt, by fault: %v", settled, inDoubt)
		t.Logf("time per fault: %v", spent)
	})
}
