package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/receipts"
)

// Recording is what Record needs besides the request and the payment.
type Recording struct {
	// Card is the terminal's result of an approved card payment (nil:
	// cash).
	Card *TerminalResult
	// MarkAttempt: the payment's terminal attempt goes to recorded in the
	// same transaction (a live approval held by the terminal). A late
	// record of an attempt the terminal manager already settled charged
	// leaves the attempt as it is.
	MarkAttempt bool
	Actor       auth.Actor
	Reason      string // why, for the history (e.g. "recorded late by recovery")
}

// Record books a payment as paid, inside tx: the payment paid, its
// terminal attempt recorded, the ledger entry (card clearing or the cash
// drawer against fees collected, one credit per fee line with its
// dimensions), one signed receipt per collecting organisation (the total
// in words generated, never free text), the request paid, the webhook
// message when the request has a callback, and the audit line. Either all
// of it commits or none. The payment must be processing (or needs_review,
// for a settlement); a payment in any other state is refused, so a
// payment is never recorded twice.
func (s *Service) Record(ctx context.Context, tx *sqlite.Tx, requestID, paymentID string, rec Recording) ([]receipts.Receipt, error) {
	req, err := tx.PaymentRequest(ctx, requestID)
	if err != nil {
		return nil, err
	}
	p, err := tx.Payment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if p.RequestID != req.ID {
		return nil, fmt.Errorf("payment %s is not of request %s", p.ID, req.ID)
	}
	if p.Status != string(PaymentProcessing) && p.Status != string(PaymentNeedsReview) {
		return nil, conflict("payment %s is %s: it cannot be recorded as paid", p.ID, p.Status)
	}
	if p.Amount != req.Total {
		return nil, fmt.Errorf("payment %s of %d đồng does not pay request %s of %d đồng", p.ID, p.Amount, req.ID, req.Total)
	}
	if rec.MarkAttempt {
		if p.AttemptID == "" {
			return nil, fmt.Errorf("payment %s has no terminal attempt to mark recorded", p.ID)
		}
		if err := tx.MarkAttemptRecorded(ctx, p.AttemptID, "payment "+p.ID+" recorded"); err != nil {
			return nil, err
		}
	}
	cashier := rec.Actor.Name
	if cashier == "" {
		cashier = rec.Actor.ID
	}
	entry, err := s.postPayment(ctx, tx, req, p, cashier)
	if err != nil {
		return nil, err
	}
	var payer receipts.Payer
	var in Payer
	_ = json.Unmarshal([]byte(req.Payer), &in)
	payer = receipts.Payer{Name: in.Name, Address: in.Address, IDNumber: in.IDNumber}
	if receipts.CheckTaxCode(strings.TrimSpace(in.TaxCode)) == nil {
		// Checked when the request was made; a request stored before that
		// check with a malformed one is recorded without it rather than
		// refused once the money is taken.
		payer.TaxCode = strings.TrimSpace(in.TaxCode)
	}
	method := receipts.Cash
	var card *receipts.CardPayment
	if rec.Card != nil {
		method = receipts.Card
		card = receiptCard(*rec.Card, p.Terminal)
	}
	var out []receipts.Receipt
	for _, org := range orgsOf(req.Items) {
		nr := receipts.NewReceipt{OrgCode: org, Payer: payer, Method: method, DossierCode: req.DossierCode, Card: card}
		var codes []string
		for _, it := range req.Items {
			if it.OrgCode != org {
				continue
			}
			codes = append(codes, it.FeeCode)
			name := it.Name
			if it.Quantity > 1 {
				name += " (" + strconv.FormatInt(it.Quantity, 10) + ")"
			}
			nr.Lines = append(nr.Lines, receipts.Line{Name: name, Kind: receipts.FeeKind(it.Kind), FeeCode: it.FeeCode, Amount: it.Amount})
			nr.Total += it.Amount
		}
		// The ID number in full only where a fee of this receipt needs it
		// (the catalogue's payer_id_required); masked otherwise.
		if nr.Payer.IDPrinted, err = tx.PayerIDRequired(ctx, codes...); err != nil {
			return nil, err
		}
		nr.Payer.IDPrinted = nr.Payer.IDPrinted && nr.Payer.IDNumber != ""
		if nr.TotalInWords, err = receipts.Words(nr.Total); err != nil {
			return nil, err
		}
		r, err := tx.IssueSignedReceipt(ctx, nr, s.keys)
		if err != nil {
			return nil, fmt.Errorf("receipt of %s for payment %s: %w", org, p.ID, err)
		}
		if err := tx.AddPaymentReceipt(ctx, sqlite.PaymentReceiptRow{PaymentID: p.ID, Template: r.Template, Series: r.Series,
			Number: r.Number, OrgCode: org, Total: r.Total, Kind: "issued"}); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	paidAt := sqlite.StoreTime(tx.Now)
	u := sqlite.PaymentUpdate{Status: string(PaymentPaid), Reason: rec.Reason, PaidAt: &paidAt, LedgerEntryID: &entry.ID}
	if rec.Card != nil {
		b, _ := json.Marshal(rec.Card)
		tr := string(b)
		u.TerminalResult = &tr
	}
	if u.Reason == "" {
		u.Reason = "recorded"
	}
	ok, err := tx.UpdatePayment(ctx, p.ID, []string{string(PaymentProcessing), string(PaymentNeedsReview)}, u, rec.Actor.String())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, conflict("payment %s changed while it was recorded", p.ID)
	}
	if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(RequestPaid), rec.Actor.String(), "payment "+p.ID); err != nil {
		return nil, err
	}
	refs := make([]ReceiptRef, len(out))
	for i, r := range out {
		refs[i] = s.receiptRef(r.Ref, r.Org.Code, r.Total, "issued", r.LookupCode)
	}
	at := tx.Now
	if err := s.enqueue(ctx, tx, req, "payment_request.paid", string(RequestPaid), &at, refs); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"payment_id": p.ID, "method": p.Method, "amount": p.Amount, "terminal": p.Terminal,
		"attempt_id": p.AttemptID, "ledger_entry": entry.ID, "receipts": refs})
	if err := tx.Audit(ctx, auth.AuditEntry{Actor: rec.Actor, Action: "payment.record", Object: "payment:" + p.ID, Reason: rec.Reason, Detail: detail}); err != nil {
		return nil, err
	}
	return out, nil
}

// postPayment posts the payment's ledger entry: the card clearing account
// (card) or the cash drawer (cash) debited with the total, fees collected
// credited per fee line; every line carries the agency, fee code,
// terminal, counter, cashier and dossier. A fee collected for another
// agency is its agency's line of fees collected (a payable to it).
func (s *Service) postPayment(ctx context.Context, tx *sqlite.Tx, req sqlite.PaymentRequestRow, p sqlite.PaymentRow, cashier string) (ledger.Entry, error) {
	debitRole := ledger.RoleCashDrawer
	if p.Method == MethodCard {
		debitRole = ledger.RoleCardClearing
	}
	debit, err := tx.AccountFor(ctx, debitRole)
	if err != nil {
		return ledger.Entry{}, err
	}
	collected, err := tx.AccountFor(ctx, ledger.RoleFeesCollected)
	if err != nil {
		return ledger.Entry{}, err
	}
	// A fee the collecting organisation takes for another agency (the land
	// registry's appraisal fee at the district's counter) is not the
	// collector's: it is owed to that agency (docs/PAYMENTS.md "Record: what is in the one transaction").
	onBehalf, err := tx.AccountFor(ctx, ledger.RoleAgencyPayable)
	if err != nil {
		return ledger.Entry{}, err
	}
	dims := ledger.Dimensions{Terminal: p.Terminal, Counter: s.opt.Counter, Cashier: cashier, Dossier: req.DossierCode}
	e := ledger.NewEntry{Date: ledger.BusinessDate(tx.Now), IdempotencyKey: "payment:" + p.ID,
		Description: "Thu phí, lệ phí hồ sơ " + req.DossierCode + " (" + methodVI(p.Method) + ", " + p.ID + ")"}
	d := dims
	d.Agency = ""
	e.Lines = append(e.Lines, ledger.Line{Account: debit, Side: ledger.Debit, Amount: req.Total, Currency: Currency, Dimensions: d})
	for _, it := range req.Items {
		d := dims
		d.Agency = it.AgencyCode
		if d.Agency == "" {
			d.Agency = it.OrgCode
		}
		d.FeeCode = it.FeeCode
		account := collected
		if it.AgencyCode != "" && it.AgencyCode != it.OrgCode {
			account = onBehalf
		}
		e.Lines = append(e.Lines, ledger.Line{Account: account, Side: ledger.Credit, Amount: it.Amount, Currency: Currency, Dimensions: d})
	}
	return tx.PostEntry(ctx, e)
}

func methodVI(m string) string {
	if m == MethodCard {
		return "thẻ"
	}
	return "tiền mặt"
}

// orgsOf lists the collecting organisations of the lines, in the order
// they first appear.
func orgsOf(items []sqlite.PaymentItemRow) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.OrgCode] {
			seen[it.OrgCode] = true
			out = append(out, it.OrgCode)
		}
	}
	return out
}

// receiptCard is what a receipt shows of a card payment. A field the
// terminal's protocol does not carry is shown as "-" (Concert E+ sends no
// terminal id: the configured id stands in); a card number the terminal
// did not give, or gave unmasked, is shown fully masked.
func receiptCard(r TerminalResult, terminal string) *receipts.CardPayment {
	c := &receipts.CardPayment{TerminalID: r.TerminalID, TraceNo: r.TraceNo, ApprovalCode: r.ApprovalCode, PANMasked: r.PANMasked}
	if c.TerminalID == "" {
		c.TerminalID = terminal
	}
	if c.TraceNo == "" {
		c.TraceNo = "-"
	}
	if c.ApprovalCode == "" {
		c.ApprovalCode = "-"
	}
	if receipts.CheckPANMasked(c.PANMasked) != nil {
		c.PANMasked = "************"
	}
	return c
}

// terminalResult keeps what a receipt and the API show of a result; the
// driver has masked the card number already, and it is checked again.
func terminalResult(r pos.Result) *TerminalResult {
	t := &TerminalResult{ApprovalCode: r.ApprovalCode, PANMasked: r.PANMasked, TerminalID: r.TerminalID, CardType: r.CardType}
	if receipts.CheckPANMasked(t.PANMasked) != nil {
		t.PANMasked = ""
	}
	if r.TraceNo != 0 {
		t.TraceNo = fmt.Sprintf("%06d", r.TraceNo)
	}
	if r.ReceiptNo != 0 {
		t.ReceiptNo = strconv.FormatInt(r.ReceiptNo, 10)
	}
	if t.CardType == "" {
		t.CardType = r.CardName
	}
	return t
}

// receiptRef is how the API names a receipt. Its verify URL carries the
// lookup code, as the receipt's QR code does: the API's caller (the
// cashier's screen, the dossier system) hands it to the payer.
func (s *Service) receiptRef(ref receipts.Ref, org string, total int64, kind, lookupCode string) ReceiptRef {
	out := ReceiptRef{Template: ref.Template, Series: ref.Series, Number: ref.Number, OrgCode: org, Total: total, Kind: kind,
		LookupCode: lookupCode}
	if s.opt.VerifyBase != "" {
		out.VerifyURL = receipts.VerifyURL(s.opt.VerifyBase, receipts.Receipt{Ref: ref, LookupCode: lookupCode})
	}
	return out
}

// webhookBody is the message sent to the dossier system (the API
// contract): receipt is the first receipt, receipts all of them.
type webhookBody struct {
	Event            string       `json:"event"`
	PaymentRequestID string       `json:"payment_request_id"`
	DossierCode      string       `json:"dossier_code"`
	Status           string       `json:"status"`
	Amount           int64        `json:"amount"`
	PaidAt           *string      `json:"paid_at"`
	Receipt          *ReceiptRef  `json:"receipt"`
	Receipts         []ReceiptRef `json:"receipts,omitempty"`
	// Replaces and RefundOwed: payment_request.receipt_replaced only (the
	// receipt replaced, and what the replacement owes the payer back).
	Replaces   *ReceiptRef `json:"replaces,omitempty"`
	RefundOwed int64       `json:"refund_owed,omitempty"`
}

// enqueue writes the webhook message of a request's change when the
// request has a callback address.
func (s *Service) enqueue(ctx context.Context, tx *sqlite.Tx, req sqlite.PaymentRequestRow, event, status string, paidAt *time.Time, refs []ReceiptRef) error {
	if req.CallbackURL == "" {
		return nil
	}
	b := webhookBody{Event: event, PaymentRequestID: req.ID, DossierCode: req.DossierCode, Status: status, Amount: req.Total, Receipts: refs}
	if paidAt != nil {
		v := paidAt.UTC().Format(time.RFC3339)
		b.PaidAt = &v
	}
	if len(refs) > 0 {
		b.Receipt = &refs[0]
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: req.ID, ClientID: req.ClientID, URL: req.CallbackURL, Event: event, Body: body})
	return err
}

func (s *Service) poke() {
	if s.opt.Poke != nil {
		s.opt.Poke()
	}
}
