package reconcile

const ruleRRN = "rrn"

// rrn is rule rrn: the retrieval reference number, when both sides have
// it. It is unique over months, so the date only has to be not after the
// line's settlement. The same RRN with another amount is an
// amount_mismatch.
func (r *run) rrn() {
	for lk := range int32(len(r.line)) {
		if r.lineUsed[lk] {
			continue
		}
		l := r.l(lk)
		k, exact := r.findByRRN(l, lk, linePol(l))
		switch {
		case k < 0:
		case exact:
			r.match(ruleRRN, k, lk)
		default:
			r.amountMismatch(k, lk)
		}
	}
}

func (r *run) findByRRN(l *SettlementLine, lk int32, pol int64) (best int32, exact bool) {
	best = -1
	h, ok := rrnKey(pol, l.RRN)
	if !ok {
		return -1, false
	}
	if r.byRRN == nil {
		r.byRRN = r.freeIndex(func(p *Payment) (uint64, bool) { return rrnKey(payPol(p), p.RRN) })
	}
	for k := r.byRRN.first(h); k >= 0; k = r.byRRN.after(k) {
		p := r.p(k)
		if !r.free(k, false) || payPol(p) != pol || p.RRN != l.RRN {
			continue
		}
		if sd, pd := r.lineDay[lk], r.payDay[k]; sd != noDay && pd != noDay && pd > sd {
			continue
		}
		if p.Amount == l.Amount {
			return k, true
		}
		if best < 0 {
			best = k
		}
	}
	return best, false
}
