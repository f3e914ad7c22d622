package reconcile

const ruleTerminalTrace = "terminal_trace_date"

// terminalTrace is rule terminal_trace_date, the strongest key: the same
// terminal and trace number, on the payment's date (the line's local
// transaction date, or its settlement date within the lag). A trace
// number repeats once its counter wraps, which the date tells apart. The
// same key with another amount is an amount_mismatch: never a match.
func (r *run) terminalTrace() {
	for lk := range int32(len(r.line)) {
		if r.lineUsed[lk] {
			continue
		}
		l := r.l(lk)
		k, exact := r.findByTrace(l, lk, linePol(l), false)
		switch {
		case k < 0:
		case exact:
			r.match(ruleTerminalTrace, k, lk)
		default:
			r.amountMismatch(k, lk)
		}
	}
}

// findByTrace is the first free payment (in review or not, as asked) with
// line lk's polarity, terminal, trace and a date that fits: one of the
// same amount if any (exact), else the first of another amount.
func (r *run) findByTrace(l *SettlementLine, lk int32, pol int64, review bool) (best int32, exact bool) {
	best = -1
	h, ok := traceKey(pol, l.TerminalID, l.TraceNo)
	if !ok {
		return -1, false
	}
	for k := r.byTrace.first(h); k >= 0; k = r.byTrace.after(k) {
		p := r.p(k)
		if !r.free(k, review) || payPol(p) != pol || p.TerminalID != l.TerminalID || p.TraceNo != l.TraceNo || !r.dateOK(k, lk) {
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
