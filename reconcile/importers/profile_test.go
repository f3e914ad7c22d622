package importers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/reconcile"
)

func profile(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := LookupProfile(name)
	require.NoError(t, err)
	return p
}

// withEncoding is a copy of p that reads another encoding, as a profile
// file of the user's would.
func withEncoding(t *testing.T, p *Profile, enc string) *Profile {
	q := *p
	q.Encoding = enc
	require.NoError(t, q.Compile())
	return &q
}

func TestBuiltinProfiles(t *testing.T) {
	assert.Equal(t, []string{"adyen-settlement-detail", "generic", "vn-bank-pos"}, ProfileNames())
	_, err := LookupProfile("nope")
	assert.ErrorContains(t, err, `settlement profile "nope" is not known: use one of adyen-settlement-detail, generic, vn-bank-pos`)
}

func TestVietnameseBankProfile(t *testing.T) {
	want, err := ReadCSV(open(t, "generic.csv"), "generic.csv", nil)
	require.NoError(t, err)
	lines, err := ReadCSV(open(t, "vn-bank-pos.csv"), "vn-bank-pos.csv", profile(t, "vn-bank-pos"))
	require.NoError(t, err)
	require.Len(t, lines, len(want), "the title block and the total row are read past")
	for i := range want {
		want[i].Line += 3 // three title lines above the header
	}
	assert.Equal(t, want, lines, "the same file in the Vietnamese layout reads to the same lines")
}

func TestWindows1258(t *testing.T) {
	src, err := os.ReadFile("testdata/settlement/vn-bank-pos.csv")
	require.NoError(t, err)
	fixture, err := os.ReadFile("testdata/settlement/vn-bank-pos-1258.csv")
	require.NoError(t, err)
	decoded, err := charmap.Windows1258.NewDecoder().Bytes(fixture)
	require.NoError(t, err)
	require.Equal(t, string(src), norm.NFC.String(string(decoded)), "the fixture is vn-bank-pos.csv in Windows-1258 (tone marks combining)")
	require.NotEqual(t, string(src), string(decoded), "and it has combining tone marks")

	// declared UTF-8: refused, not read as mojibake
	_, err = ReadCSV(bytes.NewReader(fixture), "vn-1258.csv", profile(t, "vn-bank-pos"))
	_, text := fileError(t, err)
	assert.Equal(t, "line 1: the header row is not valid UTF-8: the file is probably in Windows-1258 or another code page; save it as UTF-8 or use a profile with encoding = \"windows-1258\"\n", text)

	// declared Windows-1258: the same lines as the UTF-8 file
	want, err := ReadCSV(open(t, "vn-bank-pos.csv"), "vn-bank-pos.csv", profile(t, "vn-bank-pos"))
	require.NoError(t, err)
	lines, err := ReadCSV(bytes.NewReader(fixture), "vn-1258.csv", withEncoding(t, profile(t, "vn-bank-pos"), "windows-1258"))
	require.NoError(t, err)
	assert.Equal(t, want, lines)

	// ASCII header, Windows-1258 text in a row: that row's line is named
	g, err := os.ReadFile("testdata/settlement/generic.csv")
	require.NoError(t, err)
	bad := strings.Replace(string(g), ",NAPAS,SALE,2026-03-02T08:15:02", ",TH\xc2\xCCE,SALE,2026-03-02T08:15:02", 1)
	_, err = ReadCSV(strings.NewReader(bad), "g.csv", nil)
	_, text = fileError(t, err)
	assert.Contains(t, text, "line 2, card_brand: not valid UTF-8")
}

func TestUTF16(t *testing.T) {
	src, err := os.ReadFile("testdata/settlement/vn-bank-pos.csv")
	require.NoError(t, err)
	want, err := ReadCSV(bytes.NewReader(src), "vn.csv", profile(t, "vn-bank-pos"))
	require.NoError(t, err)
	for _, order := range []unicode.Endianness{unicode.LittleEndian, unicode.BigEndian} {
		u16, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes(src)
		require.NoError(t, err)
		lines, err := ReadCSV(bytes.NewReader(u16), "vn16.csv", withEncoding(t, profile(t, "vn-bank-pos"), "utf-16"))
		require.NoError(t, err)
		assert.Equal(t, want, lines)

		_, err = ReadCSV(bytes.NewReader(u16), "vn16.csv", profile(t, "vn-bank-pos"))
		_, text := fileError(t, err)
		assert.Contains(t, text, "the file is UTF-16 and profile vn-bank-pos expects UTF-8")
	}
}

func TestAdyenStyleProfile(t *testing.T) {
	lines, err := ReadCSV(open(t, "adyen-style.csv"), "adyen.csv", profile(t, "adyen-settlement-detail"))
	require.NoError(t, err)
	require.Len(t, lines, 3, "the MerchantPayout row is not a card line")
	assert.Equal(t, "8816000000000101", lines[0].ID)
	assert.Equal(t, "2026-03-02", lines[0].SettlementDate)
	assert.Equal(t, [3]int64{150000, 1650, 148350}, [3]int64{lines[0].Amount, lines[0].Fee, lines[0].Net}, "fee columns summed")
	assert.Equal(t, [3]int64{2500000, 27500, 2472500}, [3]int64{lines[1].Amount, lines[1].Fee, lines[1].Net})
	assert.Equal(t, reconcile.Refund, lines[2].Type)
	assert.Equal(t, [3]int64{50000, 0, 50000}, [3]int64{lines[2].Amount, lines[2].Fee, lines[2].Net}, "gross and net from the debit columns")
	assert.Equal(t, "12", lines[2].BatchNo)
	assert.Equal(t, "visa", lines[0].CardBrand)
}

func TestProfileFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tab.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
name = "tab-net-only"
delimiter = "tab"
date_format = "dd-mm-yyyy"
time_format = "dd-mm-yyyy HH:MM:SS"
thousands = ","
required = ["settlement_date", "terminal_id", "trace_no", "amount", "net_amount"]
[columns]
settlement_date = "Date"
terminal_id = "TID"
trace_no = "Trace"
txn_time = "Time"
amount = "Gross"
net_amount = "Net"
`), 0o600))
	p, err := LookupProfile(file)
	require.NoError(t, err)
	lines, err := ReadCSV(strings.NewReader("TID\tTrace\tDate\tTime\tGross\tNet\nT1\t7\t02-03-2026\t02-03-2026 08:00:00\t1,234,567\t1,220,987.00\n"), "t.tsv", p)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	l := lines[0]
	assert.Equal(t, reconcile.Sale, l.Type, "no type column: every line is a sale")
	assert.Equal(t, [3]int64{1234567, 13580, 1220987}, [3]int64{l.Amount, l.Fee, l.Net}, "fee = gross − net")
	assert.Equal(t, "2026-03-02", l.SettlementDate)
	assert.Equal(t, "VND", l.Currency)

	for bad, msg := range map[string]string{
		`name = "x"` + "\n[columns]\namount = \"a\"\nsettlement_date = \"d\"\nbogus = \"b\"":    `columns: "bogus" is not a field`,
		`name = "x"` + "\ndelimiter = \"#\"":                                                    `delimiter "#"`,
		`name = "x"` + "\ndate_format = \"yy/mm/dd\"\n[columns]\namount = \"a\"":                `date_format`,
		`name = "x"` + "\nspeling = 1":                                                          `unknown setting "speling"`,
		`name = "x"` + "\n[columns]\namount = \"a\"\nsettlement_date = \"d\"\ntxn_type = \"t\"": `types: a txn_type column needs`,
	} {
		_, err := ParseProfile([]byte(bad))
		assert.ErrorContains(t, err, msg, bad)
	}
}
