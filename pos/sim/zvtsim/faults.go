package zvtsim

import "time"

// FaultKind names a fault the simulator can inject into one transaction
// (Authorization, Reversal or Refund). Other commands are never disturbed,
// so that a test can always recover with Repeat Receipt.
type FaultKind string

const (
	FaultDecline       FaultKind = "decline"        // 04 0F with host code Fault.Code (default 05)
	FaultCustomerAbort FaultKind = "customer_abort" // 06 1E 6C after "insert card"
	FaultCardError     FaultKind = "card_error"     // 06 1E Fault.Code (default 64, card not readable)
	FaultSlowCard      FaultKind = "slow_card"      // Fault.Steps 04 FF, Fault.Delay apart
	FaultHang          FaultKind = "hang"           // 80 00 00, then silence for Config.HangFor; nothing charged
	// Link faults (serial only; in TCP mode NAK, bad CRC, gap, garbage and
	// dropped ACK do nothing).
	FaultNAK       FaultKind = "nak_ecr_frame" // NAK the ECR's command once
	FaultBadCRC    FaultKind = "bad_crc"       // our Target frame goes out once with a wrong CRC
	FaultByteGap   FaultKind = "byte_gap"      // our Target frame pauses 3·T1 mid-frame once
	FaultDropAck   FaultKind = "drop_ack"      // our ACK of the ECR's command is lost once
	FaultHangUp    FaultKind = "hang_up"       // half of our Target frame, then the link is closed
	FaultGarbage   FaultKind = "garbage"       // noise bytes before our Target frame
	FaultDuplicate FaultKind = "duplicate"     // our Target frame is sent twice
	// FaultNoAckReverse: the ECR's acknowledgement of the Status-
	// Information is lost (not ACKed, not seen); the terminal reverses.
	FaultNoAckReverse FaultKind = "no_ack_reverse"

	// The ECR's answer to the Status-Information.

	// FaultLostAnswer: the terminal misses the ECR's first answer to the
	// Status-Information (the line took it, the terminal did not see
	// it); when its wait runs out it repeats the Status-Information once
	// instead of reversing.
	FaultLostAnswer FaultKind = "lost_answer"
	// FaultAbortAfterAck: after the ECR's 80 00 00 the terminal reverses
	// the payment anyway and ends with an abort (06 1E 6C).
	FaultAbortAfterAck FaultKind = "abort_after_ack"
	// FaultAbortHeld: the terminal gives up the approved result it holds
	// before the ECR answers: it reverses the payment and says so with an
	// abort (06 1E 6C) right after its Status-Information.
	FaultAbortHeld FaultKind = "abort_held"
	// FaultShortTimers: for this transaction the terminal waits only
	// Fault.Delay (default T1) for each answer of the ECR: shorter than
	// feepos's timers, so a held result is reversed before feepos asks
	// for more time.
	FaultShortTimers FaultKind = "short_timers"

	// The Status-Information itself.

	// FaultStatusBadLength: the Status-Information's length byte
	// announces 31 bytes more than it carries (as in a public capture:
	// 0x44 announced, 37 carried). Over a serial line the frame and its
	// CRC are right; over TCP, where the length is the framing, the rest
	// never comes.
	FaultStatusBadLength FaultKind = "status_bad_length"
	// FaultStatusUnknownField: the Status-Information ends with a BMP no
	// table declares (UnknownBMP), so its length, and anything after it,
	// cannot be known.
	FaultStatusUnknownField FaultKind = "status_unknown_field"

	// The terminal's state.

	// FaultBusyMenu: someone is in the terminal's menu: the command is
	// refused with 84 9C (busy); nothing runs.
	FaultBusyMenu FaultKind = "busy_menu"
	// FaultUnsolicited: before it takes the command the terminal sends,
	// on its own, its last Status-Information again (as after a restart),
	// or an Intermediate Status (automatic end of day) when it has none.
	FaultUnsolicited FaultKind = "unsolicited"

	// Registration and Repeat Receipt faults apply to the next of those
	// commands, not to a transaction.

	// FaultRegistrationRefused: Registration (06 00) is answered
	// 84 Fault.Code (default 83, function not possible).
	FaultRegistrationRefused FaultKind = "registration_refused"
	// FaultRepeatPrintOnly: Repeat Receipt is answered with print lines
	// of the last receipt (06 D1) and the completion, no
	// Status-Information.
	FaultRepeatPrintOnly FaultKind = "repeat_print_only"
	// FaultRepeatOriginal: after a reversal (06 30, or the terminal's own
	// for an unanswered or refused result) Repeat Receipt repeats the
	// original payment's receipt as it was approved, not the reversal.
	FaultRepeatOriginal FaultKind = "repeat_original"
)

// UnknownBMP is the field FaultStatusUnknownField adds: no ZVT table
// declares BMP 4C.
const UnknownBMP byte = 0x4C

// AllFaults lists every transaction fault kind, for randomized tests.
var AllFaults = []FaultKind{
	FaultDecline, FaultCustomerAbort, FaultCardError, FaultSlowCard, FaultHang,
	FaultNAK, FaultBadCRC, FaultByteGap, FaultDropAck, FaultHangUp, FaultGarbage,
	FaultDuplicate, FaultNoAckReverse,
	FaultLostAnswer, FaultAbortAfterAck, FaultAbortHeld, FaultShortTimers, FaultStatusBadLength,
	FaultStatusUnknownField, FaultBusyMenu, FaultUnsolicited,
}

// OtherFaults are the kinds that apply to the next Registration or Repeat
// Receipt instead of a transaction (never drawn at random).
var OtherFaults = []FaultKind{FaultRegistrationRefused, FaultRepeatPrintOnly, FaultRepeatOriginal}

// scope is which command a fault waits for.
type scope int

const (
	scopeTransaction scope = iota
	scopeRegistration
	scopeRepeat
)

func (k FaultKind) scope() scope {
	switch k {
	case FaultRegistrationRefused:
		return scopeRegistration
	case FaultRepeatPrintOnly, FaultRepeatOriginal:
		return scopeRepeat
	}
	return scopeTransaction
}

// Target is which of the simulator's messages a frame fault hits.
type Target string

const (
	TargetAck          Target = "ack"          // 80 00 00 answering the command
	TargetIntermediate Target = "intermediate" // the first 04 FF
	TargetResult       Target = "result"       // 04 0F or 06 1E (default)
	TargetCompletion   Target = "completion"   // 06 0F
)

// Fault is one fault for one transaction.
type Fault struct {
	Kind   FaultKind
	Code   byte          // decline / card error result code
	Steps  int           // slow card: intermediate statuses (default 4)
	Delay  time.Duration // slow card: pause before each (default T1); short timers: the wait
	Target Target        // frame faults: which message (default TargetResult)
}

// RandomFaults adds a fault to a transaction with Probability, its kind
// drawn from Kinds (AllFaults when empty) and its target from all
// targets, with a RNG seeded with Seed: the same seed gives the same
// faults for the same sequence of transactions.
type RandomFaults struct {
	Seed        int64
	Probability float64
	Kinds       []FaultKind
}

// Inject queues one-shot faults, used in order by the next commands they
// apply to (transactions, registrations, repeat receipts), before any
// random fault.
func (s *Sim) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

var allTargets = []Target{TargetAck, TargetIntermediate, TargetResult, TargetCompletion}

// takeFault takes the first queued fault for a command of scope sc.
func (s *Sim) takeFault(sc scope) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeFaultLocked(sc)
}

func (s *Sim) takeFaultLocked(sc scope) (Fault, bool) {
	for i, f := range s.faults {
		if f.Kind.scope() == sc {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// nextFault takes the fault for the next transaction.
func (s *Sim) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.takeFaultLocked(scopeTransaction); ok {
		return f
	}
	r := s.cfg.Random
	if r == nil || s.rng.Float64() >= r.Probability {
		return Fault{}
	}
	kinds := r.Kinds
	if len(kinds) == 0 {
		kinds = AllFaults
	}
	f := Fault{Kind: kinds[s.rng.Intn(len(kinds))], Target: allTargets[s.rng.Intn(len(allTargets))]}
	switch f.Kind {
	case FaultDecline:
		f.Code = []byte{0x05, 0x33, 0x0E, 0x3D}[s.rng.Intn(4)]
	case FaultCardError:
		f.Code = []byte{0x64, 0x65, 0x72, 0x78}[s.rng.Intn(4)]
	case FaultSlowCard:
		f.Steps = 2 + s.rng.Intn(3)
	}
	return f
}
