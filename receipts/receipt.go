package receipts

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Content rules of a receipt: Decree 254/2026/NĐ-CP Art. 23–29 and Circular
// 91/2026/TT-BTC list what a fee receipt shows (organisation, payer, each
// fee with its amount, the total in figures and in words, payment method,
// date of issue, and for card payments the terminal's references).

// Limits that keep sums far from int64 overflow and receipts printable.
const (
	// MaxAmount is 10^15 đồng, per line and for the total.
	MaxAmount int64 = 1_000_000_000_000_000
	// MaxLines is the number of fees one receipt lists.
	MaxLines = 100
	// Currency: VND has no minor unit, so amounts are whole đồng.
	Currency = "VND"

	maxNameRunes  = 300
	maxTextRunes  = 500
	maxCodeRunes  = 64
	maxShortRunes = 32
)

// FeeKind says whether a line is a fee (phí) or a charge (lệ phí).
type FeeKind string

const (
	Phi   FeeKind = "phi"
	LePhi FeeKind = "le_phi"
)

// PaymentMethod is how the payer paid.
type PaymentMethod string

const (
	Cash     PaymentMethod = "cash"
	Card     PaymentMethod = "card"
	Transfer PaymentMethod = "transfer"
)

// Label is the method as printed on the receipt.
func (m PaymentMethod) Label() string {
	switch m {
	case Cash:
		return "Tiền mặt"
	case Card:
		return "Thẻ (POS)"
	case Transfer:
		return "Chuyển khoản"
	}
	return string(m)
}

// Status of a stored receipt. It is never written on the receipt's row:
// a receipt is "replaced" when a later receipt of its series replaces it
// (Circular 91/2026/TT-BTC Art. 20: mistakes are never edited or deleted).
type Status string

const (
	Valid    Status = "valid"
	Replaced Status = "replaced"
)

// Organisation is the collecting organisation as printed on a receipt,
// copied from its series when the receipt is issued.
type Organisation struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
	Address string `json:"address"`
}

// Delegate is the organisation that issues a receipt on the collecting
// organisation's behalf (Decree 254/2026/NĐ-CP Art. 25.4: an organisation
// authorised to collect, "tổ chức được ủy nhiệm thu", issues the receipt
// of the authorising organisation and the receipt names it, with its tax
// code). The public administration center issuing the police's receipts
// is the police's delegate; a receipt the organisation issues itself has
// none.
type Delegate struct {
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
}

func (d Delegate) validate() error {
	if err := checkText("delegate name", d.Name, maxNameRunes, true); err != nil {
		return err
	}
	if err := CheckTaxCode(d.TaxCode); err != nil {
		return Invalidf("delegate: %s", err.Error())
	}
	return nil
}

// Payer is who paid. Address, tax code and ID number are printed only
// when given; the ID number (số định danh/CCCD) in full only when the
// procedure needs it (IDPrinted, from the fee catalogue's
// payer_id_required), otherwise masked (MaskIDNumber).
type Payer struct {
	Name     string `json:"name"`
	Address  string `json:"address,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	// TaxCode is the payer's own tax code (mã số thuế người nộp), when
	// the payer gives one (a business paying a registration fee).
	TaxCode string `json:"tax_code,omitempty"`
	// IDPrinted: the receipt prints IDNumber in full, because a fee on it
	// needs it; otherwise only its first and last 3 characters show.
	IDPrinted bool `json:"id_printed,omitempty"`
}

// Line is one fee or charge on a receipt, in whole đồng.
type Line struct {
	Name    string  `json:"name"`
	Kind    FeeKind `json:"kind"`
	FeeCode string  `json:"fee_code"`
	Amount  int64   `json:"amount"`
}

// CardPayment is the terminal's reference of a card payment.
type CardPayment struct {
	TerminalID   string `json:"terminal_id"`
	TraceNo      string `json:"trace_no"`
	ApprovalCode string `json:"approval_code"`
	// PANMasked shows at most the first 6 and the last 4 digits; every
	// other digit is '*' (card data must never be stored in clear).
	PANMasked string `json:"pan_masked"`
}

// NewReceipt is what a caller asks to issue. The store adds the series,
// number, time of issue and the organisation's details.
type NewReceipt struct {
	// OrgCode selects the collecting organisation's series.
	OrgCode string `json:"org_code"`
	Payer   Payer  `json:"payer"`
	Lines   []Line `json:"lines"`
	// Total is the sum of the lines; given by the caller and checked.
	Total int64 `json:"total"`
	// TotalInWords is the total in Vietnamese words ("Năm mươi nghìn
	// đồng"), filled by the caller and stored as given.
	TotalInWords string        `json:"total_in_words"`
	Method       PaymentMethod `json:"method"`
	DossierCode  string        `json:"dossier_code"`
	// Card is required for card payments and refused for the others.
	Card *CardPayment `json:"card,omitempty"`
	// Replaces names the receipt this one replaces (Circular 91/2026/TT-BTC
	// Art. 20: a wrong tax code, amount or fee, or a refund).
	Replaces *Ref `json:"replaces,omitempty"`
}

// Receipt is an issued receipt. It never changes; a correction is a new
// receipt that replaces it.
type Receipt struct {
	ID int64 `json:"id"`
	Ref
	IssuedAt string       `json:"issued_at"` // UTC RFC 3339
	Org      Organisation `json:"org"`
	// Delegate issued the receipt on Org's behalf (nil: Org issued it),
	// copied from the series when the receipt is issued. Format 2 only.
	Delegate *Delegate `json:"delegate,omitempty"`
	NewReceipt
	Currency string `json:"currency"`

	// FormatVersion is how the receipt's hashes and XML are made
	// (canonical.go): 1 for receipts issued before migration 0018 (the
	// chain hash covers the row id), 2 since (every input of the hashes is
	// in the XML). 0 reads as 1 (a receipt built by hand).
	FormatVersion int `json:"format_version"`
	// LookupCode is the random code printed on the receipt and carried in
	// its QR code (lookup.go): the public page shows the receipt's details
	// only to someone who has it. In the XML of format 2.
	LookupCode string `json:"lookup_code,omitempty"`

	Status     Status `json:"status"`                // derived: see Status
	ReplacedBy *Ref   `json:"replaced_by,omitempty"` // the receipt that replaces this one
	// ReplacesDate is the date of issue (YYYY-MM-DD, Asia/Ho_Chi_Minh) of
	// the receipt Replaces names: set by the store when it issues a
	// replacement, printed ("Thay thế cho biên lai … ngày dd/mm/yyyy") and
	// carried in the signed XML. Empty for a replacement issued before
	// feepos recorded it (its signed XML has no date).
	ReplacesDate string `json:"replaces_date,omitempty"`

	ContentHash string `json:"content_hash"` // SHA-256 of the canonical content
	PrevHash    string `json:"prev_hash"`    // Hash of the receipt before in the series
	Hash        string `json:"hash"`         // chains ContentHash to PrevHash
}

// IssuedTime is the time of issue in Asia/Ho_Chi_Minh.
func (r Receipt) IssuedTime() (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, r.IssuedAt)
	if err != nil {
		return time.Time{}, Invalidf("receipt %s: time of issue %q is not RFC 3339", r.Ref, r.IssuedAt)
	}
	return t.In(Zone), nil
}

// IssueDate is the date of issue as printed: dd/mm/yyyy in Vietnam.
func (r Receipt) IssueDate() string {
	t, err := r.IssuedTime()
	if err != nil {
		return ""
	}
	return t.Format("02/01/2006")
}

// IssueClock is the time of issue as printed: HH:MM:SS in Vietnam.
func (r Receipt) IssueClock() string {
	t, err := r.IssuedTime()
	if err != nil {
		return ""
	}
	return t.Format("15:04:05")
}

// Service is the receipts store as the rest of feepos uses it.
type Service interface {
	// IssueReceipt takes the next number of the organisation's series for
	// the current year and stores the receipt, in one transaction.
	IssueReceipt(ctx context.Context, r NewReceipt) (Receipt, error)
	Receipt(ctx context.Context, template, series string, number int64) (Receipt, error)
	// VerifyReceipts walks every series and reports the first receipt that
	// does not hold.
	VerifyReceipts(ctx context.Context) (VerifyReport, error)
}

func nfc(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// Normalize trims text and puts it in Unicode NFC, so that the same
// Vietnamese words typed on two keyboards hash the same.
func (r NewReceipt) Normalize() NewReceipt {
	r.OrgCode = strings.TrimSpace(r.OrgCode)
	r.Payer = Payer{Name: nfc(r.Payer.Name), Address: nfc(r.Payer.Address), IDNumber: nfc(r.Payer.IDNumber),
		TaxCode: strings.TrimSpace(r.Payer.TaxCode), IDPrinted: r.Payer.IDPrinted}
	lines := make([]Line, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = Line{Name: nfc(l.Name), Kind: FeeKind(strings.TrimSpace(string(l.Kind))), FeeCode: nfc(l.FeeCode), Amount: l.Amount}
	}
	r.Lines = lines
	r.TotalInWords = nfc(r.TotalInWords)
	r.Method = PaymentMethod(strings.TrimSpace(string(r.Method)))
	r.DossierCode = nfc(r.DossierCode)
	if r.Card != nil {
		c := CardPayment{TerminalID: nfc(r.Card.TerminalID), TraceNo: nfc(r.Card.TraceNo),
			ApprovalCode: nfc(r.Card.ApprovalCode), PANMasked: strings.TrimSpace(r.Card.PANMasked)}
		r.Card = &c
	}
	if r.Replaces != nil {
		ref := Ref{Template: strings.TrimSpace(r.Replaces.Template), Series: strings.ToUpper(strings.TrimSpace(r.Replaces.Series)), Number: r.Replaces.Number}
		if ref.Template == "" {
			ref.Template = Template
		}
		r.Replaces = &ref
	}
	return r
}

// Validate checks the rules every receipt obeys. It does not know the
// series or earlier receipts; the store checks those. Call it on a
// normalized receipt.
func (r NewReceipt) Validate() error {
	if err := checkText("organisation code", r.OrgCode, maxCodeRunes, true); err != nil {
		return err
	}
	if err := checkText("payer name", r.Payer.Name, maxNameRunes, true); err != nil {
		return err
	}
	if err := checkText("payer address", r.Payer.Address, maxTextRunes, false); err != nil {
		return err
	}
	if err := checkText("payer ID number", r.Payer.IDNumber, maxShortRunes, false); err != nil {
		return err
	}
	if r.Payer.TaxCode != "" {
		if err := CheckTaxCode(r.Payer.TaxCode); err != nil {
			return Invalidf("payer %s", err.Error())
		}
	}
	if r.Payer.IDPrinted && r.Payer.IDNumber == "" {
		return Invalidf("the payer's ID number is to be printed (a fee of the receipt needs it) but none is given: ask the payer for it")
	}
	if len(r.Lines) == 0 {
		return Invalidf("a receipt lists at least one fee or charge")
	}
	if len(r.Lines) > MaxLines {
		return Invalidf("a receipt lists at most %d fees, got %d: split the dossier's fees over several receipts", MaxLines, len(r.Lines))
	}
	var sum int64
	for i, l := range r.Lines {
		n := "line " + strconv.Itoa(i+1)
		if err := checkText(n+" name", l.Name, maxNameRunes, true); err != nil {
			return err
		}
		if l.Kind != Phi && l.Kind != LePhi {
			return Invalidf("%s has kind %q: use phi (fee) or le_phi (charge)", n, l.Kind)
		}
		if err := checkText(n+" fee code", l.FeeCode, maxCodeRunes, true); err != nil {
			return err
		}
		if l.Amount <= 0 {
			return Invalidf("%s has amount %d: amounts are positive whole đồng", n, l.Amount)
		}
		if l.Amount > MaxAmount {
			return Invalidf("%s has amount %d, above the limit of %d", n, l.Amount, MaxAmount)
		}
		sum += l.Amount // cannot overflow: ≤ 100 lines × 10^15
	}
	if r.Total != sum {
		return Invalidf("total %d is not the sum of the lines, %d: the total in figures must equal the fees listed", r.Total, sum)
	}
	if r.Total > MaxAmount {
		return Invalidf("total %d is above the limit of %d: split the receipt", r.Total, MaxAmount)
	}
	if err := checkText("total in words", r.TotalInWords, maxTextRunes, true); err != nil {
		return err
	}
	if err := checkText("dossier code", r.DossierCode, maxCodeRunes, true); err != nil {
		return err
	}
	switch r.Method {
	case Card:
		if r.Card == nil {
			return Invalidf("a card payment's receipt shows the terminal id, trace number, approval code and masked card number: give card")
		}
		if err := r.Card.validate(); err != nil {
			return err
		}
	case Cash, Transfer:
		if r.Card != nil {
			return Invalidf("payment method %s has no card details: remove card, or use method card", r.Method)
		}
	default:
		return Invalidf("payment method %q: use cash (Tiền mặt), card (Thẻ (POS)) or transfer (Chuyển khoản)", r.Method)
	}
	if r.Replaces != nil {
		if err := r.Replaces.Validate(); err != nil {
			return Invalidf("replaces: %s", err.Error())
		}
	}
	return nil
}

func (c CardPayment) validate() error {
	for _, f := range []struct{ name, v string }{
		{"terminal id", c.TerminalID}, {"trace number", c.TraceNo}, {"approval code", c.ApprovalCode},
	} {
		if err := checkText("card "+f.name, f.v, maxShortRunes, true); err != nil {
			return err
		}
	}
	return CheckPANMasked(c.PANMasked)
}

// CheckPANMasked accepts a card number with at most its first 6 and last 4
// digits visible and every other digit written '*': "411111******1111",
// "************1234". A clear or badly masked number is refused, never
// stored (PCI DSS 3.4).
func CheckPANMasked(pan string) error {
	refuse := func(why string) error {
		return Invalidf("masked card number: %s; show at most the first 6 and last 4 digits and write the others as '*', e.g. 411111******1111", why)
	}
	if len(pan) < 12 || len(pan) > 19 {
		return refuse("it has " + strconv.Itoa(utf8.RuneCountInString(pan)) + " characters, a card number has 12 to 19")
	}
	lead, trail := 0, 0
	for lead < len(pan) && pan[lead] >= '0' && pan[lead] <= '9' {
		lead++
	}
	for trail < len(pan)-lead && pan[len(pan)-1-trail] >= '0' && pan[len(pan)-1-trail] <= '9' {
		trail++
	}
	middle := pan[lead : len(pan)-trail]
	if strings.Trim(middle, "*") != "" {
		return refuse("only digits and '*' are allowed, with the '*' in one run")
	}
	if middle == "" {
		return refuse("no digit is masked")
	}
	if lead > 6 || trail > 4 {
		return refuse(strconv.Itoa(lead) + " leading and " + strconv.Itoa(trail) + " trailing digits are visible")
	}
	return nil
}

func (o Organisation) validate() error {
	if err := checkText("organisation code", o.Code, maxCodeRunes, true); err != nil {
		return err
	}
	if err := checkText("organisation name", o.Name, maxNameRunes, true); err != nil {
		return err
	}
	if err := CheckTaxCode(o.TaxCode); err != nil {
		return err
	}
	return checkText("organisation address", o.Address, maxTextRunes, true)
}

// Validate checks a stored receipt: its identity, organisation and content.
func (r Receipt) Validate() error {
	if err := r.Ref.Validate(); err != nil {
		return err
	}
	if _, err := r.IssuedTime(); err != nil {
		return err
	}
	if err := r.Org.validate(); err != nil {
		return err
	}
	if r.OrgCode != r.Org.Code {
		return Invalidf("organisation code %q differs from the organisation printed, %q", r.OrgCode, r.Org.Code)
	}
	if r.Currency != Currency {
		return Invalidf("currency %q: receipts are in %s", r.Currency, Currency)
	}
	switch r.Format() {
	case 1:
		if r.Delegate != nil {
			return Invalidf("a receipt of format 1 names no delegate")
		}
	case 2:
		if err := CheckLookupCode(r.LookupCode); err != nil {
			return err
		}
		if r.Delegate != nil {
			if err := r.Delegate.validate(); err != nil {
				return err
			}
		}
	default:
		return Invalidf("receipt format %d: this feepos knows formats 1 and 2", r.FormatVersion)
	}
	return r.NewReceipt.Validate()
}

func checkText(what, s string, maxRunes int, required bool) error {
	if required && s == "" {
		return Invalidf("%s is empty: fill it in", what)
	}
	if !utf8.ValidString(s) {
		return Invalidf("%s is not valid UTF-8", what)
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return Invalidf("%s is longer than %d characters", what, maxRunes)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return Invalidf("%s contains a control character (newline, tab…): remove it", what)
	}
	if r, bad := firstUnprintable(s); bad {
		return Invalidf("%s contains %q (U+%04X), which the receipt cannot print: remove it, or write the text in Vietnamese letters", what, r, r)
	}
	return nil
}
