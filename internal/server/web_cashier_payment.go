package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/receipts"
)

// GET /cashier/payments/{id}: one payment. While a card charge runs the
// status follows the terminal live (cashier.js opens the events stream);
// once it has ended the page shows the stored result, so loading it
// later, or after the stream dropped, is always right. A paid payment
// shows its receipts with the buttons to print them; cash shows the
// change to give back; an unknown outcome shows what to do.

type cashierReceipt struct {
	Ref       string // 26TAA-00000123
	Template  string
	Series    string
	Number    string // 00000123
	OrgCode   string
	Total     int64
	Kind      string // issued | replacement
	PDF       string // A5 PDF
	HTML80    string // 80 mm thermal HTML
	VerifyURL string
}

type cashierEvidence struct {
	Terminal  string
	Attempt   string
	Amount    int64
	TraceNo   string
	PANMasked string
	Approval  string
	Reason    string
	Result    string // the terminal's last word, if any
}

type cashierPaymentData struct {
	P         payments.Payment
	Req       payments.Request
	State     cashierState
	Live      bool   // a card charge runs: the page follows it
	EventsURL string // its stream
	Receipts  []cashierReceipt
	Evidence  *cashierEvidence // needs_review
	Retry     bool             // the request is payable again (declined, failed)
}

func (s *Server) handleCashierPayment(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := svc.Payment(ctx, chi.URLParam(r, "id"))
	if err != nil {
		status, msg := cashierErrVI(err)
		if status >= 500 {
			s.webErr(w, r, err)
			return
		}
		s.webError(w, r, status, msg)
		return
	}
	req, err := svc.Request(ctx, p.PaymentRequestID)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d := cashierPaymentData{P: p, Req: req, State: paymentState(p), Receipts: cashierReceipts(p, s.publicBase(r))}
	if p.Status == payments.PaymentProcessing && p.Method == payments.MethodCard {
		d.Live = true
		d.EventsURL = "/cashier/payments/" + url.PathEscape(p.ID) + "/events"
	}
	if p.Status == payments.PaymentNeedsReview {
		d.Evidence = evidenceOf(p)
	}
	d.Retry = req.Status == payments.RequestPending
	s.renderPage(w, r, http.StatusOK, "cashier_payment", "Thanh toán hồ sơ "+req.DossierCode, d)
}

// cashierReceipts are p's receipts with their print addresses and their
// public page, on publicBase when the service names none ([receipts]
// verify_base), with the lookup code as the receipt's QR code carries it.
func cashierReceipts(p payments.Payment, publicBase string) []cashierReceipt {
	out := make([]cashierReceipt, 0, len(p.Receipts))
	for _, rc := range p.Receipts {
		num := fmt.Sprintf("%08d", rc.Number)
		base := "/cashier/receipts/" + url.PathEscape(rc.Template) + "/" + url.PathEscape(rc.Series) + "/" + num
		verify := rc.VerifyURL
		if verify == "" {
			verify = receipts.VerifyURL(publicBase, receipts.Receipt{
				Ref: receipts.Ref{Template: rc.Template, Series: rc.Series, Number: rc.Number}, LookupCode: rc.LookupCode})
		}
		out = append(out, cashierReceipt{Ref: rc.Series + "-" + num, Template: rc.Template, Series: rc.Series, Number: num,
			OrgCode: rc.OrgCode, Total: rc.Total, Kind: rc.Kind, PDF: base + ".pdf", HTML80: base + ".html?size=80mm", VerifyURL: verify})
	}
	return out
}

// evidenceOf is what the cashier and the accountant need of a payment in
// review: the terminal, the trace, the amount, the masked card number
// and why (never a full card number: the drivers mask it).
func evidenceOf(p payments.Payment) *cashierEvidence {
	ev := &cashierEvidence{Terminal: p.Terminal, Attempt: p.AttemptID, Amount: p.Amount}
	if p.Review != nil {
		ev.Reason = p.Review.Reason
	}
	if tr := p.TerminalResult; tr != nil {
		ev.TraceNo, ev.PANMasked, ev.Approval = tr.TraceNo, tr.PANMasked, tr.ApprovalCode
	}
	if p.Review == nil || p.Review.Evidence == nil {
		return ev
	}
	// The review's evidence is the attempt's record as stored.
	b, err := json.Marshal(p.Review.Evidence)
	if err != nil {
		return ev
	}
	var rec terminals.AttemptRecord
	if json.Unmarshal(b, &rec) != nil {
		return ev
	}
	if ev.Attempt == "" {
		ev.Attempt = rec.ID
	}
	for _, e := range rec.Evidence {
		res := e.Result
		if res == nil {
			continue
		}
		if ev.TraceNo == "" && res.TraceNo != 0 {
			ev.TraceNo = strconv.FormatInt(res.TraceNo, 10)
		}
		if ev.PANMasked == "" {
			ev.PANMasked = res.PANMasked
		}
		if ev.Approval == "" {
			ev.Approval = res.ApprovalCode
		}
		if res.TextVI != "" {
			ev.Result = res.TextVI
		} else if res.Text != "" {
			ev.Result = res.Text
		}
	}
	return ev
}
