package importers

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Profile is a declarative mapping of one acquirer's settlement layout
// (CSV or Excel) onto reconcile.SettlementLine: which header names hold
// which field, the delimiter, encoding, date and number formats and the
// words the file uses for a sale, a void and a refund. A new layout is a
// new TOML file, not code (docs/RECONCILE.md "Settlement files").
type Profile struct {
	Name        string `toml:"name"`
	Description string `toml:"description"`
	// Delimiter: "," (default), ";", "\t" or "tab". CSV only.
	Delimiter string `toml:"delimiter"`
	// Encoding: "utf-8" (default, BOM optional), "utf-16" (BOM required,
	// either byte order) or "windows-1258". CSV only.
	Encoding string `toml:"encoding"`
	// Sheet is the Excel sheet to read ("": the first).
	Sheet string `toml:"sheet"`
	// DateFormat is settlement_date's format (default "yyyy-mm-dd"),
	// TimeFormat txn_time's (default "yyyy-mm-ddTHH:MM:SS"): tokens yyyy,
	// mm (month), dd, HH, MM (minute), SS; any of " -/.:T" between them.
	DateFormat string `toml:"date_format"`
	TimeFormat string `toml:"time_format"`
	// Thousands is the amounts' thousands separator: "" (none, default),
	// ".", "," or " "; Decimal the decimal mark: "." (default) or ",".
	// A fraction of a đồng other than zero is refused.
	Thousands string `toml:"thousands"`
	Decimal   string `toml:"decimal"`
	// Currency is the file's currency when it has no currency column
	// (default "VND").
	Currency string `toml:"currency"`
	// Columns maps a field (see Fields) to the header names that may hold
	// it. When several of them are in the file, a field takes the first
	// non-empty cell among them, except fee, which is their sum (an
	// acquirer that splits its fee into commission, scheme fee…).
	Columns map[string]Names `toml:"columns"`
	// Required fields: their column must be in the header and their cell
	// non-empty.
	Required []string `toml:"required"`
	// Types maps SALE, VOID and REFUND to the words the file uses for
	// them; "skip" lists row kinds that are not card lines (a payout or
	// batch row): they are read past. Without a txn_type column every
	// line is a SALE.
	Types map[string]Names `toml:"types"`
	// EndAt lists words that end the table when a row's first non-empty
	// cell starts with one ("Tổng cộng", "Người lập biểu"): what follows
	// (totals, signatures) is not read.
	EndAt Names `toml:"end_at"`

	dateLayout, timeLayout string
	thousands, decimal     byte
	typeOf                 map[string]string // key(value) → SALE/VOID/REFUND, "skip"
	columns                map[string][]string
	endAt                  []string
}

// Names is one or several names; TOML takes a string or an array.
type Names []string

// UnmarshalTOML takes "x" or ["x", "y"].
func (n *Names) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*n = Names{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("expected text, got %v", e)
			}
			*n = append(*n, s)
		}
	default:
		return fmt.Errorf("expected a name or a list of names, got %v", v)
	}
	return nil
}

// Fields are the fields a profile's columns may map.
var Fields = []string{
	"external_id", // the acquirer's own id for the line (else the line id is built from its fields)
	"settlement_date", "terminal_id", "merchant_id", "batch_no", "trace_no", "rrn",
	"approval_code", "pan_masked", "card_brand", "txn_type", "txn_time",
	"amount", "fee", "net_amount", "currency",
}

// The fields' numbers, in Fields' order.
const (
	fExternalId = iota
	fSettlementDate
	fTerminalId
	fMerchantId
	fBatchNo
	fTraceNo
	fRrn
	fApprovalCode
	fPanMasked
	fCardBrand
	fTxnType
	fTxnTime
	fAmount
	fFee
	fNetAmount
	fCurrency
	nFields
)

var fieldNo = func() map[string]int {
	m := make(map[string]int, len(Fields))
	for i, f := range Fields {
		m[f] = i
	}
	return m
}()

//go:embed profiles/*.toml
var profileFiles embed.FS

var builtin = map[string]*Profile{}

func init() {
	entries, err := profileFiles.ReadDir("profiles")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		data, err := profileFiles.ReadFile(path.Join("profiles", e.Name()))
		if err != nil {
			panic(err)
		}
		p, err := ParseProfile(data)
		if err != nil {
			panic("importers: built-in profile " + e.Name() + ": " + err.Error())
		}
		builtin[p.Name] = p
	}
}

// ProfileNames lists the built-in profiles, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns a built-in profile by name, or reads a profile
// file when nameOrPath ends in ".toml".
func LookupProfile(nameOrPath string) (*Profile, error) {
	if strings.HasSuffix(nameOrPath, ".toml") {
		return LoadProfile(nameOrPath)
	}
	if p, ok := builtin[nameOrPath]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("settlement profile %q is not known: use one of %s, or a profile file (.toml)",
		nameOrPath, strings.Join(ProfileNames(), ", "))
}

// Generic is the contract's generic CSV profile.
func Generic() *Profile { return builtin["generic"] }

// LoadProfile reads and checks a profile file.
func LoadProfile(file string) (*Profile, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read settlement profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("settlement profile %s: %w", file, err)
	}
	return p, nil
}

// ParseProfile decodes and checks a profile's TOML.
func ParseProfile(data []byte) (*Profile, error) {
	var p Profile
	md, err := toml.Decode(string(data), &p)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown setting %q: check its spelling (docs/RECONCILE.md lists the settings)", und[0].String())
	}
	if err := p.Compile(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Compile checks the profile and prepares it for reading; ParseProfile
// calls it. Call it again after changing a profile's fields in code.
func (p *Profile) Compile() error {
	if p.Name == "" {
		return fmt.Errorf("the profile has no name")
	}
	switch p.Delimiter {
	case "", ",", ";", "\t", "tab", "|":
	default:
		return fmt.Errorf("delimiter %q: use \",\", \";\", \"|\" or \"tab\"", p.Delimiter)
	}
	switch strings.ToLower(p.Encoding) {
	case "", "utf-8", "utf8", "utf-16", "utf16", "windows-1258", "cp1258":
	default:
		return fmt.Errorf("encoding %q: use utf-8, utf-16 or windows-1258", p.Encoding)
	}
	var err error
	if p.dateLayout, err = layout(p.DateFormat, "yyyy-mm-dd"); err != nil {
		return fmt.Errorf("date_format: %w", err)
	}
	if p.timeLayout, err = layout(p.TimeFormat, "yyyy-mm-ddTHH:MM:SS"); err != nil {
		return fmt.Errorf("time_format: %w", err)
	}
	switch p.Thousands {
	case "":
		p.thousands = 0
	case ".", ",", " ":
		p.thousands = p.Thousands[0]
	default:
		return fmt.Errorf("thousands %q: use \"\", \".\", \",\" or \" \"", p.Thousands)
	}
	switch p.Decimal {
	case "", ".":
		p.decimal = '.'
	case ",":
		p.decimal = ','
	default:
		return fmt.Errorf("decimal %q: use \".\" or \",\"", p.Decimal)
	}
	if p.thousands == p.decimal {
		return fmt.Errorf("thousands and decimal are both %q", p.Thousands)
	}
	known := map[string]bool{}
	for _, f := range Fields {
		known[f] = true
	}
	p.columns = map[string][]string{}
	for f, names := range p.Columns {
		if !known[f] {
			return fmt.Errorf("columns: %q is not a field (fields: %s)", f, strings.Join(Fields, ", "))
		}
		if len(names) == 0 {
			return fmt.Errorf("columns: %q has no header name", f)
		}
		for _, n := range names {
			p.columns[f] = append(p.columns[f], key(n))
		}
	}
	for _, f := range p.Required {
		if p.columns[f] == nil {
			return fmt.Errorf("required field %q has no column", f)
		}
	}
	if p.columns["amount"] == nil {
		return fmt.Errorf("columns: amount is missing")
	}
	if p.columns["settlement_date"] == nil && p.columns["txn_time"] == nil {
		return fmt.Errorf("columns: neither settlement_date nor txn_time: a line needs a date")
	}
	p.endAt = nil
	for _, w := range p.EndAt {
		p.endAt = append(p.endAt, key(w))
	}
	p.typeOf = map[string]string{}
	for t, words := range p.Types {
		switch t {
		case "SALE", "VOID", "REFUND", "skip":
		default:
			return fmt.Errorf("types: %q: use SALE, VOID, REFUND or skip", t)
		}
		for _, w := range words {
			if prev, dup := p.typeOf[key(w)]; dup && prev != t {
				return fmt.Errorf("types: %q is both %s and %s", w, prev, t)
			}
			p.typeOf[key(w)] = t
		}
	}
	if p.columns["txn_type"] != nil && len(p.typeOf) == 0 {
		return fmt.Errorf("types: a txn_type column needs the words for SALE, VOID and REFUND")
	}
	return nil
}

func (p *Profile) comma() rune {
	switch p.Delimiter {
	case "":
		return ','
	case "tab":
		return '\t'
	}
	return rune(p.Delimiter[0])
}

// layout turns "dd/mm/yyyy HH:MM:SS" into Go's "02/01/2006 15:04:05".
func layout(f, def string) (string, error) {
	if f == "" {
		f = def
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		tok := ""
		for _, t := range []string{"yyyy", "mm", "dd", "HH", "MM", "SS"} {
			if strings.HasPrefix(f[i:], t) {
				tok = t
				break
			}
		}
		switch tok {
		case "yyyy":
			b.WriteString("2006")
		case "mm":
			b.WriteString("01")
		case "dd":
			b.WriteString("02")
		case "HH":
			b.WriteString("15")
		case "MM":
			b.WriteString("04")
		case "SS":
			b.WriteString("05")
		default:
			if !strings.ContainsRune(" -/.:T", rune(f[i])) {
				return "", fmt.Errorf("%q: use yyyy, mm, dd, HH, MM, SS and any of \" -/.:T\"", f)
			}
			b.WriteByte(f[i])
			i++
			continue
		}
		i += len(tok)
	}
	return b.String(), nil
}
