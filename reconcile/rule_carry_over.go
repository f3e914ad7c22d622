package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// carryOver is rule carry_over: each earlier day's open exception (Day.Open)
// that today's matches resolve — its payment or its line is in a Match
// today, e.g. a missing_in_settlement whose lagged line came — goes to
// Result.Resolved (the store closes it); every other one reappears as
// carried_over, with the day it was first seen (Since) and its age. Today's
// own exception about the same payment or line, of the same kind, is the
// open one again, so only the carried one is reported.
func (r *run) carryOver() {
	if len(r.day.Open) == 0 {
		return
	}
	named := map[string]bool{}
	for _, o := range r.day.Open {
		named[o.PaymentID], named[o.SettlementID] = true, true
	}
	delete(named, "")
	matchedPay, matchedLine := map[string]bool{}, map[string]bool{}
	for k := range int32(len(r.pay)) {
		if id := r.p(k).ID; r.payStat[k] == payMatched && named[id] {
			matchedPay[id] = true
		}
	}
	for lk := range int32(len(r.line)) {
		if id := r.l(lk).ID; r.lineOK[lk] && named[id] {
			matchedLine[id] = true
		}
	}

	open := slices.Clone(r.day.Open)
	slices.SortFunc(open, func(a, b Exception) int {
		return cmp.Or(strings.Compare(a.Since, b.Since), strings.Compare(string(origin(a)), string(origin(b))),
			strings.Compare(a.TerminalID, b.TerminalID), strings.Compare(a.PaymentID, b.PaymentID),
			strings.Compare(a.SettlementID, b.SettlementID), strings.Compare(a.BankID, b.BankID),
			strings.Compare(a.Detail, b.Detail))
	})
	same := map[string]bool{}
	var carried []Exception
	for _, o := range open {
		if (o.PaymentID != "" && matchedPay[o.PaymentID]) || (o.SettlementID != "" && matchedLine[o.SettlementID]) {
			r.resolved = append(r.resolved, o)
			continue
		}
		since := o.Since
		sd := dayNum(since)
		if sd == noDay {
			sd = r.date - 1 // a caller that lost the date: at least a day old
			since = dayString(sd)
		}
		e := o
		e.Kind, e.OriginKind, e.Since = CarriedOver, origin(o), since
		if r.date != noDay {
			e.AgeDays = int(r.date - sd)
		}
		e.Detail = fmt.Sprintf("Tồn từ ngày %s (%d ngày), chưa xử lý: %s", since, e.AgeDays, baseDetail(o.Detail))
		same[exceptionKey(e.OriginKind, &o)] = true
		carried = append(carried, e)
	}
	r.exceptions = slices.DeleteFunc(r.exceptions, func(e Exception) bool {
		return (e.PaymentID != "" || e.SettlementID != "") && same[exceptionKey(e.Kind, &e)]
	})
	r.exceptions = append(r.exceptions, carried...)
}

func origin(e Exception) ExceptionKind {
	if e.Kind == CarriedOver && e.OriginKind != "" {
		return e.OriginKind
	}
	return e.Kind
}

// exceptionKey is what an exception is about: its kind and its payment,
// else its line.
func exceptionKey(kind ExceptionKind, e *Exception) string {
	if e.PaymentID != "" {
		return string(kind) + "\x00p\x00" + e.PaymentID
	}
	return string(kind) + "\x00s\x00" + e.SettlementID
}

// baseDetail strips an earlier carry-over's prefix, so that an item
// carried for weeks says it once.
func baseDetail(d string) string {
	if strings.HasPrefix(d, "Tồn từ ngày ") {
		if _, rest, ok := strings.Cut(d, "chưa xử lý: "); ok {
			return rest
		}
	}
	return d
}
