package receipts

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Every letter a Vietnamese name or fee can hold prints; emoji, CJK and
// bidirectional overrides do not.
func TestPrintable(t *testing.T) {
	t0 := time.Now()
	fontCover()
	t.Logf("coverage built in %v", time.Since(t0))
	for _, s := range []string{
		"aăâbcdđeêghiklmnoôơpqrstuưvxy AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY",
		"àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
		"ÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬÈẺẼÉẸỀỂỄẾỆÌỈĨÍỊÒỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙỦŨÚỤỪỬỮỨỰỲỶỸÝỴ",
		"0123456789 .,;:-–/()\"'&%+*#@đ₫",
	} {
		r, bad := firstUnprintable(s)
		assert.False(t, bad, "%q (U+%04X) in %q", r, r, s)
	}
	for _, r := range []rune{'😀', '漢', '\u202e', '\u200d', 0x1F4A9, 0x10FFFF, '\uE000'} {
		assert.False(t, printable(r), "U+%04X", r)
	}
	assert.Equal(t, "Nguyễn ? ?? x", printableText("Nguyễn 😀 漢字 x"))
}

// Text the font cannot print is refused at issue, and a receipt holding it
// anyway (built by hand, or stored before) still renders, with "?".
func TestUnprintableText(t *testing.T) {
	nr := NewReceipt{OrgCode: "UBND", Payer: Payer{Name: "Nguyễn 😀"},
		Lines: []Line{{Name: "Lệ phí", Kind: LePhi, FeeCode: "LP", Amount: 1000}}, Total: 1000,
		TotalInWords: "Một nghìn đồng", Method: Cash, DossierCode: "HS-1"}
	err := nr.Validate()
	assert.ErrorContains(t, err, `payer name contains '😀' (U+1F600), which the receipt cannot print`)
	nr.Payer.Name = "Trần \u202eAn"
	assert.ErrorContains(t, nr.Validate(), "U+202E")
	nr.Payer.Name = "Trần Thị Bình"
	assert.NoError(t, nr.Validate())

	r := Receipt{Ref: Ref{Template: Template, Series: "26TAA", Number: 1}, IssuedAt: "2026-11-25T07:30:05Z",
		Org: Organisation{Code: "UBND", Name: "Ủy ban nhân dân 漢", TaxCode: "0101234567", Address: "Hà Nội"}, NewReceipt: nr, Currency: Currency}
	r.Payer.Name = "Nguyễn 😀 \U0001F4A9"
	r.Lines = []Line{{Name: "Lệ phí 😀", Kind: LePhi, FeeCode: "LP", Amount: 1000}}
	var b discardWriter
	assert.NoError(t, RenderPDF(&b, r, PDFOptions{VerifyBase: "https://example.vn"}))
	assert.NoError(t, RenderESCPOS(&b, r, ESCPOSOptions{VerifyBase: "https://example.vn"}))
	assert.Equal(t, "Nguyễn ? ?", r.withPrintableText().Payer.Name)
	assert.Equal(t, "Nguyễn 😀 \U0001F4A9", r.Payer.Name, "the receipt itself is not changed")
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
