package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/receipts"
)

// receiptsRenderCommand is "feepos receipts render": a stored receipt as a
// PDF or HTML file, to reprint it or send it to the payer. Like printing, it
// renders the same receipt again; it never issues a new one.
func (a *app) receiptsRenderCommand() *cobra.Command {
	var format, paper, template, verifyBase, out string
	cmd := &cobra.Command{
		Use:   "render SERIES NUMBER [--format pdf|html] [--paper a5|80mm] [--template EBL01] [--verify-base URL] [--out FILE]",
		Short: "Write a stored receipt as a PDF (A5) or HTML file, to reprint or send it",
		Long: `Renders a stored receipt as it was issued: a PDF on A5 paper (the fonts
embedded, the same bytes every time) or one self-contained HTML page with print
styles for A5 or for an 80 mm roll (--paper, HTML only). A replaced receipt
still renders, marked "Đã bị thay thế" with the receipt that replaces it; a
replacement names the receipt it replaces.

--out writes the file atomically (a temporary file, then renamed), replacing
it if it exists. Without --out the HTML goes to standard output; a PDF is
binary and needs --out. --json prints what was written, so it needs --out too.
The QR code points to --verify-base, else to [receipts] verify_base of the config,
else to http:// and the [service] addr (a warning says a phone cannot open that).`,
		Example: `  feepos receipts render 26TAA 7 --out 26TAA-00000007.pdf
  feepos receipts render 26TAA 7 --format html --paper 80mm > 26TAA-00000007.html
  feepos receipts render 26TAA 7 --format html --out bienlai.html --verify-base https://bienlai.example.gov.vn`,
		Args: exactArgs(2, "a series and a number: feepos receipts render 26TAA 7 --out 26TAA-00000007.pdf"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := parseReceiptNumber(args[1])
			if err != nil {
				return err
			}
			if format != "pdf" && format != "html" {
				return usagef("format %q: use pdf or html", format)
			}
			htmlPaper, err := renderPaper(format, paper)
			if err != nil {
				return err
			}
			if format == "pdf" && out == "" {
				return usagef("a PDF file is binary: give --out FILE")
			}
			if a.jsonOut && out == "" {
				return usagef("--json describes the file written: give --out FILE, or leave out --json to get the HTML on standard output")
			}
			if err := checkVerifyBaseFlag(verifyBase); err != nil {
				return err
			}

			ctx := cmd.Context()
			r, verifyBase, signedBy, err := a.storedReceipt(ctx, template, args[0], number, verifyBase)
			if err != nil {
				return err
			}

			// Rendered whole into memory, so a failure writes nothing.
			var doc bytes.Buffer
			if format == "pdf" {
				err = receipts.RenderPDF(&doc, r, receipts.PDFOptions{VerifyBase: verifyBase, SignedBy: signedBy})
			} else {
				err = receipts.RenderHTML(&doc, r, receipts.HTMLOptions{Paper: htmlPaper, VerifyBase: verifyBase, SignedBy: signedBy})
			}
			if err != nil {
				return err
			}
			if out == "" {
				_, err = a.stdout.Write(doc.Bytes())
				return err
			}
			if err := writeFileAtomic(out, doc.Bytes()); err != nil {
				return err
			}

			if a.jsonOut {
				sum := sha256.Sum256(doc.Bytes())
				return a.printJSON(struct {
					Receipt    string          `json:"receipt"`
					Template   string          `json:"template"`
					Status     receipts.Status `json:"status"`
					ReplacedBy *receipts.Ref   `json:"replaced_by,omitempty"`
					Format     string          `json:"format"`
					Paper      string          `json:"paper"`
					VerifyURL  string          `json:"verify_url"`
					File       string          `json:"file"`
					Bytes      int             `json:"bytes"`
					SHA256     string          `json:"sha256"`
				}{r.Ref.String(), r.Template, r.Status, r.ReplacedBy, format, htmlPaper, receipts.VerifyURL(verifyBase, r),
					out, doc.Len(), hex.EncodeToString(sum[:])})
			}
			replaced := ""
			if r.Status == receipts.Replaced {
				replaced = " (biên lai đã bị thay thế)"
			}
			_, err = fmt.Fprintf(a.stdout, "Đã xuất biên lai %s %s%s ra tệp %s (%s, khổ %s)\n",
				r.Template, r.Ref, replaced, out, strings.ToUpper(format), htmlPaper)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "pdf", `"pdf" (A5) or "html"`)
	f.StringVar(&paper, "paper", "", `HTML only: "a5" (default) or "80mm"; the PDF is always A5`)
	f.StringVar(&template, "template", receipts.Template, "template symbol (ký hiệu mẫu)")
	f.StringVar(&verifyBase, "verify-base", "", verifyBaseUsage)
	f.StringVar(&out, "out", "", "write the file here (replaced if it exists); without it, HTML goes to standard output")
	return cmd
}

// renderPaper reads --paper for a format: receipts.PaperA5 or
// receipts.Paper80mm. The PDF renderer draws A5 only.
func renderPaper(format, paper string) (string, error) {
	switch strings.ToLower(paper) {
	case "", "a5":
		return receipts.PaperA5, nil
	case "80mm", "80":
		if format == "pdf" {
			return "", usagef("--paper %s: the PDF is A5 only; use --format html for an 80 mm roll, or receipts print for the thermal printer", paper)
		}
		return receipts.Paper80mm, nil
	}
	return "", usagef("--paper %q: write --paper a5 or --paper 80mm", paper)
}
