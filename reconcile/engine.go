package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Run reconciles one day: it pairs the ledger's payments with the
// acquirer's lines rule by rule (strong keys first), checks the acquirer's
// net against the bank's credits, the ledger against the terminals' totals
// and the bank's closing balance against the ledger's bank account, and
// carries the earlier days' open exceptions over. It is pure and
// deterministic: it reads nothing but d, changes nothing in d, and the
// same facts in any order give the same Result (docs/RECONCILE-ENGINE.md).
//
// The rules run in this order; each one only sees what the ones before it
// left:
//
//	duplicate_in_settlement  (rule_duplicate.go)     the same line twice: the second is the exception
//	void                     (rule_void.go)          a VOID cancels its SALE: the pair is set aside (settled after rrn)
//	terminal_trace_date      (rule_terminal_trace.go) terminal + trace + date
//	approval_amount          (rule_approval_amount.go) approval code + amount (+ terminal)
//	rrn                      (rule_rrn.go)           retrieval reference number
//	void                     (rule_void.go)          the voided pairs match a ledger sale + reversal, or nothing
//	offer_in_doubt           (rule_offer_in_doubt.go) a payment in review the file shows settled: offered, not matched
//	missing_in_ledger        (rule_missing_in_ledger.go) lines nothing matched
//	date_lag                 (rule_date_lag.go)      unmatched payments: pending within the lag, else missing_in_settlement
//	batch_net                (rule_batch_net.go)     acquirer net per batch / terminal-day / day vs bank credits; postings
//	terminal_totals          (rule_terminal_totals.go) ledger vs the terminals' end-of-day totals
//	balance                  (rule_balance.go)       bank closing balance vs the ledger's bank account
//	carry_over               (rule_carry_over.go)    earlier days' open exceptions: resolved or carried_over
//
// Refunds (rule_refund.go) are not a pass of their own: every key rule
// pairs REFUND lines with the ledger's refunds only, and SALE lines with
// its payments only.
//
// Run panics if d.Payments holds the same payment id twice: the ledger's
// payments table cannot, so that is the caller's bug, and matching on it
// would put one payment in two matches.
func Run(d Day) Result {
	r := newRun(d)
	r.duplicates()
	r.voids()
	r.terminalTrace()
	r.approvalAmount()
	r.rrn()
	r.settleVoids()
	r.offersInDoubt()
	r.missingInLedger()
	r.dateLag()
	r.batchNet()
	r.terminalTotals()
	r.balance()
	r.carryOver()
	return r.result()
}

// Payment states in run.payState.
const (
	payFree    uint8 = iota
	payMatched       // in a Match (not an offer)
	payOffered       // in an offer Match
	payDone          // reported in an exception (or pending): no rule may take it any more
)

// run is one Run's working state. Payments and lines are addressed by
// rank: their position in canonical order (pay[rank] is the index into
// Day.Payments), so the input's order never shows in the result and
// nothing is copied.
type run struct {
	day     Day
	date    int32 // Day.Date as a day number (noDay: unknown)
	lag     int32
	pay     []int32 // rank → index into Day.Payments
	payDay  []int32 // rank → the payment's business date
	payStat []uint8

	line     []int32 // rank → index into Day.Settlement
	lineDay  []int32 // settlement date
	lineTxn  []int32 // the card transaction's local date (noDay: no time)
	lineUsed []bool  // matched, offered or reported
	lineOK   []bool  // in a Match (not an offer)

	// byTrace is built up front; byApproval and byRRN when a rule first
	// needs them, over the payments still free then (after the trace
	// rule, a few per cent of them: a taken payment is never a candidate).
	byTrace, byApproval, byRRN *index // over payment ranks
	voidPairs                  [][2]int32

	matches       []Match
	exceptions    []Exception
	pending       []Pending
	pendingAmount int64 // refunds negative
	resolved      []Exception
	postings      []Posting
	ids           []string // backing store of the matches' id slices
	lagText       map[int32]string
}

func newRun(d Day) *run {
	r := &run{day: d, lag: int32(d.Options.LagDays), lagText: map[int32]string{}}
	if r.lag <= 0 {
		r.lag = 1
	}
	r.date = dayNum(d.Date)

	r.pay = order(len(d.Payments), func(a, b int32) int {
		return strings.Compare(d.Payments[a].ID, d.Payments[b].ID)
	})
	for k := 1; k < len(r.pay); k++ {
		if id := d.Payments[r.pay[k]].ID; id == d.Payments[r.pay[k-1]].ID {
			panic(fmt.Sprintf("reconcile: payment %q is twice in Day.Payments: pass each ledger payment once", id))
		}
	}
	r.payDay = make([]int32, len(r.pay))
	r.payStat = make([]uint8, len(r.pay))
	var last string
	var lastDay int32 = noDay
	for k, i := range r.pay {
		if s := d.Payments[i].Date; s != last {
			last, lastDay = s, dayNum(s)
		}
		r.payDay[k] = lastDay
	}

	r.line = order(len(d.Settlement), func(a, b int32) int {
		return compareLines(&d.Settlement[a], &d.Settlement[b])
	})
	r.lineDay = make([]int32, len(r.line))
	r.lineTxn = make([]int32, len(r.line))
	r.lineUsed = make([]bool, len(r.line))
	r.lineOK = make([]bool, len(r.line))
	last, lastDay = "", noDay
	for k, i := range r.line {
		l := &d.Settlement[i]
		if l.SettlementDate != last {
			last, lastDay = l.SettlementDate, dayNum(l.SettlementDate)
		}
		r.lineDay[k] = lastDay
		r.lineTxn[k] = noDay
		if !l.TxnTime.IsZero() {
			y, m, dd := l.TxnTime.Date()
			r.lineTxn[k] = civilDay(y, int(m), dd)
		}
	}

	n := len(r.pay)
	r.byTrace = newIndex(n, func(k int32) (uint64, bool) {
		p := r.p(k)
		return traceKey(payPol(p), p.TerminalID, p.TraceNo)
	})
	r.ids = make([]string, 0, 2*min(len(r.pay), len(r.line))+64)
	r.matches = make([]Match, 0, min(len(r.pay), len(r.line))+64)
	return r
}

// order returns 0..n-1 sorted by cmp (the compare functions break every
// tie that can change a result).
func order(n int, cmp func(a, b int32) int) []int32 {
	o := make([]int32, n)
	for i := range o {
		o[i] = int32(i)
	}
	if !slices.IsSortedFunc(o, cmp) {
		slices.SortFunc(o, cmp)
	}
	return o
}

// compareLines is the lines' canonical order: by settlement date, file and
// line, then by every field that tells two lines apart.
func compareLines(a, b *SettlementLine) int {
	return cmp.Or(
		strings.Compare(a.SettlementDate, b.SettlementDate),
		strings.Compare(a.Source, b.Source),
		cmp.Compare(a.Line, b.Line),
		strings.Compare(a.ID, b.ID),
		strings.Compare(string(a.Type), string(b.Type)),
		strings.Compare(a.TerminalID, b.TerminalID),
		strings.Compare(a.BatchNo, b.BatchNo),
		cmp.Compare(a.TraceNo, b.TraceNo),
		strings.Compare(a.ApprovalCode, b.ApprovalCode),
		strings.Compare(a.RRN, b.RRN),
		cmp.Compare(a.Amount, b.Amount),
		cmp.Compare(a.Fee, b.Fee),
		cmp.Compare(a.Net, b.Net),
		a.TxnTime.Compare(b.TxnTime),
	)
}

func (r *run) p(k int32) *Payment        { return &r.day.Payments[r.pay[k]] }
func (r *run) l(k int32) *SettlementLine { return &r.day.Settlement[r.line[k]] }

// freeIndex builds an index over the payments still free.
func (r *run) freeIndex(key func(p *Payment) (uint64, bool)) *index {
	return newIndex(len(r.pay), func(k int32) (uint64, bool) {
		if r.payStat[k] != payFree {
			return 0, false
		}
		return key(r.p(k))
	})
}

// free: a payment no rule has taken yet, in review or not as asked.
func (r *run) free(k int32, review bool) bool {
	return r.payStat[k] == payFree && r.day.Payments[r.pay[k]].InReview == review
}

// dateOK: the line can be the payment's: the card transaction's local
// date is the payment's business date, or the line was settled on the
// payment's date or within the lag after it.
func (r *run) dateOK(k, lk int32) bool {
	pd := r.payDay[k]
	if t := r.lineTxn[lk]; t != noDay && t == pd {
		return true
	}
	sd := r.lineDay[lk]
	return sd != noDay && pd != noDay && sd >= pd && sd-pd <= r.lag
}

// strs keeps a match's ids in one shared backing array (a million
// matches, not a million small allocations).
func (r *run) strs(ss ...string) []string {
	if cap(r.ids)-len(r.ids) < len(ss) {
		r.ids = make([]string, 0, max(1024, len(ss)))
	}
	start := len(r.ids)
	r.ids = append(r.ids, ss...)
	return r.ids[start:len(r.ids):len(r.ids)]
}

// claim puts payment k in a match. A ledger payment belongs to at most one
// match: the store enforces it with a unique constraint, the engine
// asserts it here.
func (r *run) claim(k int32, state uint8) {
	if r.payStat[k] == payMatched || r.payStat[k] == payOffered {
		panic(fmt.Sprintf("reconcile: payment %s would be in two matches (engine bug)", r.p(k).ID))
	}
	r.payStat[k] = state
}

// match records payment k settled by line lk.
func (r *run) match(rule string, k, lk int32) {
	r.claim(k, payMatched)
	r.lineUsed[lk], r.lineOK[lk] = true, true
	l := r.l(lk)
	m := Match{Rule: rule, PaymentIDs: r.strs(r.p(k).ID), Settlement: r.strs(l.ID), Amount: l.Amount, Fee: l.Fee, Net: l.Net}
	if lag := r.lineDay[lk] - r.payDay[k]; lag > 0 && r.lineDay[lk] != noDay && r.payDay[k] != noDay {
		m.LagDays = int(lag)
		m.Explanation = r.lagExplanation(lag)
	}
	r.matches = append(r.matches, m)
}

func (r *run) lagExplanation(lag int32) string {
	s, ok := r.lagText[lag]
	if !ok {
		s = fmt.Sprintf("Quyết toán sau %d ngày (giao dịch sau giờ chốt của ngân hàng thanh toán).", lag)
		r.lagText[lag] = s
	}
	return s
}

func (r *run) except(e Exception) { r.exceptions = append(r.exceptions, e) }

func ptr(v int64) *int64 { return &v }

var kindRank = map[ExceptionKind]int{
	MissingInSettlement: 0, MissingInLedger: 1, AmountMismatch: 2, DuplicateInSettlement: 3,
	TerminalTotalMismatch: 4, BankCreditMismatch: 5, BalanceMismatch: 6, CarriedOver: 7,
}

func (r *run) result() Result {
	slices.SortStableFunc(r.exceptions, func(a, b Exception) int {
		return cmp.Or(
			cmp.Compare(kindRank[a.Kind], kindRank[b.Kind]),
			strings.Compare(string(a.OriginKind), string(b.OriginKind)),
			strings.Compare(a.TerminalID, b.TerminalID),
			cmp.Compare(a.TraceNo, b.TraceNo),
			strings.Compare(a.PaymentID, b.PaymentID),
			strings.Compare(a.SettlementID, b.SettlementID),
			strings.Compare(a.BankID, b.BankID),
			strings.Compare(a.Since, b.Since),
			strings.Compare(a.Detail, b.Detail),
		)
	})
	res := Result{
		Matches:    r.matches,
		Exceptions: r.exceptions,
		Postings:   r.postings,
		Pending:    r.pending,
		Resolved:   r.resolved,
		Summary:    r.summary(),
	}
	if res.Matches == nil {
		res.Matches = []Match{}
	}
	if res.Exceptions == nil {
		res.Exceptions = []Exception{}
	}
	return res
}
