package receipts

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The receipt as XML (docs/RECEIPTS.md, "Receipt XML"): the document the
// organisation signs (XMLDSig, sign.go), stores with the receipt and hands
// to the tax authority's transmission provider (Decree 254/2026/NĐ-CP
// Art. 23–29: the e-receipt is a data message signed by the collecting
// organisation). The element names are feepos's own, in English, in the
// namespace ReceiptNamespace; they are not the tax authority's schema,
// which the licensed provider maps to.
//
// The output is deterministic: the same receipt gives the same bytes
// (fixed element order, no map iteration, two-space indentation, UTF-8
// NFC text as stored). The status (valid/replaced) is not in it: it
// changes after issue, and a signed document cannot.

// ReceiptNamespace is the default namespace of a receipt document.
const ReceiptNamespace = "urn:feepos:receipt:1"

// xmlHeader starts every document feepos writes.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// ReceiptXML is the unsigned XML of a stored receipt. It fails when the
// receipt's identity or time is malformed, or when a text field holds a
// character XML cannot carry (stored receipts never do: see Validate).
func ReceiptXML(r Receipt) ([]byte, error) {
	el, err := receiptElement(r)
	if err != nil {
		return nil, err
	}
	return writeXML(el)
}

// SignReceipt is the receipt's XML signed by s: the bytes of
// s.SignXML(ReceiptXML(r)). With a *KeySigner it signs the document tree as
// built, without writing it out and parsing it back first, which is about
// a tenth of a receipt's cost besides the RSA operation.
func SignReceipt(r Receipt, s Signer) ([]byte, error) {
	ks, ok := s.(*KeySigner)
	if !ok {
		doc, err := ReceiptXML(r)
		if err != nil {
			return nil, err
		}
		return s.SignXML(doc)
	}
	el, err := receiptElement(r)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	doc.Indent(2) // as writeXML
	return ks.signElement(doc.Root())
}

func receiptElement(r Receipt) (*etree.Element, error) {
	if err := r.Ref.Validate(); err != nil {
		return nil, err
	}
	issued, err := r.IssuedTime()
	if err != nil {
		return nil, err
	}
	words := r.TotalInWords
	if words == "" { // a receipt built by hand (a preview, a test); issued receipts carry theirs
		if words, err = Words(r.Total); err != nil {
			return nil, err
		}
	}
	b := &xmlBuilder{}
	root := etree.NewElement("Receipt")
	root.CreateAttr("xmlns", ReceiptNamespace)
	root.CreateAttr("version", strconv.Itoa(r.Format())) // the recipe of the hashes: canonical.go
	b.text(root, "Title", Title)
	b.text(root, "Template", r.Template)
	b.text(root, "Series", r.Series)
	b.text(root, "Number", strconv.FormatInt(r.Number, 10))
	b.text(root, "IssueDate", issued.Format("2006-01-02"))
	b.text(root, "SigningTime", issued.Format(time.RFC3339Nano))
	b.text(root, "IssuedAt", r.IssuedAt)
	if r.Format() >= 2 {
		b.text(root, "LookupCode", r.LookupCode)
	}

	org := root.CreateElement("Organisation")
	b.text(org, "Code", r.Org.Code)
	b.text(org, "Name", r.Org.Name)
	b.text(org, "TaxCode", r.Org.TaxCode)
	b.text(org, "Address", r.Org.Address)
	if r.Format() >= 2 && r.Delegate != nil {
		// Decree 254/2026/NĐ-CP Art. 25.4: issued by the delegate on the
		// organisation's behalf.
		d := root.CreateElement("Delegate")
		b.text(d, "Name", r.Delegate.Name)
		b.text(d, "TaxCode", r.Delegate.TaxCode)
	}

	payer := root.CreateElement("Payer")
	b.text(payer, "Name", r.Payer.Name)
	if r.Payer.TaxCode != "" {
		b.text(payer, "TaxCode", r.Payer.TaxCode)
	}
	if r.Payer.Address != "" {
		b.text(payer, "Address", r.Payer.Address)
	}
	if r.Payer.IDNumber != "" {
		id := b.text(payer, "IDNumber", r.Payer.IDNumber)
		if r.Payer.IDPrinted {
			id.CreateAttr("printed", "full") // the procedure needs it: printed in full
		}
	}

	lines := root.CreateElement("Lines")
	for i, l := range r.Lines {
		line := lines.CreateElement("Line")
		line.CreateAttr("no", strconv.Itoa(i+1))
		b.text(line, "Name", l.Name)
		b.text(line, "Kind", string(l.Kind))
		b.text(line, "FeeCode", l.FeeCode)
		b.text(line, "Amount", strconv.FormatInt(l.Amount, 10))
	}
	total := b.text(root, "Total", strconv.FormatInt(r.Total, 10))
	total.CreateAttr("currency", r.Currency)
	b.text(root, "TotalInWords", words)

	pay := root.CreateElement("Payment")
	pay.CreateAttr("method", string(r.Method))
	b.text(pay, "Label", r.Method.Label())
	if r.Card != nil {
		card := pay.CreateElement("Card")
		b.text(card, "TerminalID", r.Card.TerminalID)
		b.text(card, "TraceNo", r.Card.TraceNo)
		b.text(card, "ApprovalCode", r.Card.ApprovalCode)
		b.text(card, "PANMasked", r.Card.PANMasked) // never the full number: Validate refuses it
	}
	b.text(root, "Dossier", r.DossierCode)
	if r.Replaces != nil {
		rep := root.CreateElement("Replaces")
		b.text(rep, "Template", r.Replaces.Template)
		b.text(rep, "Series", r.Replaces.Series)
		b.text(rep, "Number", strconv.FormatInt(r.Replaces.Number, 10))
		if r.ReplacesDate != "" { // absent from the replacements signed before it was recorded
			b.text(rep, "IssueDate", r.ReplacesDate)
		}
	}
	chain := root.CreateElement("Chain")
	b.text(chain, "ContentHash", r.ContentHash)
	b.text(chain, "PrevHash", r.PrevHash)
	b.text(chain, "Hash", r.Hash)
	if b.err != nil {
		return nil, Invalidf("receipt %s: %s", r.Ref, b.err.Message)
	}
	return root, nil
}

// xmlBuilder adds text elements and remembers the first text XML 1.0
// cannot carry.
type xmlBuilder struct{ err *Error }

func (b *xmlBuilder) text(parent *etree.Element, tag, s string) *etree.Element {
	el := parent.CreateElement(tag)
	if b.err == nil {
		if err := checkXMLText(tag, s); err != nil {
			b.err = err
		}
	}
	el.SetText(s)
	return el
}

func checkXMLText(what, s string) *Error {
	if !utf8.ValidString(s) {
		return Invalidf("%s is not valid UTF-8", what)
	}
	for _, c := range s {
		if !(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
			(c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)) {
			return Invalidf("%s contains the character U+%04X, which XML cannot carry", what, c)
		}
	}
	return nil
}

// writeXML serializes an element as a document: the XML declaration, the
// element indented by two spaces, a final newline.
func writeXML(root *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(root.Copy())
	doc.Indent(2)
	return serialize(doc.Root())
}

// serialize writes an element as it is (no re-indenting) after the XML
// declaration.
func serialize(root *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(root)
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
