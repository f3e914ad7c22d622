package importers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetectBank(t *testing.T) {
	for _, f := range []struct{ file, want string }{
		{"camt053.v2.minimal.xml", FormatCamt053},
		{"camt053-vnd-v08.xml", FormatCamt053},
		{"camt054.v2.xml", FormatCamt054},
		{"camt054-vnd-v04.xml", FormatCamt054},
		{"mt940-abnamro.sta", FormatMT940},
		{"mt940-vnd.sta", FormatMT940},
	} {
		head := fixture(t, f.file)
		if len(head) > 4096 {
			head = head[:4096]
		}
		assert.Equal(t, f.want, DetectBank(f.file, head), f.file)
	}
	assert.Equal(t, "", DetectBank("s.csv", []byte("settlement_date,terminal_id\n2025-03-03,T1\n")))
	assert.Equal(t, "", DetectBank("x.xml", []byte(`<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">`)))
	assert.Equal(t, "", DetectBank("x.xlsx", []byte("PK\x03\x04")))
	assert.Equal(t, FormatMT940, DetectBank("x.txt", []byte(":20:X\n:25:1\n")))
	assert.Equal(t, FormatMT940, DetectBank("x.txt", []byte("{1:F01X}{2:O940X}{4:\n")))
}

func TestParseDecimalAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		sep  byte
		ccy  string
		want int64
	}{
		{"1500000", '.', "VND", 1500000},
		{"1500000.00", '.', "VND", 1500000},
		{"200000", '.', "SEK", 20000000},
		{"8.85", '.', "EUR", 885},
		{"8.8", '.', "EUR", 880},
		{"2700", '.', "JPY", 2700},
		{"1.234", '.', "KWD", 1234},
		{"0", '.', "VND", 0},
		{"000123", '.', "VND", 123},
		{"9,", ',', "EUR", 900},
		{"11,8", ',', "EUR", 1180},
		{"1500000,", ',', "VND", 1500000},
		{"999999999999999999", '.', "VND", 999999999999999999},
	} {
		m, err := parseDecimalAmount(c.in, c.sep, c.ccy)
		require.NoError(t, err, c.in)
		assert.Equal(t, Money{c.want, c.ccy}, m, c.in)
	}
	for _, c := range []struct {
		in     string
		sep    byte
		ccy    string
		reason string
	}{
		{"1500000.5", '.', "VND", "a fraction of the smallest unit of VND"},
		{"8.855", '.', "EUR", "a fraction of the smallest unit of EUR"},
		{"1,500,000", '.', "VND", "decimal separator"},
		{"1 500", '.', "VND", "not a number"},
		{"+5", '.', "VND", "not a number"},
		{".5", '.', "EUR", "not a number"},
		{"5", '.', "vnd", "not an ISO 4217 code"},
		{"9999999999999999999", '.', "VND", "too large"},
		{"99999999999999999.99", '.', "EUR", "too large"},
	} {
		_, err := parseDecimalAmount(c.in, c.sep, c.ccy)
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.reason, c.in)
	}
	assert.Equal(t, "-0.05 EUR", Money{-5, "EUR"}.String())
	assert.Equal(t, "1500000 VND", Money{1500000, "VND"}.String())
	assert.Equal(t, "0.001 KWD", Money{1, "KWD"}.String())
}

func TestReadBankUnknownFormat(t *testing.T) {
	_, err := ReadBank("x", strings.NewReader(""), "csv", BankOptions{})
	requireRow(t, bankFileError(t, err), 0, "", `"csv" is not a bank statement format`)
}

// Re-reading a file gives the same statement ids and entry ids.
func TestBankIDsStable(t *testing.T) {
	for _, f := range []string{"camt053-vnd-v08.xml", "mt940-vnd.sta", "mt940-abnamro.sta"} {
		a, err := readFixture(t, f, BankOptions{SkipBalanceCheck: true})
		require.NoError(t, err)
		b, err := readFixture(t, f, BankOptions{SkipBalanceCheck: true})
		require.NoError(t, err)
		assert.Equal(t, a, b, f)
	}
}

// Detect (--format auto) knows the bank formats through DetectBank.
func TestDetectFindsBankStatements(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/bank/camt053.v2.minimal.xml": FormatCamt053,
		"testdata/bank/camt054.v2.xml":         FormatCamt054,
		"testdata/bank/mt940-abnamro.sta":      FormatMT940,
	} {
		head, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := Detect(filepath.Base(file), head[:min(len(head), 4096)]); got != want {
			t.Errorf("Detect(%s) = %q, want %q", file, got, want)
		}
	}
}
