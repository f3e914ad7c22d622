package receipts

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

// Paper sizes of the HTML rendering.
const (
	// PaperA5 is an A5 portrait sheet from an office printer.
	PaperA5 = "A5"
	// Paper80mm is an 80 mm roll in a thermal receipt printer driven by
	// the browser's print dialog (for ESC/POS, see RenderESCPOS).
	Paper80mm = "80mm"
)

// HTMLOptions chooses the paper and the verification address.
type HTMLOptions struct {
	// Paper is PaperA5 (the default when empty) or Paper80mm: it picks the
	// @page size and the layout's width.
	Paper string
	// VerifyBase is the public address of the feepos server; the QR code
	// points to VerifyURL(VerifyBase, r).
	VerifyBase string
	// SignedBy is the name (CN) on the certificate that signed the
	// receipt's XML, "" for a receipt not signed (or not known to be): the
	// receipt then shows "Thời điểm ký" and who signed instead of
	// "Thời điểm lập".
	SignedBy string
}

//go:embed templates/receipt.html.tmpl
var htmlTemplates embed.FS

var receiptHTML = template.Must(template.ParseFS(htmlTemplates, "templates/receipt.html.tmpl"))

// htmlReceipt is the template's data.
type htmlReceipt struct {
	printedReceipt
	Paper     string       // "a5" | "80mm", the class of the page
	QRDataURL template.URL // data:image/png;base64,…, built here, not user input
}

// qrHTMLScale is pixels per QR module in the PNG: the page shows it at a
// fixed size in mm, so this only sets how sharp it is on screen.
const qrHTMLScale = 4

// RenderHTML writes the receipt as one self-contained HTML page (the QR
// code inline, no external files) with print styles for opts.Paper.
func RenderHTML(w io.Writer, r Receipt, opts HTMLOptions) error {
	paper, err := htmlPaper(opts.Paper)
	if err != nil {
		return err
	}
	p, err := newPrintedReceipt(r, opts.VerifyBase, opts.SignedBy)
	if err != nil {
		return err
	}
	qrPNG, err := p.QR.pngBytes(qrHTMLScale)
	if err != nil {
		return err
	}
	data := htmlReceipt{
		printedReceipt: p,
		Paper:          paper,
		QRDataURL:      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(qrPNG)),
	}
	// Render into a buffer so that a failure never leaves half a page.
	var buf bytes.Buffer
	if err := receiptHTML.Execute(&buf, data); err != nil {
		return fmt.Errorf("render receipt %s as HTML: %w", p.Ref, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func htmlPaper(paper string) (string, error) {
	switch paper {
	case "", PaperA5:
		return "a5", nil
	case Paper80mm:
		return "80mm", nil
	}
	return "", Invalidf("paper %q: use %s or %s", paper, PaperA5, Paper80mm)
}
