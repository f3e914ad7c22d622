package catalogue

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Catalogue files: CSV (UTF-8, with or without a byte order mark, comma
// separated, one header row) and XLSX (the first sheet, or the one named
// Sheet; its first non-empty row is the header). docs/CATALOGUE.md.

// Format is a catalogue file's format.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Sheet is the name of the sheet exports write, and the one imports read
// when a workbook has it.
const Sheet = "Danh mục phí, lệ phí"

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return CSV, nil
	case "xlsx":
		return XLSX, nil
	}
	return "", fmt.Errorf("unknown format %q: use csv or xlsx", s)
}

// FormatOf is the format of a file by its extension (.csv, .xlsx).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".xlsx":
		return XLSX, nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its name: name it .csv or .xlsx, or give --format csv|xlsx", path)
}

// Read reads a catalogue file of format; source names it in errors. A
// file with any wrong row is an *ImportError listing all of them.
func Read(r io.Reader, format Format, source string) (Catalogue, error) {
	switch format {
	case CSV:
		return ReadCSV(r, source)
	case XLSX:
		return ReadXLSX(r, source)
	}
	return Catalogue{}, fmt.Errorf("unknown format %q: use csv or xlsx", format)
}

// Write writes c as a file of format.
func Write(w io.Writer, c Catalogue, format Format) error {
	switch format {
	case CSV:
		return WriteCSV(w, c)
	case XLSX:
		return WriteXLSX(w, c)
	}
	return fmt.Errorf("unknown format %q: use csv or xlsx", format)
}

var bom = []byte("\xef\xbb\xbf")

// ReadCSV reads a catalogue from CSV.
func ReadCSV(r io.Reader, source string) (Catalogue, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Catalogue{}, fmt.Errorf("read %s: %w", source, err)
	}
	data = bytes.TrimPrefix(data, bom)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // a short row is a row with empty cells, checked by decode
	var t table
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Catalogue{}, &ImportError{Source: source, Rows: []RowError{{Line: pe.Line, Reason: "not valid CSV: " + pe.Err.Error()}}}
			}
			return Catalogue{}, fmt.Errorf("read %s: %w", source, err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if t.header == nil {
			t.header, t.headerLine = rec, line
			continue
		}
		t.rows = append(t.rows, tableRow{line: line, cells: rec})
	}
	if t.header == nil {
		return Catalogue{}, &ImportError{Source: source, Rows: []RowError{{Line: 1, Reason: "the file is empty: it needs a header row (" + strings.Join(Columns, ",") + ") and a row per fee"}}}
	}
	return decode(source, t)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// WriteCSV writes c as CSV with the header Columns (UTF-8, no byte order
// mark: for Excel, export XLSX).
func WriteCSV(w io.Writer, c Catalogue) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	if err := cw.WriteAll(rowsOf(c)); err != nil {
		return fmt.Errorf("write fee catalogue CSV: %w", err)
	}
	return nil
}

// ReadXLSX reads a catalogue from an XLSX workbook: the sheet named Sheet
// if there is one, else the first. Cells are read as stored, not as
// formatted, so an amount formatted #,##0 reads as its number.
func ReadXLSX(r io.Reader, source string) (Catalogue, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return Catalogue{}, &ImportError{Source: source, Rows: []RowError{{Reason: "not an XLSX workbook (" + err.Error() + "): save it from the spreadsheet as .xlsx, or export CSV"}}}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Catalogue{}, &ImportError{Source: source, Rows: []RowError{{Reason: "the workbook has no sheet"}}}
	}
	sheet := sheets[0]
	for _, s := range sheets {
		if s == Sheet {
			sheet = s
		}
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return Catalogue{}, fmt.Errorf("read %s, sheet %s: %w", source, sheet, err)
	}
	var t table
	for i, rec := range rows {
		if blank(rec) {
			continue
		}
		if t.header == nil {
			t.header, t.headerLine = rec, i+1
			continue
		}
		t.rows = append(t.rows, tableRow{line: i + 1, cells: rec})
	}
	if t.header == nil {
		return Catalogue{}, &ImportError{Source: source, Rows: []RowError{{Line: 1, Reason: "the sheet " + sheet + " is empty: it needs a header row and a row per fee"}}}
	}
	return decode(source+" (sheet "+sheet+")", t)
}

// WriteXLSX writes c as an XLSX workbook of one sheet, Sheet: the header
// Columns (bold, frozen), codes and texts as text, unit amounts as
// numbers formatted #,##0.
func WriteXLSX(w io.Writer, c Catalogue) error {
	f := excelize.NewFile()
	defer f.Close()
	fail := func(err error) error { return fmt.Errorf("write fee catalogue XLSX: %w", err) }
	if err := f.SetSheetName("Sheet1", Sheet); err != nil {
		return fail(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fail(err)
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return fail(err)
	}
	sw, err := f.NewStreamWriter(Sheet)
	if err != nil {
		return fail(err)
	}
	widths := []float64{14, 48, 8, 14, 48, 10, 16, 14, 14, 12, 14, 48, 8, 10}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return fail(err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	header := make([]any, len(Columns))
	for i, col := range Columns {
		header[i] = excelize.Cell{StyleID: bold, Value: col}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fail(err)
	}
	amountCol := indexOf(Columns, ColUnitAmount)
	activeCol := indexOf(Columns, ColActive)
	for i, rec := range rowsOf(c) {
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		if fee := c.Fees[i]; fee.UnitAmount != nil {
			row[amountCol] = excelize.Cell{StyleID: money, Value: *fee.UnitAmount}
		} else {
			row[amountCol] = nil
		}
		row[activeCol] = 0
		if c.Fees[i].Active {
			row[activeCol] = 1
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return fail(err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fail(err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fail(err)
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
