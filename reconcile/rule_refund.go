package reconcile

// Refunds are not a pass of their own: every key rule (terminal_trace_date,
// approval_amount, rrn) works on a polarity, and pairs a REFUND line only
// with a ledger refund or reversal (Payment.Refund), a SALE line only with
// a payment. So a refund of 500.000 đồng never settles a sale of 500.000
// đồng with the same approval code, and a missing refund is reported as
// missing like a missing sale. In the day's sums a refund counts negative.
//
// payPol and linePol: 0 for money in (a payment, a SALE), 1 for money
// back (a ledger refund or reversal, a REFUND or VOID line). Keys include
// it, so a sale never pairs with a refund.
func payPol(p *Payment) int64 {
	if p.Refund {
		return 1
	}
	return 0
}

func linePol(l *SettlementLine) int64 {
	if l.Type == Refund || l.Type == Void {
		return 1
	}
	return 0
}

// signed is a line's or payment's sign in the day's sums.
func lineSign(l *SettlementLine) int64 { return 1 - 2*linePol(l) }
func paySign(p *Payment) int64         { return 1 - 2*payPol(p) }
