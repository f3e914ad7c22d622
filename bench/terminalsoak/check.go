package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// The check compares what feepos knows — its attempts, their final states
// and evidence, and the workflow's bookings — with what the terminals did:
// the simulators' journals, the truth. Every transaction a terminal ran
// names its attempt: the Concert terminal echoes the attempt's reference,
// and every attempt of the soak has an amount of its own (a reversal its
// payment's), which the ZVT journal keeps.

// truth is what the terminal did for one attempt.
type truth struct {
	reached bool   // the terminal took the command
	charged bool   // the money moved (a reversal: it took effect)
	runs    int    // journal entries of the attempt (more than one is a finding)
	fault   string // the fault the terminal ran it with
	status  string // its journal status
}

// violation is one breach of the rules, with what is needed to look at it.
type violation struct {
	Rule     string `json:"rule"`
	Terminal string `json:"terminal"`
	Attempt  string `json:"attempt,omitempty"`
	Detail   string `json:"detail"`
}

// doubt is an attempt left in doubt, as listed for a person.
type doubt struct {
	Attempt  string `json:"attempt"`
	Terminal string `json:"terminal"`
	Kind     string `json:"kind"`
	Amount   int64  `json:"amount"`
	Charged  bool   `json:"truth_charged"` // what the journal says (the person would find it in the terminal's journal)
	Reached  bool   `json:"truth_reached"`
	Fault    string `json:"fault,omitempty"`
	Became   string `json:"became"` // why it went in doubt
	Stays    string `json:"stays"`  // why it stays (the last finding)
	Evidence int    `json:"evidence"`
}

// report is the soak's outcome.
type report struct {
	Seed       uint64         `json:"seed"`
	Elapsed    string         `json:"elapsed"`
	Runs       int            `json:"runs"`
	Kills      int            `json:"kills"`
	Targeted   int            `json:"kills_targeted"`
	Early      int            `json:"kills_before_ready"`
	Stops      int            `json:"graceful_stops"`
	KillStages map[string]int `json:"kill_stages"`
	Incomplete string         `json:"incomplete,omitempty"`

	Attempts   map[string]int `json:"attempts"`    // by protocol/kind
	States     map[string]int `json:"states"`      // final states
	Reached    int            `json:"reached"`     // attempts the terminals took
	Faults     map[string]int `json:"faults"`      // the terminals' faults, by kind
	Replugs    int            `json:"replugs"`     // hang_up: a new pseudo-terminal
	EndsOfDay  int            `json:"ends_of_day"` // not counted: the journals keep no end of day
	Charges    int            `json:"charges"`     // payments the terminals charged (journal)
	Known      int            `json:"charges_known"`
	AutoRev    int            `json:"terminal_reversals"` // approvals the terminal reversed (not acknowledged, refused, aborted after)
	Reversals  int            `json:"reversals"`          // feepos's reversal attempts
	RevDone    int            `json:"reversals_effective"`
	Bookings   map[string]int `json:"bookings"`
	KeyedIn    int            `json:"keyed_in"` // payments keyed in on a Concert terminal (unsolicited)
	KeyedKept  int            `json:"keyed_in_kept"`
	Recovered  int            `json:"settled_by_recovery"`
	InDoubt    []doubt        `json:"in_doubt"`
	Violations []violation    `json:"violations"`
	Notes      []string       `json:"notes,omitempty"`
}

func check(ctx context.Context, db *sqlite.DB, sims []*termSim, res soakResult) (*report, error) {
	rep := &report{Runs: len(res.Runs), Kills: res.Kills, Targeted: res.Targeted, Early: res.Early, Stops: res.Stops,
		Incomplete: res.Incomplete, Elapsed: res.Elapsed.Round(1e9).String(), KillStages: map[string]int{},
		Attempts: map[string]int{}, States: map[string]int{}, Faults: map[string]int{}, Bookings: map[string]int{}}
	for _, r := range res.Runs {
		if r.Stage != "" {
			rep.KillStages[r.Stage]++
		}
	}
	rep.Notes = append(rep.Notes, res.Settled.Notes...)
	var ids []string
	if err := db.SQL().SelectContext(ctx, &ids, `SELECT id FROM terminal_attempts ORDER BY started_at, id`); err != nil {
		return nil, err
	}
	recs := map[string]terminals.AttemptRecord{}
	byTerminal := map[string][]terminals.AttemptRecord{}
	for _, id := range ids {
		r, err := db.Attempt(ctx, id)
		if err != nil {
			return nil, err
		}
		recs[id] = r
		byTerminal[r.Terminal] = append(byTerminal[r.Terminal], r)
	}
	var bookings []struct {
		ID       string `db:"attempt_id"`
		Terminal string `db:"terminal"`
		Kind     string `db:"kind"`
		State    string `db:"state"`
	}
	if err := db.SQL().SelectContext(ctx, &bookings, `SELECT attempt_id, terminal, kind, state FROM soak_payments`); err != nil {
		return nil, err
	}
	var open []string
	if err := db.SQL().SelectContext(ctx, &open, `SELECT attempt_id FROM terminal_attempts_open`); err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, id := range open {
		listed[id] = true
	}
	booked := map[string]string{}
	for _, b := range bookings {
		booked[b.ID] = b.State
		rep.Bookings[b.Kind+"/"+b.State]++
	}
	bad := func(rule, terminal, attempt, format string, args ...any) {
		rep.Violations = append(rep.Violations, violation{Rule: rule, Terminal: terminal, Attempt: attempt, Detail: fmt.Sprintf(format, args...)})
	}

	for _, s := range sims {
		rep.Replugs += s.Replugs()
		id := s.cfg.ID
		truths, unmatched := matchJournal(s, byTerminal[id], rep)
		for _, u := range unmatched {
			bad("unknown transaction", id, "", "the terminal ran a transaction no attempt names (written down before sending?): %s", u)
		}
		for _, a := range byTerminal[id] {
			tr := truths[a.ID]
			rep.Attempts[string(a.Protocol)+"/"+a.Kind]++
			rep.States[string(a.State)]++
			if tr.reached {
				rep.Reached++
			}
			if tr.runs > 1 {
				bad("ran twice", id, a.ID, "the terminal ran the attempt %d times (%s %d đồng)", tr.runs, a.Kind, a.Amount)
			}
			if a.Kind == pos.KindReverse {
				rep.Reversals++
				if tr.charged {
					rep.RevDone++
				}
			}
			if settledBy(a) {
				rep.Recovered++
			}
			charged, final := a.State.Charged()
			switch {
			case a.State == terminals.StateInDoubt:
				d := doubt{Attempt: a.ID, Terminal: id, Kind: a.Kind, Amount: a.Amount, Charged: tr.charged, Reached: tr.reached,
					Fault: tr.fault, Became: becameInDoubt(a), Stays: staysInDoubt(a), Evidence: len(a.Evidence)}
				rep.InDoubt = append(rep.InDoubt, d)
				if !listed[a.ID] {
					bad("in doubt not listed", id, a.ID, "the attempt is in doubt but not among the open attempts a person is shown")
				}
			case !final:
				bad("left open", id, a.ID, "the attempt is still %s after the settling run", a.State)
			case tr.charged && !charged:
				bad("charge lost", id, a.ID, "the terminal kept the %s of %d đồng (journal %s, fault %q) but feepos has it as %s: %s",
					a.Kind, a.Amount, tr.status, tr.fault, a.State, lastReason(a))
			case !tr.charged && charged:
				bad("charge invented", id, a.ID, "feepos has the %s of %d đồng as %s, the terminal did not charge it (journal %q, fault %q): %s",
					a.Kind, a.Amount, a.State, tr.status, tr.fault, lastReason(a))
			}
			if a.Kind == pos.KindPay && tr.charged && (charged || a.State == terminals.StateInDoubt) {
				rep.Known++
			}
			// The workflow's bookings follow their attempts.
			b, isBooked := booked[a.ID]
			switch {
			case a.State == terminals.StateConfirmed && !isBooked:
				bad("confirmed unbooked", id, a.ID, "the attempt was confirmed to the terminal but the workflow has no booking of it")
			case !isBooked:
			case b == bookSettled && !(final && charged):
				bad("booking wrong", id, a.ID, "the workflow has the %s as settled, the attempt is %s", a.Kind, a.State)
			case b == bookVoid && !(final && !charged):
				bad("booking wrong", id, a.ID, "the workflow has the %s as void, the attempt is %s", a.Kind, a.State)
			case b == bookBooked && final:
				bad("booking not reconciled", id, a.ID, "the workflow still has the %s as booked, the attempt is %s", a.Kind, a.State)
			}
			if isBooked && !hasState(a, terminals.StateRecorded) {
				bad("booking without record", id, a.ID, "the workflow booked the %s but the attempt never became recorded", a.Kind)
			}
		}
	}
	for _, s := range sims {
		if s.conc == nil {
			continue
		}
		evs, err := db.TerminalEvidence(ctx, s.cfg.ID, time.Time{})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.Source == pos.EvidenceOrphan && e.Result != nil && e.Result.Reference == "" && e.Result.Amount == concertsim.UnsolicitedAmount {
				rep.KeyedKept++
			}
		}
	}
	for id := range booked {
		if _, ok := recs[id]; !ok {
			bad("booking of nothing", "", id, "the workflow booked an attempt the store does not have")
		}
	}
	if res.Settled.InDoubt != len(rep.InDoubt) {
		bad("in doubt not listed", "", "", "the manager lists %d attempts in doubt (Manager.InDoubt at the end of the settling run), the store has %d", res.Settled.InDoubt, len(rep.InDoubt))
	}
	sort.Slice(rep.InDoubt, func(i, j int) bool { return rep.InDoubt[i].Attempt < rep.InDoubt[j].Attempt })
	return rep, nil
}

// matchJournal maps terminal s's journal onto its attempts; it counts
// the journal into rep and returns the transactions no attempt names.
func matchJournal(s *termSim, attempts []terminals.AttemptRecord, rep *report) (map[string]truth, []string) {
	out := map[string]truth{}
	var unmatched []string
	if s.zvt != nil {
		type key struct {
			kind   string
			amount int64
		}
		byKey := map[key]string{}
		for _, a := range attempts {
			k := key{a.Kind, a.Amount}
			if prev, dup := byKey[k]; dup {
				rep.Notes = append(rep.Notes, fmt.Sprintf("%s: attempts %s and %s share %s %d đồng: the journal cannot tell them apart", s.cfg.ID, prev, a.ID, a.Kind, a.Amount))
			}
			byKey[k] = a.ID
		}
		kinds := map[string]string{"payment": pos.KindPay, "reversal": pos.KindReverse, "refund": pos.KindRefund}
		for _, tx := range s.zvt.Journal() {
			if tx.Fault != "" {
				rep.Faults["zvt/"+string(tx.Fault)]++
			}
			if tx.Status == zvtsim.AutoReversed {
				rep.AutoRev++
			}
			charged := tx.Status == zvtsim.Approved || (tx.Kind == "payment" && tx.Status == zvtsim.Voided)
			if tx.Kind == "payment" && charged {
				rep.Charges++
			}
			id, ok := byKey[key{kinds[tx.Kind], tx.Amount}]
			if !ok {
				unmatched = append(unmatched, fmt.Sprintf("seq %d %s %d đồng trace %d %s fault %q", tx.Seq, tx.Kind, tx.Amount, tx.Trace, tx.Status, tx.Fault))
				continue
			}
			t := out[id]
			t.reached, t.runs, t.fault, t.status = true, t.runs+1, string(tx.Fault), string(tx.Status)
			t.charged = t.charged || charged
			out[id] = t
		}
		return out, unmatched
	}
	byRef := map[string]string{}
	for _, a := range attempts {
		byRef[a.Reference] = a.ID
	}
	for _, e := range s.conc.Journal() {
		if e.Fault != "" {
			rep.Faults["concert/"+string(e.Fault)]++
		}
		if e.Charged && e.Priv != "" {
			rep.Charges++
		}
		if e.Priv == "" && e.Fault == concertsim.FaultUnsolicited {
			rep.KeyedIn++ // a payment keyed in on the terminal: no attempt of feepos
			continue
		}
		id, ok := byRef[e.Priv]
		if !ok {
			unmatched = append(unmatched, fmt.Sprintf("seq %d PRIV %q %d đồng status %s charged %v fault %q", e.Seq, e.Priv, e.Amount, e.Status, e.Charged, e.Fault))
			continue
		}
		t := out[id]
		t.reached, t.runs, t.fault, t.status = true, t.runs+1, string(e.Fault), e.Status
		t.charged = t.charged || e.Charged
		out[id] = t
	}
	return out, unmatched
}

func hasState(a terminals.AttemptRecord, s terminals.State) bool {
	for _, h := range a.History {
		if h.State == s {
			return true
		}
	}
	return false
}

// settledBy reports whether recovery settled the attempt.
func settledBy(a terminals.AttemptRecord) bool {
	return a.State == terminals.StateSettledCharged || a.State == terminals.StateSettledNotCharged
}

func lastReason(a terminals.AttemptRecord) string {
	if len(a.History) == 0 {
		return ""
	}
	return a.History[len(a.History)-1].Reason
}

// becameInDoubt is why the attempt went in doubt (its in_doubt state
// change), shortened for grouping.
func becameInDoubt(a terminals.AttemptRecord) string {
	for _, h := range a.History {
		if h.State == terminals.StateInDoubt {
			return short(h.Reason)
		}
	}
	return ""
}

// staysInDoubt is why the attempt stays in doubt: the finding on the
// terminal's last transaction if it was asked, else a note of the
// manager, else the last finding on an orphan answer.
func staysInDoubt(a terminals.AttemptRecord) string {
	var note, orphan string
	for i := len(a.Evidence) - 1; i >= 0; i-- {
		e := a.Evidence[i]
		switch {
		case e.Source == pos.EvidenceLastResult && e.Finding != nil:
			return short("last result: " + e.Finding.Reason)
		case e.Source == terminals.EvidenceNote && e.Note != "" && note == "":
			note = short("note: " + e.Note)
		case e.Source == pos.EvidenceOrphan && e.Finding != nil && orphan == "":
			orphan = short("orphans only: " + e.Finding.Reason)
		}
	}
	switch {
	case note != "":
		return note
	case orphan != "":
		return orphan
	}
	return "nothing was asked or came"
}

// short cuts a reason to its first clause, numbers masked, for grouping.
func short(s string) string {
	if i := strings.IndexAny(s, ":("); i > 20 {
		s = s[:i]
	}
	s = digits.ReplaceAllString(s, "N")
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return strings.TrimSpace(s)
}

var digits = regexp.MustCompile(`[0-9]+`)
