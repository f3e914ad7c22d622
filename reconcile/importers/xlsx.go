package importers

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/reconcile"
)

// ReadXLSX reads a settlement workbook (.xlsx) by a profile (nil:
// generic): the profile's sheet (else the first), the header row found
// among the first rows, the same columns, formats and checks as a CSV.
// Number cells are read as numbers (amounts, Excel date serials), text
// cells by the profile's formats. Line is the sheet's row number.
func ReadXLSX(r io.Reader, name string, p *Profile) ([]reconcile.SettlementLine, error) {
	if p == nil {
		p = Generic()
	}
	c := newCollector(name, "xlsx/"+p.Name)
	f, err := excelize.OpenReader(r)
	if err != nil {
		c.add(0, "", fmt.Sprintf("not an Excel workbook (.xlsx): %v", err))
		return nil, c.err()
	}
	defer f.Close()
	sheet := p.Sheet
	if sheet == "" {
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			c.add(0, "", "the workbook has no sheet")
			return nil, c.err()
		}
		sheet = sheets[0]
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		c.add(0, "", fmt.Sprintf("the workbook has no sheet %q (it has %v)", sheet, f.GetSheetList()))
		return nil, c.err()
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		c.add(0, "", fmt.Sprintf("cannot read sheet %q: %v", sheet, err))
		return nil, c.err()
	}
	defer rows.Close()
	hf := headerFinder{p: p}
	var m *mapper
	var lines []reconcile.SettlementLine
	for n := 1; rows.Next(); n++ {
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			c.add(n, "", fmt.Sprintf("cannot read the row: %v", err))
			return nil, c.err()
		}
		if m == nil {
			if len(rec) == 0 {
				continue
			}
			if bad := headerText(rec); bad != "" {
				c.add(n, "", bad)
				return nil, c.err()
			}
			if m = hf.try(n, rec, c); m == nil && hf.rows >= headerScan {
				hf.fail(c)
				return nil, c.err()
			}
			continue
		}
		if m.end(rec) {
			break
		}
		num := make([]bool, len(rec))
		for i, v := range rec {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				continue
			}
			axis, _ := excelize.CoordinatesToCellName(i+1, n)
			switch t, _ := f.GetCellType(sheet, axis); t {
			case excelize.CellTypeUnset, excelize.CellTypeNumber:
				num[i] = true
			}
		}
		if l, ok := m.row(n, rec, num); ok {
			lines = append(lines, l)
		}
	}
	if err := rows.Error(); err != nil {
		c.add(0, "", fmt.Sprintf("cannot read sheet %q: %v", sheet, err))
	}
	if m == nil {
		hf.fail(c)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return lines, nil
}

// excelSerial turns an Excel date serial (1900 system) into the wall
// time it shows, in Vietnam, to the second.
func excelSerial(f float64) (time.Time, error) {
	t, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return time.Time{}, err
	}
	t = t.Round(time.Second)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, Zone), nil
}
