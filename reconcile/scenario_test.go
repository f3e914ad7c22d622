package reconcile

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Scenario tests: generated days (scenario_gen_test.go) with hundreds of
// payments over several terminals and batches; each injected exception
// must be found, and nothing else.

func keys(res Result) []string {
	ks := make([]string, 0, len(res.Exceptions))
	for _, e := range res.Exceptions {
		ks = append(ks, excKey(e))
	}
	slices.Sort(ks)
	return ks
}

func checkDay(t *testing.T, g *genDay) Result {
	t.Helper()
	res := Run(g.Day)
	got := keys(res)
	if !assert.ElementsMatch(t, g.want, got, "exceptions") {
		for _, e := range res.Exceptions {
			t.Logf("%s: %s", e.Kind, e.Detail)
		}
	}
	assert.Len(t, res.Pending, g.wantPending, "pending: paid after today's cut-off")
	assert.Equal(t, g.wantPending, res.Summary.PendingCount)
	assert.Equal(t, len(res.Exceptions), res.Summary.ExceptionCount)
	offers, lagged := 0, 0
	for _, m := range res.Matches {
		if m.Offer {
			offers++
		}
		if m.LagDays > 0 {
			lagged++
		}
	}
	assert.Equal(t, g.wantOffers, offers, "offers")
	wantLagged := g.wantLagged
	if slices.ContainsFunc(g.want, func(k string) bool { return strings.HasPrefix(k, string(MissingInSettlement)) }) {
		wantLagged-- // its line is the one taken away
	}
	assert.Equal(t, wantLagged, lagged, "lagged matches")
	require.Len(t, res.Resolved, 1, "yesterday's missing_in_settlement whose line came today")
	assert.Equal(t, g.resolvedID, res.Resolved[0].PaymentID)
	assertOneMatchEach(t, g.Day, res)
	return res
}

func TestScenarioCleanDay(t *testing.T) {
	for seed := range uint64(5) {
		g := generate(seed, 600, 6, inject{})
		res := checkDay(t, g)
		s := res.Summary
		assert.Zero(t, s.ExceptionCount)
		// Every payment of the day settled, but those after the cut-off.
		assert.Equal(t, s.LedgerAmount-s.PendingAmount, s.SettlementAmount-lagAmount(g, res), "seed %d", seed)
		assert.NotEmpty(t, res.Postings)
		for _, p := range res.Postings {
			assert.NotEmpty(t, p.Bank, "posting %s has its bank credit", p.Key)
			assert.Equal(t, p.Gross, p.Fee+p.Net)
		}
	}
}

// lagAmount is what today's file settles for earlier days, and for the
// payment in review (not in the ledger's figures).
func lagAmount(g *genDay, res Result) int64 {
	var v int64
	for _, m := range res.Matches {
		if m.LagDays > 0 || m.Offer {
			v += m.Amount
		}
	}
	return v
}

func TestScenarioEachException(t *testing.T) {
	cases := map[string]inject{
		"missing in settlement": {MissingInSettlement: true},
		"missing in ledger":     {MissingInLedger: true},
		"amount mismatch":       {AmountMismatch: true},
		"duplicate":             {Duplicate: true},
		"terminal total":        {TerminalTotal: true},
		"bank credit":           {BankCredit: true},
		"carried over":          {CarriedOver: true},
		"balance":               {Balance: true},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(4) {
				g := generate(seed, 500, 6, in)
				require.Len(t, g.want, 1)
				checkDay(t, g)
			}
		})
	}
}

func TestScenarioAllExceptionsAtOnce(t *testing.T) {
	for seed := range uint64(6) {
		g := generate(100+seed, 800, 7, inject{}.all())
		require.Len(t, g.want, 8)
		res := checkDay(t, g)
		for _, e := range res.Exceptions {
			assert.NotEmpty(t, e.Detail)
		}
	}
}

func TestScenarioDeterministic(t *testing.T) {
	g := generate(7, 700, 6, inject{}.all())
	want, err := json.Marshal(Run(g.Day))
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		d := g.Day
		d.Payments = shuffled(rnd, d.Payments)
		d.Settlement = shuffled(rnd, d.Settlement)
		d.Bank = shuffled(rnd, d.Bank)
		d.Totals = shuffled(rnd, d.Totals)
		d.Balances = shuffled(rnd, d.Balances)
		d.Open = shuffled(rnd, d.Open)
		got, err := json.Marshal(Run(d))
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got))
		require.Equal(t, string(want), string(got), "byte-identical")
	}
	// And Run changed nothing it was given.
	again, _ := json.Marshal(Run(g.Day))
	assert.Equal(t, string(want), string(again))
}

func shuffled[T any](rnd *rand.Rand, xs []T) []T {
	ys := slices.Clone(xs)
	rnd.Shuffle(len(ys), func(i, j int) { ys[i], ys[j] = ys[j], ys[i] })
	return ys
}

// TestPropertyOneMatchPerPayment: on random days with random injections
// and random damage (lines dropped, copied, amounts changed, keys
// erased), no payment and no line is ever in two matches, and every line
// is matched, offered or reported.
func TestPropertyOneMatchPerPayment(t *testing.T) {
	for seed := range uint64(40) {
		rnd := rand.New(rand.NewPCG(seed, 99))
		in := inject{rnd.IntN(2) == 0, rnd.IntN(2) == 0, rnd.IntN(2) == 0, rnd.IntN(2) == 0,
			rnd.IntN(2) == 0, rnd.IntN(2) == 0, rnd.IntN(2) == 0, rnd.IntN(2) == 0}
		g := generate(seed, 200+rnd.IntN(300), 2+rnd.IntN(6), in)
		d := g.Day
		d.Settlement = slices.Clone(d.Settlement)
		d.Payments = slices.Clone(d.Payments)
		for i := range d.Settlement {
			l := &d.Settlement[i]
			switch rnd.IntN(20) {
			case 0:
				l.TraceNo = 0
			case 1:
				l.ApprovalCode = ""
			case 2:
				l.Amount += 1_000
			case 3:
				d.Settlement = append(d.Settlement, *l)
			}
		}
		for i := range d.Payments {
			if rnd.IntN(30) == 0 {
				d.Payments[i].RRN = d.Payments[(i+1)%len(d.Payments)].RRN // a wrong RRN
			}
		}
		res := Run(d)
		assertOneMatchEach(t, d, res)
	}
}

func assertOneMatchEach(t *testing.T, d Day, res Result) {
	t.Helper()
	seenPay, seenLine := map[string]int{}, map[string]int{}
	for _, m := range res.Matches {
		for _, id := range m.PaymentIDs {
			seenPay[id]++
			require.Equal(t, 1, seenPay[id], "payment %s in two matches", id)
		}
		for _, id := range m.Settlement {
			seenLine[id]++
		}
	}
	// Every line (by position: a copy may share its id) is accounted for.
	reported := map[string]int{}
	for _, e := range res.Exceptions {
		if e.SettlementID != "" {
			reported[e.SettlementID]++
		}
	}
	// A voided sale whose payment is reported names the VOID line only.
	counts, voided := map[string]int{}, map[string]bool{}
	for _, l := range d.Settlement {
		counts[l.ID]++
		if l.Type == Void {
			voided[l.TerminalID+"|"+l.ApprovalCode] = true
		}
	}
	for _, l := range d.Settlement {
		id, n := l.ID, counts[l.ID]
		got := seenLine[id] + reported[id]
		assert.LessOrEqual(t, got, n, "line %s: matched %d, reported %d", id, seenLine[id], reported[id])
		if !(l.Type == Sale && voided[l.TerminalID+"|"+l.ApprovalCode]) {
			assert.Equal(t, n, got, "line %s: matched %d, reported %d", id, seenLine[id], reported[id])
		}
	}
}
