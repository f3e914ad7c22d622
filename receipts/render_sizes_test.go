package receipts_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// Decree 254/2026/NĐ-CP Art. 23.2 (last paragraph): what a receipt carries
// beyond the mandatory content prints no larger than it. Mandatory here:
// the tax code, template, series and the fee lines; optional: the payment
// method, the dossier code and the card's references.
var (
	mandatoryPrefixes = []string{"Mã số thuế:", "Ký hiệu mẫu:", "Ký hiệu:"}
	optionalPrefixes  = []string{"Hình thức thanh toán:", "Mã hồ sơ:", "Máy POS:", "Số trace:", "Mã chuẩn chi:", "Số thẻ:"}
)

// traceSizes renders with the text trace on and returns the size of each
// piece of text drawn, by text (its smallest size when drawn twice).
func traceSizes(t *testing.T, render func()) map[string]float64 {
	t.Helper()
	sizes := map[string]float64{}
	restore := receipts.TraceRender(func(_, text string, size float64) {
		if old, ok := sizes[text]; !ok || size < old {
			sizes[text] = size
		}
	})
	defer restore()
	render()
	return sizes
}

// requireOptionalNotLarger finds each mandatory and optional field among the
// texts drawn (a line may hold several fields: "Ký hiệu mẫu: EBL01 · Ký
// hiệu: 26TAA" on the thermal roll) and compares their sizes.
func requireOptionalNotLarger(t *testing.T, sizes map[string]float64, r receipts.Receipt) {
	t.Helper()
	find := func(what string, contains func(string) bool) float64 {
		for text, size := range sizes {
			if contains(text) {
				return size
			}
		}
		require.Failf(t, "not drawn", "%s is not among the texts drawn: %v", what, sizes)
		return 0
	}
	smallestMandatory := 1e9
	for _, p := range mandatoryPrefixes {
		smallestMandatory = min(smallestMandatory, find(p, func(s string) bool { return strings.HasPrefix(s, p) || strings.Contains(s, " · "+p) }))
	}
	for _, l := range r.Lines {
		first := strings.Fields(l.Name)[0]
		smallestMandatory = min(smallestMandatory, find(l.Name, func(s string) bool {
			return strings.Contains(s, first) && strings.Contains(l.Name, strings.TrimPrefix(strings.TrimPrefix(s, "1. "), "2. "))
		}))
	}
	for _, p := range optionalPrefixes {
		size := find(p, func(s string) bool { return strings.HasPrefix(s, p) || strings.Contains(s, " · "+p) })
		assert.LessOrEqual(t, size, smallestMandatory, "%s prints at %v, larger than the mandatory content (%v)", p, size, smallestMandatory)
	}
}

func TestPDFOptionalContentNoLargerThanMandatory(t *testing.T) {
	r := renderedReceipt()
	sizes := traceSizes(t, func() {
		require.NoError(t, receipts.RenderPDF(&bytes.Buffer{}, r, receipts.PDFOptions{VerifyBase: testVerifyBase}))
	})
	requireOptionalNotLarger(t, sizes, r)
}

func TestThermalOptionalContentNoLargerThanMandatoryAndSaysWhoSigned(t *testing.T) {
	r := renderedReceipt()
	for _, dots := range []int{receipts.DotsPerLine80mm, receipts.DotsPerLine58mm} {
		sizes := traceSizes(t, func() {
			require.NoError(t, receipts.RenderESCPOS(&bytes.Buffer{}, r, receipts.ESCPOSOptions{DotsPerLine: dots,
				VerifyBase: testVerifyBase, SignedBy: "Ủy ban nhân dân phường Hoàn Kiếm"}))
		})
		requireOptionalNotLarger(t, sizes, r)
		assert.Contains(t, sizes, "Đã ký số bởi Ủy ban nhân dân phường Hoàn Kiếm", "the thermal receipt says who signed, like the PDF and HTML")
	}
	sizes := traceSizes(t, func() {
		require.NoError(t, receipts.RenderESCPOS(&bytes.Buffer{}, r, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}))
	})
	for text := range sizes {
		assert.NotContains(t, text, "Đã ký số", "an unsigned receipt claims no signature")
	}
}

// HTML: the optional paragraphs carry class "optional", whose size is at
// most the body's (1em); nothing sets a larger size on the mandatory parts.
func TestHTMLOptionalContentNoLargerThanMandatory(t *testing.T) {
	for _, paper := range []string{receipts.PaperA5, receipts.Paper80mm} {
		var buf bytes.Buffer
		require.NoError(t, receipts.RenderHTML(&buf, renderedReceipt(), receipts.HTMLOptions{Paper: paper, VerifyBase: testVerifyBase}))
		page := buf.String()
		for _, p := range []string{"Hình thức thanh toán:", "Mã hồ sơ:", "Máy POS:"} {
			assert.Regexp(t, `<p class="optional[^"]*"><span class="label">`+regexp.QuoteMeta(p), page, paper)
		}
		m := regexp.MustCompile(`\.optional \{ font-size: ([0-9.]+)em; \}`).FindStringSubmatch(page)
		require.NotNil(t, m, "the .optional rule")
		size, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		assert.LessOrEqual(t, size, 1.0)
		// The mandatory parts (.org, .ids, the table cells) get no size of
		// their own: they print at the body's size.
		for _, sel := range []string{".org ", ".ids ", "td ", ".label "} {
			assert.NotRegexp(t, regexp.QuoteMeta(sel)+`\{[^}]*font-size`, page, sel)
		}
	}
}
