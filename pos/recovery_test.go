package pos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestJudge(t *testing.T) {
	zone := time.FixedZone("ICT", 7*3600)
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, zone)
	read := start.Add(3 * time.Minute)
	pay := AttemptFacts{Kind: KindPay, Reference: "P-1", Amount: 150000, StartedAt: start, TraceBefore: 41}
	noTrace := pay
	noTrace.TraceBefore = 0
	// The terminal's own result of the attempt carried trace 1, and
	// nothing was known before (its first transaction since the start):
	// the record dated inside the clock tolerance is placed by its trace.
	own := noTrace
	own.TraceOwn = 1
	bounded := noTrace
	bounded.Until = start.Add(1 * time.Minute)
	bounded.StartedAt = start.Add(-2 * time.Minute)
	rec := func(o Outcome, trace, amount int64, date, clock string) Evidence {
		return Evidence{Source: EvidenceLastResult, At: read,
			Result: Result{Outcome: o, TraceNo: trace, Amount: amount, Date: date, Time: clock, ResultCode: "00"}}
	}
	for _, tt := range []struct {
		name string
		a    AttemptFacts
		ev   Evidence
		want Verdict
	}{
		// The review's defect: the terminal went silent after taking the
		// command, and its last record is the previous approved payment.
		{"previous payment is not this one", pay, rec(Approved, 41, 150000, "12-06", "09:58:00"), NotCharged},
		{"own trace approved", pay, rec(Approved, 42, 150000, "12-06", "10:00:30"), Charged},
		{"own trace aborted", pay, rec(Aborted, 42, 150000, "12-06", "10:00:30"), NotCharged},
		{"own trace declined", pay, rec(Declined, 42, 150000, "12-06", "10:00:30"), NotCharged},
		{"own trace, other amount", pay, rec(Approved, 42, 90000, "12-06", "10:00:30"), StillUnknown},
		{"own trace number but dated before the attempt (stale trace)", pay, rec(Approved, 42, 150000, "12-06", "09:30:00"), NotCharged},
		{"others ran since", pay, rec(Approved, 44, 150000, "12-06", "10:02:00"), StillUnknown},
		{"older than known", pay, rec(Approved, 40, 150000, "12-06", "09:00:00"), StillUnknown},
		{"no record", pay, Evidence{Source: EvidenceLastResult, At: read, Result: Result{Outcome: Unknown}}, StillUnknown},
		{"own trace, but the record is a reversal of the same amount", pay, Evidence{Source: EvidenceLastResult, At: read,
			Result: Result{Outcome: Approved, Kind: KindReverse, TraceNo: 42, Amount: 150000, Date: "12-06", Time: "10:00:30", ResultCode: "00"}}, StillUnknown},
		{"own trace, record of a reversal attempt", AttemptFacts{Kind: KindReverse, Amount: 150000, StartedAt: start, TraceBefore: 41},
			Evidence{Source: EvidenceLastResult, At: read, Result: Result{Outcome: Approved, Kind: KindReverse, TraceNo: 42, Amount: 150000, Date: "12-06", Time: "10:00:30", ResultCode: "00"}}, Charged},
		{"trace wraps", AttemptFacts{Kind: KindPay, Amount: 1000, StartedAt: start, TraceBefore: 999999}, rec(Approved, 1, 1000, "12-06", "10:00:30"), Charged},

		{"own result's trace: reversed by the terminal", own, rec(Aborted, 1, 150000, "12-06", "10:00:05"), NotCharged},
		{"own result's trace: booked", own, rec(Approved, 1, 150000, "12-06", "10:00:05"), Charged},
		{"own result's trace, other amount", own, rec(Aborted, 1, 90000, "12-06", "10:00:05"), StillUnknown},
		{"own result's trace: others ran since", own, rec(Approved, 3, 150000, "12-06", "10:00:05"), StillUnknown},
		{"own result's trace: older record", own, rec(Approved, 999998, 150000, "12-06", "09:00:05"), StillUnknown},
		{"an orphan of the transaction before proves nothing", pay, Evidence{Source: EvidenceOrphan, At: read,
			Result: Result{Outcome: Approved, TraceNo: 41, Amount: 150000, Date: "12-06", Time: "09:59:59", ResultCode: "00"}}, StillUnknown},
		{"an orphan dated before the attempt proves nothing", noTrace, Evidence{Source: EvidenceOrphan, At: read,
			Result: Result{Outcome: Approved, TraceNo: 41, Amount: 150000, Date: "12-06", Time: "09:50:00", ResultCode: "00"}}, StillUnknown},
		{"no trace: record before the attempt", noTrace, rec(Approved, 41, 150000, "12-06", "09:50:00"), NotCharged},
		{"no trace: record inside the attempt", noTrace, rec(Approved, 42, 150000, "12-06", "10:02:30"), Charged},
		{"no trace: too close to the start", noTrace, rec(Approved, 42, 150000, "12-06", "10:00:30"), StillUnknown},
		{"no trace: amount differs", noTrace, rec(Approved, 42, 1, "12-06", "10:02:30"), StillUnknown},
		{"no trace: dated after it was read", noTrace, rec(Approved, 42, 150000, "12-06", "11:00:00"), StillUnknown},
		{"no trace: no date", noTrace, rec(Approved, 42, 150000, "", ""), StillUnknown},
		{"no trace: dated after the attempt ended", bounded, rec(Approved, 42, 150000, "12-06", "10:04:00"), StillUnknown},
		{"no trace: inside the bounded attempt", bounded, rec(Approved, 42, 150000, "12-06", "10:01:30"), Charged},
		{"refused approval proves nothing", pay, Evidence{Source: EvidenceOrphan, At: read, Refused: true, Result: Result{Outcome: Approved, TraceNo: 42, Amount: 150000, Date: "12-06", Time: "10:00:30"}}, StillUnknown},
		{"refused approval naming the reference proves nothing", pay, Evidence{Source: EvidenceOrphan, At: read, Refused: true, Result: Result{Outcome: Approved, Reference: "P-1", Amount: 150000}}, StillUnknown},
		{"refused decline is still no charge", pay, Evidence{Source: EvidenceOrphan, At: read, Refused: true, Result: Result{Outcome: Declined, Reference: "P-1", Amount: 150000}}, NotCharged},

		{"orphan with this reference", pay, Evidence{Source: EvidenceOrphan, At: read, Result: Result{Outcome: Approved, Reference: "P-1", Amount: 150000}}, Charged},
		{"orphan with this reference, declined", pay, Evidence{Source: EvidenceOrphan, At: read, Result: Result{Outcome: Declined, Reference: "P-1"}}, NotCharged},
		{"orphan with this reference, other amount", pay, Evidence{Source: EvidenceOrphan, At: read, Result: Result{Outcome: Approved, Reference: "P-1", Amount: 90000}}, StillUnknown},
		{"orphan of another reference", pay, Evidence{Source: EvidenceOrphan, At: read, Result: Result{Outcome: Approved, Reference: "P-0"}}, StillUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := Judge(tt.a, tt.ev, zone, DefaultClockSkew)
			assert.Equal(t, tt.want, f.Verdict, f.Reason)
			assert.NotEmpty(t, f.Reason)
			assert.NotEmpty(t, f.ReasonVI)
		})
	}
}

func TestRecordTimeAcrossNewYear(t *testing.T) {
	zone := time.FixedZone("ICT", 7*3600)
	read := time.Date(2027, 1, 1, 0, 5, 0, 0, zone)
	at, ok := RecordTime(Result{Date: "12-31", Time: "23:59:00"}, read, zone)
	assert.True(t, ok)
	assert.Equal(t, 2026, at.Year())
	at, ok = RecordTime(Result{Date: "01-01", Time: "00:01:00"}, read, zone)
	assert.True(t, ok)
	assert.Equal(t, 2027, at.Year())
	_, ok = RecordTime(Result{Date: "13-01", Time: "00:01:00"}, read, zone)
	assert.False(t, ok)
}

func TestFinalKindCoversEveryOutcome(t *testing.T) {
	for o, k := range map[Outcome]EventKind{
		Approved: EventApproved, Declined: EventDeclined, CardError: EventDeclined, Aborted: EventAborted,
		Busy: EventTransportError, TransportError: EventTransportError, Unknown: EventUnknown,
	} {
		assert.Equal(t, k, FinalKind(o), o)
		assert.True(t, k.Final())
		e := FinalEvent(Result{Outcome: o}, time.Time{})
		assert.NotEmpty(t, e.Text, o)
	}
	assert.False(t, EventCardProblem.Final())
	assert.Equal(t, EventUnknown, FinalKind(""), "an outcome nobody set is unknown, never declined")
}

func TestVerdictVI(t *testing.T) {
	assert.Equal(t, "ĐÃ TRỪ TIỀN", VerdictVI(KindPay, Charged))
	assert.Equal(t, "KHÔNG TRỪ TIỀN", VerdictVI(KindPay, NotCharged))
	assert.Equal(t, "CHƯA XÁC ĐỊNH", VerdictVI(KindPay, StillUnknown))
	assert.Equal(t, "ĐÃ HỦY", VerdictVI(KindReverse, Charged))
	assert.Equal(t, "CHƯA HỦY", VerdictVI(KindReverse, NotCharged))
	assert.Equal(t, "CHƯA HOÀN TIỀN", VerdictVI(KindRefund, NotCharged))
}
