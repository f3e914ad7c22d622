package receipts_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func fixtureNotice() receipts.ErrorNotice {
	return receipts.ErrorNotice{
		Org:              summaryOrg,
		TaxAuthority:     "Thuế thành phố Hà Nội",
		TaxAuthorityCode: "01101",
		Place:            "Hà Nội",
		Date:             "2026-11-26",
		Items: []receipts.NoticeItem{
			{Receipt: receipts.Ref{Series: "26taa", Number: 5}, IssueDate: "2026-11-25", Kind: receipts.WrongPayerName,
				Explanation: "Ghi sai tên người nộp: \"Nguyễn Thị Hồng Nhung\" đúng là \"Nguyễn Thị Hồng Nhụng\" <CCCD 001> & hồ sơ"},
			{Receipt: receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 7}, IssueDate: "2026-11-25", Kind: receipts.WrongAmountInWords,
				Explanation: "Số tiền bằng chữ ghi \"Hai trăm nghìn đồng\", đúng là \"Hai nghìn đồng\""},
		},
	}
}

func TestNoticeXMLGolden(t *testing.T) {
	out, err := receipts.NoticeXML(fixtureNotice())
	require.NoError(t, err)
	again, err := receipts.NoticeXML(fixtureNotice())
	require.NoError(t, err)
	assert.Equal(t, out, again, "deterministic")
	golden(t, "notice-04SS-CTDT.xml", out)
	assert.Contains(t, string(out), `<Title>THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI</Title>`, "the form's own title")
	assert.Contains(t, string(out), `<NoticeType code="1">Thông báo của tổ chức thu phí, lệ phí</NoticeType>`, "type 1 by default")
	assert.NotContains(t, string(out), `<TaxNotice>`, "type 1 answers no tax office notice")
	assert.Contains(t, string(out), `<TaxAuthority code="01101">Thuế thành phố Hà Nội</TaxAuthority>`)
	assert.Contains(t, string(out), `<DocumentType>Biên lai thu phí, lệ phí điện tử</DocumentType>`)
	assert.Equal(t, 2, strings.Count(string(out), `<Nature>Thông báo</Nature>`), "the organisation's own rows are Thông báo")
	assert.Contains(t, string(out), `<ErrorKind code="payer_name">Sai tên người nộp</ErrorKind>`)
	assert.Contains(t, string(out), `<Series>26TAA</Series>`, "normalized")
	assert.Equal(t, "04SS-CTDT_0101234567_20261126.xml", fixtureNotice().FileName("xml"))
}

// Type 2 answers the tax office's notice: it carries that notice's number
// and date, and its rows are Giải trình.
func TestNoticeXMLAnswerToTheTaxOffice(t *testing.T) {
	n := fixtureNotice()
	n.Type = receipts.AnswerToTaxOffice
	n.TaxNoticeNumber, n.TaxNoticeDate = "123/TB-CCT", "2026-11-20"
	out, err := receipts.NoticeXML(n)
	require.NoError(t, err)
	golden(t, "notice-04SS-CTDT-type2.xml", out)
	assert.Contains(t, string(out), `<NoticeType code="2">Giải trình theo thông báo của cơ quan thuế</NoticeType>`)
	assert.Contains(t, string(out), "<TaxNotice>\n    <Number>123/TB-CCT</Number>\n    <Date>2026-11-20</Date>\n  </TaxNotice>")
	assert.Equal(t, 2, strings.Count(string(out), `<Nature>Giải trình</Nature>`))
	assert.NotContains(t, string(out), `<Nature>Thông báo</Nature>`)
}

// The copy for people, laid out as the form: heading, title, Kính gửi, the
// notice type ticked, the eight columns, the place and date.
func TestNoticeHTMLGolden(t *testing.T) {
	for name, n := range map[string]receipts.ErrorNotice{"1": fixtureNotice(), "2": func() receipts.ErrorNotice {
		n := fixtureNotice()
		n.Type, n.TaxNoticeNumber, n.TaxNoticeDate = receipts.AnswerToTaxOffice, "123/TB-CCT", "2026-11-20"
		return n
	}()} {
		var buf bytes.Buffer
		require.NoError(t, receipts.NoticeHTML(&buf, n))
		golden(t, "notice-04SS-CTDT-type"+name+".html", buf.Bytes())
		page := buf.String()
		for _, want := range []string{"Mẫu số: 04/SS-CTĐT", "<h1>THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI</h1>",
			"Kính gửi: Thuế thành phố Hà Nội (mã cơ quan thuế: 01101)", "Mã số thuế: 0101234567",
			"<th>Loại chứng từ điện tử</th><th>Ký hiệu mẫu chứng từ</th><th>Ký hiệu chứng từ</th><th>Số chứng từ</th><th>Ngày lập</th><th>Thông báo/Giải trình</th><th>Lý do</th>",
			"<td class=\"num\">25/11/2026</td>", "Hà Nội, ngày 26 tháng 11 năm 2026"} {
			assert.Contains(t, page, want, name)
		}
		if name == "1" {
			assert.Contains(t, page, "[x]</span> 1. Thông báo của tổ chức thu phí, lệ phí")
			assert.Contains(t, page, "<td class=\"num\">Thông báo</td>")
		} else {
			assert.Contains(t, page, "[x]</span> 2. Giải trình theo thông báo của cơ quan thuế số 123/TB-CCT ngày 20/11/2026")
			assert.Contains(t, page, "<td class=\"num\">Giải trình</td>")
		}
	}
}

func TestNoticeRefusesWhatNeedsAReplacement(t *testing.T) {
	for _, k := range []string{"amount", "tax_code", "fee", "refund"} {
		_, err := receipts.ParseErrorKind(k)
		require.ErrorContains(t, err, "replacement receipt", k)
	}
	_, err := receipts.ParseErrorKind("spelling")
	require.ErrorContains(t, err, "use one of payer_name")

	for name, change := range map[string]func(*receipts.ErrorNotice){
		"kind":                            func(n *receipts.ErrorNotice) { n.Items[0].Kind = "amount" },
		"no items":                        func(n *receipts.ErrorNotice) { n.Items = nil },
		"twice":                           func(n *receipts.ErrorNotice) { n.Items[1].Receipt = n.Items[0].Receipt },
		"explanation":                     func(n *receipts.ErrorNotice) { n.Items[0].Explanation = " " },
		"later":                           func(n *receipts.ErrorNotice) { n.Items[0].IssueDate = "2026-11-27" },
		"date":                            func(n *receipts.ErrorNotice) { n.Date = "26/11/2026" },
		"tax code":                        func(n *receipts.ErrorNotice) { n.Org.TaxCode = "12345" },
		"number":                          func(n *receipts.ErrorNotice) { n.Items[0].Receipt.Number = 0 },
		"no tax office":                   func(n *receipts.ErrorNotice) { n.TaxAuthority = " " },
		"type 3":                          func(n *receipts.ErrorNotice) { n.Type = 3 },
		"type 1 with the office's notice": func(n *receipts.ErrorNotice) { n.TaxNoticeNumber = "123/TB-CCT" },
		"type 2 without its number": func(n *receipts.ErrorNotice) {
			n.Type, n.TaxNoticeDate = receipts.AnswerToTaxOffice, "2026-11-20"
		},
		"type 2 without its date": func(n *receipts.ErrorNotice) {
			n.Type, n.TaxNoticeNumber = receipts.AnswerToTaxOffice, "123/TB-CCT"
		},
		"type 2 answering a later notice": func(n *receipts.ErrorNotice) {
			n.Type, n.TaxNoticeNumber, n.TaxNoticeDate = receipts.AnswerToTaxOffice, "123/TB-CCT", "2026-11-27"
		},
	} {
		n := fixtureNotice()
		change(&n)
		_, err := receipts.NoticeXML(n)
		require.Error(t, err, name)
	}
}
