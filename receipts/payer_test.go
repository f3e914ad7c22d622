package receipts_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func TestMaskIDNumber(t *testing.T) {
	for in, want := range map[string]string{
		"079090001234": "079******234", // CCCD, 12 digits
		"B1234567":     "B12**567",     // a passport
		"1234567":      "*****67",
		"12":           "**",
		"":             "",
	} {
		assert.Equal(t, want, receipts.MaskIDNumber(in), in)
	}
}

// A format-1 receipt (issued before format 2) has neither payer field and
// keeps its bytes; in format 2 both are content: each changes the hash.
func TestCanonicalV2ForPayerTaxCodeAndPrintedID(t *testing.T) {
	r := goldenReceipt()
	require.Equal(t, 1, r.Format())
	assert.Equal(t, goldenCanonical, string(r.Canonical()), "format 1 unchanged")

	r.FormatVersion = 2
	r.LookupCode = "7K3M9QX2TB"
	r.Payer.TaxCode = "0109876543"
	assert.Contains(t, string(r.Canonical()), `{"v":2,`)
	assert.Contains(t, string(r.Canonical()), `"id_number":"079090001234","id_printed":false,"tax_code":"0109876543"}`)

	printed := goldenReceipt()
	printed.FormatVersion = 2
	plain := printed.ComputeContentHash()
	printed.Payer.IDPrinted = true
	assert.Contains(t, string(printed.Canonical()), `"id_printed":true,"tax_code":""}`)
	assert.NotEqual(t, plain, printed.ComputeContentHash(), "printing the ID in full is content")

	// Sealed in format 2, a receipt whose tax code is removed fails.
	r.Seal(receipts.GenesisHash)
	require.Empty(t, r.CheckSeal(receipts.GenesisHash))
	r.Payer.TaxCode = ""
	assert.Contains(t, r.CheckSeal(receipts.GenesisHash), "content changed after issue")
}

func TestPayerTaxCodeIsChecked(t *testing.T) {
	nr := cardReceipt()
	nr.Payer.TaxCode = " 0109876543-001 "
	nr = nr.Normalize()
	require.NoError(t, nr.Validate())
	assert.Equal(t, "0109876543-001", nr.Payer.TaxCode)
	nr.Payer.TaxCode = "12345"
	assert.ErrorContains(t, nr.Validate(), "payer tax code \"12345\"")
	nr = cardReceipt()
	nr.Payer.IDNumber, nr.Payer.IDPrinted = "", true
	assert.ErrorContains(t, nr.Normalize().Validate(), "ask the payer for it")
}

// XML: the payer's tax code after the name, the ID number marked when
// printed in full; neither element nor attribute when not given (the XML of
// every receipt issued before is unchanged).
func TestReceiptXMLPayerTaxCodeAndPrintedID(t *testing.T) {
	plain, err := receipts.ReceiptXML(goldenReceipt())
	require.NoError(t, err)
	assert.NotContains(t, string(plain), "<TaxCode>0109876543</TaxCode>")
	assert.NotContains(t, string(plain), `printed=`)

	r := goldenReceipt()
	r.Payer.TaxCode, r.Payer.IDPrinted = "0109876543", true
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "<Name>Nguyễn Văn An</Name>\n    <TaxCode>0109876543</TaxCode>")
	assert.Contains(t, string(doc), `<IDNumber printed="full">079090001234</IDNumber>`)
}

// Printed: the payer's tax code; the ID number in full only when printed
// in full, otherwise masked, on every rendering.
func TestRenderedPayerTaxCodeAndIDNumber(t *testing.T) {
	r := renderedReceipt()
	r.Payer.IDNumber, r.Payer.TaxCode = "001190012345", "0109876543"
	var html bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&html, r, receipts.HTMLOptions{VerifyBase: testVerifyBase}))
	assert.Contains(t, html.String(), `Mã số thuế người nộp:</span> 0109876543`)
	assert.Contains(t, html.String(), `Số CCCD/Hộ chiếu:</span> 001******345`)
	assert.NotContains(t, html.String(), "001190012345")
	texts := traceSizes(t, func() {
		require.NoError(t, receipts.RenderPDF(&bytes.Buffer{}, r, receipts.PDFOptions{VerifyBase: testVerifyBase}))
		require.NoError(t, receipts.RenderESCPOS(&bytes.Buffer{}, r, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}))
	})
	assert.Contains(t, texts, "Số CCCD/Hộ chiếu: 001******345")
	assert.Contains(t, texts, "Mã số thuế người nộp: 0109876543")
	for text := range texts {
		assert.NotContains(t, text, "001190012345")
	}

	r.Payer.IDPrinted = true // the procedure needs it
	html.Reset()
	require.NoError(t, receipts.RenderHTML(&html, r, receipts.HTMLOptions{VerifyBase: testVerifyBase}))
	assert.Contains(t, html.String(), `Số CCCD/Hộ chiếu:</span> 001190012345`)
}
