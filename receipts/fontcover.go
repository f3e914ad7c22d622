package receipts

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

// What the receipt font can print. A receipt is a legal document printed
// with the embedded DejaVu Sans (fonts.go): a character it has no glyph for
// would print as an empty box on paper and in the PDF (and fpdf, the PDF
// writer, panics on characters beyond U+FFFF), so issuing refuses such text
// with a message (checkText), and the renderers replace it with "?" in a
// receipt that somehow holds it, rather than fail to print it.

// fontCoverLimit bounds the characters that print: the Basic Multilingual
// Plane. DejaVu Sans has a few glyphs beyond it (emoticons), but fpdf
// indexes its character widths by a 16-bit table and panics past U+FFFF,
// and no Vietnamese name, address or fee needs them.
const fontCoverLimit = 0x10000

// fontCover is a bitset of the characters both the regular and the bold
// receipt font have a glyph for, built once (131,072 lookups, about 2 ms).
var fontCover = sync.OnceValue(func() []uint64 {
	bits := make([]uint64, fontCoverLimit/64)
	fonts, err := parsedFonts()
	if err != nil {
		return bits // nothing printable: every check fails and says so
	}
	var buf sfnt.Buffer
	for r := rune(0); r < fontCoverLimit; r++ {
		if i, err := fonts.regular.GlyphIndex(&buf, r); err != nil || i == 0 {
			continue
		}
		if i, err := fonts.bold.GlyphIndex(&buf, r); err != nil || i == 0 {
			continue
		}
		if unicode.Is(unicode.Cf, r) { // see printable
			continue
		}
		bits[r/64] |= 1 << (r % 64)
	}
	return bits
})

// printable says whether the receipt font prints r: one bit lookup. Spaces
// print; format characters (bidirectional overrides, zero-width joiners)
// never do, whatever glyph the font has for them (fontCover leaves them
// out): on a legal document they could make the text read otherwise than
// stored.
func printable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r < 0 || r >= fontCoverLimit {
		return false
	}
	return fontCover()[r/64]&(1<<(r%64)) != 0
}

// firstUnprintable is the first character of s the receipt font cannot
// print, and false when there is none.
func firstUnprintable(s string) (rune, bool) {
	for _, r := range s {
		if !printable(r) {
			return r, true
		}
	}
	return 0, false
}

// printableText is s with every character the receipt font cannot print
// replaced by "?".
func printableText(s string) string {
	if _, bad := firstUnprintable(s); !bad {
		return s
	}
	return strings.Map(func(r rune) rune {
		if printable(r) {
			return r
		}
		return '?'
	}, s)
}

// withPrintableText is r with every printed text field passed through
// printableText, for the renderers that draw with the receipt font.
func (r Receipt) withPrintableText() Receipt {
	p := printableText
	r.Org.Name, r.Org.Address, r.Org.TaxCode = p(r.Org.Name), p(r.Org.Address), p(r.Org.TaxCode)
	r.Payer.Name, r.Payer.Address, r.Payer.IDNumber = p(r.Payer.Name), p(r.Payer.Address), p(r.Payer.IDNumber)
	r.TotalInWords, r.DossierCode = p(r.TotalInWords), p(r.DossierCode)
	lines := make([]Line, len(r.Lines))
	for i, l := range r.Lines {
		l.Name, l.FeeCode = p(l.Name), p(l.FeeCode)
		lines[i] = l
	}
	r.Lines = lines
	if r.Card != nil {
		c := *r.Card
		c.TerminalID, c.TraceNo, c.ApprovalCode, c.PANMasked = p(c.TerminalID), p(c.TraceNo), p(c.ApprovalCode), p(c.PANMasked)
		r.Card = &c
	}
	return r
}
