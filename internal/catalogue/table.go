package catalogue

import (
	"fmt"
	"sort"
	"strings"
)

// table is a catalogue file read as text cells, whatever its format: a
// header row and the rows under it, each with its line in the file.
type table struct {
	headerLine int
	header     []string
	rows       []tableRow
}

type tableRow struct {
	line  int
	cells []string
}

// decode turns a table into a catalogue, or lists every problem of it
// (an *ImportError naming source).
func decode(source string, t table) (Catalogue, error) {
	var problems []RowError
	// The header: every column known, none twice, the required ones there.
	cols := map[string]int{}
	for i, h := range t.header {
		if strings.TrimSpace(h) == "" {
			continue // an empty header cell: a spreadsheet's trailing column
		}
		c := ColumnOf(h)
		switch {
		case c == "":
			problems = append(problems, RowError{Line: t.headerLine, Column: h,
				Reason: "unknown column: use one of " + strings.Join(Columns, ", ") + " or their Vietnamese names (docs/CATALOGUE.md)"})
		case cols[c] != 0:
			problems = append(problems, RowError{Line: t.headerLine, Column: h, Reason: "a second column for " + c + ": keep one"})
		default:
			cols[c] = i + 1 // 0 is "absent"
		}
	}
	for _, c := range RequiredColumns {
		if cols[c] == 0 {
			problems = append(problems, RowError{Line: t.headerLine, Column: c, Reason: "this required column is missing from the header row"})
		}
	}
	if len(problems) > 0 {
		return Catalogue{}, &ImportError{Source: source, Rows: problems}
	}
	// Headers of empty cells with data under them are refused: the data
	// would be lost.
	for _, r := range t.rows {
		for i, v := range r.cells {
			if strings.TrimSpace(v) != "" && (i >= len(t.header) || strings.TrimSpace(t.header[i]) == "") {
				problems = append(problems, RowError{Line: r.line, Column: fmt.Sprintf("#%d", i+1), Reason: "a value under no header: name the column, or delete the value"})
			}
		}
	}

	var (
		c         Catalogue
		feeLine   = map[string]int{}
		procIndex = map[string]int{} // code → index in c.Procedures
		procLine  = map[string]int{} // code → line of the row that named it
		procFirst = map[string]int{} // code → first line that used it
	)
	for _, r := range t.rows {
		cell := func(col string) string {
			i := cols[col] - 1
			if i < 0 || i >= len(r.cells) {
				return ""
			}
			return strings.TrimSpace(r.cells[i])
		}
		var rowProblems []RowError
		bad := func(code, col, reason string) {
			rowProblems = append(rowProblems, RowError{Line: r.line, FeeCode: code, Column: col, Reason: reason})
		}
		f := Fee{
			Code: cell(ColFeeCode), Name: cell(ColName), ProcedureCode: cell(ColProcedureCode),
			OrgCode: cell(ColOrgCode), AgencyCode: cell(ColAgencyCode), Unit: cell(ColUnit), LegalBasis: cell(ColLegalBasis),
		}
		var err error
		kindOK, amountOK := true, true
		if f.Kind, err = ParseKind(cell(ColKind)); err != nil {
			bad(f.Code, ColKind, err.Error())
			kindOK = false
		}
		if f.UnitAmount, err = ParseAmount(cell(ColUnitAmount)); err != nil {
			bad(f.Code, ColUnitAmount, err.Error())
			amountOK = false
		}
		if f.Active, err = ParseActive(cell(ColActive)); err != nil {
			bad(f.Code, ColActive, err.Error())
		}
		if f.PayerIDRequired, err = ParseFlag(cell(ColPayerIDRequired)); err != nil {
			bad(f.Code, ColPayerIDRequired, err.Error())
		}
		if f.AgencyCode == "" {
			f.AgencyCode = f.OrgCode // collected for itself
		}
		for _, e := range f.Check() {
			if (e.Column == ColKind && !kindOK) || (e.Column == ColUnitAmount && !amountOK) {
				continue // said once already
			}
			bad(f.Code, e.Column, e.Reason)
		}
		if first, ok := feeLine[f.Code]; ok && f.Code != "" {
			bad(f.Code, ColFeeCode, fmt.Sprintf("the fee code is on line %d already", first))
		} else if f.Code != "" {
			feeLine[f.Code] = r.line
		}

		// The procedure: named (and described) on at least one of its
		// rows; rows that describe it again must agree.
		if f.ProcedureCode != "" {
			p := Procedure{Code: f.ProcedureCode, Name: cell(ColProcedureName), Agency: cell(ColProcedureAgency)}
			levelText := cell(ColProcedureLevel)
			if p.Level, err = ParseLevel(levelText); err != nil {
				bad(f.Code, ColProcedureLevel, err.Error())
			}
			if _, ok := procFirst[p.Code]; !ok {
				procFirst[p.Code] = r.line
			}
			if i, ok := procIndex[p.Code]; ok {
				prev := c.Procedures[i]
				if p.Name != "" && prev.Name != p.Name {
					bad(f.Code, ColProcedureName, fmt.Sprintf("the procedure %s is named %q on line %d: one procedure, one name", p.Code, prev.Name, procLine[p.Code]))
				}
				if levelText != "" && p.Level != prev.Level {
					bad(f.Code, ColProcedureLevel, fmt.Sprintf("the procedure %s is %s on line %d", p.Code, prev.Level, procLine[p.Code]))
				}
				if p.Agency != "" && prev.Agency != p.Agency {
					bad(f.Code, ColProcedureAgency, fmt.Sprintf("the procedure %s is handled by %s on line %d", p.Code, prev.Agency, procLine[p.Code]))
				}
			} else if p.Name != "" {
				for _, e := range p.Check() {
					if e.Column != ColProcedureCode { // the fee's check said it
						bad(f.Code, e.Column, e.Reason)
					}
				}
				procIndex[p.Code] = len(c.Procedures)
				procLine[p.Code] = r.line
				c.Procedures = append(c.Procedures, p)
			}
		} else if cell(ColProcedureName) != "" {
			bad(f.Code, ColProcedureCode, "a procedure name without its code: add the procedure code")
		}
		problems = append(problems, rowProblems...)
		c.Fees = append(c.Fees, f)
	}
	for code, line := range procFirst {
		if _, ok := procIndex[code]; !ok {
			problems = append(problems, RowError{Line: line, Column: ColProcedureName,
				Reason: "the procedure " + code + " has no name on any of its rows: give its name once"})
		}
	}
	if len(c.Fees) == 0 && len(problems) == 0 {
		problems = append(problems, RowError{Line: t.headerLine, Reason: "the file has a header but no fee: an empty catalogue is not imported"})
	}
	if len(problems) > 0 {
		sortRowErrors(problems)
		return Catalogue{}, &ImportError{Source: source, Rows: problems}
	}
	return c, nil
}

// sortRowErrors orders problems by line, keeping each line's in column
// order of discovery.
func sortRowErrors(rs []RowError) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Line < rs[j].Line })
}

// rowsOf turns a catalogue into cells in Columns order, one row per fee,
// for the writers.
func rowsOf(c Catalogue) [][]string {
	procs := map[string]Procedure{}
	for _, p := range c.Procedures {
		procs[p.Code] = p
	}
	out := make([][]string, 0, len(c.Fees))
	for _, f := range c.Fees {
		p := procs[f.ProcedureCode]
		amount := ""
		if f.UnitAmount != nil {
			amount = fmt.Sprint(*f.UnitAmount)
		}
		active := "1"
		if !f.Active {
			active = "0"
		}
		idRequired := "0"
		if f.PayerIDRequired {
			idRequired = "1"
		}
		out = append(out, []string{f.Code, f.Name, string(f.Kind), f.ProcedureCode, p.Name, p.Level, p.Agency,
			f.OrgCode, f.AgencyCode, amount, f.Unit, f.LegalBasis, active, idRequired})
	}
	return out
}
