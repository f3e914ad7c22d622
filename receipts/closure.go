package receipts

import (
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// The signed daily closure (docs/RECEIPTS.md, "Daily closure"): once a
// business date (Asia/Ho_Chi_Minh) is over, the organisation signs, per
// series, how many receipts it issued that day, their total, and where the
// series' hash chain stood at the end of the day. Kept apart from the
// receipts, it pins every chain: rewriting a series from some receipt on
// (hashes recomputed, counter and signatures replaced) still changes a head
// that an earlier closure signed.

// ClosureNamespace is the default namespace of a closure document.
const ClosureNamespace = "urn:feepos:closure:1"

// ClosureSeries is one series' line of a closure.
type ClosureSeries struct {
	Template string `json:"template"`
	Letters  string `json:"letters"`
	OrgCode  string `json:"org_code"` // of the head receipt
	TaxCode  string `json:"tax_code"` // of the head receipt
	// Count and Total are the receipts issued on the date and the sum of
	// their totals; FirstNumber and LastNumber their numbers (0 when none).
	Count       int64 `json:"count"`
	Total       int64 `json:"total"`
	FirstNumber int64 `json:"first_number"`
	LastNumber  int64 `json:"last_number"`
	// The head: the last receipt of the series issued by the end of the
	// date, perhaps on an earlier day.
	HeadSeries string `json:"head_series"`
	HeadNumber int64  `json:"head_number"`
	Head       string `json:"head"`
}

// Closure is one business date's closure over every series that has
// issued a receipt by the end of that date.
type Closure struct {
	BusinessDate string          `json:"business_date"` // YYYY-MM-DD in Asia/Ho_Chi_Minh
	ClosedAt     string          `json:"closed_at"`     // UTC RFC 3339
	Series       []ClosureSeries `json:"series"`
	Count        int64           `json:"count"`
	Total        int64           `json:"total"`
}

// DayBounds is the start and end (exclusive) of a business date in
// Asia/Ho_Chi_Minh.
func DayBounds(date string) (time.Time, time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, Zone)
	if err != nil {
		return time.Time{}, time.Time{}, Invalidf("business date %q: write it YYYY-MM-DD, e.g. 2026-07-01", date)
	}
	return d, d.AddDate(0, 0, 1), nil
}

// ClosureXML is the unsigned XML of a closure; deterministic like
// ReceiptXML.
func ClosureXML(c Closure) ([]byte, error) {
	el, err := closureElement(c)
	if err != nil {
		return nil, err
	}
	return writeXML(el)
}

func closureElement(c Closure) (*etree.Element, error) {
	if _, _, err := DayBounds(c.BusinessDate); err != nil {
		return nil, err
	}
	closed, err := time.Parse(time.RFC3339Nano, c.ClosedAt)
	if err != nil {
		return nil, Invalidf("closure of %s: closing time %q is not RFC 3339", c.BusinessDate, c.ClosedAt)
	}
	b := &xmlBuilder{}
	root := etree.NewElement("DailyClosure")
	root.CreateAttr("xmlns", ClosureNamespace)
	root.CreateAttr("version", "1")
	b.text(root, "BusinessDate", c.BusinessDate)
	b.text(root, "ClosedAt", closed.In(Zone).Format(time.RFC3339Nano))
	b.text(root, "Currency", Currency)
	for _, s := range c.Series {
		el := root.CreateElement("Series")
		el.CreateAttr("template", s.Template)
		el.CreateAttr("letters", s.Letters)
		b.text(el, "OrgCode", s.OrgCode)
		b.text(el, "TaxCode", s.TaxCode)
		b.text(el, "Count", strconv.FormatInt(s.Count, 10))
		b.text(el, "Total", strconv.FormatInt(s.Total, 10))
		if s.Count > 0 {
			b.text(el, "FirstNumber", strconv.FormatInt(s.FirstNumber, 10))
			b.text(el, "LastNumber", strconv.FormatInt(s.LastNumber, 10))
		}
		head := el.CreateElement("Head")
		b.text(head, "Series", s.HeadSeries)
		b.text(head, "Number", strconv.FormatInt(s.HeadNumber, 10))
		b.text(head, "Hash", s.Head)
	}
	b.text(root, "Count", strconv.FormatInt(c.Count, 10))
	b.text(root, "Total", strconv.FormatInt(c.Total, 10))
	if b.err != nil {
		return nil, Invalidf("closure of %s: %s", c.BusinessDate, b.err.Message)
	}
	return root, nil
}

// CheckSignedClosure verifies a closure's signed XML and that it says what
// c (recomputed from the stored receipts) says.
func CheckSignedClosure(doc []byte, c Closure, trust Trust) error {
	content, _, err := verifySigned(doc, trust)
	if err != nil {
		return err
	}
	want, err := closureElement(c)
	if err != nil {
		return &SignatureError{Doc: "closure of " + c.BusinessDate, Problem: err.Error()}
	}
	return sameContent(content, want, "closure of "+c.BusinessDate, "the receipts stored for that date")
}
