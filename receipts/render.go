package receipts

import (
	"strconv"
	"strings"
)

// A receipt is rendered for A5 paper and the browser (HTML), as a PDF, and
// for the counter's thermal printer (ESC/POS raster). All three print the
// same words, built once here from the receipt: the content the Decree
// 254/2026/NĐ-CP Art. 23–29 and Circular 91/2026/TT-BTC ask of a "biên lai
// thu phí, lệ phí điện tử" (issue 4): name, template, series and number;
// the collecting organisation's name, tax code and address; the payer; each
// fee or charge and its amount; the total in figures and in words; the
// payment method; the date of issue and the signing time; the dossier code;
// the card payment's references; and a QR code of the verification page.

// field is one labelled value, printed "Label: Value".
type field struct {
	Label, Value string
}

func (f field) String() string { return f.Label + ": " + f.Value }

// printedLine is one row of the table of fees and charges.
type printedLine struct {
	No     string // STT: 1, 2, …
	Name   string
	Kind   string // Phí | Lệ phí
	Amount string // "150.000 đ"
}

// printedReceipt is what every rendering shows, in Vietnamese, in NFC (the
// fixed words below are written in NFC; the receipt's own text was put in
// NFC when it was issued, see NewReceipt.Normalize).
type printedReceipt struct {
	Title    string
	Template field // Ký hiệu mẫu: EBL01
	Series   field // Ký hiệu: 26TAA
	Number   field // Số: 00000123
	Ref      string

	OrgName    string
	OrgTaxCode field // Mã số thuế
	OrgAddress field // Địa chỉ
	// Delegate: the organisation that issued the receipt on the
	// organisation's behalf and its tax code (Decree 254/2026/NĐ-CP Art.
	// 25.4), nil when the organisation issued it itself.
	Delegate []field

	Payer []field // name, then address and ID number when given

	Lines []printedLine
	Total field // Tổng cộng: 150.000 đ
	Words field // Số tiền bằng chữ: …

	Method  field   // Hình thức thanh toán
	Dossier field   // Mã hồ sơ
	Card    []field // terminal, trace, approval code, masked PAN; nil unless card

	Date   string // Ngày 25/11/2026
	Signed field  // Thời điểm ký: 14:30:05 ngày 25/11/2026

	Status []string // replaced by / replaces, nil for an ordinary receipt

	SignHead    string // the signing organisation's block
	SignNote    string
	VerifyLabel string // before the verification address

	VerifyURL  string
	LookupCode field // Mã tra cứu: 7K3M9QX2TB, empty Value when the receipt has none
	QR         qrCode
}

// tableHead is the heading row of the table of fees and charges.
type tableHead struct{ No, Name, Kind, Amount string }

// Head is the same heading for every rendering.
func (printedReceipt) Head() tableHead {
	return tableHead{No: "STT", Name: "Tên phí, lệ phí", Kind: "Loại", Amount: "Số tiền"}
}

// newPrintedReceipt checks what rendering needs and builds the printed
// words. It does not re-validate the whole receipt: a stored receipt was
// validated when issued, and a receipt that later fails its checks must
// still be printable for the people investigating it.
func newPrintedReceipt(r Receipt, verifyBase, signedBy string) (printedReceipt, error) {
	if err := r.Ref.Validate(); err != nil {
		return printedReceipt{}, err
	}
	issued, err := r.IssuedTime()
	if err != nil {
		return printedReceipt{}, err
	}
	if err := checkVerifyBase(verifyBase); err != nil {
		return printedReceipt{}, err
	}
	if r.Total < 0 {
		return printedReceipt{}, Invalidf("receipt %s: total %d is negative", r.Ref, r.Total)
	}
	words := r.TotalInWords
	if words == "" {
		// Receipts carry their words as issued; this covers a receipt
		// built by hand (a preview, a test) without them.
		if words, err = Words(r.Total); err != nil {
			return printedReceipt{}, err
		}
	}
	p := printedReceipt{
		Title:      Title,
		Template:   field{"Ký hiệu mẫu", r.Template},
		Series:     field{"Ký hiệu", r.Series},
		Number:     field{"Số", printedNumber(r.Number)},
		Ref:        r.Ref.String(),
		OrgName:    r.Org.Name,
		OrgTaxCode: field{"Mã số thuế", r.Org.TaxCode},
		OrgAddress: field{"Địa chỉ", r.Org.Address},
		Payer:      []field{{"Họ tên người nộp", r.Payer.Name}},
		Total:      field{"Tổng cộng", formatDong(r.Total)},
		Words:      field{"Số tiền bằng chữ", words},
		Method:     field{"Hình thức thanh toán", r.Method.Label()},
		Dossier:    field{"Mã hồ sơ", r.DossierCode},
		Date:       "Ngày " + issued.Format("02/01/2006"),
		Signed: field{"Thời điểm lập", // "Thời điểm ký" when signed, below
			issued.Format("15:04:05") + " ngày " + issued.Format("02/01/2006")},
		VerifyURL:  VerifyURL(verifyBase, r),
		LookupCode: field{"Mã tra cứu", r.LookupCode},

		SignHead:    "ĐƠN VỊ THU PHÍ, LỆ PHÍ",
		SignNote:    "(Biên lai điện tử)", // who signed, when signed, below
		VerifyLabel: "Tra cứu biên lai",
	}
	if signedBy != "" {
		// Signed in the issuing transaction (Decree 254/2026/NĐ-CP Art.
		// 23–29: the e-receipt carries the organisation's digital
		// signature and its time): the time of issue is the signing time.
		p.Signed.Label = "Thời điểm ký"
		p.SignNote = "Đã ký số bởi " + printableText(signedBy)
	}
	if r.Delegate != nil {
		p.Delegate = []field{
			{"Đơn vị được ủy nhiệm thu", r.Delegate.Name},
			{"Mã số thuế đơn vị được ủy nhiệm", r.Delegate.TaxCode},
		}
	}
	if r.Payer.Address != "" {
		p.Payer = append(p.Payer, field{"Địa chỉ", r.Payer.Address})
	}
	if r.Payer.TaxCode != "" {
		p.Payer = append(p.Payer, field{"Mã số thuế người nộp", r.Payer.TaxCode})
	}
	if r.Payer.IDNumber != "" {
		id := r.Payer.IDNumber
		if !r.Payer.IDPrinted {
			id = MaskIDNumber(id) // the procedure does not need it: not in full on paper
		}
		p.Payer = append(p.Payer, field{"Số CCCD/Hộ chiếu", id})
	}
	for i, l := range r.Lines {
		p.Lines = append(p.Lines, printedLine{
			No: strconv.Itoa(i + 1), Name: l.Name, Kind: l.Kind.label(), Amount: formatDong(l.Amount),
		})
	}
	if r.Card != nil {
		p.Card = []field{
			{"Máy POS", r.Card.TerminalID},
			{"Số trace", r.Card.TraceNo},
			{"Mã chuẩn chi", r.Card.ApprovalCode},
			{"Số thẻ", r.Card.PANMasked},
		}
	}
	// Circular 91/2026/TT-BTC Art. 20: a replaced receipt stays, marked;
	// its replacement names it.
	if r.Status == Replaced {
		s := "Đã bị thay thế"
		if r.ReplacedBy != nil {
			s += " bởi biên lai " + refWords(*r.ReplacedBy)
		}
		p.Status = append(p.Status, s)
	}
	if r.Replaces != nil {
		p.Status = append(p.Status, ReplacesWords(*r.Replaces, r.ReplacesDate))
	}
	if p.QR, err = newQR(p.VerifyURL); err != nil {
		return printedReceipt{}, err
	}
	return p, nil
}

// MaskIDNumber is an ID number (số định danh/CCCD, passport) as printed
// where the procedure does not need it: its first 3 and last 3
// characters, every other one "*" ("079******234"); one of 7 characters or
// fewer shows only its last 2 (a short number shown 3+3 would be nearly
// whole).
func MaskIDNumber(id string) string {
	r := []rune(id)
	switch n := len(r); {
	case n == 0:
		return ""
	case n <= 2:
		return strings.Repeat("*", n)
	case n <= 7:
		return strings.Repeat("*", n-2) + string(r[n-2:])
	default:
		return string(r[:3]) + strings.Repeat("*", n-6) + string(r[n-3:])
	}
}

// refWords names another receipt as printed: "ký hiệu mẫu EBL01, ký hiệu
// 26TAA, số 00000122".
func refWords(ref Ref) string {
	return "ký hiệu mẫu " + ref.Template + ", ký hiệu " + ref.Series + ", số " + printedNumber(ref.Number)
}

// label is the kind as printed.
func (k FeeKind) label() string {
	switch k {
	case Phi:
		return "Phí"
	case LePhi:
		return "Lệ phí"
	}
	return string(k)
}

// formatDong writes an amount of whole đồng as printed: "150.000 đ".
func formatDong(amount int64) string {
	if amount < 0 {
		return "-" + groupDigits(-amount) + " đ"
	}
	return groupDigits(amount) + " đ"
}

// joinFitting joins parts with sep into as few lines as it can, a part
// going on the line before when fits says the longer line still fits (the
// PDF and the thermal raster measure text differently).
func joinFitting(parts []string, sep string, fits func(line string) bool) []string {
	var lines []string
	for _, part := range parts {
		if n := len(lines); n > 0 && fits(lines[n-1]+sep+part) {
			lines[n-1] += sep + part
			continue
		}
		lines = append(lines, part)
	}
	return lines
}
