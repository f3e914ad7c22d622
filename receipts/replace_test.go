package receipts_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// A replacement names the original and its date as the law asks: on the
// printed receipt and in its signed XML. A replacement without a recorded
// date (issued before feepos recorded it) prints without, and its XML is
// the one it was signed as.
func TestReplacesWords(t *testing.T) {
	ref := receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 122}
	assert.Equal(t, "Thay thế cho biên lai mẫu số EBL01, ký hiệu 26TAA, số 00000122 ngày 05/12/2026", receipts.ReplacesWords(ref, "2026-12-05"))
	assert.Equal(t, "Thay thế cho biên lai mẫu số EBL01, ký hiệu 26TAA, số 00000122", receipts.ReplacesWords(ref, ""))

	r := renderedReplacement()
	r.ReplacesDate = "2026-11-24"
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "<Replaces>\n    <Template>EBL01</Template>\n    <Series>26TAA</Series>\n    <Number>122</Number>\n    <IssueDate>2026-11-24</IssueDate>\n  </Replaces>")
	r.ReplacesDate = ""
	doc, err = receipts.ReceiptXML(r)
	require.NoError(t, err)
	assert.Contains(t, string(doc), "<Number>122</Number>\n  </Replaces>")

	r.ReplacesDate = "2026-11-24"
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&buf, r, receipts.HTMLOptions{Paper: receipts.PaperA5, VerifyBase: testVerifyBase}))
	assert.Contains(t, buf.String(), "Thay thế cho biên lai mẫu số EBL01, ký hiệu 26TAA, số 00000122 ngày 24/11/2026")
}
