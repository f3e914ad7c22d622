package terminals

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
)

// maxLastResultTries is how often recovery asks a terminal that does not
// answer for its last transaction before it leaves the attempt in doubt
// for a person (and lets the terminal take charges again).
const maxLastResultTries = 3

// Recovery is what one recovery of a terminal did.
type Recovery struct {
	Terminal string       `json:"terminal"`
	Settled  []Settlement `json:"settled"`
	InDoubt  []string     `json:"in_doubt"` // attempts still in doubt, for a person
	Note     string       `json:"note,omitempty"`
}

// Settlement is one attempt recovery settled.
type Settlement struct {
	AttemptID string `json:"attempt_id"`
	State     State  `json:"state"`
	Reason    string `json:"reason"`
}

// staleStates settles what a stopped feepos left open: an attempt only
// written down was never sent (not charged); one sent, held or recorded
// is in doubt until the evidence says otherwise. It runs when the manager
// starts, before any attempt of this run exists.
func (m *Manager) settleStale(ctx context.Context) error {
	open, err := m.store.OpenAttempts(ctx, "")
	if err != nil {
		return fmt.Errorf("read the attempts left open: %w", err)
	}
	for _, a := range open {
		var c StateChange
		switch a.State {
		case StatePrepared:
			c = StateChange{State: StateSettledNotCharged, At: m.now(),
				Reason: "never sent: feepos stopped after writing the attempt down and before sending it to the terminal"}
		case StateSent, StateHeld, StateRecorded:
			c = StateChange{State: StateInDoubt, At: m.now(),
				Reason: fmt.Sprintf("feepos stopped while the attempt was %s: its outcome is to be proven from the terminal's records", a.State)}
		default:
			continue
		}
		if err := m.store.SetAttemptState(ctx, a.ID, c); err != nil {
			return fmt.Errorf("attempt %s: %w", a.ID, err)
		}
		m.log.Warn("attempt left open by the last run", "terminal", a.Terminal, "attempt", a.ID, "was", a.State, "now", c.State, "reason", c.Reason)
		if c.State == StateInDoubt {
			if err := m.traceAfterStale(ctx, a); err != nil {
				return fmt.Errorf("attempt %s: %w", a.ID, err)
			}
		}
	}
	return nil
}

// traceAfterStale is the terminal's last trace number after attempt a,
// which the last run left sent, held or recorded: the trace number of
// a's result when it was stored (the worker stores the result before the
// trace number, and may have died in between); else the number known
// before, no longer certain, since the terminal may have given a the
// next one. Without this the next attempt would be written down with a
// stale TraceBefore, and its recovery could take a's record for its own.
func (m *Manager) traceAfterStale(ctx context.Context, a AttemptRecord) error {
	ti, err := m.store.LastTrace(ctx, a.Terminal)
	if err != nil {
		return err
	}
	for _, e := range a.Evidence {
		if e.Source != EvidenceResult || e.Result == nil || e.Result.TraceNo <= 0 {
			continue
		}
		if ti.Trace > 0 {
			if d := pos.TraceDistance(ti.Trace, e.Result.TraceNo); (d == 0 && ti.Certain) || d >= pos.TraceModulus/2 {
				return nil // known already, or older than what is known
			}
		}
		return m.store.SetLastTrace(ctx, a.Terminal, TraceInfo{Trace: e.Result.TraceNo, Certain: true, At: m.now(),
			Source: "the result of attempt " + a.ID + ", left " + string(a.State) + " by the last run"})
	}
	if !ti.Certain {
		return nil
	}
	ti.Certain, ti.At, ti.Source = false, m.now(), "attempt "+a.ID+" left "+string(a.State)+" by the last run, before its result"
	return m.store.SetLastTrace(ctx, a.Terminal, ti)
}

// recoverOpen settles, on the worker, the terminal's attempts in doubt
// with pos.Judge over the evidence: the terminal's last result (when the
// protocol has it, the terminal is online and the newest attempt is the
// one in doubt — after another transaction the last result can no longer
// be about it) and the orphan answers received. A verdict is kept with
// the attempt as evidence; an attempt no evidence proves stays in doubt.
func (t *terminal) recoverOpen(ctx context.Context, online bool, why string) Recovery {
	t.traceFromOrphan(ctx)
	rep := Recovery{Terminal: t.id}
	open, err := t.m.store.OpenAttempts(ctx, t.id)
	if err != nil {
		rep.Note = "the attempts in doubt could not be read: " + err.Error()
		t.log.Error("recovery", "err", err)
		return rep
	}
	var doubt []AttemptRecord
	for _, a := range open {
		if a.State == StateInDoubt {
			doubt = append(doubt, a)
		}
	}
	if len(doubt) == 0 {
		t.inDoubt.Store(0)
		t.latestInDoubt = false
		return rep
	}
	latest := doubt[len(doubt)-1]
	if t.latest == "" {
		// The first recovery of this run: is the terminal's newest attempt
		// one in doubt? Only then may its last result be about it.
		id, err := t.m.store.LatestAttemptID(ctx, t.id)
		if err != nil {
			t.log.Error("recovery: newest attempt not read", "err", err)
		}
		t.latest, t.latestInDoubt = id, id != "" && id == latest.ID
	}

	var last *pos.Evidence
	if t.latestInDoubt && t.latest == latest.ID {
		switch {
		case !t.caps.LastResult:
			t.latestInDoubt = false // nothing to ask: the orphans are all the evidence
		case !online:
			rep.Note = "the terminal is offline: its last transaction could not be asked for"
		default:
			lctx, cancel := context.WithTimeout(ctx, pollTimeout)
			r, err := t.drv.LastResult(lctx)
			cancel()
			now := t.m.now()
			// Asked once: after the terminal's answer only orphans can add
			// evidence. A question it did not answer is asked again (and
			// no charge goes to it meanwhile: runCharge), up to
			// maxLastResultTries times; then the attempt is left to the
			// orphans and a person.
			t.lastResultTries++
			t.latestInDoubt = !lastResultAnswered(err) && t.lastResultTries < maxLastResultTries
			if !t.latestInDoubt {
				t.lastResultTries = 0
			}
			if err != nil {
				rep.Note = "the terminal gave no last transaction: " + err.Error()
				f := pos.Finding{Verdict: pos.StillUnknown, Reason: rep.Note, ReasonVI: "máy POS không đưa ra giao dịch cuối của nó"}
				t.addEvidence(ctx, Evidence{AttemptID: latest.ID, Terminal: t.id, Source: pos.EvidenceLastResult, At: now, Result: &r, Finding: &f, Note: why})
			} else {
				last = &pos.Evidence{Source: pos.EvidenceLastResult, Result: r, At: now}
				if t.lastTraceTrusted(r) {
					t.noteTrace(ctx, TraceInfo{Trace: r.TraceNo, Certain: true, At: now, Source: "the terminal's last transaction"})
				}
			}
		}
	}

	for _, a := range doubt {
		// The findings kept with it count again: a run that stored a
		// finding and stopped before it stored the settlement (a crash
		// between the two writes) would otherwise leave a proven attempt
		// in doubt for good, each piece of evidence being judged once
		// (found by bench/paycrash).
		findings := keptFindings(a)
		if last != nil && a.ID == latest.ID {
			f := t.judgeLast(a, *last)
			r := last.Result
			t.addEvidence(ctx, Evidence{AttemptID: a.ID, Terminal: t.id, Source: pos.EvidenceLastResult, At: last.At, Result: &r, Finding: &f, Note: why})
			findings = append(findings, f)
		}
		findings = append(findings, t.judgeOrphans(ctx, a)...)
		state, reason, ok := verdict(findings)
		if !ok {
			rep.InDoubt = append(rep.InDoubt, a.ID)
			if reason != "" && !noted(a, reason) {
				t.addEvidence(ctx, Evidence{AttemptID: a.ID, Terminal: t.id, Source: EvidenceNote, At: t.m.now(), Note: reason})
			}
			continue
		}
		if err := t.m.store.SetAttemptState(ctx, a.ID, StateChange{State: state, At: t.m.now(), Reason: reason}); err != nil {
			t.log.Error("settlement not stored", "attempt", a.ID, "state", state, "err", err)
			rep.InDoubt = append(rep.InDoubt, a.ID)
			continue
		}
		t.log.Warn("attempt settled", "attempt", a.ID, "state", state, "reason", reason, "why", why)
		rep.Settled = append(rep.Settled, Settlement{AttemptID: a.ID, State: state, Reason: reason})
	}
	t.inDoubt.Store(int32(len(rep.InDoubt)))
	if len(rep.InDoubt) > 0 {
		t.log.Warn("attempts still in doubt: settle them with the terminal's journal", "attempts", strings.Join(rep.InDoubt, ","), "why", why)
	}
	return rep
}

// noted reports whether a already carries the note (the findings kept
// with it count at every pass: their disagreement is noted once).
func noted(a AttemptRecord, note string) bool {
	for _, e := range a.Evidence {
		if e.Source == EvidenceNote && e.Note == note {
			return true
		}
	}
	return false
}

// keptFindings are the verdicts of the terminal's records judged for a
// before (its last transaction, orphans), as kept with it.
func keptFindings(a AttemptRecord) []pos.Finding {
	var out []pos.Finding
	for _, e := range a.Evidence {
		if e.Finding != nil && (e.Source == pos.EvidenceLastResult || e.Source == pos.EvidenceOrphan) {
			out = append(out, *e.Finding)
		}
	}
	return out
}

// judgeOrphans judges the orphan answers that may be about a: those kept
// with it (they named its reference) and those of its terminal that named
// no attempt and came after it started. Each is judged once; the finding
// is kept with the attempt.
func (t *terminal) judgeOrphans(ctx context.Context, a AttemptRecord) []pos.Finding {
	judged := map[int64]bool{}
	var candidates []Evidence
	for _, e := range a.Evidence {
		switch {
		case e.RefersTo != 0:
			judged[e.RefersTo] = true
		case e.Source == pos.EvidenceOrphan && e.Finding == nil && e.Result != nil:
			candidates = append(candidates, e)
		}
	}
	loose, err := t.m.store.TerminalEvidence(ctx, t.id, a.StartedAt.Add(-t.m.skew))
	if err != nil {
		t.log.Error("orphan answers not read", "err", err)
	}
	for _, e := range loose {
		if e.Source == pos.EvidenceOrphan && e.Result != nil {
			candidates = append(candidates, e)
		}
	}
	var out []pos.Finding
	for _, e := range candidates {
		if judged[e.ID] {
			continue
		}
		if e.Result.Reference != "" && a.Reference != "" && e.Result.Reference != a.Reference {
			continue // about another attempt
		}
		// An answer the driver refused (ZVT 84 66) never proves a charge:
		// pos.Judge reads it so (Evidence.Refused).
		f := pos.Judge(t.facts(a), pos.Evidence{Source: pos.EvidenceOrphan, Result: *e.Result, At: e.At, Refused: e.Refused}, t.m.zone, t.m.skew)
		r := *e.Result
		t.addEvidence(ctx, Evidence{AttemptID: a.ID, Terminal: t.id, Source: pos.EvidenceOrphan, At: e.At, Result: &r, Refused: e.Refused, Finding: &f, RefersTo: e.ID})
		out = append(out, f)
	}
	return out
}

// facts is what pos.Judge matches the terminal's records against for
// attempt a: its own facts, and Until, the last time feepos heard of it
// plus the longest its terminal may still take (lateBound: ZVT's T4,
// Concert's answer wait). A record dated after Until is a later
// transaction, never this attempt's, when no trace number can tell.
func (t *terminal) facts(a AttemptRecord) pos.AttemptFacts {
	f := a.Facts()
	f.TraceOwn = a.OwnTrace()
	if last := a.LastHeard(); !last.IsZero() {
		f.Until = AttemptUntil(t.cfg, last)
	}
	return f
}

// AttemptUntil is pos.AttemptFacts.Until of an attempt on terminal c that
// feepos last heard of at lastHeard: plus the longest the terminal may
// still take (ZVT's T4, Concert's answer wait).
func AttemptUntil(c config.Terminal, lastHeard time.Time) time.Time {
	return lastHeard.Add(lateBound(c))
}

func (t *terminal) judgeLast(a AttemptRecord, ev pos.Evidence) pos.Finding {
	return JudgeLast(t.cfg, t.facts(a), ev, t.m.zone, t.m.skew)
}

// JudgeLast judges terminal c's last transaction ev (LastResult) for an
// attempt (pos.Judge), with what its configuration says: a terminal that
// repeats the original receipt after a reversal
// (repeats_original_receipt) shows a payment it reversed since — by a
// reversal, or by itself, refusing an approval feepos did not take — as
// approved, so any approved record of it proves nothing.
func JudgeLast(c config.Terminal, a pos.AttemptFacts, ev pos.Evidence, zone *time.Location, skew time.Duration) pos.Finding {
	f := pos.Judge(a, ev, zone, skew)
	if c.RepeatsOriginalReceipt && ev.Result.Outcome == pos.Approved && f.Verdict != pos.StillUnknown {
		return pos.Finding{Verdict: pos.StillUnknown,
			Reason:   "this terminal repeats the original receipt after a reversal (repeats_original_receipt): an approved record may be a payment it reversed since, so it proves nothing (judged alone: " + string(f.Verdict) + ", " + f.Reason + ")",
			ReasonVI: "máy POS này in lại hóa đơn gốc sau khi hủy giao dịch (repeats_original_receipt): bản ghi \"chấp nhận\" có thể là một giao dịch máy đã hủy sau đó, nên không chứng minh được gì"}
	}
	return f
}

// lastTraceTrusted reports whether the trace number of the terminal's
// last record r is its last trace: on a terminal that repeats the
// original receipt after a reversal an approved record may be that
// original, with an older trace number.
func (t *terminal) lastTraceTrusted(r pos.Result) bool {
	return r.TraceNo > 0 && !(t.cfg.RepeatsOriginalReceipt && r.Outcome == pos.Approved)
}

// verdict combines findings: one proof settles, proofs that disagree
// settle nothing.
func verdict(fs []pos.Finding) (State, string, bool) {
	var charged, not *pos.Finding
	for i := range fs {
		switch fs[i].Verdict {
		case pos.Charged:
			charged = &fs[i]
		case pos.NotCharged:
			not = &fs[i]
		}
	}
	switch {
	case charged != nil && not != nil:
		return "", fmt.Sprintf("the evidence disagrees: %q and %q; a person must settle it", charged.Reason, not.Reason), false
	case charged != nil:
		return StateSettledCharged, charged.Reason, true
	case not != nil:
		return StateSettledNotCharged, not.Reason, true
	}
	return "", "", false
}

func (t *terminal) addEvidence(ctx context.Context, e Evidence) int64 {
	id, err := t.m.store.AddEvidence(ctx, e)
	if err != nil {
		t.log.Error("evidence not stored", "attempt", e.AttemptID, "source", e.Source, "err", err)
	}
	return id
}
