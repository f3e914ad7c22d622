package pos

import (
	"fmt"
	"strconv"
	"time"
)

// Verdict is what recovery proved about a transaction whose outcome was in
// doubt. For a payment, Charged means the card was charged; for a reversal
// or a refund it means the reversal or refund took effect.
type Verdict string

const (
	Charged      Verdict = "charged"
	NotCharged   Verdict = "not_charged"
	StillUnknown Verdict = "unknown" // not proven either way: it stays in doubt, with its evidence, for a person
)

// Attempt kinds.
const (
	KindPay     = "pay"
	KindRefund  = "refund"
	KindReverse = "reverse"
)

// AttemptFacts is what feepos wrote down about a transaction before it sent
// it: what recovery matches the terminal's records against.
type AttemptFacts struct {
	Kind      string // KindPay, KindRefund, KindReverse
	Reference string
	Amount    int64
	StartedAt time.Time // when the command was sent, by feepos's clock
	// TraceBefore is the terminal's last trace number feepos knew before
	// sending (0: not known). A terminal gives every transaction it starts
	// the next trace number, so the attempt's own record, if any, carries
	// TraceBefore+1 (mod TraceModulus).
	TraceBefore int64
	// TraceOwn is the trace number the terminal gave this attempt in its
	// own result (ZVT's Status-Information), when that result reached
	// feepos before the outcome was lost (0: none came). A record with
	// that trace number is this attempt's, whatever the terminal did
	// with it since (booked it, or reversed it when feepos did not
	// acknowledge it), and a record with a later one is another
	// transaction. It places a record when TraceBefore is not known (the
	// terminal's first transaction since feepos started, or after a
	// transaction whose answer carried no trace).
	TraceOwn int64
	// Until is the latest moment the attempt's transaction can have been
	// recorded by the terminal (feepos's clock): the last time feepos heard
	// of it, plus the longest the terminal may still take (zero: not
	// known). With no TraceBefore, a record dated after it is another,
	// later transaction, not this attempt's.
	Until time.Time
}

// TraceModulus: ZVT trace numbers are 6 BCD digits and wrap to 1 after
// 999999 (PA00P015, BMP 0B).
const TraceModulus = 1_000_000

// DefaultClockSkew is how far a terminal's clock may be from feepos's when
// a record is dated against an attempt. Terminals take their time from the
// acquirer's host at each end of day; minutes are generous.
const DefaultClockSkew = 2 * time.Minute

// Evidence is one record a terminal gave of a past transaction.
type Evidence struct {
	Source string    `json:"source"` // EvidenceLastResult or EvidenceOrphan
	Result Result    `json:"result"`
	At     time.Time `json:"at"` // when feepos received it
	// Refused: an orphan the driver refused (ZVT 84 66), see Orphan.
	Refused bool `json:"refused,omitempty"`
}

const (
	EvidenceLastResult = "last_result"
	EvidenceOrphan     = "orphan"
)

// Finding is recovery's answer for one attempt and one piece of evidence.
type Finding struct {
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"` // English: why, for the log and the evidence kept
	// ReasonVI is the same in Vietnamese, for the technician or the
	// accountant who reads it at the counter.
	ReasonVI string `json:"reason_vi,omitempty"`
}

func find(v Verdict, en, vi string) Finding { return Finding{Verdict: v, Reason: en, ReasonVI: vi} }

// VerdictVI names a verdict on an attempt of kind (KindPay, KindRefund,
// KindReverse) for the cashier and the technician: for a reversal or a
// refund, Charged means it took effect.
func VerdictVI(kind string, v Verdict) string {
	switch {
	case v == StillUnknown:
		return "CHƯA XÁC ĐỊNH"
	case kind == KindReverse && v == Charged:
		return "ĐÃ HỦY"
	case kind == KindReverse:
		return "CHƯA HỦY"
	case kind == KindRefund && v == Charged:
		return "ĐÃ HOÀN TIỀN"
	case kind == KindRefund:
		return "CHƯA HOÀN TIỀN"
	case v == Charged:
		return "ĐÃ TRỪ TIỀN"
	}
	return "KHÔNG TRỪ TIỀN"
}

// kindVI names an attempt kind in Vietnamese.
func kindVI(k string) string {
	switch k {
	case KindPay:
		return "thanh toán"
	case KindRefund:
		return "hoàn tiền"
	case KindReverse:
		return "hủy giao dịch"
	}
	return k
}

// Judge decides what ev proves about attempt a (docs/TERMINALS.md,
// "Recovery"). It never guesses: a record is the attempt's own only when
// its trace number is the next after TraceBefore (or, with no
// TraceBefore, its terminal time falls inside the attempt and its amount
// matches), or when it echoes the attempt's reference. ev.At resolves a
// terminal date without a year; zone is the terminal's local time zone;
// skew is how far the terminal's clock may be off (DefaultClockSkew). An
// approval the driver refused (Evidence.Refused) proves nothing by itself:
// the terminal was told to reverse it, and only its own record says
// whether it did. The Finding's reason is in English and in Vietnamese.
func Judge(a AttemptFacts, ev Evidence, zone *time.Location, skew time.Duration) Finding {
	r := ev.Result
	dt := func(t time.Time) string { return t.In(zone).Format(time.DateTime) }
	if ev.Source == EvidenceOrphan && a.Reference != "" && r.Reference != "" {
		if r.Reference != a.Reference {
			return find(StillUnknown, fmt.Sprintf("the answer names reference %q, not this attempt's %q", r.Reference, a.Reference),
				fmt.Sprintf("kết quả của máy POS ghi tham chiếu %q, không phải %q của lần giao dịch này", r.Reference, a.Reference))
		}
		if f, ok := amountMismatch(a, r); ok {
			return f
		}
		if ev.Refused && r.Outcome == Approved {
			return find(StillUnknown, "the terminal's approval names this attempt's reference, but no one could record it and the driver refused it (the terminal was told to reverse it): only the terminal's own record can say whether it did",
				"máy POS chấp nhận giao dịch mang tham chiếu của lần này, nhưng không ai ghi nhận được nên phần mềm đã từ chối (máy POS được yêu cầu hủy): chỉ bản ghi của chính máy POS mới cho biết đã hủy hay chưa")
		}
		return byOutcome(a, r, "the terminal's answer names this attempt's reference", "kết quả của máy POS ghi đúng tham chiếu của lần giao dịch này")
	}
	if ev.Refused && r.Outcome == Approved {
		return find(StillUnknown, "an approval the driver refused (the terminal was told to reverse it): only the terminal's own record can say whether it did",
			"một kết quả chấp nhận mà phần mềm đã từ chối (máy POS được yêu cầu hủy): chỉ bản ghi của chính máy POS mới cho biết đã hủy hay chưa")
	}
	if r.Outcome == Unknown || (r.TraceNo == 0 && r.Date == "") {
		return find(StillUnknown, "the terminal gave no record of a transaction", "máy POS không đưa ra bản ghi giao dịch nào")
	}
	if a.TraceOwn > 0 && r.TraceNo > 0 {
		switch d := TraceDistance(a.TraceOwn, r.TraceNo); {
		case d == 0:
			if f, ok := kindMismatch(a, r); ok {
				return f
			}
			if f, ok := amountMismatch(a, r); ok {
				return f
			}
			return byOutcome(a, r, fmt.Sprintf("the terminal's last transaction is trace %d, the number it gave this attempt in its own result", r.TraceNo),
				fmt.Sprintf("giao dịch cuối của máy POS là số trace %d, đúng số trace máy POS đã cấp cho lần giao dịch này", r.TraceNo))
		case d < TraceModulus/2:
			return find(StillUnknown, fmt.Sprintf("the terminal recorded %d transactions after this attempt (trace %d; its last is trace %d): its last record is not this attempt's", d, a.TraceOwn, r.TraceNo),
				fmt.Sprintf("máy POS đã ghi nhận thêm %d giao dịch sau lần này (số trace %d, số trace cuối %d): bản ghi cuối không phải của lần này", d, a.TraceOwn, r.TraceNo))
		default:
			return find(StillUnknown, fmt.Sprintf("the terminal's last trace %d is older than %d, the one it gave this attempt: was the terminal reset or replaced?", r.TraceNo, a.TraceOwn),
				fmt.Sprintf("số trace cuối của máy POS (%d) cũ hơn số %d máy POS đã cấp cho lần này: máy POS đã được cài đặt lại hoặc thay máy?", r.TraceNo, a.TraceOwn))
		}
	}
	if a.TraceBefore > 0 && r.TraceNo > 0 {
		switch d := TraceDistance(a.TraceBefore, r.TraceNo); {
		case d == 0 && ev.Source == EvidenceOrphan:
			// An answer is not the terminal's word on its last
			// transaction: this one is the transaction before's, late.
			return find(StillUnknown, fmt.Sprintf("the answer is of trace %d, the transaction before this attempt: it says nothing of this one", r.TraceNo),
				fmt.Sprintf("kết quả này thuộc số trace %d, giao dịch trước lần này: không cho biết gì về lần này", r.TraceNo))
		case d == 0:
			return find(NotCharged, fmt.Sprintf("the terminal's last transaction is trace %d, the one before this attempt: no transaction was recorded after it was sent", r.TraceNo),
				fmt.Sprintf("giao dịch cuối của máy POS là số trace %d, giao dịch trước lần này: sau khi gửi lệnh, máy POS không ghi nhận giao dịch nào", r.TraceNo))
		case d == 1:
			// The trace feepos knew may be stale (a transaction made on the
			// terminal's own menu): the record's time must not predate the
			// attempt either.
			if at, ok := RecordTime(r, ev.At, zone); ok && at.Before(a.StartedAt.Add(-skew)) {
				return find(NotCharged, fmt.Sprintf("the terminal's last transaction (trace %d) is dated %s, before this attempt was sent (%s, allowing %s of clock difference): none was recorded after it",
					r.TraceNo, at.Format(time.DateTime), dt(a.StartedAt), skew),
					fmt.Sprintf("giao dịch cuối của máy POS (số trace %d) lúc %s, trước khi gửi lệnh lần này (%s, đã tính sai lệch đồng hồ %s): sau đó máy POS không ghi nhận giao dịch nào",
						r.TraceNo, at.Format(time.DateTime), dt(a.StartedAt), skew))
			}
			if f, ok := kindMismatch(a, r); ok {
				return f
			}
			if f, ok := amountMismatch(a, r); ok {
				return f
			}
			return byOutcome(a, r, fmt.Sprintf("trace %d is the next after %d, the terminal's last before this attempt", r.TraceNo, a.TraceBefore),
				fmt.Sprintf("số trace %d là số kế tiếp sau %d, số trace cuối trước lần này", r.TraceNo, a.TraceBefore))
		case d < TraceModulus/2:
			return find(StillUnknown, fmt.Sprintf("the terminal recorded %d transactions after this attempt was sent (last trace %d, %d before it): its last record is not this attempt's", d-1, r.TraceNo, a.TraceBefore),
				fmt.Sprintf("máy POS đã ghi nhận thêm %d giao dịch sau lần này (số trace cuối %d, trước lần này là %d): bản ghi cuối không phải của lần này", d-1, r.TraceNo, a.TraceBefore))
		default:
			return find(StillUnknown, fmt.Sprintf("the terminal's last trace %d is older than %d, known before this attempt: was the terminal reset or replaced?", r.TraceNo, a.TraceBefore),
				fmt.Sprintf("số trace cuối của máy POS (%d) cũ hơn số %d đã biết trước lần này: máy POS đã được cài đặt lại hoặc thay máy?", r.TraceNo, a.TraceBefore))
		}
	}
	// No trace to go by: the record's own time, against the attempt's.
	at, ok := RecordTime(r, ev.At, zone)
	if !ok {
		return find(StillUnknown, "the terminal's record carries neither a trace number feepos can place nor a date and time",
			"bản ghi của máy POS không có số trace dùng được, cũng không có ngày giờ")
	}
	switch {
	case at.Before(a.StartedAt.Add(-skew)) && ev.Source == EvidenceOrphan:
		return find(StillUnknown, fmt.Sprintf("the answer is of a transaction dated %s, before this attempt was sent (%s): it says nothing of this one", at.Format(time.DateTime), dt(a.StartedAt)),
			fmt.Sprintf("kết quả này thuộc giao dịch lúc %s, trước khi gửi lệnh lần này (%s): không cho biết gì về lần này", at.Format(time.DateTime), dt(a.StartedAt)))
	case at.Before(a.StartedAt.Add(-skew)):
		return find(NotCharged, fmt.Sprintf("the terminal's last transaction is dated %s, before this attempt was sent (%s, allowing %s of clock difference): none was recorded after it",
			at.Format(time.DateTime), dt(a.StartedAt), skew),
			fmt.Sprintf("giao dịch cuối của máy POS lúc %s, trước khi gửi lệnh lần này (%s, đã tính sai lệch đồng hồ %s): sau đó máy POS không ghi nhận giao dịch nào",
				at.Format(time.DateTime), dt(a.StartedAt), skew))
	case at.After(ev.At.Add(skew)):
		return find(StillUnknown, fmt.Sprintf("the terminal's last transaction is dated %s, after it was read (%s): its clock is off", at.Format(time.DateTime), dt(ev.At)),
			fmt.Sprintf("giao dịch cuối của máy POS lúc %s, sau cả thời điểm đọc (%s): đồng hồ máy POS bị lệch", at.Format(time.DateTime), dt(ev.At)))
	case !a.Until.IsZero() && at.After(a.Until.Add(skew)):
		return find(StillUnknown, fmt.Sprintf("the terminal's last transaction is dated %s, after this attempt had ended (%s): a later transaction, which says nothing of this one", at.Format(time.DateTime), dt(a.Until)),
			fmt.Sprintf("giao dịch cuối của máy POS lúc %s, sau khi lần này đã kết thúc (%s): đó là một giao dịch sau, không cho biết gì về lần này", at.Format(time.DateTime), dt(a.Until)))
	case at.Before(a.StartedAt.Add(skew)):
		// Within the clock tolerance of the start: it could be the
		// transaction just before. Only a trace number could tell.
		return find(StillUnknown, fmt.Sprintf("the terminal's last transaction is dated %s, too close to this attempt's start (%s) to tell which it is", at.Format(time.DateTime), dt(a.StartedAt)),
			fmt.Sprintf("giao dịch cuối của máy POS lúc %s, quá sát thời điểm bắt đầu lần này (%s) nên không biết là giao dịch nào", at.Format(time.DateTime), dt(a.StartedAt)))
	}
	if f, ok := kindMismatch(a, r); ok {
		return f
	}
	if f, ok := amountMismatch(a, r); ok {
		return f
	}
	return byOutcome(a, r, fmt.Sprintf("the terminal's last transaction, dated %s, falls inside this attempt and has its amount", at.Format(time.DateTime)),
		fmt.Sprintf("giao dịch cuối của máy POS, lúc %s, nằm trong thời gian của lần này và đúng số tiền", at.Format(time.DateTime)))
}

// kindMismatch: a record of another kind of transaction (a reversal, when
// this attempt is a payment) is not this attempt's, whatever its amount:
// the approval of a reversal is no charge.
func kindMismatch(a AttemptFacts, r Result) (Finding, bool) {
	if r.Kind == "" || a.Kind == "" || r.Kind == a.Kind {
		return Finding{}, false
	}
	return find(StillUnknown, fmt.Sprintf("the terminal's record is of a %s, not of this attempt's %s", r.Kind, a.Kind),
		fmt.Sprintf("bản ghi của máy POS là một giao dịch %s, không phải %s như lần này", kindVI(r.Kind), kindVI(a.Kind))), true
}

func amountMismatch(a AttemptFacts, r Result) (Finding, bool) {
	if a.Kind == KindReverse || r.Amount == 0 || r.Amount == a.Amount {
		// A reversal's record may carry the original amount or none.
		return Finding{}, false
	}
	return find(StillUnknown, fmt.Sprintf("the terminal's record of that transaction is for %d đồng, not this attempt's %d", r.Amount, a.Amount),
		fmt.Sprintf("bản ghi của máy POS là %d đồng, không phải %d đồng của lần này", r.Amount, a.Amount)), true
}

func byOutcome(a AttemptFacts, r Result, why, whyVI string) Finding {
	switch r.Outcome {
	case Approved:
		return find(Charged, why+", and the terminal approved it", whyVI+", và máy POS đã chấp nhận")
	case Declined, CardError, Aborted:
		return find(NotCharged, why+", and the terminal did not approve it ("+string(r.Outcome)+", result "+r.ResultCode+")",
			whyVI+", và máy POS không chấp nhận ("+string(r.Outcome)+", mã "+r.ResultCode+")")
	}
	return find(StillUnknown, why+", but its outcome is "+string(r.Outcome), whyVI+", nhưng kết quả là "+string(r.Outcome))
}

// TraceDistance is how many trace numbers after before comes after, on the
// wrapping ZVT counter (1..999999): 0 for the same, 1 for the next.
func TraceDistance(before, after int64) int64 {
	const n = TraceModulus - 1 // 1..999999
	d := (after - before) % n
	if d < 0 {
		d += n
	}
	return d
}

// RecordTime is the moment a terminal record was made, from its date
// (MM-DD, no year) and time (HH:MM:SS) in zone: the year is the one that
// puts it closest to received (a record of 31 December read on 1 January
// is of last year). False when the record has no usable date or
// time.
func RecordTime(r Result, received time.Time, zone *time.Location) (time.Time, bool) {
	if len(r.Date) != 5 || len(r.Time) != 8 {
		return time.Time{}, false
	}
	mo, err1 := strconv.Atoi(r.Date[0:2])
	dd, err2 := strconv.Atoi(r.Date[3:5])
	hh, err3 := strconv.Atoi(r.Time[0:2])
	mi, err4 := strconv.Atoi(r.Time[3:5])
	ss, err5 := strconv.Atoi(r.Time[6:8])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || mo < 1 || mo > 12 || dd < 1 || dd > 31 {
		return time.Time{}, false
	}
	local := received.In(zone)
	best := time.Time{}
	for _, y := range []int{local.Year() - 1, local.Year(), local.Year() + 1} {
		t := time.Date(y, time.Month(mo), dd, hh, mi, ss, 0, zone)
		if t.Month() != time.Month(mo) {
			continue // 29 February of a year without it
		}
		if best.IsZero() || absDuration(t.Sub(local)) < absDuration(best.Sub(local)) {
			best = t
		}
	}
	return best, !best.IsZero()
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
