package receipts

import (
	"embed"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/notice.html.tmpl
var noticeTemplates embed.FS

var noticeHTML = template.Must(template.ParseFS(noticeTemplates, "templates/notice.html.tmpl"))

// htmlNotice is the notice template's data: the form's layout, dates as
// printed (dd/mm/yyyy; "ngày … tháng … năm …" for the notice's own).
type htmlNotice struct {
	Form, Title                      string
	TaxAuthority, TaxAuthorityCode   string
	Org                              Organisation
	TypeCode                         int
	OwnLabel, AnswerLabel            string
	TaxNoticeNumber, TaxNoticeDateVN string
	Place, DateVN, Day, Month, Year  string
	Rows                             []htmlNoticeRow
}

type htmlNoticeRow struct {
	STT                                                 int
	DocumentType, Template, Series, Number, IssueDateVN string
	Nature, Kind, Explanation                           string
}

// NoticeHTML writes the notice as the form reads (Mẫu số 04/SS-CTĐT): the
// national heading, the title, "Kính gửi", the organisation, the notice
// type with the tax office's notice for type 2, the table of receipts
// (document type, template, series, number, date, Thông báo/Giải trình,
// reason) and the place and date above the signature. It is the copy for
// people; the XML (NoticeXML) is the document that is sent.
func NoticeHTML(w io.Writer, n ErrorNotice) error {
	n = n.Normalize()
	if err := n.Validate(); err != nil {
		return err
	}
	d := strings.Split(n.Date, "-") // validated: YYYY-MM-DD
	h := htmlNotice{Form: NoticeForm, Title: NoticeTitle, TaxAuthority: n.TaxAuthority, TaxAuthorityCode: n.TaxAuthorityCode,
		Org: n.Org, TypeCode: int(n.Type), OwnLabel: OwnNotice.Label(), AnswerLabel: AnswerToTaxOffice.Label(),
		TaxNoticeNumber: n.TaxNoticeNumber, TaxNoticeDateVN: isoToVN(n.TaxNoticeDate),
		Place: n.Place, DateVN: isoToVN(n.Date), Day: d[2], Month: d[1], Year: d[0]}
	for i, it := range n.Items {
		h.Rows = append(h.Rows, htmlNoticeRow{STT: i + 1, DocumentType: NoticeDocumentType, Template: it.Receipt.Template,
			Series: it.Receipt.Series, Number: printedNumber(it.Receipt.Number), IssueDateVN: isoToVN(it.IssueDate),
			Nature: n.Type.Nature(), Kind: it.Kind.Label(), Explanation: it.Explanation})
	}
	return noticeHTML.Execute(w, h)
}

// isoToVN prints YYYY-MM-DD as dd/mm/yyyy ("" stays "").
func isoToVN(s string) string {
	p := strings.Split(s, "-")
	if len(p) != 3 {
		return s
	}
	return p[2] + "/" + p[1] + "/" + p[0]
}
