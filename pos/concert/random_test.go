package concert_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
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
}

// unknownAllowed says whether a fault makes the outcome undeterminable.
func unknownAllowed(f concertsim.Fault) bool {
	switch f.Kind {
	case concertsim.FaultAbandon, concertsim.FaultHang, concertsim.FaultHangUp,
		concertsim.FaultWrongPriv, concertsim.FaultWrongAmount:
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
// faults and checks every outcome against what the simulated terminal
// actually did. It runs in a synctest bubble on a transport.Pipe: every
// timer is on the bubble's fake clock, so a slow card of 119 ms is always
// within the 200 ms answer wait, however busy the machine. FEEPOS_CONCERT_SEED
// replays a run; FEEPOS_CONCERT_RUNS changes its length (default 1000,
// 20000 with FEEPOS_SOAK=1).
func TestRandomConversationsAgainstJournal(t *testing.T) {
	seed := uint64(time.Now().UnixNano()) // outside the bubble: its clock starts at a fixed time
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
		sim, err := concertsim.New(concertsim.Config{Timers: randomSimTimers, Seed: int64(seed), StatePath: statePath})
		require.NoError(t, err)
		r := newRigTimers(t, sim, randomDriverTimers)

		start := time.Now()
		counts := map[pos.Outcome]int{}
		faults := map[concertsim.FaultKind]int{}
		spent := map[string]time.Duration{}
		var chargedTotal int64
		for i := range runs {
			f := drawFault(rng)
			amount := 1 + rng.Int64N(concert.MaxAmount)
			if rng.IntN(2) == 0 {
				amount = 1_000 * (1 + rng.Int64N(5_000))
			}
			ref := fmt.Sprintf("P%09d", i)
			sim.Inject(f)
			began := time.Now()
			p, err := r.term.Pay(context.Background(), pos.Request{Amount: amount, Reference: ref}, nil)
			res := p.Result()
			checkPayError(t, res, err)
			key := string(f.Kind)
			if rng.IntN(50) == 0 {
				key += "+reject"
				_ = p.Reject(context.Background())
			} else {
				_ = p.Confirm(context.Background())
			}
			spent[key] += time.Since(began)
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
			case pos.TransportError:
				require.Empty(t, charged, where)
				for _, e := range sim.Journal() {
					require.NotEqual(t, ref, e.Priv, "a transport error must mean the terminal never ran it: "+where)
				}
			case pos.Unknown:
				require.True(t, unknownAllowed(f), "Unknown without a fault that hides the result: "+where)
			default:
				require.Failf(t, "unexpected outcome", where)
			}
		}
		st := sim.State()
		require.Equal(t, chargedTotal, st.ChargedTotal, "the simulator's counters match its journal")
		if statePath != "" {
			again, err := concertsim.New(concertsim.Config{StatePath: statePath})
			require.NoError(t, err)
			require.Equal(t, st, again.State(), "the state file holds the counters")
		}
		t.Logf("%d conversations in %v; outcomes %v; faults %v", runs, time.Since(start).Round(time.Millisecond), counts, faults)
		t.Logf("time per fault: %v", spent)
	})
}
