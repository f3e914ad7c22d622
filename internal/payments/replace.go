package payments

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// Replacement receipts issued by an operator (docs/RECEIPTS.md
// "Replacement and status", docs/PAYMENTS.md "Replacement receipts").
// A receipt is never edited (Circular 91/2026/TT-BTC Art. 20): a wrong
// payer, fee or amount is corrected by a new receipt of the same
// organisation's series that names the original and its date. The money
// side follows the totals:
//
//   - the same total (a payer's name or address): no money moves; a fee
//     line moved to another fee code is reclassified in the ledger;
//   - a lower total: the difference is owed back to the payer, recorded
//     as a pending refund (receipt_refunds) with its ledger entry (fees
//     collected debited, the refund payable account credited), in the
//     transaction that issues the replacement;
//   - a higher total: refused. The further charge is a new payment
//     request (its payment issues its own receipt); a replacement never
//     claims money that was not collected.

// PayerChange is what changes of the payer; a nil field keeps the
// original's.
type PayerChange struct {
	Name     *string `json:"name,omitempty"`
	Address  *string `json:"address,omitempty"`
	IDNumber *string `json:"id_number,omitempty"`
	TaxCode  *string `json:"tax_code,omitempty"`
}

// FeeAmount changes one fee line of the original: the line of FeeCode
// gets Amount (0 removes it); a code not on the original adds a line.
type FeeAmount struct {
	FeeCode string `json:"fee_code"`
	Amount  int64  `json:"amount"`
}

// Replacement is an operator's correction of a receipt.
type Replacement struct {
	// Reason says what was wrong; required, audited.
	Reason string      `json:"reason"`
	Payer  PayerChange `json:"payer"`
	// Items is the replacement's whole set of fee lines, as a payment
	// request's (checked against the catalogue); nil keeps the original's
	// lines, changed by Fees.
	Items []NewItem `json:"items,omitempty"`
	// Fees changes single fee lines of the original.
	Fees []FeeAmount `json:"fees,omitempty"`
}

// RefundOwed is the money a lower replacement owes the payer.
type RefundOwed struct {
	ID          int64  `json:"id"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	LedgerEntry int64  `json:"ledger_entry"`
	Status      string `json:"status"` // pending: paid out later, outside feepos for now
}

// ReplaceResult is what a replacement did.
type ReplaceResult struct {
	Original    ReceiptRef       `json:"original"`
	Replacement ReceiptRef       `json:"replacement"`
	Receipt     receipts.Receipt `json:"receipt"`
	PaymentID   string           `json:"payment_id,omitempty"`
	// Difference is the replacement's total minus the original's (never
	// positive: a higher total is refused).
	Difference int64 `json:"difference"`
	// LedgerEntry is the entry posted (0: none, the fee lines did not
	// change).
	LedgerEntry int64       `json:"ledger_entry,omitempty"`
	Refund      *RefundOwed `json:"refund,omitempty"`
}

// RefundPending is the status of a refund owed and not paid out yet.
const RefundPending = "pending"

// ReplaceReceipt issues a receipt that replaces ref, in one transaction:
// the replacement (signed, numbered next in the original's series, naming
// the original and its date), linked to the original's payment, the
// ledger entry of the changed fee lines and the refund owed when the total
// is lower, the webhook message to the dossier system, and the audit line
// with the reason. The original stays as issued; it reads as replaced.
func (s *Service) ReplaceReceipt(ctx context.Context, actor auth.Actor, ref receipts.Ref, in Replacement) (ReplaceResult, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		return ReplaceResult{}, invalid("a reason is required: say what was wrong on the receipt (it is audited)")
	}
	if in.Items != nil && len(in.Fees) > 0 {
		return ReplaceResult{}, invalid("give either the replacement's whole set of fee lines (items) or changes of single lines (fees), not both")
	}
	if in.Items != nil && len(in.Items) == 0 {
		return ReplaceResult{}, invalid("items is empty: a receipt has at least one fee line; to change a payer's details only, leave items out")
	}
	ref = receipts.Ref{Template: strings.TrimSpace(ref.Template), Series: strings.ToUpper(strings.TrimSpace(ref.Series)), Number: ref.Number}
	if ref.Template == "" {
		ref.Template = receipts.Template
	}
	if err := ref.Validate(); err != nil {
		return ReplaceResult{}, err
	}
	var out ReplaceResult
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var err error
		out, err = s.replaceReceipt(ctx, tx, actor, ref, in)
		return err
	})
	if err != nil {
		return ReplaceResult{}, err
	}
	s.poke()
	return out, nil
}

func (s *Service) replaceReceipt(ctx context.Context, tx *sqlite.Tx, actor auth.Actor, ref receipts.Ref, in Replacement) (ReplaceResult, error) {
	orig, err := tx.Receipt(ctx, ref)
	if err != nil {
		return ReplaceResult{}, err
	}
	if orig.ReplacedBy != nil {
		return ReplaceResult{}, conflict("receipt %s was already replaced by %s: a receipt is replaced once; if %s is wrong too, replace %s",
			ref, orig.ReplacedBy, orig.ReplacedBy, orig.ReplacedBy)
	}
	// The receipts of money that was not collected wait for the
	// accountant (feepos receipts to-notify): a replacement would issue
	// another receipt for the same money.
	if open, err := tx.ReceiptToNotifyOpen(ctx, ref); err != nil {
		return ReplaceResult{}, err
	} else if open {
		return ReplaceResult{}, conflict("receipt %s was issued for a payment whose money was not collected and waits for the accountant (feepos receipts to-notify): settle it there, not by a replacement", ref)
	}
	link, linked, err := tx.PaymentOfReceipt(ctx, ref)
	if err != nil {
		return ReplaceResult{}, err
	}
	var (
		p   sqlite.PaymentRow
		req sqlite.PaymentRequestRow
	)
	if linked {
		if p, err = tx.Payment(ctx, link.PaymentID); err != nil {
			return ReplaceResult{}, err
		}
		if p.Status != string(PaymentPaid) {
			return ReplaceResult{}, conflict("receipt %s is of payment %s, which is %s: only the receipt of a paid payment is replaced (docs/RECEIPTS.md, open question: a payment undone in full)", ref, p.ID, p.Status)
		}
		if req, err = tx.PaymentRequest(ctx, p.RequestID); err != nil {
			return ReplaceResult{}, err
		}
	}

	nr := receipts.NewReceipt{OrgCode: orig.OrgCode, Payer: orig.Payer, Lines: slices.Clone(orig.Lines), Method: orig.Method,
		DossierCode: orig.DossierCode, Card: orig.Card, Replaces: &orig.Ref}
	if err := applyPayer(&nr.Payer, in.Payer); err != nil {
		return ReplaceResult{}, err
	}
	switch {
	case in.Items != nil:
		if nr.Lines, err = itemLines(ctx, tx, orig.OrgCode, in.Items); err != nil {
			return ReplaceResult{}, err
		}
	case len(in.Fees) > 0:
		if nr.Lines, err = changeLines(ctx, tx, orig.OrgCode, nr.Lines, in.Fees); err != nil {
			return ReplaceResult{}, err
		}
	}
	if len(nr.Lines) == 0 {
		return ReplaceResult{}, unprocessable(-1, "the replacement has no fee line left: %s", receiptsOpenQuestion)
	}
	codes := make([]string, 0, len(nr.Lines))
	for _, l := range nr.Lines {
		nr.Total += l.Amount
		codes = append(codes, l.FeeCode)
	}
	// The ID number is printed in full when a fee of the replacement needs
	// it, as when a payment is recorded (record.go).
	if nr.Payer.IDPrinted, err = tx.PayerIDRequired(ctx, codes...); err != nil {
		return ReplaceResult{}, err
	}
	nr.Payer.IDPrinted = nr.Payer.IDPrinted && nr.Payer.IDNumber != ""
	if nr.Payer == orig.Payer && slices.Equal(nr.Lines, orig.Lines) {
		return ReplaceResult{}, invalid("the replacement would be the same as receipt %s: say what to change (the payer's name, address, ID number or tax code, or the fee lines)", ref)
	}
	diff := nr.Total - orig.Total
	if diff > 0 {
		return ReplaceResult{}, unprocessable(-1, "the replacement's total of %d đồng is %d đồng more than receipt %s's %d đồng: a replacement does not charge more. "+
			"Create a payment request for the further %d đồng (POST /api/v1/payment-requests, dossier %s) and charge it; its payment issues its own receipt",
			nr.Total, diff, ref, orig.Total, diff, orig.DossierCode)
	}
	if nr.TotalInWords, err = receipts.Words(nr.Total); err != nil {
		return ReplaceResult{}, err
	}

	r, err := tx.IssueSignedReceipt(ctx, nr, s.keys)
	if err != nil {
		return ReplaceResult{}, err
	}
	out := ReplaceResult{
		Original:    s.receiptRef(orig.Ref, orig.Org.Code, orig.Total, "replaced", orig.LookupCode),
		Replacement: s.receiptRef(r.Ref, r.Org.Code, r.Total, "replacement", r.LookupCode),
		Receipt:     r,
		Difference:  diff,
	}
	if linked {
		out.PaymentID = p.ID
		if err := tx.AddPaymentReceipt(ctx, sqlite.PaymentReceiptRow{PaymentID: p.ID, Template: r.Template, Series: r.Series,
			Number: r.Number, OrgCode: r.Org.Code, Total: r.Total, Kind: "replacement"}); err != nil {
			return ReplaceResult{}, err
		}
	}

	entry, posted, err := s.postReplacement(ctx, tx, actor, orig, r, req.Items, in.Reason)
	if err != nil {
		return ReplaceResult{}, err
	}
	if posted {
		out.LedgerEntry = entry.ID
	}
	if diff < 0 {
		row := sqlite.ReceiptRefundRow{Template: r.Template, Series: r.Series, Number: r.Number,
			OriginalTemplate: orig.Template, OriginalSeries: orig.Series, OriginalNumber: orig.Number,
			OrgCode: r.Org.Code, DossierCode: r.DossierCode, PayerName: r.Payer.Name, Amount: -diff, Currency: Currency,
			LedgerEntryID: entry.ID, Reason: in.Reason, CreatedBy: actor.String()}
		if linked {
			row.PaymentID.String, row.PaymentID.Valid = p.ID, true
		}
		id, err := tx.AddReceiptRefund(ctx, row)
		if err != nil {
			return ReplaceResult{}, err
		}
		out.Refund = &RefundOwed{ID: id, Amount: -diff, Currency: Currency, LedgerEntry: entry.ID, Status: RefundPending}
	}

	if linked {
		if err := s.enqueueReplacement(ctx, tx, req, p, out); err != nil {
			return ReplaceResult{}, err
		}
	}
	detail, _ := json.Marshal(map[string]any{"original": out.Original, "replacement": out.Replacement, "payment_id": out.PaymentID,
		"total_before": orig.Total, "total_after": r.Total, "difference": diff, "ledger_entry": out.LedgerEntry, "refund": out.Refund,
		"payer_changed": nr.Payer != orig.Payer, "lines_changed": !slices.Equal(nr.Lines, orig.Lines)})
	if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "receipt.replace",
		Object: "receipt:" + orig.Template + "/" + orig.Series + "/" + strconv.FormatInt(orig.Number, 10), Reason: in.Reason, Detail: detail}); err != nil {
		return ReplaceResult{}, err
	}
	return out, nil
}

// applyPayer changes the payer's details given.
func applyPayer(p *receipts.Payer, c PayerChange) error {
	if c.Name != nil {
		if strings.TrimSpace(*c.Name) == "" {
			return invalid("the payer's name cannot be empty: give the right name")
		}
		p.Name = *c.Name
	}
	if c.Address != nil {
		p.Address = *c.Address
	}
	if c.IDNumber != nil {
		p.IDNumber = *c.IDNumber
	}
	if c.TaxCode != nil {
		p.TaxCode = *c.TaxCode // checked as an MST when the receipt is issued
	}
	// Every field of the original is kept unless changed: IDPrinted is
	// decided again from the replacement's fee lines (replaceIDPrinted).
	p.Name, p.Address = strings.TrimSpace(p.Name), strings.TrimSpace(p.Address)
	p.IDNumber, p.TaxCode = strings.TrimSpace(p.IDNumber), strings.TrimSpace(p.TaxCode)
	return nil
}

// itemLines is a whole new set of fee lines, checked against the
// catalogue as a payment request's, all of the original's organisation.
func itemLines(ctx context.Context, tx *sqlite.Tx, org string, items []NewItem) ([]receipts.Line, error) {
	var out []receipts.Line
	for i, it := range items {
		if it.Quantity == 0 {
			it.Quantity = 1
		}
		row, err := checkItem(ctx, tx, i, it)
		if err != nil {
			return nil, err
		}
		if row.OrgCode != org {
			return nil, unprocessable(i, "items[%d] (%s) is collected by %s: a replacement stays in the original's organisation %s; that fee needs its own payment request",
				i, row.FeeCode, row.OrgCode, org)
		}
		out = append(out, receiptLine(row.Name, row.Kind, row.FeeCode, row.Quantity, row.Amount))
	}
	return out, nil
}

// changeLines changes single fee lines of the original.
func changeLines(ctx context.Context, tx *sqlite.Tx, org string, lines []receipts.Line, changes []FeeAmount) ([]receipts.Line, error) {
	for i, c := range changes {
		c.FeeCode = strings.TrimSpace(c.FeeCode)
		if c.FeeCode == "" {
			return nil, unprocessable(i, "fees[%d] has no fee_code: give the catalogue's code of the fee", i)
		}
		if c.Amount < 0 || c.Amount > receipts.MaxAmount {
			return nil, unprocessable(i, "fees[%d] (%s) has amount %d: give the right amount in whole đồng, or 0 to remove the line", i, c.FeeCode, c.Amount)
		}
		fee, err := tx.FeeByCode(ctx, c.FeeCode)
		var unknown *catalogue.UnknownFeeError
		known := err == nil
		if err != nil && !errors.As(err, &unknown) {
			return nil, err
		}
		at := slices.IndexFunc(lines, func(l receipts.Line) bool { return l.FeeCode == c.FeeCode })
		if !known && at < 0 { // a fee no longer in the catalogue may still be changed or removed
			return nil, unprocessable(i, "fees[%d]: %s", i, unknown.Error())
		}
		if known && fee.OrgCode != org {
			return nil, unprocessable(i, "fees[%d] (%s) is collected by %s: a replacement stays in the original's organisation %s", i, c.FeeCode, fee.OrgCode, org)
		}
		if c.Amount == 0 {
			if at < 0 {
				return nil, unprocessable(i, "fees[%d]: the receipt has no line of fee %s to remove", i, c.FeeCode)
			}
			lines = slices.DeleteFunc(lines, func(l receipts.Line) bool { return l.FeeCode == c.FeeCode })
			continue
		}
		line := receipts.Line{FeeCode: c.FeeCode, Amount: c.Amount}
		if known {
			quantity := int64(1)
			if fee.UnitAmount != nil {
				unit := *fee.UnitAmount
				if c.Amount%unit != 0 {
					return nil, unprocessable(i, "fees[%d] (%s): %d đồng is not a whole number of the catalogue's unit amount %d đồng", i, c.FeeCode, c.Amount, unit)
				}
				quantity = c.Amount / unit
			}
			line = receiptLine(fee.Name, string(fee.Kind), fee.Code, quantity, c.Amount)
		} else {
			line.Name, line.Kind = lines[at].Name, lines[at].Kind // no longer in the catalogue: keep the printed name
		}
		if at < 0 {
			lines = append(lines, line)
		} else {
			lines[at] = line
		}
	}
	return lines, nil
}

// receiptLine is a fee line as Record prints it.
func receiptLine(name, kind, code string, quantity, amount int64) receipts.Line {
	if quantity > 1 {
		name += " (" + strconv.FormatInt(quantity, 10) + ")"
	}
	return receipts.Line{Name: name, Kind: receipts.FeeKind(kind), FeeCode: code, Amount: amount}
}

// postReplacement posts what changed between the original's fee lines and
// the replacement's: per fee code, a line lower on the replacement debits
// the account it was credited to (fees collected, or the payable to the
// agency it was collected for), a line higher credits it, and a lower
// total credits the refund payable account with the difference owed to
// the payer. Nothing changed (a payer's details only): no entry.
func (s *Service) postReplacement(ctx context.Context, tx *sqlite.Tx, actor auth.Actor, orig, r receipts.Receipt,
	items []sqlite.PaymentItemRow, reason string) (ledger.Entry, bool, error) {
	var codes []string
	sums := map[string]int64{}
	for _, l := range orig.Lines {
		if _, ok := sums[l.FeeCode]; !ok {
			codes = append(codes, l.FeeCode)
		}
		sums[l.FeeCode] -= l.Amount
	}
	for _, l := range r.Lines {
		if _, ok := sums[l.FeeCode]; !ok {
			codes = append(codes, l.FeeCode)
		}
		sums[l.FeeCode] += l.Amount
	}
	collected, err := tx.AccountFor(ctx, ledger.RoleFeesCollected)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	onBehalf, err := tx.AccountFor(ctx, ledger.RoleAgencyPayable)
	if err != nil {
		return ledger.Entry{}, false, err
	}
	cashier := actor.Name
	if cashier == "" {
		cashier = actor.ID
	}
	dims := ledger.Dimensions{Counter: s.opt.Counter, Cashier: cashier, Dossier: r.DossierCode}
	e := ledger.NewEntry{Date: ledger.BusinessDate(tx.Now), IdempotencyKey: "receipt-replace:" + r.Template + "/" + r.Series + "/" + strconv.FormatInt(r.Number, 10),
		Description: "Biên lai thay thế " + r.Series + "-" + receipts.PrintedNumber(r.Number) + " cho " + orig.Series + "-" + receipts.PrintedNumber(orig.Number) + ": " + reason}
	var total int64
	for _, code := range codes {
		d := sums[code]
		if d == 0 {
			continue
		}
		total += d
		agency, account := r.Org.Code, collected
		if ag := agencyOf(ctx, tx, items, code); ag != "" && ag != r.Org.Code {
			agency, account = ag, onBehalf
		}
		ld := dims
		ld.Agency, ld.FeeCode = agency, code
		side, amount := ledger.Credit, d
		if d < 0 {
			side, amount = ledger.Debit, -d
		}
		e.Lines = append(e.Lines, ledger.Line{Account: account, Side: side, Amount: amount, Currency: Currency, Dimensions: ld})
	}
	if len(e.Lines) == 0 {
		return ledger.Entry{}, false, nil
	}
	if total < 0 {
		refund, err := tx.AccountFor(ctx, ledger.RoleRefundPayable)
		if err != nil {
			return ledger.Entry{}, false, err
		}
		e.Lines = append(e.Lines, ledger.Line{Account: refund, Side: ledger.Credit, Amount: -total, Currency: Currency, Dimensions: dims})
	}
	entry, err := tx.PostEntry(ctx, e)
	return entry, err == nil, err
}

// agencyOf is the agency a fee code was collected for: the request's
// line (as it was posted), else the catalogue's, else none.
func agencyOf(ctx context.Context, tx *sqlite.Tx, items []sqlite.PaymentItemRow, code string) string {
	for _, it := range items {
		if it.FeeCode == code {
			return it.AgencyCode
		}
	}
	if fee, err := tx.FeeByCode(ctx, code); err == nil {
		return fee.AgencyCode
	}
	return ""
}

// enqueueReplacement tells the dossier system (when its request has a
// callback) that a receipt of its payment was replaced:
// payment_request.receipt_replaced, with the replacement as "receipt",
// the original as "replaces" and the refund owed, if any.
func (s *Service) enqueueReplacement(ctx context.Context, tx *sqlite.Tx, req sqlite.PaymentRequestRow, p sqlite.PaymentRow, out ReplaceResult) error {
	if req.CallbackURL == "" {
		return nil
	}
	repl, orig := out.Replacement, out.Original
	b := webhookBody{Event: "payment_request.receipt_replaced", PaymentRequestID: req.ID, DossierCode: req.DossierCode,
		Status: req.Status, Amount: req.Total, Receipt: &repl, Receipts: []ReceiptRef{repl}, Replaces: &orig}
	if t, err := sqlite.ParseStoreTime(p.PaidAt.String); err == nil && p.PaidAt.Valid {
		v := t.UTC().Format(time.RFC3339)
		b.PaidAt = &v
	}
	if out.Refund != nil {
		b.RefundOwed = out.Refund.Amount
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: req.ID, ClientID: req.ClientID, URL: req.CallbackURL,
		Event: b.Event, Body: body})
	return err
}
