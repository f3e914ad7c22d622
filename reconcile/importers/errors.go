// Package importers reads acquirer settlement files (the generic CSV,
// declarative profiles, Excel, NAPAS-style tagged records) and bank
// statements (ISO 20022 camt.053/camt.054, SWIFT MT940) into reconcile's
// facts. A reader takes an io.Reader and returns every line, or a
// *FileError listing every bad row: a file is used whole or not at all
// (docs/RECONCILE.md "Files").
package importers

import (
	"fmt"
	"strings"
)

// RowError is one bad row of a file.
type RowError struct {
	Line   int    `json:"line"`             // 1-based line (CSV, MT940, tagged) or row (Excel); 0: the whole file
	Column string `json:"column,omitempty"` // the column, field or tag
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	switch {
	case e.Line == 0 && e.Column == "":
		return e.Reason
	case e.Column == "":
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d, %s: %s", e.Line, e.Column, e.Reason)
}

// FileError is a file refused, with every bad row.
type FileError struct {
	File   string
	Format string
	Rows   []RowError
}

// maxListed bounds the rows Error spells out; Rows keeps them all.
const maxListed = 20

func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) was not imported, nothing was written: %d problem(s)", e.File, e.Format, len(e.Rows))
	for i, r := range e.Rows {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Rows)-maxListed)
			break
		}
		b.WriteString("\n  " + r.String())
	}
	b.WriteString("\nfix the file (or choose the right --format/--profile) and import it again")
	return b.String()
}

// ErrorCode marks it as invalid input.
func (e *FileError) ErrorCode() string { return "invalid" }
