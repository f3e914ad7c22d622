package receipts

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The counter's thermal printer gets the receipt as a raster image, drawn
// here with the embedded DejaVu font, never as text: ESC/POS printers
// choose characters from code pages, and the Vietnamese one differs
// between models (Epson's WPC1258/TCVN-3 page numbers, clones with none,
// or a different table under the same number), and TCVN-3 or CP1258 need
// combining marks many firmwares cannot stack. A 1-bit image prints the
// same on every printer that knows GS v 0 (issue 4, Rendering).
//
// The bytes go to the printer unchanged, over a serial or USB line or a
// TCP connection to port 9100: RenderESCPOS writes to any io.Writer.

// Print widths in dots of the common rolls at 203 dpi (8 dots per mm).
const (
	DotsPerLine80mm = 576 // 80 mm paper, 72 mm printable
	DotsPerLine58mm = 384 // 58 mm paper, 48 mm printable
)

// ESCPOSOptions configures RenderESCPOS.
type ESCPOSOptions struct {
	// DotsPerLine is the printer's print width in dots: DotsPerLine80mm
	// (the default when 0) or DotsPerLine58mm; any multiple of 8 from 256
	// to 2040 is accepted for other printers.
	DotsPerLine int
	// VerifyBase is the public address of the feepos server; the QR code
	// points to VerifyURL(VerifyBase, r).
	VerifyBase string
	// SignedBy is the name (CN) on the certificate that signed the
	// receipt's XML, "" for a receipt not signed (or not known to be): the
	// receipt then shows "Thời điểm ký" and who signed instead of
	// "Thời điểm lập".
	SignedBy string
}

// ESC/POS commands (Epson ESC/POS reference; the same bytes on the
// common clones).
var (
	escInit = []byte{0x1b, '@'} // ESC @: initialise the printer
	// GS V 66 n: feed to the cutter (+ n dots) and cut partially, so the
	// last printed line is not left under the cutter.
	escFeedAndCut = []byte{0x1d, 'V', 66, 0}
	// GS v 0 m xL xH yL yH d1…dk: print a raster image, m = 0 (normal
	// size), x = bytes per row, y = rows.
	escRasterHeader = []byte{0x1d, 'v', '0', 0}
)

// escRasterMaxRows is the height of each GS v 0 block. The command allows
// yL + yH×256 up to 2303 (yH ≤ 8), but some printers accept much less (a
// few 58 mm models stop at 343 rows) and a large block can overrun a
// small receive buffer; blocks of at most 255 rows (yH = 0) are accepted
// everywhere and print without visible seams.
const escRasterMaxRows = 255

// RenderESCPOS writes the receipt for an ESC/POS thermal printer: ESC @,
// the receipt as GS v 0 raster blocks, then feed and cut (GS V).
func RenderESCPOS(w io.Writer, r Receipt, opts ESCPOSOptions) error {
	img, err := ThermalImage(r, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if err := writeESCPOSRaster(bw, img); err != nil {
		return fmt.Errorf("write receipt %s to the printer: %w", r.Ref, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write receipt %s to the printer: %w", r.Ref, err)
	}
	return nil
}

// writeESCPOSRaster writes img (index 1 = a dot) between the printer's
// initialisation and the cut.
func writeESCPOSRaster(w io.Writer, img *image.Paletted) error {
	width, height := img.Rect.Dx(), img.Rect.Dy()
	rowBytes := (width + 7) / 8
	if _, err := w.Write(escInit); err != nil {
		return err
	}
	row := make([]byte, rowBytes)
	for top := 0; top < height; top += escRasterMaxRows {
		rows := min(escRasterMaxRows, height-top)
		header := append(append([]byte{}, escRasterHeader...),
			byte(rowBytes), byte(rowBytes>>8), byte(rows), byte(rows>>8))
		if _, err := w.Write(header); err != nil {
			return err
		}
		for y := top; y < top+rows; y++ {
			clear(row)
			// Bit 7 of a byte is its leftmost dot; a 1 prints.
			for x := range width {
				if img.ColorIndexAt(img.Rect.Min.X+x, img.Rect.Min.Y+y) == 1 {
					row[x/8] |= 0x80 >> (x % 8)
				}
			}
			if _, err := w.Write(row); err != nil {
				return err
			}
		}
	}
	_, err := w.Write(escFeedAndCut)
	return err
}

// ThermalImage draws the receipt as the thermal printer prints it: a 1-bit
// image opts.DotsPerLine wide (palette index 0 white, 1 black), as long as
// its content. RenderESCPOS sends it; a caller can also show or store it.
func ThermalImage(r Receipt, opts ESCPOSOptions) (*image.Paletted, error) {
	r = r.withPrintableText() // fontcover.go
	dots := opts.DotsPerLine
	if dots == 0 {
		dots = DotsPerLine80mm
	}
	if dots%8 != 0 || dots < 256 || dots > 2040 {
		return nil, Invalidf("print width %d dots: use %d (80 mm paper) or %d (58 mm), or the printer's width, a multiple of 8", dots, DotsPerLine80mm, DotsPerLine58mm)
	}
	p, err := newPrintedReceipt(r, opts.VerifyBase, opts.SignedBy)
	if err != nil {
		return nil, err
	}
	c, err := newThermalCanvas(dots)
	if err != nil {
		return nil, err
	}
	defer c.close()

	c.text(c.bold, p.OrgName, alignCenter)
	c.text(c.body, p.OrgTaxCode.String(), alignCenter) // mandatory: body size, as template, series and fees
	c.text(c.small, p.OrgAddress.String(), alignCenter)
	for _, f := range p.Delegate {
		c.text(c.small, f.String(), alignCenter)
	}
	c.rule()
	c.text(c.title, p.Title, alignCenter)
	for _, line := range joinFitting([]string{p.Template.String(), p.Series.String()}, " · ", func(l string) bool {
		return font.MeasureString(c.body, l).Ceil() <= c.width
	}) {
		c.text(c.body, line, alignCenter)
	}
	c.text(c.bold, p.Number.String(), alignCenter)
	c.text(c.body, p.Date, alignCenter)
	for _, s := range p.Status {
		c.gap(6)
		c.boxed(c.bold, s)
	}
	c.rule()
	for _, f := range p.Payer {
		c.text(c.body, f.String(), alignLeft)
	}
	c.rule()
	head := p.Head()
	c.row(c.bold, 0, head.Name, head.Amount)
	for _, l := range p.Lines {
		c.gap(4)
		c.text(c.body, l.No+". "+l.Name, alignLeft)
		c.row(c.body, 28, l.Kind, l.Amount)
	}
	c.rule()
	c.row(c.title, 0, p.Total.Label+":", p.Total.Value)
	c.text(c.body, p.Words.String(), alignLeft)
	c.gap(6)
	// Optional content (Decree 254/2026/NĐ-CP Art. 23.2): smaller than the
	// tax code, template, series and fee lines.
	c.text(c.small, p.Method.String(), alignLeft)
	c.text(c.small, p.Dossier.String(), alignLeft)
	for _, f := range p.Card {
		c.text(c.small, f.String(), alignLeft)
	}
	c.rule()
	c.text(c.small, p.SignHead, alignCenter)
	c.text(c.small, p.SignNote, alignCenter) // "Đã ký số bởi …" when signed, as on the PDF and HTML
	c.text(c.small, p.Signed.String(), alignCenter)
	c.gap(8)
	c.qr(p.QR)
	c.text(c.small, p.VerifyLabel+":", alignCenter)
	c.text(c.small, p.VerifyURL, alignCenter)
	if p.LookupCode.Value != "" {
		c.text(c.small, p.LookupCode.String(), alignCenter)
	}
	c.gap(24)
	return c.image(), nil
}

type align int

const (
	alignLeft align = iota
	alignCenter
)

// thermalCanvas draws the receipt top to bottom on a grey image that
// grows as needed, then thresholds it to 1 bit.
type thermalCanvas struct {
	img    *image.Gray
	y      int // first free row
	margin int // blank dots left and right
	width  int // printable width inside the margins

	body, bold, small, title font.Face
	sizes                    map[font.Face]float64 // each face's size, for the render trace
}

// Type sizes in pixels (= dots at 203 dpi: 24 dots ≈ 3 mm, the height of
// the printers' own font A), a little smaller on 58 mm paper.
func thermalSizes(dots int) (body, small, bold, title float64) {
	if dots >= 512 {
		return 24, 20, 25, 28
	}
	return 21, 18, 22, 23
}

func newThermalCanvas(dots int) (*thermalCanvas, error) {
	fonts, err := parsedFonts()
	if err != nil {
		return nil, err
	}
	body, small, bold, title := thermalSizes(dots)
	c := &thermalCanvas{margin: 8, width: dots - 16, sizes: map[font.Face]float64{}}
	for _, f := range []struct {
		dst  *font.Face
		font *opentype.Font
		size float64
	}{
		{&c.body, fonts.regular, body}, {&c.small, fonts.regular, small},
		{&c.bold, fonts.bold, bold}, {&c.title, fonts.bold, title},
	} {
		face, err := opentype.NewFace(f.font, &opentype.FaceOptions{Size: f.size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			c.close()
			return nil, fmt.Errorf("load the receipt font at %.0f px: %w", f.size, err)
		}
		*f.dst = face
		c.sizes[face] = f.size
	}
	c.img = image.NewGray(image.Rect(0, 0, dots, 1600))
	draw.Draw(c.img, c.img.Rect, image.White, image.Point{}, draw.Src)
	c.y = 12
	return c, nil
}

func (c *thermalCanvas) close() {
	for _, f := range []font.Face{c.body, c.small, c.bold, c.title} {
		if f != nil {
			f.Close()
		}
	}
}

// reserve makes sure h more rows fit below c.y.
func (c *thermalCanvas) reserve(h int) {
	if c.y+h <= c.img.Rect.Dy() {
		return
	}
	bigger := image.NewGray(image.Rect(0, 0, c.img.Rect.Dx(), max(2*c.img.Rect.Dy(), c.y+h)))
	draw.Draw(bigger, bigger.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(bigger, c.img.Rect, c.img, image.Point{}, draw.Src)
	c.img = bigger
}

func (c *thermalCanvas) gap(px int) { c.reserve(px); c.y += px }

// lineHeight leaves room above capitals for Vietnamese stacked marks (Ễ).
func lineHeight(f font.Face) int {
	m := f.Metrics()
	return (m.Ascent + m.Descent).Ceil() + 3
}

// drawLine draws one line of text whose left end is at x.
func (c *thermalCanvas) drawLine(f font.Face, s string, x int) {
	m := f.Metrics()
	h := lineHeight(f)
	c.reserve(h)
	d := font.Drawer{Dst: c.img, Src: image.Black, Face: f,
		Dot: fixed.P(x, c.y+2+m.Ascent.Ceil())}
	d.DrawString(s)
}

// text draws s wrapped to the printable width.
func (c *thermalCanvas) text(f font.Face, s string, a align) {
	traceText("escpos", s, c.sizes[f])
	for _, line := range wrapText(f, s, c.width) {
		x := c.margin
		if a == alignCenter {
			x += (c.width - font.MeasureString(f, line).Ceil()) / 2
		}
		c.drawLine(f, line, x)
		c.y += lineHeight(f)
	}
}

// row draws left, indented and wrapped, on the left and right flush right
// on the last line of left.
func (c *thermalCanvas) row(f font.Face, indent int, left, right string) {
	traceText("escpos", left, c.sizes[f])
	traceText("escpos", right, c.sizes[f])
	rw := font.MeasureString(f, right).Ceil()
	lines := wrapText(f, left, c.width-indent-rw-16)
	for i, line := range lines {
		c.drawLine(f, line, c.margin+indent)
		if i < len(lines)-1 {
			c.y += lineHeight(f)
		}
	}
	c.drawLine(f, right, c.margin+c.width-rw)
	c.y += lineHeight(f)
}

// boxed draws s centred in a frame: the replaced / replaces notices.
func (c *thermalCanvas) boxed(f font.Face, s string) {
	const pad, border = 6, 2
	inner := c.width - 2*(pad+border)
	lines := wrapText(f, s, inner)
	h := len(lines)*lineHeight(f) + 2*(pad+border)
	c.reserve(h)
	top := c.y
	c.fill(c.margin, top, c.width, h)
	c.clear(c.margin+border, top+border, c.width-2*border, h-2*border)
	c.y = top + border + pad
	for _, line := range lines {
		c.drawLine(f, line, c.margin+(c.width-font.MeasureString(f, line).Ceil())/2)
		c.y += lineHeight(f)
	}
	c.y = top + h
}

// rule draws a dashed line across, between the receipt's parts.
func (c *thermalCanvas) rule() {
	c.gap(8)
	for x := c.margin; x < c.margin+c.width; x += 12 {
		c.fill(x, c.y, min(7, c.margin+c.width-x), 2)
	}
	c.gap(10)
}

// qr draws the code centred, each module a square of whole dots (a
// fractional module size would blur into uneven bars), about 45 % of the
// paper's width: a phone reads it from 20 cm.
func (c *thermalCanvas) qr(q qrCode) {
	n := q.modules()
	scale := max(c.width*45/100/n, 3)
	size := n * scale
	c.reserve(size)
	left := c.margin + (c.width-size)/2
	for y := range n {
		for x := range n {
			if q.isDark(x, y) {
				c.fill(left+x*scale, c.y+y*scale, scale, scale)
			}
		}
	}
	c.y += size
}

func (c *thermalCanvas) fill(x, y, w, h int) {
	draw.Draw(c.img, image.Rect(x, y, x+w, y+h), image.Black, image.Point{}, draw.Src)
}

func (c *thermalCanvas) clear(x, y, w, h int) {
	draw.Draw(c.img, image.Rect(x, y, x+w, y+h), image.White, image.Point{}, draw.Src)
}

// thermalInk is the grey level under which an anti-aliased pixel becomes a
// dot: a little past the middle, so thin strokes of small letters and the
// diacritics on them are kept.
const thermalInk = 160

// image crops the drawing to its content and makes it 1 bit deep.
func (c *thermalCanvas) image() *image.Paletted {
	b := image.Rect(0, 0, c.img.Rect.Dx(), c.y)
	out := image.NewPaletted(b, color.Palette{color.White, color.Black})
	for y := range b.Dy() {
		for x := range b.Dx() {
			if c.img.GrayAt(x, y).Y < thermalInk {
				out.SetColorIndex(x, y, 1)
			}
		}
	}
	return out
}

// wrapText breaks s into lines no wider than width, between words, and
// inside a word only when the word alone is too wide (a long URL).
func wrapText(f font.Face, s string, width int) []string {
	fits := func(t string) bool { return font.MeasureString(f, t).Ceil() <= width }
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "" && fits(word):
			line = word
		case line != "" && fits(line+" "+word):
			line += " " + word
		default:
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			for !fits(word) {
				cut := len(word)
				for cut > 0 && !fits(word[:cut]) {
					_, size := utf8.DecodeLastRuneInString(word[:cut])
					cut -= size
				}
				if cut == 0 { // not even one letter fits: cannot happen at our sizes
					_, cut = utf8.DecodeRuneInString(word)
				}
				lines = append(lines, word[:cut])
				word = word[cut:]
			}
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
