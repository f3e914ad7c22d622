package receipts

import "strings"

// A day's receipts go to the tax authority's provider as documents
// (Decree 254/2026/NĐ-CP Art. 23–29: the e-receipt is the signed data
// message; transmit.go): each receipt's signed XML, and the signed daily
// closure once the day is closed. These are their names in a drop folder.

// SignedReceipt is one stored receipt's signed XML, for export. XML is nil
// for a receipt issued without a signature.
type SignedReceipt struct {
	Ref     Ref    `json:"ref"`
	OrgCode string `json:"org_code"`
	TaxCode string `json:"tax_code"`
	XML     []byte `json:"-"`
}

// FileName is the receipt's name in a drop folder:
// EBL01_<MST>_26TAA_00000007.xml (letters, digits, '-' and '_' only).
func (s SignedReceipt) FileName() string {
	return s.Ref.Template + "_" + s.TaxCode + "_" + s.Ref.Series + "_" + PrintedNumber(s.Ref.Number) + ".xml"
}

// ClosureFileName is the name of a business date's signed closure in a drop
// folder: CHOTNGAY_20260701.xml.
func ClosureFileName(date string) string {
	return "CHOTNGAY_" + strings.ReplaceAll(date, "-", "") + ".xml"
}
