package receipts

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // the zone must resolve on a machine without tzdata

	"golang.org/x/text/unicode/norm"
)

// The receipt's identity: template symbol, series symbol and number
// (Decree 254/2026/NĐ-CP Art. 23–29, Circular 91/2026/TT-BTC).
const (
	// Title is the name printed on every receipt.
	Title = "BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ"
	// Template is the template symbol (ký hiệu mẫu) of an electronic fee
	// receipt without a printed face value.
	Template = "EBL01"
	// MaxNumber: a receipt number has at most 8 digits.
	MaxNumber int64 = 99_999_999
	// seriesLetters are the letters allowed in the last two characters of
	// a series symbol (the Vietnamese alphabet without F, I, J, O, W, Z).
	seriesLetters = "ABCDEGHKLMNPQRSTUVXY"
)

// Zone is where a receipt's date and year are counted: a receipt issued at
// 00:30 on 1 January in Hà Nội belongs to the new year's series, whatever the
// server's clock zone. Defined here as well as in ledger because the domain
// packages do not import each other.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic("receipts: load " + name + ": " + err.Error()) // embedded tzdata: cannot happen
	}
	return z
}

// YearOf is the calendar year of t in Asia/Ho_Chi_Minh: the year part of
// the series symbol of a receipt issued at t.
func YearOf(t time.Time) int { return t.In(Zone).Year() }

// Series is one collecting organisation's receipt series: its letters stay,
// the year part of the symbol follows the date of issue ("26TAA" in 2026,
// "27TAA" in 2027), and numbering restarts at 1 each year. One series per
// organisation: a dossier whose fees go to two organisations gets two
// receipts, each in its organisation's series.
type Series struct {
	OrgCode string `json:"org_code"` // the organisation's code in feepos (agency of the fee lines)
	OrgName string `json:"org_name"`
	TaxCode string `json:"tax_code"` // mã số thuế (MST)
	Address string `json:"address"`
	Letters string `json:"letters"` // the two letters after "YYT", e.g. "AA"
	// DelegateName and DelegateTaxCode name the organisation that issues
	// this series' receipts on the organisation's behalf (Decree
	// 254/2026/NĐ-CP Art. 25.4), e.g. the public administration center
	// for the police; empty when the organisation issues its own.
	DelegateName    string `json:"delegate_name,omitempty"`
	DelegateTaxCode string `json:"delegate_tax_code,omitempty"`
}

// Delegate is the series' delegate as its receipts name it, nil if none.
func (s Series) Delegate() *Delegate {
	if s.DelegateName == "" && s.DelegateTaxCode == "" {
		return nil
	}
	return &Delegate{Name: s.DelegateName, TaxCode: s.DelegateTaxCode}
}

// Normalize trims and puts text in Unicode NFC.
func (s Series) Normalize() Series {
	s.OrgCode = strings.TrimSpace(s.OrgCode)
	s.OrgName = norm.NFC.String(strings.TrimSpace(s.OrgName))
	s.TaxCode = strings.TrimSpace(s.TaxCode)
	s.Address = norm.NFC.String(strings.TrimSpace(s.Address))
	s.Letters = strings.ToUpper(strings.TrimSpace(s.Letters))
	s.DelegateName = norm.NFC.String(strings.TrimSpace(s.DelegateName))
	s.DelegateTaxCode = strings.TrimSpace(s.DelegateTaxCode)
	return s
}

// Validate checks a normalized series.
func (s Series) Validate() error {
	if err := s.Organisation().validate(); err != nil {
		return err
	}
	if d := s.Delegate(); d != nil {
		if err := d.validate(); err != nil {
			return err
		}
		if d.TaxCode == s.TaxCode {
			return Invalidf("delegate tax code %s is the organisation's own: an organisation issuing its own receipts has no delegate", d.TaxCode)
		}
	}
	return CheckLetters(s.Letters)
}

// Organisation is the collecting organisation as printed on its receipts.
func (s Series) Organisation() Organisation {
	return Organisation{Code: s.OrgCode, Name: s.OrgName, TaxCode: s.TaxCode, Address: s.Address}
}

// Symbol is the series symbol of a receipt of this series issued at t.
func (s Series) Symbol(t time.Time) string { return SeriesSymbol(YearOf(t), s.Letters) }

// SeriesSymbol is the 5-character series symbol: the last two digits of the
// year, "T", and the series letters.
func SeriesSymbol(year int, letters string) string {
	return fmt.Sprintf("%02dT%s", year%100, letters)
}

// CheckLetters checks the two letters of a series.
func CheckLetters(letters string) error {
	if len(letters) != 2 {
		return Invalidf("series letters %q: use two capital letters from %s, e.g. AA", letters, spaced(seriesLetters))
	}
	for _, c := range letters {
		if !strings.ContainsRune(seriesLetters, c) {
			return Invalidf("series letters %q: %q is not allowed; use letters from %s", letters, c, spaced(seriesLetters))
		}
	}
	return nil
}

func spaced(s string) string { return strings.Join(strings.Split(s, ""), " ") }

// ParseSeries checks a series symbol such as "26TAA" and returns its full
// year (2000 + the two digits) and letters.
func ParseSeries(symbol string) (year int, letters string, err error) {
	if len(symbol) != 5 {
		return 0, "", Invalidf("series %q: a series symbol has 5 characters, two digits of the year, T and two letters, e.g. 26TAA", symbol)
	}
	if symbol[0] < '0' || symbol[0] > '9' || symbol[1] < '0' || symbol[1] > '9' {
		return 0, "", Invalidf("series %q: it starts with the two last digits of the year, e.g. 26TAA", symbol)
	}
	if symbol[2] != 'T' {
		return 0, "", Invalidf("series %q: the third character is T, e.g. 26TAA", symbol)
	}
	if err := CheckLetters(symbol[3:]); err != nil {
		return 0, "", Invalidf("series %q: %s", symbol, err.Error())
	}
	return 2000 + int(symbol[0]-'0')*10 + int(symbol[1]-'0'), symbol[3:], nil
}

// CheckNumber checks a receipt number: 1 to 99,999,999.
func CheckNumber(n int64) error {
	if n < 1 || n > MaxNumber {
		return Invalidf("receipt number %d: numbers run from 1 to %d (at most 8 digits)", n, MaxNumber)
	}
	return nil
}

// taxCode is a Vietnamese tax code (MST): 10 digits, or 10 digits, a dash
// and 3 digits for a dependent unit.
var taxCode = regexp.MustCompile(`^[0-9]{10}(-[0-9]{3})?$`)

// CheckTaxCode checks a tax code (MST).
func CheckTaxCode(mst string) error {
	if !taxCode.MatchString(mst) {
		return Invalidf("tax code %q: an MST is 10 digits, or 13 written as 10 digits, a dash and 3 digits (0123456789 or 0123456789-001)", mst)
	}
	return nil
}

// Ref names one receipt: template, series and number.
type Ref struct {
	Template string `json:"template"`
	Series   string `json:"series"`
	Number   int64  `json:"number"`
}

// String is how a receipt is named in messages: "26TAA-00000007".
func (r Ref) String() string { return fmt.Sprintf("%s-%08d", r.Series, r.Number) }

// Validate checks the three parts.
func (r Ref) Validate() error {
	if r.Template != Template {
		return Invalidf("template %q: receipts use template %s", r.Template, Template)
	}
	if _, _, err := ParseSeries(r.Series); err != nil {
		return err
	}
	return CheckNumber(r.Number)
}
