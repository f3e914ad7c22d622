package catalogue

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The rules of a fee and a procedure, for imports and for any other code
// that builds a catalogue (docs/CATALOGUE.md "Rules").

// FieldError is one wrong field of a fee or procedure, named by its
// column.
type FieldError struct {
	Column string
	Reason string
}

// RowError is a FieldError where a file holds it.
type RowError struct {
	Line    int    // 1-based line (CSV) or row (XLSX); 0 when not from a file
	FeeCode string // the row's fee code, when it has one
	Column  string
	Reason  string
}

func (e RowError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if e.FeeCode != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "(fee %s)", e.FeeCode)
	}
	if e.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %s", e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ImportError is a catalogue file that cannot be imported: every wrong
// row, so that one correction round fixes them all. Nothing of the file
// is stored.
type ImportError struct {
	Source string // the file's name, for the message
	Rows   []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	src := e.Source
	if src == "" {
		src = "the fee catalogue"
	}
	fmt.Fprintf(&b, "%s: %d %s wrong, nothing was imported; correct the file and import it again:", src, len(e.Rows), plural(len(e.Rows), "problem", "problems"))
	for _, r := range e.Rows {
		b.WriteString("\n  ")
		b.WriteString(r.Error())
	}
	return b.String()
}

// ErrorCode marks it as invalid input.
func (e *ImportError) ErrorCode() string { return "invalid" }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// codePattern is what a fee, procedure, organisation or agency code may
// hold: it goes into ledger dimensions, receipts and URLs.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)

const codeRule = "a code is 1 to 64 letters (no diacritics), digits, '.', '_', '/' or '-', starting with a letter or digit"

// Check lists what is wrong with f (nil: nothing).
func (f Fee) Check() []FieldError {
	var errs []FieldError
	add := func(col, reason string) { errs = append(errs, FieldError{col, reason}) }
	switch {
	case f.Code == "":
		add(ColFeeCode, "the fee code is required")
	case !codePattern.MatchString(f.Code):
		add(ColFeeCode, fmt.Sprintf("%q is not a fee code: %s", f.Code, codeRule))
	}
	if strings.TrimSpace(f.Name) == "" {
		add(ColName, "the fee's name, as the receipt prints it, is required")
	}
	if f.Kind != KindPhi && f.Kind != KindLePhi {
		add(ColKind, fmt.Sprintf("the kind %q is not phi (phí) or le_phi (lệ phí)", f.Kind))
	}
	if f.ProcedureCode != "" && !codePattern.MatchString(f.ProcedureCode) {
		add(ColProcedureCode, fmt.Sprintf("%q is not a procedure code: %s", f.ProcedureCode, codeRule))
	}
	switch {
	case f.OrgCode == "":
		add(ColOrgCode, "the collecting organisation (the code of its receipt series) is required")
	case !codePattern.MatchString(f.OrgCode):
		add(ColOrgCode, fmt.Sprintf("%q is not an organisation code: %s", f.OrgCode, codeRule))
	}
	if f.AgencyCode != "" && !codePattern.MatchString(f.AgencyCode) {
		add(ColAgencyCode, fmt.Sprintf("%q is not an agency code: %s", f.AgencyCode, codeRule))
	}
	if f.UnitAmount != nil {
		if *f.UnitAmount <= 0 {
			add(ColUnitAmount, fmt.Sprintf("the unit amount %d must be whole đồng greater than 0 (leave it empty when the agency computes it per dossier)", *f.UnitAmount))
		}
		if strings.TrimSpace(f.Unit) == "" {
			add(ColUnit, "a fee with a unit amount needs its unit, e.g. hồ sơ, bản, trang")
		}
	}
	return errs
}

// Check lists what is wrong with p (nil: nothing).
func (p Procedure) Check() []FieldError {
	var errs []FieldError
	if !codePattern.MatchString(p.Code) {
		errs = append(errs, FieldError{ColProcedureCode, fmt.Sprintf("%q is not a procedure code: %s", p.Code, codeRule)})
	}
	if strings.TrimSpace(p.Name) == "" {
		errs = append(errs, FieldError{ColProcedureName, "the procedure " + p.Code + " needs its name"})
	}
	if p.Level != LevelDistrict && p.Level != LevelVertical {
		errs = append(errs, FieldError{ColProcedureLevel, fmt.Sprintf("the level %q is not district (cấp huyện) or vertical (ngành dọc)", p.Level)})
	}
	if p.Agency != "" && !codePattern.MatchString(p.Agency) {
		errs = append(errs, FieldError{ColProcedureAgency, fmt.Sprintf("%q is not an agency code: %s", p.Agency, codeRule)})
	}
	return errs
}

// Validate checks a whole catalogue built in code (a file is checked as
// it is read): every fee and procedure, fee codes unique, every
// procedure a fee names present. The error is an *ImportError.
func (c Catalogue) Validate() error {
	var rows []RowError
	procs := map[string]bool{}
	for _, p := range c.Procedures {
		if procs[p.Code] {
			rows = append(rows, RowError{Column: ColProcedureCode, Reason: "the procedure " + p.Code + " is listed twice"})
		}
		procs[p.Code] = true
		for _, e := range p.Check() {
			rows = append(rows, RowError{Column: e.Column, Reason: e.Reason})
		}
	}
	seen := map[string]bool{}
	for _, f := range c.Fees {
		for _, e := range f.Check() {
			rows = append(rows, RowError{FeeCode: f.Code, Column: e.Column, Reason: e.Reason})
		}
		if f.Code != "" && seen[f.Code] {
			rows = append(rows, RowError{FeeCode: f.Code, Column: ColFeeCode, Reason: "the fee code is listed twice"})
		}
		seen[f.Code] = true
		if f.ProcedureCode != "" && !procs[f.ProcedureCode] {
			rows = append(rows, RowError{FeeCode: f.Code, Column: ColProcedureCode, Reason: "the procedure " + f.ProcedureCode + " is not in the catalogue"})
		}
	}
	if len(rows) > 0 {
		return &ImportError{Rows: rows}
	}
	return nil
}

// ParseKind reads a kind as a file may spell it: phi, le_phi, "phí",
// "lệ phí" (any case, with or without diacritics).
func ParseKind(s string) (Kind, error) {
	switch fold(s) {
	case "phi":
		return KindPhi, nil
	case "le phi", "lephi":
		return KindLePhi, nil
	case "":
		return "", fmt.Errorf("the kind is required: phi (phí) or le_phi (lệ phí)")
	}
	return "", fmt.Errorf("the kind %q is not phi (phí) or le_phi (lệ phí)", s)
}

// ParseLevel reads a procedure's level: district ("cấp huyện", "huyện")
// or vertical ("ngành dọc"); empty is district.
func ParseLevel(s string) (string, error) {
	switch fold(s) {
	case "", "district", "huyen", "cap huyen":
		return LevelDistrict, nil
	case "vertical", "nganh doc", "doc":
		return LevelVertical, nil
	}
	return "", fmt.Errorf("the level %q is not district (cấp huyện) or vertical (ngành dọc)", s)
}

// ParseActive reads the active column: empty is active; 1/0, true/false,
// yes/no, có/không.
func ParseActive(s string) (bool, error) {
	switch fold(s) {
	case "", "1", "true", "yes", "co", "x":
		return true, nil
	case "0", "false", "no", "khong":
		return false, nil
	}
	return false, fmt.Errorf("%q is not 1 (in use) or 0 (no longer collected)", s)
}

// ParseFlag reads a yes/no cell such as payer_id_required: empty is no.
func ParseFlag(s string) (bool, error) {
	switch fold(s) {
	case "", "0", "false", "no", "khong":
		return false, nil
	case "1", "true", "yes", "co", "x":
		return true, nil
	}
	return false, fmt.Errorf("%q is not 1 (yes) or 0 (no)", s)
}

// groupedAmount is a whole amount with thousands grouped by one
// separator, as Vietnamese (100.000) or English (100,000) spreadsheets
// write it.
var (
	groupedDot   = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{3})+$`)
	groupedComma = regexp.MustCompile(`^[0-9]{1,3}(,[0-9]{3})+$`)
	zeroFraction = regexp.MustCompile(`^[0-9]+[.,]0{1,2}$`)
)

// ParseAmount reads a unit amount in whole đồng: "100000", "100.000",
// "100,000", "100 000", "100000.00"; an optional trailing "đ" or "VND".
// Empty is nil (the agency computes the amount per dossier). Anything
// else, a fraction of a đồng, zero or a negative amount is an error.
func ParseAmount(s string) (*int64, error) {
	v := strings.TrimSpace(s)
	for _, suffix := range []string{"VND", "vnd", "đồng", "đ", "₫"} {
		v = strings.TrimSpace(strings.TrimSuffix(v, suffix))
	}
	v = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(v)
	if v == "" {
		return nil, nil
	}
	bad := func() (*int64, error) {
		return nil, fmt.Errorf("%q is not an amount in whole đồng greater than 0: write e.g. 100000 or 100.000, or leave it empty when the agency computes it per dossier", s)
	}
	switch {
	case groupedDot.MatchString(v):
		v = strings.ReplaceAll(v, ".", "")
	case groupedComma.MatchString(v):
		v = strings.ReplaceAll(v, ",", "")
	case zeroFraction.MatchString(v):
		v = v[:strings.IndexAny(v, ".,")]
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return bad()
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return bad()
	}
	return &n, nil
}
