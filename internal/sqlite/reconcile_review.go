package sqlite

import (
	"encoding/json"

	"github.com/feepos/feepos/reconcile"
)

// reviewFacts fills in what a payment in needs_review lacks for the
// engine's offer rule (terminal, trace, approval code): such a payment
// has no recorded terminal result, but its review's evidence may hold
// the terminal's answer to the attempt (the approval feepos received and
// never recorded). The last result that names a trace is taken; without
// one the payment stays as it is and is left to its review.
func reviewFacts(p *reconcile.Payment, review string) {
	var rv struct {
		Evidence struct {
			Evidence []struct {
				Source string `json:"source"`
				Result *struct {
					TerminalID   string `json:"terminal_id"`
					TraceNo      int64  `json:"trace_no"`
					ReceiptNo    int64  `json:"receipt_no"`
					ApprovalCode string `json:"approval_code"`
					PANMasked    string `json:"pan_masked"`
					CardName     string `json:"card_name"`
				} `json:"result"`
			} `json:"evidence"`
		} `json:"evidence"`
	}
	if json.Unmarshal([]byte(review), &rv) != nil {
		return
	}
	ev := rv.Evidence.Evidence
	for i := len(ev) - 1; i >= 0; i-- {
		r := ev[i].Result
		if ev[i].Source != "result" || r == nil || r.TraceNo == 0 {
			continue
		}
		p.TraceNo, p.ApprovalCode = r.TraceNo, r.ApprovalCode
		if p.ReceiptNo == 0 {
			p.ReceiptNo = r.ReceiptNo
		}
		if p.PANMasked == "" {
			p.PANMasked = r.PANMasked
		}
		if p.Brand == "" {
			p.Brand = r.CardName
		}
		if r.TerminalID != "" {
			p.TerminalID = r.TerminalID
		}
		return
	}
}
