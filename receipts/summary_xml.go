package receipts

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// SummaryNamespace is the default namespace of a daily summary document.
const SummaryNamespace = "urn:feepos:summary:1"

// SummaryXML writes the 01/TH-BLĐT daily summary as XML. Like the receipt
// XML (xml.go), the element names are feepos's own, in English, in
// SummaryNamespace: they are not the tax authority's schema, which the
// licensed provider maps to. Each element names the form's column it holds:
//
//	<DailySummary xmlns="urn:feepos:summary:1" version="1">
//	  <Form>01/TH-BLĐT</Form>                     form number
//	  <Title>BẢNG TỔNG HỢP …</Title>              form title
//	  <Period type="day">2026-07-01</Period>      [01] kỳ dữ liệu (YYYY-MM-DD)
//	  <FirstFiling>1</FirstFiling>                [02] lần đầu: 1 first filing, 0 an amendment
//	  <AmendmentNumber>2</AmendmentNumber>        [03] bổ sung lần thứ (only in an amendment)
//	  <Organisation>
//	    <Code>…</Code>                            feepos organisation code
//	    <Name>…</Name>                            tên tổ chức thu phí, lệ phí
//	    <TaxCode>…</TaxCode>                      mã số thuế (MST)
//	  </Organisation>
//	  <Currency>VND</Currency>                    đơn vị tiền tệ
//	  <Rows count="N">
//	    <Row>
//	      <STT>1</STT>                            STT
//	      <Template>EBL01</Template>              ký hiệu mẫu biên lai
//	      <Series>26TAA</Series>                  ký hiệu biên lai
//	      <Number>00000001</Number>               số biên lai (8 digits)
//	      <IssueDate>2026-07-01</IssueDate>       ngày lập (Vietnam)
//	      <IssuedAt>2026-07-01T02:00:00Z</IssuedAt> signing time, UTC
//	      <Line>1</Line>                          the fee line on its receipt
//	      <FeeName>…</FeeName>                    tên loại phí, lệ phí
//	      <FeeCode>…</FeeCode>                    feepos fee code
//	      <FeeKind>le_phi</FeeKind>               phi (fee) or le_phi (charge)
//	      <Amount>8000</Amount>                   số tiền, whole đồng
//	      <ExchangeRate>1</ExchangeRate>          tỷ giá
//	      <Status code="valid">Hợp lệ</Status>    trạng thái (SummaryStatus)
//	      <AdjustmentPeriod>…</AdjustmentPeriod>  kỳ dữ liệu điều chỉnh (only for a replacement)
//	      <Replaces template="EBL01" series="26TAA" number="00000007"/>    biên lai liên quan
//	      <ReplacedBy template="EBL01" series="26TAA" number="00000009"/>  biên lai liên quan
//	      <Explanation>…</Explanation>            giải trình (only when there is one)
//	      <Notes>…</Notes>                        ghi chú: the dossier code
//	    </Row>
//	  </Rows>
//	  <Totals receipts="…" rows="…" replaced="…">
//	    <Amount>…</Amount>                        every row
//	    <InForce>…</InForce>                      rows of receipts in force at the end of the day
//	  </Totals>
//	</DailySummary>
//
// The output is deterministic: the same summary gives the same bytes (fixed
// element order, two-space indentation, UTF-8 text as stored, no time of
// export). Optional elements are left out when empty.
func SummaryXML(s DailySummary) ([]byte, error) {
	if err := checkSummaryText(s); err != nil {
		return nil, err
	}
	doc := sumXMLDoc{
		XMLNS:    SummaryNamespace,
		Version:  "1",
		Form:     SummaryForm,
		Title:    SummaryTitle,
		Period:   sumXMLPeriod{Type: "day", Date: s.Date},
		First:    1,
		Org:      sumXMLOrg{Code: s.Org.Code, Name: s.Org.Name, TaxCode: s.Org.TaxCode},
		Currency: s.Currency,
	}
	if s.Amendment > 0 {
		doc.First, doc.Amendment = 0, s.Amendment
	}
	doc.Rows.Count = len(s.Rows)
	doc.Rows.Rows = make([]sumXMLRow, len(s.Rows))
	for i, r := range s.Rows {
		doc.Rows.Rows[i] = sumXMLRow{
			STT: r.STT, Template: r.Template, Series: r.Series, Number: printedNumber(r.Number),
			IssueDate: r.Date, IssuedAt: r.IssuedAt, Line: r.LineNo,
			FeeName: r.FeeName, FeeCode: r.FeeCode, FeeKind: string(r.Kind),
			Amount: r.Amount, ExchangeRate: r.ExchangeRate,
			Status:           sumXMLStatus{Code: string(r.Status), Label: r.Status.Label()},
			AdjustmentPeriod: r.AdjustmentPeriod,
			Replaces:         sumXMLRefOf(r.Replaces),
			ReplacedBy:       sumXMLRefOf(r.ReplacedBy),
			Explanation:      r.Explanation,
			Notes:            r.Notes,
		}
	}
	t := s.Totals()
	doc.Totals = sumXMLTotals{Receipts: t.Receipts, Rows: t.Rows, Replaced: t.Replaced, Amount: t.Amount, InForce: t.InForce}

	var buf bytes.Buffer
	buf.Grow(256 + 700*len(s.Rows))
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, Invalidf("daily summary XML: %s", err.Error())
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// checkSummaryText refuses text XML 1.0 cannot carry (control characters,
// invalid UTF-8); stored receipts never hold any (Receipt.Validate).
func checkSummaryText(s DailySummary) error {
	bad := func(what, v string) error {
		if !utf8.ValidString(v) {
			return Invalidf("daily summary: %s is not valid UTF-8", what)
		}
		for _, c := range v {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF {
				return Invalidf("daily summary: %s holds character %U, which XML cannot carry", what, c)
			}
		}
		return nil
	}
	for _, f := range []struct{ what, v string }{{"organisation name", s.Org.Name}, {"organisation code", s.Org.Code}, {"tax code", s.Org.TaxCode}} {
		if err := bad(f.what, f.v); err != nil {
			return err
		}
	}
	for _, r := range s.Rows {
		for _, f := range []struct{ what, v string }{{"fee name", r.FeeName}, {"fee code", r.FeeCode}, {"notes", r.Notes}, {"explanation", r.Explanation}} {
			if err := bad("row "+strconv.Itoa(r.STT)+" "+f.what, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}

type sumXMLDoc struct {
	XMLName xml.Name     `xml:"DailySummary"`
	XMLNS   string       `xml:"xmlns,attr"`
	Version string       `xml:"version,attr"`
	Form    string       `xml:"Form"`
	Title   string       `xml:"Title"`
	Period  sumXMLPeriod `xml:"Period"`
	First   int          `xml:"FirstFiling"`
	// Amendment is left out of a first filing.
	Amendment int       `xml:"AmendmentNumber,omitempty"`
	Org       sumXMLOrg `xml:"Organisation"`
	Currency  string    `xml:"Currency"`
	Rows      struct {
		Count int         `xml:"count,attr"`
		Rows  []sumXMLRow `xml:"Row"`
	} `xml:"Rows"`
	Totals sumXMLTotals `xml:"Totals"`
}

type sumXMLPeriod struct {
	Type string `xml:"type,attr"`
	Date string `xml:",chardata"`
}

type sumXMLOrg struct {
	Code    string `xml:"Code"`
	Name    string `xml:"Name"`
	TaxCode string `xml:"TaxCode"`
}

type sumXMLStatus struct {
	Code  string `xml:"code,attr"`
	Label string `xml:",chardata"`
}

type sumXMLRef struct {
	Template string `xml:"template,attr"`
	Series   string `xml:"series,attr"`
	Number   string `xml:"number,attr"`
}

func sumXMLRefOf(r *Ref) *sumXMLRef {
	if r == nil {
		return nil
	}
	return &sumXMLRef{Template: r.Template, Series: r.Series, Number: printedNumber(r.Number)}
}

type sumXMLRow struct {
	STT              int          `xml:"STT"`
	Template         string       `xml:"Template"`
	Series           string       `xml:"Series"`
	Number           string       `xml:"Number"`
	IssueDate        string       `xml:"IssueDate"`
	IssuedAt         string       `xml:"IssuedAt"`
	Line             int          `xml:"Line"`
	FeeName          string       `xml:"FeeName"`
	FeeCode          string       `xml:"FeeCode"`
	FeeKind          string       `xml:"FeeKind"`
	Amount           int64        `xml:"Amount"`
	ExchangeRate     int64        `xml:"ExchangeRate"`
	Status           sumXMLStatus `xml:"Status"`
	AdjustmentPeriod string       `xml:"AdjustmentPeriod,omitempty"`
	Replaces         *sumXMLRef   `xml:"Replaces"`
	ReplacedBy       *sumXMLRef   `xml:"ReplacedBy"`
	Explanation      string       `xml:"Explanation,omitempty"`
	Notes            string       `xml:"Notes,omitempty"`
}

type sumXMLTotals struct {
	Receipts int   `xml:"receipts,attr"`
	Rows     int   `xml:"rows,attr"`
	Replaced int   `xml:"replaced,attr"`
	Amount   int64 `xml:"Amount"`
	InForce  int64 `xml:"InForce"`
}
