package receipts

import (
	"bytes"
	"fmt"
	"io"

	"github.com/go-pdf/fpdf"
)

// PDFOptions configures RenderPDF.
type PDFOptions struct {
	// VerifyBase is the public address of the feepos server; the QR code
	// points to VerifyURL(VerifyBase, r).
	VerifyBase string
	// SignedBy is the name (CN) on the certificate that signed the
	// receipt's XML, "" for a receipt not signed (or not known to be): the
	// receipt then shows "Thời điểm ký" and who signed instead of
	// "Thời điểm lập".
	SignedBy string
}

// The A5 page, in millimetres.
const (
	pdfPageW   = 148.0
	pdfPageH   = 210.0
	pdfMargin  = 10.0
	pdfWidth   = pdfPageW - 2*pdfMargin
	pdfFont    = "DejaVu"
	pdfLineH   = 4.6 // one 9 pt line
	pdfQRSize  = 30.0
	pdfSignX   = pdfMargin + pdfQRSize + 12
	pdfIDsW    = 40.0 // the template / series / number column, top right
	pdfOrgW    = pdfWidth - pdfIDsW - 4
	pdfNoW     = 11.0
	pdfKindW   = 15.0
	pdfAmountW = 30.0
	pdfNameW   = pdfWidth - pdfNoW - pdfKindW - pdfAmountW
)

// Type sizes in points. Decree 254/2026/NĐ-CP Art. 23.2 (last paragraph):
// content a receipt may carry beyond what the law asks (the dossier code,
// the payment method, the card's references) prints no larger than the
// mandatory content (the tax code, template, series and the fee lines).
const (
	pdfMandatoryPt = 8.5 // tax code, address, template, series, fee lines
	pdfOptionalPt  = 8.5 // payment method, dossier code: never above pdfMandatoryPt
	pdfCardPt      = 7.5 // the card references, a technical line
)

// RenderPDF writes the receipt as an A5 portrait PDF with the embedded
// DejaVu fonts (subset into the file, so it shows and prints the same
// everywhere) and the QR code drawn as vector squares.
//
// The output depends only on the receipt and opts: the PDF's creation and
// modification dates are the time of issue, its dictionaries are written in
// sorted order and it carries no random identifier, so the same receipt
// gives the same bytes (tested), and a re-rendered copy can be compared.
func RenderPDF(w io.Writer, r Receipt, opts PDFOptions) error {
	p, err := newPrintedReceipt(r.withPrintableText(), opts.VerifyBase, opts.SignedBy) // fontcover.go
	if err != nil {
		return err
	}
	issued, _ := r.IssuedTime() // checked by newPrintedReceipt

	pdf := fpdf.New("P", "mm", "A5", "")
	// fpdf writes the dates without a zone: they are Vietnam time.
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetProducer("feepos", true)
	pdf.SetCreator("feepos", true)
	pdf.SetAuthor(p.OrgName, true)
	pdf.SetTitle(p.Title+" "+p.Ref, true)
	pdf.SetLang("vi-VN")
	pdf.AddUTF8FontFromBytes(pdfFont, "", fontRegularTTF)
	pdf.AddUTF8FontFromBytes(pdfFont, "B", fontBoldTTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfMargin)
	pdf.AddPage()

	d := pdfDoc{pdf}
	d.header(p)
	d.payer(p)
	d.table(p)
	d.totals(p)
	d.footer(p)
	d.pageNumbers(p)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("render receipt %s as PDF: %w", p.Ref, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// pdfDoc draws the parts of a receipt one under the other.
type pdfDoc struct{ *fpdf.Fpdf }

func (d pdfDoc) font(style string, size float64) { d.SetFont(pdfFont, style, size) }

// MultiCell and CellFormat are fpdf's, told to the render trace first
// (render_trace.go) with the size they print at.
func (d pdfDoc) MultiCell(w, h float64, txtStr, borderStr, alignStr string, fill bool) {
	pt, _ := d.GetFontSize()
	traceText("pdf", txtStr, pt)
	d.Fpdf.MultiCell(w, h, txtStr, borderStr, alignStr, fill)
}

func (d pdfDoc) CellFormat(w, h float64, txtStr, borderStr string, ln int, alignStr string, fill bool, link int, linkStr string) {
	pt, _ := d.GetFontSize()
	traceText("pdf", txtStr, pt)
	d.Fpdf.CellFormat(w, h, txtStr, borderStr, ln, alignStr, fill, link, linkStr)
}

// para writes text wrapped to width w at the current position.
func (d pdfDoc) para(w float64, text, align string) {
	d.MultiCell(w, pdfLineH, text, "", align, false)
}

// header: the organisation (top left), the receipt's identity (top right),
// the title and the date of issue.
func (d pdfDoc) header(p printedReceipt) {
	top := d.GetY()
	d.font("B", 9.5)
	d.para(pdfOrgW, p.OrgName, "L")
	d.font("", pdfMandatoryPt)
	d.para(pdfOrgW, p.OrgTaxCode.String(), "L")
	d.para(pdfOrgW, p.OrgAddress.String(), "L")
	for _, f := range p.Delegate {
		d.para(pdfOrgW, f.String(), "L")
	}
	leftEnd := d.GetY()

	x := pdfMargin + pdfWidth - pdfIDsW
	d.SetXY(x, top)
	d.font("", pdfMandatoryPt)
	for _, f := range []field{p.Template, p.Series} {
		d.SetX(x)
		d.CellFormat(pdfIDsW, pdfLineH, f.String(), "", 1, "L", false, 0, "")
	}
	d.SetX(x)
	d.font("B", 9.5)
	d.CellFormat(pdfIDsW, pdfLineH, p.Number.String(), "", 1, "L", false, 0, "")

	d.SetXY(pdfMargin, max(leftEnd, d.GetY())+4)
	d.font("B", 13)
	d.MultiCell(pdfWidth, 6.5, p.Title, "", "C", false)
	d.font("", 9)
	d.CellFormat(pdfWidth, pdfLineH, p.Date, "", 1, "C", false, 0, "")
	for _, s := range p.Status {
		d.Ln(1)
		d.font("B", 8)
		d.SetTextColor(176, 0, 0)
		d.SetDrawColor(176, 0, 0)
		d.MultiCell(pdfWidth, 5.5, s, "1", "C", false)
		d.SetTextColor(0, 0, 0)
		d.SetDrawColor(0, 0, 0)
	}
	d.Ln(3)
}

func (d pdfDoc) payer(p printedReceipt) {
	d.font("", 9)
	for _, f := range p.Payer {
		d.para(pdfWidth, f.String(), "L")
	}
	d.Ln(2)
}

// table of fees and charges; a row too tall for the rest of the page
// starts a new page and repeats the heading.
func (d pdfDoc) table(p printedReceipt) {
	widths := [4]float64{pdfNoW, pdfNameW, pdfKindW, pdfAmountW}
	h := p.Head()
	d.tableRow(widths, [4]string{h.No, h.Name, h.Kind, h.Amount}, [4]string{"C", "C", "C", "C"}, true)
	for _, l := range p.Lines {
		if d.GetY()+d.rowHeight(widths, l.Name) > pdfPageH-pdfMargin-4 {
			d.AddPage()
			d.tableRow(widths, [4]string{h.No, h.Name, h.Kind, h.Amount}, [4]string{"C", "C", "C", "C"}, true)
		}
		d.tableRow(widths, [4]string{l.No, l.Name, l.Kind, l.Amount}, [4]string{"C", "L", "L", "R"}, false)
	}
}

const pdfCellPad = 1.2

func (d pdfDoc) rowHeight(widths [4]float64, name string) float64 {
	d.font("", 8.5)
	n := len(d.SplitText(name, widths[1]-2*pdfCellPad))
	return float64(max(n, 1))*pdfLineH + 1
}

func (d pdfDoc) tableRow(widths [4]float64, cells, aligns [4]string, head bool) {
	style := ""
	if head {
		style = "B"
		d.SetFillColor(230, 230, 230)
	}
	d.font(style, pdfMandatoryPt)
	lines := [4][]string{}
	n := 1
	for i, c := range cells {
		lines[i] = d.SplitText(c, widths[i]-2*pdfCellPad)
		n = max(n, len(lines[i]))
	}
	rowH := float64(n)*pdfLineH + 1
	x, y := pdfMargin, d.GetY()
	for i, w := range widths {
		fill := "D"
		if head {
			fill = "FD"
		}
		d.Rect(x, y, w, rowH, fill)
		for j, line := range lines[i] {
			d.SetXY(x+pdfCellPad, y+0.5+float64(j)*pdfLineH)
			d.CellFormat(w-2*pdfCellPad, pdfLineH, line, "", 0, aligns[i], false, 0, "")
		}
		x += w
	}
	d.SetXY(pdfMargin, y+rowH)
}

func (d pdfDoc) totals(p printedReceipt) {
	d.Ln(1.5)
	d.font("B", 9.5)
	d.CellFormat(pdfWidth, 5, p.Total.String(), "", 1, "R", false, 0, "")
	d.font("", 9)
	d.para(pdfWidth, p.Words.String(), "L")
	d.font("", pdfOptionalPt)
	d.para(pdfWidth, p.Method.String(), "L")
	d.para(pdfWidth, p.Dossier.String(), "L")
	// The card references, a technical line in smaller type: on one line
	// for usual lengths, and broken between fields, never inside one.
	d.font("", pdfCardPt)
	parts := make([]string, len(p.Card))
	for i, f := range p.Card {
		parts[i] = f.String()
	}
	for _, line := range joinFitting(parts, " · ", func(l string) bool { return d.GetStringWidth(l) <= pdfWidth-1 }) {
		d.para(pdfWidth, line, "L")
	}
}

// footer: the QR code and its address (left), the signature block (right).
// It is kept whole: when it does not fit, it goes to a new page.
func (d pdfDoc) footer(p printedReceipt) {
	const need = pdfQRSize + 10
	if d.GetY()+6+need > pdfPageH-pdfMargin {
		d.AddPage()
	}
	top := d.GetY() + 6
	d.drawQR(p.QR, pdfMargin, top, pdfQRSize)
	// The address in full, for whoever cannot scan the code.
	d.SetXY(pdfMargin, top+pdfQRSize+0.5)
	d.font("", 7)
	d.MultiCell(pdfWidth, 3.2, p.VerifyLabel+": "+p.VerifyURL, "", "L", false)
	if p.LookupCode.Value != "" {
		d.SetX(pdfMargin)
		d.MultiCell(pdfWidth, 3.2, p.LookupCode.String(), "", "L", false)
	}

	signW := pdfMargin + pdfWidth - pdfSignX
	d.SetXY(pdfSignX, top+2)
	d.font("B", 9)
	d.MultiCell(signW, pdfLineH, p.SignHead, "", "C", false)
	d.font("", 8.5)
	for _, s := range []string{p.OrgName, p.SignNote, p.Signed.String()} {
		d.SetX(pdfSignX)
		d.MultiCell(signW, pdfLineH, s, "", "C", false)
	}
}

// pageNumbers writes "26TAA-00000123 – trang 1/2" at the foot of each page
// of a receipt longer than one page, once the number of pages is known.
func (d pdfDoc) pageNumbers(p printedReceipt) {
	n := d.PageCount()
	if n < 2 {
		return
	}
	d.SetAutoPageBreak(false, 0)
	d.font("", 7)
	for i := 1; i <= n; i++ {
		d.SetPage(i)
		d.SetXY(pdfMargin, pdfPageH-pdfMargin+2)
		d.CellFormat(pdfWidth, 3, fmt.Sprintf("%s – trang %d/%d", p.Ref, i, n), "", 0, "C", false, 0, "")
	}
}

// drawQR draws the code with its quiet zone as black squares, one rectangle
// per run of dark modules in a row: sharp at any zoom and printer
// resolution, with no image to decode or resample.
func (d pdfDoc) drawQR(q qrCode, x, y, size float64) {
	n := q.modules()
	m := size / float64(n)
	d.SetFillColor(0, 0, 0)
	for row := range n {
		for col := 0; col < n; {
			if !q.isDark(col, row) {
				col++
				continue
			}
			start := col
			for col < n && q.isDark(col, row) {
				col++
			}
			// A hair of overlap with the row below hides the seams some
			// viewers draw between adjacent anti-aliased rectangles.
			d.Rect(x+float64(start)*m, y+float64(row)*m, float64(col-start)*m, m+0.02, "F")
		}
	}
}
