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
)

// AllFaults lists every kind, for randomized tests.
var AllFaults = []FaultKind{
	FaultDecline, FaultCustomerAbort, FaultCardError, FaultSlowCard, FaultHang,
	FaultNAK, FaultBadCRC, FaultByteGap, FaultDropAck, FaultHangUp, FaultGarbage,
	FaultDuplicate, FaultNoAckReverse,
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
	Delay  time.Duration // slow card: pause before each (default T1)
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

// Inject queues one-shot faults, used by the next transactions in order
// (before any random fault).
func (s *Sim) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

var allTargets = []Target{TargetAck, TargetIntermediate, TargetResult, TargetCompletion}

// nextFault takes the fault for the next transaction.
func (s *Sim) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
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
