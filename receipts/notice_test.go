package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func fixtureNotice() receipts.ErrorNotice {
	return receipts.ErrorNotice{
		Org:          summaryOrg,
		TaxAuthority: "Thuế thành phố Hà Nội",
		Place:        "Hà Nội",
		Date:         "2026-11-26",
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
	assert.Contains(t, string(out), `<ErrorKind code="payer_name">Sai tên người nộp</ErrorKind>`)
	assert.Contains(t, string(out), `<Series>26TAA</Series>`, "normalized")
	assert.Equal(t, "04SS-CTDT_0101234567_20261126.xml", fixtureNotice().FileName("xml"))
}

func TestNoticeRefusesWhatNeedsAReplacement(t *testing.T) {
	for _, k := range []string{"amount", "tax_code", "fee", "refund"} {
		_, err := receipts.ParseErrorKind(k)
		require.ErrorContains(t, err, "replacement receipt", k)
	}
	_, err := receipts.ParseErrorKind("spelling")
	require.ErrorContains(t, err, "use one of payer_name")

	for name, change := range map[string]func(*receipts.ErrorNotice){
		"kind":        func(n *receipts.ErrorNotice) { n.Items[0].Kind = "amount" },
		"no items":    func(n *receipts.ErrorNotice) { n.Items = nil },
		"twice":       func(n *receipts.ErrorNotice) { n.Items[1].Receipt = n.Items[0].Receipt },
		"explanation": func(n *receipts.ErrorNotice) { n.Items[0].Explanation = " " },
		"later":       func(n *receipts.ErrorNotice) { n.Items[0].IssueDate = "2026-11-27" },
		"date":        func(n *receipts.ErrorNotice) { n.Date = "26/11/2026" },
		"tax code":    func(n *receipts.ErrorNotice) { n.Org.TaxCode = "12345" },
		"number":      func(n *receipts.ErrorNotice) { n.Items[0].Receipt.Number = 0 },
	} {
		n := fixtureNotice()
		change(&n)
		_, err := receipts.NoticeXML(n)
		require.Error(t, err, name)
	}
}
