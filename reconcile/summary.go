package reconcile

// summary is the day in figures (the JSON report's summary):
//   - ledger: the day's payments (Date = Day.Date) not in review, refunds
//     negative;
//   - settlement: every line of the day's files, VOID and REFUND negative
//     (so a voided sale counts two lines and nothing in amount); fee and
//     net are the acquirer's, with the same signs;
//   - matched: the payments the engine matched (of any date: a lagged
//     payment of yesterday counts today), refunds negative; offers are
//     not matches;
//   - exceptions: all of them, carried over included;
//   - pending: payments still within the lag.
func (r *run) summary() Summary {
	var s Summary
	for k := range int32(len(r.pay)) {
		p := r.p(k)
		sign := paySign(p)
		if r.payDay[k] == r.date && !p.InReview {
			s.LedgerCount++
			s.LedgerAmount += sign * p.Amount
		}
		if r.payStat[k] == payMatched {
			s.MatchedCount++
			s.MatchedAmount += sign * p.Amount
		}
	}
	for lk := range int32(len(r.line)) {
		l := r.l(lk)
		sign := lineSign(l)
		s.SettlementCount++
		s.SettlementAmount += sign * l.Amount
		s.FeeAmount += sign * l.Fee
		s.NetAmount += sign * l.Net
	}
	s.ExceptionCount = len(r.exceptions)
	s.PendingCount, s.PendingAmount = len(r.pending), r.pendingAmount
	return s
}
