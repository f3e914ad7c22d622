package receipts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func TestParseSeries(t *testing.T) {
	tests := []struct {
		symbol  string
		year    int
		letters string
		problem string // empty: valid
	}{
		{"26TAA", 2026, "AA", ""},
		{"27TYX", 2027, "YX", ""},
		{"00TBC", 2000, "BC", ""},
		{"26TAF", 0, "", "'F' is not allowed"},
		{"26TIA", 0, "", "'I' is not allowed"},
		{"26TAJ", 0, "", "'J' is not allowed"},
		{"26TOW", 0, "", "'O' is not allowed"},
		{"26TAZ", 0, "", "'Z' is not allowed"},
		{"26Taa", 0, "", "'a' is not allowed"},
		{"26XAA", 0, "", "third character is T"},
		{"26CAA", 0, "", "third character is T"},
		{"2TAA", 0, "", "5 characters"},
		{"026TAA", 0, "", "5 characters"},
		{"", 0, "", "5 characters"},
		{"A6TAA", 0, "", "two last digits of the year"},
		{"26TĐA", 0, "", "5 characters"}, // Đ is two bytes
	}
	for _, tc := range tests {
		t.Run(tc.symbol, func(t *testing.T) {
			year, letters, err := receipts.ParseSeries(tc.symbol)
			if tc.problem == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.year, year)
				assert.Equal(t, tc.letters, letters)
				assert.Equal(t, tc.symbol, receipts.SeriesSymbol(year, letters))
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.problem)
			var re *receipts.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, receipts.EInvalid, re.ErrorCode())
		})
	}
}

func TestCheckNumber(t *testing.T) {
	for _, tc := range []struct {
		n  int64
		ok bool
	}{{1, true}, {7, true}, {99_999_999, true}, {0, false}, {-1, false}, {100_000_000, false}} {
		err := receipts.CheckNumber(tc.n)
		assert.Equal(t, tc.ok, err == nil, "number %d: %v", tc.n, err)
	}
}

func TestRefValidate(t *testing.T) {
	ok := receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 7}
	require.NoError(t, ok.Validate())
	assert.Equal(t, "26TAA-00000007", ok.String())
	for name, r := range map[string]receipts.Ref{
		"template":     {Template: "EBL02", Series: "26TAA", Number: 7},
		"series":       {Template: receipts.Template, Series: "26TAF", Number: 7},
		"number 0":     {Template: receipts.Template, Series: "26TAA", Number: 0},
		"nine digits":  {Template: receipts.Template, Series: "26TAA", Number: 100_000_000},
		"empty series": {Template: receipts.Template, Number: 1},
	} {
		assert.Error(t, r.Validate(), name)
	}
}

func TestCheckTaxCode(t *testing.T) {
	for _, tc := range []struct {
		mst string
		ok  bool
	}{
		{"0123456789", true},
		{"0123456789-001", true},
		{"012345678", false},
		{"01234567890", false},
		{"0123456789001", false}, // 13 digits are written with the dash
		{"0123456789-01", false},
		{"0123456789_001", false},
		{"012345678A", false},
		{"", false},
	} {
		err := receipts.CheckTaxCode(tc.mst)
		assert.Equal(t, tc.ok, err == nil, "MST %q: %v", tc.mst, err)
	}
}

func goodSeries() receipts.Series {
	return receipts.Series{OrgCode: "UBND-Q1", OrgName: "UBND Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh", Letters: "AA"}
}

func TestSeriesValidate(t *testing.T) {
	require.NoError(t, goodSeries().Normalize().Validate())
	tests := map[string]func(*receipts.Series){
		"no org code":   func(s *receipts.Series) { s.OrgCode = "" },
		"no name":       func(s *receipts.Series) { s.OrgName = "" },
		"no address":    func(s *receipts.Series) { s.Address = "" },
		"bad MST":       func(s *receipts.Series) { s.TaxCode = "123" },
		"letter F":      func(s *receipts.Series) { s.Letters = "AF" },
		"three letters": func(s *receipts.Series) { s.Letters = "AAB" },
		"one letter":    func(s *receipts.Series) { s.Letters = "A" },
		"digit":         func(s *receipts.Series) { s.Letters = "A1" },
		"control char":  func(s *receipts.Series) { s.OrgName = "UBND\nQuận 1" },
	}
	for name, change := range tests {
		s := goodSeries()
		change(&s)
		assert.Error(t, s.Normalize().Validate(), name)
	}
	// Lower-case letters are accepted and stored upper-case.
	s := goodSeries()
	s.Letters = " ab "
	assert.Equal(t, "AB", s.Normalize().Letters)
}

// The year part of the symbol follows the date in Asia/Ho_Chi_Minh, not UTC.
func TestSeriesYearRollsAtVietnamMidnight(t *testing.T) {
	s := goodSeries()
	lastSecond := time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, receipts.Zone)
	newYear := time.Date(2027, 1, 1, 0, 0, 0, 0, receipts.Zone)
	assert.Equal(t, "26TAA", s.Symbol(lastSecond))
	assert.Equal(t, "27TAA", s.Symbol(newYear))
	// 17:00 UTC on 31 December is already 1 January in Vietnam.
	assert.Equal(t, "27TAA", s.Symbol(time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)))
	assert.Equal(t, "26TAA", s.Symbol(time.Date(2026, 12, 31, 16, 59, 59, 0, time.UTC)))
}
