package terminals

import (
	"context"
	"errors"
	"time"

	"github.com/feepos/feepos/pos"
)

// State is where a payment attempt stands (docs/TERMINALS.md, "Terminal
// manager"). Every change is written down, in order, with its time and
// reason; a change not in Transitions is refused by the store.
type State string

const (
	// StatePrepared: written down, nothing sent yet.
	StatePrepared State = "prepared"
	// StateSent: from now on the command may have reached the terminal.
	StateSent State = "sent"
	// StateHeld: the terminal's approval is held, not yet acknowledged,
	// while the caller records it.
	StateHeld State = "held"
	// StateRecorded: the caller stored the payment (in its own SQLite
	// transaction); the acknowledgement follows.
	StateRecorded State = "recorded"

	StateConfirmed State = "confirmed" // acknowledged: charged
	StateRejected  State = "rejected"  // refused by feepos, the terminal reversed it: not charged
	StateExpired   State = "expired"   // not acknowledged before the deadline, refused: not charged
	StateReversed  State = "reversed"  // the terminal said it reversed it (Confirm came too late): not charged
	StateDeclined  State = "declined"  // by the card's bank or the card: not charged
	StateAborted   State = "aborted"   // by the customer, the cashier or the terminal: not charged
	StateFailed    State = "failed"    // nothing ran on the terminal (not sent, busy, refused request): not charged
	// StateInDoubt: the card may have been charged. Recovery settles it,
	// or a person does, with the evidence kept.
	StateInDoubt           State = "in_doubt"
	StateSettledCharged    State = "settled_charged"
	StateSettledNotCharged State = "settled_not_charged"
	stateNone              State = ""
)

// Transitions are the legal state changes; the SQLite store keeps the
// same table (terminal_attempt_transitions) and refuses any other change
// with a trigger. A settled or otherwise final attempt never changes
// again; its later evidence is kept but moves nothing.
var Transitions = map[State][]State{
	stateNone:     {StatePrepared},
	StatePrepared: {StateSent, StateFailed, StateSettledNotCharged},
	// recorded directly after sent: the caller may store the result
	// before the manager has written "held" (it writes the result after
	// handing it over, so that recording waits for nothing).
	StateSent:     {StateHeld, StateRecorded, StateDeclined, StateAborted, StateFailed, StateInDoubt},
	StateHeld:     {StateRecorded, StateConfirmed, StateRejected, StateExpired, StateReversed, StateInDoubt},
	StateRecorded: {StateConfirmed, StateRejected, StateExpired, StateReversed, StateInDoubt},
	StateInDoubt:  {StateSettledCharged, StateSettledNotCharged},
}

// Legal reports whether an attempt may go from one state to the other.
func Legal(from, to State) bool {
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Open reports whether an attempt in state s is not settled yet: it is
// running, or was running when feepos stopped, or is in doubt.
func (s State) Open() bool {
	switch s {
	case StatePrepared, StateSent, StateHeld, StateRecorded, StateInDoubt:
		return true
	}
	return false
}

// Charged says what a final state means for the card: true charged,
// false not charged; ok is false for an open state.
func (s State) Charged() (charged, ok bool) {
	switch s {
	case StateConfirmed, StateSettledCharged:
		return true, true
	case StateRejected, StateExpired, StateReversed, StateDeclined, StateAborted, StateFailed, StateSettledNotCharged:
		return false, true
	}
	return false, false
}

// Attempt is what feepos writes down before it sends a transaction to a
// terminal: the facts recovery matches the terminal's records against.
type Attempt struct {
	ID        string       `json:"id"`
	Terminal  string       `json:"terminal"`
	Protocol  pos.Protocol `json:"protocol"`
	Kind      string       `json:"kind"` // pos.KindPay, KindRefund, KindReverse
	Amount    int64        `json:"amount"`
	Reference string       `json:"reference"`            // sent to the terminal where the protocol carries it
	ReceiptNo int64        `json:"receipt_no,omitempty"` // reverse: the terminal's receipt number of the payment
	Cashier   string       `json:"cashier,omitempty"`
	// TraceBefore is the terminal's last trace number known for certain
	// before this attempt; 0 when not known.
	TraceBefore int64     `json:"trace_before,omitempty"`
	StartedAt   time.Time `json:"started_at"`
}

// Facts is what pos.Judge needs of the attempt.
func (a Attempt) Facts() pos.AttemptFacts {
	return pos.AttemptFacts{Kind: a.Kind, Reference: a.Reference, Amount: a.Amount, StartedAt: a.StartedAt, TraceBefore: a.TraceBefore}
}

// OwnTrace is the trace number the terminal gave the attempt in the
// driver's result of it, as stored (0: no result with one was stored):
// pos.AttemptFacts.TraceOwn.
func (r AttemptRecord) OwnTrace() int64 {
	for i := len(r.Evidence) - 1; i >= 0; i-- {
		if e := r.Evidence[i]; e.Source == EvidenceResult && e.Result != nil && e.Result.TraceNo > 0 {
			return e.Result.TraceNo
		}
	}
	return 0
}

// StateChange is one line of an attempt's history.
type StateChange struct {
	State    State     `json:"state"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"` // held: until when the terminal holds the result
}

// Evidence sources besides pos.EvidenceLastResult and pos.EvidenceOrphan.
const (
	// EvidenceResult is the driver's answer to the attempt itself.
	EvidenceResult = "result"
	// EvidenceWire is the wire tap of the attempt (masked).
	EvidenceWire = "wire"
	// EvidenceNote is a remark of the manager (why nothing could be asked).
	EvidenceNote = "note"
)

// Evidence is one record kept with an attempt, or with a terminal when it
// belongs to no known attempt (an orphan answer). Evidence is never
// changed or deleted: a later finding is a new record.
type Evidence struct {
	ID        int64        `json:"id"`
	AttemptID string       `json:"attempt_id,omitempty"` // "" for an orphan that named no attempt
	Terminal  string       `json:"terminal"`
	Source    string       `json:"source"` // result, last_result, orphan, wire, note
	At        time.Time    `json:"at"`     // when feepos received or made it
	Result    *pos.Result  `json:"result,omitempty"`
	Refused   bool         `json:"refused,omitempty"` // an orphan the driver refused (ZVT 84 66)
	Raw       string       `json:"raw,omitempty"`     // an orphan's message as hex, masked by the driver
	Wire      []TapEntry   `json:"wire,omitempty"`
	WireLost  uint64       `json:"wire_lost,omitempty"` // tap entries overwritten before they were kept
	Finding   *pos.Finding `json:"finding,omitempty"`
	RefersTo  int64        `json:"refers_to,omitempty"` // the evidence a finding judged, when kept apart
	Note      string       `json:"note,omitempty"`
}

// AttemptRecord is an attempt as stored: its facts, state, history and
// evidence.
type AttemptRecord struct {
	Attempt
	State    State         `json:"state"`
	History  []StateChange `json:"history"`
	Evidence []Evidence    `json:"evidence,omitempty"`
}

// LastHeard is the last time feepos heard of the attempt: its sending,
// the state changes the terminal's answers made (held, recorded), the
// driver's result, the last unit of its wire and the answers kept with it
// (orphans naming it). In-doubt and settlement changes are bookkeeping (a
// restart writes them), and the terminal's last transaction asked during
// recovery is not news of the attempt: neither counts. Zero if nothing is
// known.
func (r AttemptRecord) LastHeard() time.Time {
	var last time.Time
	later := func(t time.Time) {
		if t.After(last) {
			last = t
		}
	}
	for _, h := range r.History {
		switch h.State {
		case StateSent, StateHeld, StateRecorded:
			later(h.At)
		}
	}
	for _, e := range r.Evidence {
		switch {
		case e.Source == EvidenceResult:
			later(e.At)
		case e.Source == EvidenceWire && len(e.Wire) > 0:
			later(e.Wire[len(e.Wire)-1].At)
		case e.Source == pos.EvidenceOrphan && e.Finding == nil && e.RefersTo == 0:
			later(e.At)
		}
	}
	return last
}

// Updated is the time of the last state change.
func (r AttemptRecord) Updated() time.Time {
	if len(r.History) == 0 {
		return time.Time{}
	}
	return r.History[len(r.History)-1].At
}

// TraceInfo is the last trace number feepos knows of a terminal.
type TraceInfo struct {
	Trace int64 `json:"trace"`
	// Certain: no transaction can have run on the terminal since (as far
	// as feepos can tell). After an attempt whose answer carried no trace
	// number (an abort, an unknown outcome) the terminal may have used
	// one: the number is kept but not certain, and the next attempt is
	// written down without TraceBefore.
	Certain bool      `json:"certain"`
	At      time.Time `json:"at"`
	Source  string    `json:"source,omitempty"`
}

// ErrIllegalTransition matches the error of a state change the store
// refused because the attempt is not in a state it may leave that way
// (it was settled, expired or recorded already).
var ErrIllegalTransition = errors.New("illegal attempt state change")

// ErrAttemptNotFound: no attempt with that id.
var ErrAttemptNotFound = errors.New("no such payment attempt")

// AttemptStore keeps attempts, their state changes and their evidence
// durably. Its SQLite implementation is in internal/sqlite; each method is
// one transaction.
type AttemptStore interface {
	// CreateAttempt writes a new attempt in state prepared.
	CreateAttempt(ctx context.Context, a Attempt, at time.Time) error
	// SetAttemptState appends a state change; one not in Transitions from
	// the attempt's current state is refused (ErrIllegalTransition).
	SetAttemptState(ctx context.Context, id string, c StateChange) error
	// SetAttemptResult stores the driver's result as evidence and appends
	// the state change, both or neither. If the caller already recorded
	// the attempt (state recorded) and c is held, only the result is
	// stored: recording implies the result was held.
	SetAttemptResult(ctx context.Context, id string, c StateChange, r pos.Result) error
	// AddEvidence appends evidence, of an attempt or (AttemptID "") of a
	// terminal; it returns the evidence's id.
	AddEvidence(ctx context.Context, e Evidence) (int64, error)
	// Attempt reads one attempt with its history and evidence.
	Attempt(ctx context.Context, id string) (AttemptRecord, error)
	// OpenAttempts lists the attempts whose state is Open, oldest first,
	// of one terminal or ("") of all; with their history and evidence.
	OpenAttempts(ctx context.Context, terminal string) ([]AttemptRecord, error)
	// AttemptByReference finds the newest attempt of terminal with that
	// reference, in whatever state; false if there is none.
	AttemptByReference(ctx context.Context, terminal, reference string) (AttemptRecord, bool, error)
	// LatestAttemptID is the id of the terminal's newest attempt ("" if
	// it has none).
	LatestAttemptID(ctx context.Context, terminal string) (string, error)
	// TerminalEvidence lists the evidence of terminal kept with no attempt
	// (orphans), received at or after since.
	TerminalEvidence(ctx context.Context, terminal string, since time.Time) ([]Evidence, error)
	// LastTrace reads the terminal's last known trace number (zero
	// TraceInfo if none is known).
	LastTrace(ctx context.Context, terminal string) (TraceInfo, error)
	// SetLastTrace keeps the terminal's last known trace number.
	SetLastTrace(ctx context.Context, terminal string, t TraceInfo) error
}
