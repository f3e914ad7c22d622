package importers

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

func TestReadXLSX(t *testing.T) {
	want, err := ReadCSV(open(t, "vn-bank-pos.csv"), "vn-bank-pos.csv", profile(t, "vn-bank-pos"))
	require.NoError(t, err)
	data, err := os.ReadFile("testdata/settlement/vn-bank-pos.xlsx")
	require.NoError(t, err)
	lines, err := ReadXLSX(bytes.NewReader(data), "vn-bank-pos.xlsx", profile(t, "vn-bank-pos"))
	require.NoError(t, err)
	assert.Equal(t, want, lines, "number cells, date cells and text cells read to the CSV's lines")
}

func TestReadXLSXBadCells(t *testing.T) {
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	rows := [][]any{
		{"settlement_date", "terminal_id", "trace_no", "txn_type", "txn_time", "amount", "fee", "net_amount", "currency"},
		{"2026-03-02", "T1", 5, "SALE", time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), 1000.5, 0, 1000, "VND"},
		{"2026-03-02", "T1", 6, "SALE", "yesterday", 1000, 10, 990, "VND"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, f.SetSheetRow(sh, cell, &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	_, err := ReadXLSX(&buf, "bad.xlsx", nil)
	fe, text := fileError(t, err)
	assert.Equal(t, "xlsx/generic", fe.Format)
	assert.Contains(t, text, `line 2, amount: "1000.5" is not a whole number of đồng`)
	assert.Contains(t, text, `line 3, txn_time: "yesterday" is not a date in the format yyyy-mm-ddTHH:MM:SS`)

	_, err = ReadXLSX(bytes.NewReader([]byte("not a zip")), "x.xlsx", nil)
	_, text = fileError(t, err)
	assert.Contains(t, text, "not an Excel workbook")
}
