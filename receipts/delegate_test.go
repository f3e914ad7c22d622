package receipts_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// delegatedReceipt is the police's receipt issued by the center on its
// behalf, in format 2 with its lookup code.
func delegatedReceipt() receipts.Receipt {
	r := renderedReceipt()
	r.FormatVersion = receipts.CurrentFormat
	r.LookupCode = "7K3M9QX2TB"
	r.Delegate = &receipts.Delegate{Name: "Trung tâm Phục vụ hành chính công quận Hoàn Kiếm", TaxCode: "0101234567-001"}
	return r
}

// Issue 13, items 8 and 10: every rendering names the delegate and its tax
// code (Decree 254/2026/NĐ-CP Art. 25.4) and prints the lookup code, which
// the QR code's address carries.
func TestRenderDelegateAndLookupCode(t *testing.T) {
	r := delegatedReceipt()
	url := receipts.VerifyURL(testVerifyBase, r)
	assert.True(t, strings.HasSuffix(url, "/verify/EBL01/26TAA/00000123?c=7K3M9QX2TB"), url)

	var buf bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&buf, r, receipts.HTMLOptions{VerifyBase: testVerifyBase}))
	page := buf.String()
	assert.Contains(t, page, `Đơn vị được ủy nhiệm thu:</span> Trung tâm Phục vụ hành chính công quận Hoàn Kiếm`)
	assert.Contains(t, page, `Mã số thuế đơn vị được ủy nhiệm:</span> 0101234567-001`)
	assert.Contains(t, page, `Mã tra cứu: 7K3M9QX2TB`)
	assert.Contains(t, page, `href="`+url+`"`)

	text := strings.Join(strings.Fields(pdfText(t, renderPDF(t, r))), " ")
	for _, want := range []string{"Đơn vị được ủy nhiệm thu: Trung tâm Phục vụ hành chính công quận Hoàn Kiếm",
		"Mã số thuế đơn vị được ủy nhiệm: 0101234567-001", "Mã tra cứu: 7K3M9QX2TB", "?c=7K3M9QX2TB"} {
		assert.Contains(t, text, want)
	}

	// The thermal receipt is taller by the delegate's two lines and the code's.
	plain := renderedReceipt()
	var withEsc, withoutEsc bytes.Buffer
	require.NoError(t, receipts.RenderESCPOS(&withEsc, r, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}))
	require.NoError(t, receipts.RenderESCPOS(&withoutEsc, plain, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}))
	assert.Greater(t, withEsc.Len(), withoutEsc.Len())

	// The XML (the signed document) carries both; format 1 carries neither.
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	assert.Contains(t, string(doc), `<Receipt xmlns="urn:feepos:receipt:1" version="2">`)
	assert.Contains(t, string(doc), "<LookupCode>7K3M9QX2TB</LookupCode>")
	assert.Contains(t, string(doc), "<Delegate>\n    <Name>Trung tâm Phục vụ hành chính công quận Hoàn Kiếm</Name>\n    <TaxCode>0101234567-001</TaxCode>\n  </Delegate>")
	old := r
	old.FormatVersion = 1
	doc, err = receipts.ReceiptXML(old)
	require.NoError(t, err)
	assert.NotContains(t, string(doc), "LookupCode")
	assert.NotContains(t, string(doc), "Delegate")
}

func TestSeriesDelegate(t *testing.T) {
	s := goodSeries()
	assert.Nil(t, s.Delegate())
	s.DelegateName, s.DelegateTaxCode = "Trung tâm Phục vụ hành chính công Quận 1", "0301234567-001"
	require.NoError(t, s.Normalize().Validate())
	assert.Equal(t, &receipts.Delegate{Name: s.DelegateName, TaxCode: s.DelegateTaxCode}, s.Delegate())
	s.DelegateTaxCode = "123"
	assert.Error(t, s.Normalize().Validate())
	s.DelegateName, s.DelegateTaxCode = "Trung tâm", ""
	assert.Error(t, s.Normalize().Validate(), "a delegate names its tax code")
	s.DelegateName, s.DelegateTaxCode = "Tự thu", s.TaxCode
	assert.Error(t, s.Normalize().Validate(), "an organisation is not its own delegate")
}
