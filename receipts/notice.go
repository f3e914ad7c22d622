package receipts

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// The error notice, form 04/SS-CTĐT (Circular 91/2026/TT-BTC Art. 20): a
// mistake that does not touch the tax code, the amount or the fee — the
// payer's name, address or ID number, the amount in words — is not
// corrected by a replacement receipt. The receipt stays as issued and the
// organisation reports the mistake to the tax authority with this notice,
// one row per receipt, with an explanation. A wrong tax code, amount or fee
// (and a refund) needs a replacement receipt instead: NoticeItem refuses
// those kinds, naming the replacement.

// Notice form identity: the form's own number and title ("Mẫu số
// 04/SS-CTĐT, THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI"), the analogue for
// e-documents of the invoices' 04/SS-HĐĐT (Circular 78/2021/TT-BTC).
const (
	NoticeForm  = "04/SS-CTĐT"
	NoticeTitle = "THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI"
	// NoticeNamespace is the default namespace of a notice document
	// (version 2: the form's notice type, tax office and document type).
	NoticeNamespace = "urn:feepos:notice:2"
	// NoticeDocumentType is the document-type column (loại chứng từ điện
	// tử) of every row: feepos reports its fee receipts only.
	NoticeDocumentType = "Biên lai thu phí, lệ phí điện tử"
)

// NoticeType is the form's "Loại thông báo".
type NoticeType int

const (
	// OwnNotice (1): the organisation found the mistake and reports it.
	OwnNotice NoticeType = 1
	// AnswerToTaxOffice (2): the organisation explains receipts the tax
	// office asked about in its own notice (01/TB-RSĐT), whose number and
	// date the notice carries.
	AnswerToTaxOffice NoticeType = 2
)

// Label is the notice type as the form words it.
func (t NoticeType) Label() string {
	switch t {
	case OwnNotice:
		return "Thông báo của tổ chức thu phí, lệ phí"
	case AnswerToTaxOffice:
		return "Giải trình theo thông báo của cơ quan thuế"
	}
	return strconv.Itoa(int(t))
}

// Nature is the form's per-row "Thông báo/Giải trình" column: a row the
// organisation reports of its own accord is "Thông báo"; a row answering
// the tax office's notice is "Giải trình" (as 04/SS-HĐĐT's note to that
// column says). Receipts are never cancelled or edited: a replacement goes
// through a new receipt, not this notice.
func (t NoticeType) Nature() string {
	if t == AnswerToTaxOffice {
		return "Giải trình"
	}
	return "Thông báo"
}

// ErrorKind is the kind of mistake a notice reports.
type ErrorKind string

const (
	WrongPayerName     ErrorKind = "payer_name"
	WrongPayerAddress  ErrorKind = "payer_address"
	WrongPayerIDNumber ErrorKind = "payer_id_number"
	WrongAmountInWords ErrorKind = "amount_in_words"
	WrongDossierCode   ErrorKind = "dossier_code"
	// OtherMistake is any other mistake that changes neither the tax code, the
	// amount nor the fee; the explanation says what.
	OtherMistake ErrorKind = "other"
)

// ErrorKinds are the kinds a notice accepts, in the order they are listed.
var ErrorKinds = []ErrorKind{WrongPayerName, WrongPayerAddress, WrongPayerIDNumber, WrongAmountInWords, WrongDossierCode, OtherMistake}

// Label is the kind as written on the notice:
//
//	payer_name       Sai tên người nộp
//	payer_address    Sai địa chỉ người nộp
//	payer_id_number  Sai số CCCD/hộ chiếu người nộp
//	amount_in_words  Sai số tiền bằng chữ
//	dossier_code     Sai mã hồ sơ
//	other            Sai sót khác
func (k ErrorKind) Label() string {
	switch k {
	case WrongPayerName:
		return "Sai tên người nộp"
	case WrongPayerAddress:
		return "Sai địa chỉ người nộp"
	case WrongPayerIDNumber:
		return "Sai số CCCD/hộ chiếu người nộp"
	case WrongAmountInWords:
		return "Sai số tiền bằng chữ"
	case WrongDossierCode:
		return "Sai mã hồ sơ"
	case OtherMistake:
		return "Sai sót khác"
	}
	return string(k)
}

// ParseErrorKind reads a kind; the ones that need a replacement receipt are
// refused with what to do instead.
func ParseErrorKind(s string) (ErrorKind, error) {
	k := ErrorKind(strings.TrimSpace(s))
	for _, ok := range ErrorKinds {
		if k == ok {
			return k, nil
		}
	}
	if NeedsReplacement(string(k)) {
		return "", Invalidf("a wrong tax code, amount or fee, or a refund, is corrected by a replacement receipt, not by notice %s (Circular 91/2026/TT-BTC Art. 20): issue a receipt that replaces it", NoticeForm)
	}
	names := make([]string, len(ErrorKinds))
	for i, k := range ErrorKinds {
		names[i] = string(k)
	}
	return "", Invalidf("error kind %q: use one of %s", s, strings.Join(names, ", "))
}

// NeedsReplacement says whether s names a mistake that a replacement
// receipt corrects, not a notice: a wrong tax code (tax_code, mst), amount,
// fee (fee, fee_name), or a refund (Circular 91/2026/TT-BTC Art. 20).
func NeedsReplacement(s string) bool {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_") {
	case "tax_code", "mst", "amount", "fee", "fee_name", "refund":
		return true
	}
	return false
}

// ErrorNotice is one 04/SS-CTĐT notice of an organisation.
type ErrorNotice struct {
	Org Organisation `json:"org"`
	// Type is the notice type: OwnNotice (the default when 0) or
	// AnswerToTaxOffice, which needs TaxNoticeNumber and TaxNoticeDate (the
	// tax office's notice it answers).
	Type            NoticeType `json:"type"`
	TaxNoticeNumber string     `json:"tax_notice_number,omitempty"`
	TaxNoticeDate   string     `json:"tax_notice_date,omitempty"` // YYYY-MM-DD
	// TaxAuthority is the tax office the notice is addressed to ("Kính
	// gửi"), and TaxAuthorityCode its code (mã cơ quan thuế), optional.
	TaxAuthority     string `json:"tax_authority"`
	TaxAuthorityCode string `json:"tax_authority_code,omitempty"`
	// Place (địa danh) and Date (YYYY-MM-DD) of the notice.
	Place string       `json:"place,omitempty"`
	Date  string       `json:"date"`
	Items []NoticeItem `json:"items"`
}

// NoticeItem is one receipt with a mistake.
type NoticeItem struct {
	Receipt Ref `json:"receipt"`
	// IssueDate is the receipt's date of issue, YYYY-MM-DD in Vietnam.
	IssueDate   string    `json:"issue_date"`
	Kind        ErrorKind `json:"kind"`
	Explanation string    `json:"explanation"` // what is wrong and what is right
}

// Normalize trims text and puts it in NFC.
func (n ErrorNotice) Normalize() ErrorNotice {
	n.Org = Organisation{Code: strings.TrimSpace(n.Org.Code), Name: nfc(n.Org.Name), TaxCode: strings.TrimSpace(n.Org.TaxCode), Address: nfc(n.Org.Address)}
	n.TaxAuthority, n.Place, n.Date = nfc(n.TaxAuthority), nfc(n.Place), strings.TrimSpace(n.Date)
	n.TaxAuthorityCode, n.TaxNoticeNumber, n.TaxNoticeDate = strings.TrimSpace(n.TaxAuthorityCode), nfc(n.TaxNoticeNumber), strings.TrimSpace(n.TaxNoticeDate)
	if n.Type == 0 {
		n.Type = OwnNotice
	}
	items := make([]NoticeItem, len(n.Items))
	for i, it := range n.Items {
		it.Receipt.Template = strings.TrimSpace(it.Receipt.Template)
		if it.Receipt.Template == "" {
			it.Receipt.Template = Template
		}
		it.Receipt.Series = strings.ToUpper(strings.TrimSpace(it.Receipt.Series))
		it.IssueDate = strings.TrimSpace(it.IssueDate)
		it.Kind = ErrorKind(strings.TrimSpace(string(it.Kind)))
		it.Explanation = nfc(it.Explanation)
		items[i] = it
	}
	n.Items = items
	return n
}

// Validate checks a normalized notice.
func (n ErrorNotice) Validate() error {
	if err := n.Org.validate(); err != nil {
		return err
	}
	if err := checkText("tax authority", n.TaxAuthority, maxNameRunes, true); err != nil {
		return Invalidf("%s: name the tax office the notice is addressed to (Kính gửi), e.g. \"Thuế cơ sở 1 Thành phố Hồ Chí Minh\"", err.Error())
	}
	if err := checkText("tax authority code", n.TaxAuthorityCode, maxShortRunes, false); err != nil {
		return err
	}
	switch n.Type {
	case OwnNotice:
		if n.TaxNoticeNumber != "" || n.TaxNoticeDate != "" {
			return Invalidf("notice type 1 (the organisation's own notice) answers no tax office notice: give its number and date only with type 2")
		}
	case AnswerToTaxOffice:
		if err := checkText("tax office notice number", n.TaxNoticeNumber, maxShortRunes, true); err != nil {
			return Invalidf("notice type 2 answers the tax office's notice: give its number (%s)", err.Error())
		}
		if _, _, err := ParseSummaryDate(n.TaxNoticeDate); err != nil {
			return Invalidf("notice type 2 answers the tax office's notice: give its date (%s)", err.Error())
		}
		if n.TaxNoticeDate > n.Date {
			return Invalidf("the tax office's notice of %s is after this notice's date %s: an answer comes after the question", n.TaxNoticeDate, n.Date)
		}
	default:
		return Invalidf("notice type %d: use 1 (the organisation's own notice) or 2 (an answer to the tax office's notice)", n.Type)
	}
	if err := checkText("place", n.Place, maxNameRunes, false); err != nil {
		return err
	}
	if _, _, err := ParseSummaryDate(n.Date); err != nil {
		return Invalidf("notice %s", err.Error())
	}
	if len(n.Items) == 0 {
		return Invalidf("a notice %s names at least one receipt", NoticeForm)
	}
	if len(n.Items) > 1000 {
		return Invalidf("a notice names at most 1000 receipts, got %d: send several", len(n.Items))
	}
	seen := map[Ref]bool{}
	for i, it := range n.Items {
		if err := it.Receipt.Validate(); err != nil {
			return Invalidf("notice row %d: %s", i+1, err.Error())
		}
		if seen[it.Receipt] {
			return Invalidf("notice row %d: receipt %s is listed twice: one row per receipt, one explanation", i+1, it.Receipt)
		}
		seen[it.Receipt] = true
		if _, _, err := ParseSummaryDate(it.IssueDate); err != nil {
			return Invalidf("notice row %d: issue %s", i+1, err.Error())
		}
		if it.IssueDate > n.Date {
			return Invalidf("notice row %d: receipt %s was issued on %s, after the notice's date %s", i+1, it.Receipt, it.IssueDate, n.Date)
		}
		if _, err := ParseErrorKind(string(it.Kind)); err != nil {
			return Invalidf("notice row %d: %s", i+1, err.Error())
		}
		if err := checkText("notice row explanation", it.Explanation, maxTextRunes, true); err != nil {
			return Invalidf("notice row %d: %s", i+1, err.Error())
		}
	}
	return nil
}

// NoticeItemFor builds a notice row for a stored receipt.
func NoticeItemFor(r Receipt, kind ErrorKind, explanation string) (NoticeItem, error) {
	t, err := r.IssuedTime()
	if err != nil {
		return NoticeItem{}, err
	}
	return NoticeItem{Receipt: r.Ref, IssueDate: SummaryDate(t), Kind: kind, Explanation: explanation}, nil
}

// FileName is the notice's file name: 04SS-CTDT_<MST>_<YYYYMMDD>.<ext>.
func (n ErrorNotice) FileName(ext string) string {
	return "04SS-CTDT_" + n.Org.TaxCode + "_" + strings.ReplaceAll(n.Date, "-", "") + "." + ext
}

// NoticeXML writes the notice as XML, after normalizing and validating it.
// As for the receipt and the summary, the element names are feepos's own,
// in NoticeNamespace; the provider maps them to the tax authority's schema
// (TBao/DLTBao: MSo, Ten, Loai, So, NTBCCQT, MCQT, TCQT, TNNT, MST, DDanh,
// NTBao; per row STT, the document type, KHMSCTu, KHCTu, SCTu, NLap, the
// nature, LDo):
//
//	<ErrorNotice xmlns="urn:feepos:notice:2" version="2">
//	  <Form>04/SS-CTĐT</Form>                                  mẫu số
//	  <Title>THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI</Title>
//	  <NoticeType code="2">Giải trình theo thông báo của cơ quan thuế</NoticeType>   loại thông báo
//	  <TaxNotice><Number>…</Number><Date>2026-11-20</Date></TaxNotice>    type 2 only
//	  <TaxAuthority code="79101">…</TaxAuthority>             kính gửi (code optional)
//	  <Place>…</Place>                                         địa danh (optional)
//	  <Date>2026-07-02</Date>                                  ngày thông báo
//	  <Organisation><Code/><Name/><TaxCode/><Address/></Organisation>
//	  <Items count="N">
//	    <Item>
//	      <STT>1</STT>
//	      <DocumentType>Biên lai thu phí, lệ phí điện tử</DocumentType>   loại chứng từ điện tử
//	      <Template>EBL01</Template>          ký hiệu mẫu
//	      <Series>26TAA</Series>             ký hiệu
//	      <Number>00000007</Number>          số
//	      <IssueDate>2026-07-01</IssueDate>  ngày lập
//	      <Nature>Giải trình</Nature>        thông báo / giải trình
//	      <ErrorKind code="payer_name">Sai tên người nộp</ErrorKind>
//	      <Explanation>…</Explanation>       lý do
//	    </Item>
//	  </Items>
//	</ErrorNotice>
//
// Deterministic: the same notice gives the same bytes.
func NoticeXML(n ErrorNotice) ([]byte, error) {
	n = n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	doc := noticeXMLDoc{XMLNS: NoticeNamespace, Version: "2", Form: NoticeForm, Title: NoticeTitle,
		Type:         noticeXMLCoded{Code: strconv.Itoa(int(n.Type)), Label: n.Type.Label()},
		TaxAuthority: noticeXMLCoded{Code: n.TaxAuthorityCode, Label: n.TaxAuthority},
		Place:        n.Place, Date: n.Date,
		Org: noticeXMLOrg{Code: n.Org.Code, Name: n.Org.Name, TaxCode: n.Org.TaxCode, Address: n.Org.Address}}
	if n.Type == AnswerToTaxOffice {
		doc.TaxNotice = &noticeXMLTaxNotice{Number: n.TaxNoticeNumber, Date: n.TaxNoticeDate}
	}
	doc.Items.Count = len(n.Items)
	for i, it := range n.Items {
		doc.Items.Items = append(doc.Items.Items, noticeXMLItem{STT: i + 1, DocumentType: NoticeDocumentType,
			Template: it.Receipt.Template, Series: it.Receipt.Series,
			Number: printedNumber(it.Receipt.Number), IssueDate: it.IssueDate, Nature: n.Type.Nature(),
			Kind: sumXMLStatus{Code: string(it.Kind), Label: it.Kind.Label()}, Explanation: it.Explanation})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, Invalidf("notice XML: %s", err.Error())
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

type noticeXMLDoc struct {
	XMLName      xml.Name            `xml:"ErrorNotice"`
	XMLNS        string              `xml:"xmlns,attr"`
	Version      string              `xml:"version,attr"`
	Form         string              `xml:"Form"`
	Title        string              `xml:"Title"`
	Type         noticeXMLCoded      `xml:"NoticeType"`
	TaxNotice    *noticeXMLTaxNotice `xml:"TaxNotice,omitempty"`
	TaxAuthority noticeXMLCoded      `xml:"TaxAuthority"`
	Place        string              `xml:"Place,omitempty"`
	Date         string              `xml:"Date"`
	Org          noticeXMLOrg        `xml:"Organisation"`
	Items        struct {
		Count int             `xml:"count,attr"`
		Items []noticeXMLItem `xml:"Item"`
	} `xml:"Items"`
}

// noticeXMLCoded is a label with an optional code attribute.
type noticeXMLCoded struct {
	Code  string `xml:"code,attr,omitempty"`
	Label string `xml:",chardata"`
}

type noticeXMLTaxNotice struct {
	Number string `xml:"Number"`
	Date   string `xml:"Date"`
}

type noticeXMLOrg struct {
	Code    string `xml:"Code"`
	Name    string `xml:"Name"`
	TaxCode string `xml:"TaxCode"`
	Address string `xml:"Address"`
}

type noticeXMLItem struct {
	STT          int          `xml:"STT"`
	DocumentType string       `xml:"DocumentType"`
	Template     string       `xml:"Template"`
	Series       string       `xml:"Series"`
	Number       string       `xml:"Number"`
	IssueDate    string       `xml:"IssueDate"`
	Nature       string       `xml:"Nature"`
	Kind         sumXMLStatus `xml:"ErrorKind"`
	Explanation  string       `xml:"Explanation"`
}
