package concertsim

import "time"

// FaultKind is one way the simulated terminal misbehaves, or a customer's
// choice, for one transaction.
type FaultKind string

const (
	FaultNone    FaultKind = ""
	FaultDecline FaultKind = "decline" // the issuer refuses: status '7', nothing charged
	// FaultAbort is the customer pressing cancel. E+ defines no abort
	// status in the sources; a Telium is taken to answer '7' (refused).
	FaultAbort FaultKind = "abort"
	// FaultAbandon is a card never presented: status '9' ("not
	// verified"), nothing charged. The driver cannot tell that from a
	// charge: it reports Unknown.
	FaultAbandon  FaultKind = "abandon"
	FaultSlowCard FaultKind = "slow_card" // wait Delay before answering
	FaultHang     FaultKind = "hang"      // take the request, charge, never answer
	// FaultNAKRequest answers NAK to the ECR's request frame Count times
	// (Count ≥ the ECR's frame attempts: the request is never taken).
	FaultNAKRequest FaultKind = "nak_request"
	FaultBadLRC     FaultKind = "bad_lrc"  // the answer frame goes out Count times with a wrong LRC first
	FaultByteGap    FaultKind = "byte_gap" // a silence of Delay in the middle of the (first) answer frame
	// FaultDropENQACK loses the ACK to the ECR's ENQ Count times.
	FaultDropENQACK FaultKind = "drop_enq_ack"
	// FaultDropACK loses the ACK to the ECR's request frame Count times:
	// the terminal took the request and runs the payment anyway.
	FaultDropACK FaultKind = "drop_ack"
	FaultHangUp  FaultKind = "hang_up" // charge, then close the line in the middle of the answer frame
	// FaultGarbage puts line noise (bytes that are no control character)
	// before every control byte and frame the terminal sends.
	FaultGarbage   FaultKind = "garbage"
	FaultDuplicate FaultKind = "duplicate" // send the answer session a second time
	// FaultLRCIsSTX shapes the (long) answer so that its LRC is 0x02, the
	// value of STX: a receiver that scans for STX after ETX loses it.
	FaultLRCIsSTX FaultKind = "lrc_stx"
	// FaultWrongPriv answers (approved, charged) with another PRIV than the
	// request's; FaultWrongAmount with another amount than the one
	// charged. A driver must not take either for its request's answer.
	FaultWrongPriv   FaultKind = "wrong_priv"
	FaultWrongAmount FaultKind = "wrong_amount"
	// FaultLateAnswer is a payment answered only after Delay, longer than
	// the register waits (a customer slow at the terminal): approved, the
	// answer comes when nobody waits for it any more. Like every
	// transaction at work, the terminal ignores the register meanwhile.
	FaultLateAnswer FaultKind = "late_answer"
	// FaultBusy is someone in the terminal's menu for Delay: the terminal
	// answers none of the register's ENQs (no ACK, no NAK: the
	// pyTeliumManager driver reads this silence as "not ready ... or
	// busy"); the transaction is not run. The register's next ENQ after
	// the menu closes starts the next transaction.
	FaultBusy FaultKind = "busy"
	// FaultAnswerACKLost: the terminal does not hear the register's ACK to
	// its answer Count times and sends the answer again after its ACK
	// timer each time (Count ≥ FrameAttempts: it gives up, the answer
	// counted as not delivered; the charge stands).
	FaultAnswerACKLost FaultKind = "answer_ack_lost"
	// FaultUnsolicited: after the transaction, the terminal sends on its
	// own an answer nobody asked for: a payment keyed in on the terminal
	// itself (UnsolicitedAmount đồng, approved, charged), PRIV blank.
	FaultUnsolicited FaultKind = "unsolicited"
	// FaultShortTimers: the terminal's own ACK timer is Delay for this
	// transaction, shorter than the register's: it gives up on an answer
	// the register holds (before Confirm) sooner than the register's
	// timers say (the charge stands).
	FaultShortTimers FaultKind = "short_timers"
)

// AllFaults is every fault kind, for the facade's list of options.
var AllFaults = []FaultKind{
	FaultDecline, FaultAbort, FaultAbandon, FaultSlowCard, FaultHang, FaultNAKRequest, FaultBadLRC,
	FaultByteGap, FaultDropENQACK, FaultDropACK, FaultHangUp, FaultGarbage, FaultDuplicate, FaultLRCIsSTX,
	FaultWrongPriv, FaultWrongAmount, FaultLateAnswer, FaultBusy, FaultAnswerACKLost, FaultUnsolicited,
	FaultShortTimers,
}

// UnsolicitedAmount is the amount of the payment FaultUnsolicited reports.
const UnsolicitedAmount = 20_000

// Fault is one fault for one transaction.
type Fault struct {
	Kind  FaultKind
	Count int           // for NAKRequest, BadLRC, DropENQACK, DropACK, AnswerACKLost; 0 means 1
	Delay time.Duration // for SlowCard, ByteGap, LateAnswer, Busy, ShortTimers
	// Gate, if set, holds the answer of any kind of transaction until it
	// is closed (after Delay, for the kinds that take one): a test decides
	// when a late answer comes. The terminal ignores the register
	// meanwhile, as at work.
	Gate <-chan struct{}
}

func (f Fault) count() int {
	if f.Count <= 0 {
		return 1
	}
	return f.Count
}
