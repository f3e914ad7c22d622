package importers

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

func TestMT940PublicSample(t *testing.T) {
	// the anonymised sample's balances were edited: refused as it is, with both statements listed
	_, err := readFixture(t, "mt940-abnamro.sta", BankOptions{})
	fe := bankFileError(t, err)
	requireRow(t, fe, 27, ":62F:", "opening 3236.28 EUR + 8 entries = 2914.84 EUR, but the closing balance is 876.84 EUR")
	requireRow(t, fe, 40, ":62M:", "opening 2876.84 EUR + 2 entries = 2852.35 EUR, but the closing balance is 1849.75 EUR")

	stmts, err := readFixture(t, "mt940-abnamro.sta", BankOptions{SkipBalanceCheck: true})
	require.NoError(t, err)
	require.Len(t, stmts, 2)
	s1, s2 := stmts[0], stmts[1]
	assert.Equal(t, "ABN AMRO BANK NV", s1.ID)
	assert.Equal(t, "517852257", s1.Account)
	assert.Equal(t, "19321/1", s1.Number, ":28:")
	assert.Equal(t, "19322/1", s2.Number, ":28C:")
	assert.Equal(t, "EUR", s1.Currency)
	assert.Equal(t, 4, s1.Line, "the bank's header lines before :20: are skipped")
	assert.Equal(t, []StatementBalance{
		{Line: 7, Code: "60F", Date: "2011-05-22", Amount: Money{323628, "EUR"}},
		{Line: 27, Code: "62F", Date: "2011-05-23", Amount: Money{87684, "EUR"}},
	}, s1.Balances)
	assert.Equal(t, []StatementBalance{
		{Line: 35, Code: "60M", Date: "2011-05-23", Amount: Money{287684, "EUR"}},
		{Line: 40, Code: "62M", Date: "2011-05-24", Amount: Money{184975, "EUR"}},
	}, s2.Balances)
	require.Len(t, s1.Entries, 8)
	var amounts []int64
	for _, e := range s1.Entries {
		amounts = append(amounts, e.Amount.Minor)
		assert.Equal(t, "D", e.Mark)
		assert.Equal(t, "NONREF", e.EntryRef)
	}
	assert.Equal(t, []int64{-900, -1159, -1163, -1180, -1345, -1549, -10700, -14148}, amounts, `"D9," "D11,8" "D107,"`)
	e := s1.Entries[0]
	assert.Equal(t, "2011-05-24", e.ValueDate)
	assert.Equal(t, "2011-05-24", e.BookingDate)
	assert.Equal(t, "N192", e.TxType)
	assert.Equal(t, "GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659\n"+
		"5314606715                       BETREFT FACTUUR D.D. 20-05-2011\n"+
		"INCL. 1,44 BTW", e.Text, "the :86: over three lines")
	e = s1.Entries[1]
	assert.Equal(t, "2011-05-21", e.ValueDate)
	assert.Equal(t, "2011-05-23", e.BookingDate, "entry date 0523")
	assert.Equal(t, "BEA   NR:XXX1234   21.05.11/12.54 DIRCKIII FIL2500 KATWIJK,PAS999", e.Text)
	assert.Equal(t, "BEA   NR:XXX1234   21.05.11/12.55 DIRX FIL6017 KATWIJK ZH ,PAS999", s1.Entries[5].Text, "the blank line after it is dropped")
	assert.Equal(t, 23, s1.Entries[6].Line)
	require.Len(t, s2.Entries, 2)
	assert.Equal(t, Money{-949, "EUR"}, s2.Entries[0].Amount)
	assert.Equal(t, Money{-1500, "EUR"}, s2.Entries[1].Amount)
	assert.Equal(t, "52.89.39.882                    MYCOM DEN HAAG", s2.Entries[1].Text)
	ids := map[string]bool{}
	for _, st := range stmts {
		for _, e := range st.Entries {
			assert.Regexp(t, `^h[0-9a-f]{24}$`, e.ID, "no bank reference: a hash")
			ids[e.ID] = true
		}
	}
	assert.Len(t, ids, 10)

	_, err = ToFacts(s1, "VND")
	requireRow(t, bankFileError(t, err), 8, ":61:", "-9.00 EUR is not in VND")
}

func TestMT940VND(t *testing.T) {
	stmts, err := readFixture(t, "mt940-vnd.sta", BankOptions{})
	require.NoError(t, err)
	require.Len(t, stmts, 2)
	s1 := stmts[0]
	assert.Equal(t, "STMT250102", s1.ID)
	assert.Equal(t, "12010000123456", s1.Account)
	assert.Equal(t, "1/1", s1.Number)
	require.Len(t, s1.Entries, 3)
	e := s1.Entries[0]
	assert.Equal(t, Money{14553000, "VND"}, e.Amount)
	assert.Equal(t, "2024-12-31", e.ValueDate)
	assert.Equal(t, "2025-01-02", e.BookingDate, "entry date 0102 after value date 241231: the next year")
	assert.Equal(t, "TID10000001", e.EntryRef)
	assert.Equal(t, "FT24366000111", e.BankRef)
	assert.Equal(t, "FT24366000111", e.ID)
	assert.Equal(t, "NTRF", e.TxType)
	assert.Equal(t, "LO 000012\nTHANH TOAN THE LO 000012\nTID10000001 3 GD\n\nPHI MDR 147000", e.Text,
		"supplementary line, then the :86: with its blank line inside")
	assert.Equal(t, Money{-22000, "VND"}, s1.Entries[1].Amount)
	rc := s1.Entries[2]
	assert.Equal(t, "RC", rc.Mark)
	assert.True(t, rc.Reversal)
	assert.Equal(t, Money{-300000, "VND"}, rc.Amount, "a reversed credit takes money out")
	assert.Equal(t, "SO DU CUOI NGAY", s1.Info, "the :86: after the closing balance is the statement's")
	var codes []string
	for _, b := range s1.Balances {
		codes = append(codes, b.Code)
	}
	assert.Equal(t, []string{"60F", "62F", "64", "65"}, codes)

	facts, err := ReadBankFacts("mt940-vnd.sta", bytes.NewReader(fixture(t, "mt940-vnd.sta")), FormatMT940, BankOptions{})
	require.NoError(t, err)
	require.Len(t, facts, 2)
	f := facts[0]
	assert.Equal(t, "STMT250102 1/1", f.ID)
	require.Len(t, f.Entries, 3)
	assert.Equal(t, int64(14553000), f.Entries[0].Amount)
	assert.Equal(t, "TID10000001", f.Entries[0].Reference, "the owner's reference first")
	assert.Equal(t, "LO 000012 THANH TOAN THE LO 000012 TID10000001 3 GD PHI MDR 147000", f.Entries[0].Text)
	assert.Equal(t, "FEE2501020001", f.Entries[1].Reference, "NONREF: the bank's")
	require.Len(t, f.Balances, 2, "64 and 65 are available balances, not in the facts")
	assert.Equal(t, int64(50000000), f.Balances[0].Amount)
	assert.True(t, f.Balances[0].Final)
	assert.Equal(t, "closing", f.Balances[1].Kind)
	assert.Equal(t, int64(64231000), f.Balances[1].Amount)
	assert.Equal(t, "2025-01-02", f.Balances[1].Date)
	g := facts[1]
	assert.Equal(t, "2025-01-03", g.Entries[0].BookingDate)
	assert.Equal(t, "HS-2025-0001", g.Entries[0].Reference)
	assert.False(t, g.Balances[0].Final, ":60M:")
	assert.False(t, g.Balances[1].Final, ":62M:")
	assert.Equal(t, int64(65731000), g.Balances[1].Amount)
}

// mtStmt is a one-statement MT940 around the given lines.
func mtStmt(lines ...string) string {
	return strings.Join(append([]string{":20:REF", ":25:123456", ":28C:1/1"}, lines...), "\n") + "\n-\n"
}

func TestMT940EntryDates(t *testing.T) {
	for _, c := range []struct{ line, value, booking string }{
		{":61:2501021231D1000,NTRFX", "2025-01-02", "2024-12-31"}, // booked before New Year, value after
		{":61:2412310102D1000,NTRFX", "2024-12-31", "2025-01-02"},
		{":61:2403010229D1000,NTRFX", "2024-03-01", "2024-02-29"},
		{":61:250615D1000,NTRFX", "2025-06-15", "2025-06-15"}, // no entry date
	} {
		stmts, err := ReadMT940("d.sta", strings.NewReader(mtStmt(":60F:C241231VND5000,", c.line, ":62F:C250102VND4000,")), BankOptions{})
		require.NoError(t, err, c.line)
		assert.Equal(t, c.value, stmts[0].Entries[0].ValueDate, c.line)
		assert.Equal(t, c.booking, stmts[0].Entries[0].BookingDate, c.line)
	}
}

func TestMT940BadFiles(t *testing.T) {
	for _, c := range []struct {
		name, line, reason string
	}{
		{"no mark", ":61:2501020102X1000,NTRFX", "the debit/credit mark (C, D, RC or RD) is missing"},
		{"decimal point", ":61:2501020102D1000.50NTRFX", `"1000.50" uses '.' as the decimal separator`},
		{"no decimal comma", ":61:2501020102D1000NTRFX", `"1000" has no decimal comma`},
		{"bad value date", ":61:2513020102D1000,NTRFX", `the value date "251302" is not a date`},
		{"bad entry date", ":61:2501021302D1000,NTRFX", `the entry date "1302" is not a date`},
		{"no type", ":61:2501020102D1000,", "the transaction type (N, S or F and three characters"},
		{"no amount", ":61:2501020102DNTRFX", "the amount is missing"},
		{"fraction of a đồng", ":61:2501020102D1000,5NTRFX", "a fraction of the smallest unit of VND"},
		{"too short", ":61:2501", "too short"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMT940("b.sta", strings.NewReader(mtStmt(":60F:C250101VND5000,", c.line, ":62F:C250102VND4000,")), BankOptions{})
			fe := bankFileError(t, err)
			requireRow(t, fe, 5, ":61:", c.reason)
			assert.Len(t, fe.Rows, 1, "the broken entry only, no knock-on balance error: %v", fe)
		})
	}
	cases := []struct {
		name, file string
		line       int
		column     string
		reason     string
	}{
		{"balances do not add up", mtStmt(":60F:C250101VND5000,", ":61:250102D1000,NTRFX", ":62F:C250102VND4500,"),
			6, ":62F:", "opening 5000 VND + 1 entries = 4000 VND, but the closing balance is 4500 VND"},
		{"entry after the closing balance", mtStmt(":60F:C250101VND5000,", ":62F:C250102VND5000,", ":61:250102D1000,NTRFX"),
			6, ":61:", "after the closing balance"},
		{"entry before the opening balance", mtStmt(":61:250102D1000,NTRFX", ":60F:C250101VND5000,", ":62F:C250102VND4000,"),
			4, ":61:", "before the opening balance"},
		{"no closing balance", mtStmt(":60F:C250101VND5000,"), 1, ":62F:", "no :62F: or :62M:"},
		{"no account", strings.Replace(mtStmt(":60F:C250101VND5000,", ":62F:C250101VND5000,"), ":25:123456\n", "", 1), 1, ":25:", "no :25:"},
		{"closing in another currency", mtStmt(":60F:C250101VND5000,", ":62F:C250102USD5000,"), 5, ":62F:", "in USD but the opening balance is in VND"},
		{"bad balance", mtStmt(":60F:X250101VND5000,", ":62F:C250102VND5000,"), 4, ":60F:", "must be C (credit) or D (debit)"},
		{"balance amount", mtStmt(":60F:C250101VND5.000,", ":62F:C250102VND5000,"), 4, ":60F:", "uses '.' as the decimal separator"},
		{"MT942", mtStmt(":34F:VND0,", ":60F:C250101VND5000,", ":62F:C250102VND5000,"), 4, ":34F:", "MT942"},
		{"unknown field", mtStmt(":60F:C250101VND5000,", ":99:X", ":62F:C250102VND5000,"), 5, ":99:", "not an MT940 field"},
		{"text after a balance", mtStmt(":60F:C250101VND5000,", "garbage", ":62F:C250102VND5000,"), 5, ":60F:", "unexpected text"},
		{"two openings", mtStmt(":60F:C250101VND5000,", ":60F:C250101VND5000,", ":62F:C250102VND5000,"), 5, ":60F:", "a second opening balance"},
		{"not MT940", "hello\nworld\n", 0, "", "holds no MT940 statement"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMT940("b.sta", strings.NewReader(c.file), BankOptions{})
			requireRow(t, bankFileError(t, err), c.line, c.column, c.reason)
		})
	}
	t.Run("Windows-1258", func(t *testing.T) {
		file := mtStmt(":60F:C250101VND5000,", ":61:250102D1000,NTRFX", ":86:Nộp phí hồ sơ", "Phường Bến Nghé", ":62F:C250102VND4000,")
		enc, err := encoding.ReplaceUnsupported(charmap.Windows1258.NewEncoder()).String(file)
		require.NoError(t, err)
		_, err = ReadMT940("w.sta", strings.NewReader(enc), BankOptions{})
		fe := bankFileError(t, err)
		requireRow(t, fe, 6, "", "not valid UTF-8")
		requireRow(t, fe, 7, "", "not valid UTF-8")
	})
	t.Run("every broken entry is listed", func(t *testing.T) {
		_, err := ReadMT940("b.sta", strings.NewReader(mtStmt(":60F:C250101VND5000,", ":61:250102D1.000,NTRFX",
			":86:ok", ":61:250102D1000,", ":61:250102Z1000,NTRFX", ":62F:C250102VND2000,")), BankOptions{})
		fe := bankFileError(t, err)
		require.Len(t, fe.Rows, 3, "%v", fe)
		assert.Equal(t, []int{5, 7, 8}, []int{fe.Rows[0].Line, fe.Rows[1].Line, fe.Rows[2].Line})
	})
}

func TestMT940Separators(t *testing.T) {
	// no "-" between statements: a new :20: starts the next one; CRLF; a BOM
	file := "\ufeff:20:A\r\n:25:1\r\n:28C:1\r\n:60F:C250101VND1000,\r\n:62F:C250101VND1000,\r\n" +
		":20:B\r\n:25:1\r\n:28C:2\r\n:60F:C250102VND1000,\r\n:61:250102C1,NMSCX\r\n:62F:C250102VND1001,\r\n"
	stmts, err := ReadMT940("s.sta", strings.NewReader(file), BankOptions{})
	require.NoError(t, err)
	require.Len(t, stmts, 2)
	assert.Equal(t, "A", stmts[0].ID)
	assert.Equal(t, "B", stmts[1].ID)
	assert.Equal(t, 6, stmts[1].Line)
	assert.Equal(t, Money{1, "VND"}, stmts[1].Entries[0].Amount)
}
