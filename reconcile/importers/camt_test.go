package importers

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

func TestCamt053PublicSample(t *testing.T) {
	// the anonymised sample's balances are in four currencies: refused as it is
	_, err := readFixture(t, "camt053.v2.minimal.xml", BankOptions{})
	requireRow(t, bankFileError(t, err), 54, "Stmt/Bal(CLBD)/Amt", "in SEK but the opening balance is in EUR")

	stmts, err := readFixture(t, "camt053.v2.minimal.xml", BankOptions{SkipBalanceCheck: true})
	require.NoError(t, err)
	require.Len(t, stmts, 1)
	st := stmts[0]
	assert.Equal(t, FormatCamt053, st.Format)
	assert.Equal(t, "camt.053.001.02", st.Version)
	assert.Equal(t, "253EURNL26VAYB8060476890", st.ID)
	assert.Equal(t, "12312", st.Number)
	assert.Equal(t, "NL26VAYB8060476890", st.Account)
	assert.Equal(t, "EUR", st.Currency)
	assert.Len(t, st.Source, 64)
	assert.Equal(t, []StatementBalance{
		{Line: 42, Code: "OPBD", Date: "2014-12-30", Amount: Money{1815, "EUR"}},
		{Line: 54, Code: "CLBD", Date: "2014-12-31", Amount: Money{-2700, "SEK"}},
		{Line: 66, Code: "OPAV", Date: "2014-12-30", Amount: Money{3500, "CHF"}},
		{Line: 78, Code: "CLAV", Date: "2014-12-31", Amount: Money{-2700, "JPY"}}, // JPY has no decimals
	}, st.Balances)
	require.Len(t, st.Entries, 1)
	e := st.Entries[0]
	assert.Equal(t, Money{885, "EUR"}, e.Amount)
	assert.Equal(t, "8.85 EUR", e.Amount.String())
	assert.Equal(t, "C", e.Mark)
	assert.False(t, e.Reversal)
	assert.Equal(t, "2014-12-31", e.BookingDate)
	assert.Equal(t, "2015-01-02", e.ValueDate)
	assert.Equal(t, "544", e.TxType)
	require.Len(t, e.Details, 1)
	assert.Equal(t, "100", e.Details[0].OtherRef)
	assert.False(t, e.Details[0].HasAmount)
	assert.Equal(t, "Additional Information", st.Info)

	// not in VND: the conversion to reconcile's facts refuses every amount
	_, err = ToFacts(st, "VND")
	fe := bankFileError(t, err)
	requireRow(t, fe, 90, "Amt", "8.85 EUR is not in VND")
	requireRow(t, fe, 42, "OPBD", "18.15 EUR")
	requireRow(t, fe, 54, "CLBD", "-27.00 SEK")
}

func TestCamt054PublicSample(t *testing.T) {
	stmts, err := readFixture(t, "camt054.v2.xml", BankOptions{}) // no balances in a notification: nothing to check
	require.NoError(t, err)
	require.Len(t, stmts, 1)
	st := stmts[0]
	assert.Equal(t, FormatCamt054, st.Format)
	assert.Equal(t, "camt.054.001.02", st.Version)
	assert.Equal(t, "AAAASESS-FP-ACCR001", st.ID)
	assert.Equal(t, "CH2801234000123456789", st.Account, "Othr/Id, no IBAN")
	assert.Empty(t, st.Balances)
	require.Len(t, st.Entries, 1)
	e := st.Entries[0]
	assert.Equal(t, Money{-20000000, "SEK"}, e.Amount, "200000 SEK without decimals, debit")
	assert.Equal(t, "D", e.Mark)
	assert.Equal(t, "2007-10-18", e.BookingDate, "DtTm 13:15+01:00 is 19:15 in Vietnam, the same day")
	assert.Equal(t, "2007-10-18", e.ValueDate)
	assert.Equal(t, "AAAASESS-FP-ACCR001", e.BankRef)
	assert.Equal(t, "AAAASESS-FP-ACCR001", e.ID)
	assert.Equal(t, "PMNT/ICDT/DMCT", e.TxType)
	require.Len(t, e.Details, 3)
	for _, d := range e.Details {
		assert.Equal(t, "MUELL/FINP/RA12345", d.EndToEndID)
		assert.False(t, d.HasAmount)
	}
	assert.Equal(t, "Unstructured Remittance Information V1", e.Details[0].Text)
	assert.Equal(t, "", e.Details[1].Text)
	assert.Equal(t, "Unstructured Remittance Information V3 block 1 Unstructured Remittance Information V3 block 2", e.Details[2].Text)

	_, err = ToFacts(st, "VND")
	requireRow(t, bankFileError(t, err), 58, "Amt", "-200000.00 SEK is not in VND")
}

func TestCamt053VND(t *testing.T) {
	stmts, err := readFixture(t, "camt053-vnd-v08.xml", BankOptions{})
	require.NoError(t, err)
	require.Len(t, stmts, 1)
	st := stmts[0]
	assert.Equal(t, "camt.053.001.08", st.Version)
	assert.Equal(t, "12010000123456", st.Account)
	assert.Equal(t, "62", st.Number)
	assert.Equal(t, 1, st.Skipped, "the PDNG entry is counted, not returned")
	require.Len(t, st.Entries, 4)
	batch := st.Entries[0]
	assert.Equal(t, Money{14553000, "VND"}, batch.Amount)
	assert.Equal(t, "FT25062000111", batch.ID)
	assert.Equal(t, "PMNT/RCDT/SETT", batch.TxType)
	require.Len(t, batch.Details, 3)
	assert.Equal(t, EntryDetail{Line: 49, Amount: Money{4950000, "VND"}, HasAmount: true, EndToEndID: "TID10000001-000101",
		AcctSvcrRef: "FT25062000111-1", Text: "TT the TID10000001 lo 000012 GD 000101"}, batch.Details[0])
	assert.Equal(t, int64(4455000), batch.Details[1].Amount.Minor)
	assert.Equal(t, int64(5148000), batch.Details[2].Amount.Minor)
	assert.Equal(t, "Thanh toán thẻ lô 000012 ngày 03/03/2025", batch.Text)

	fee := st.Entries[1]
	assert.Equal(t, Money{-22000, "VND"}, fee.Amount)
	assert.Equal(t, "2025-03-03", fee.BookingDate, "DtTm 23:30+07:00")
	assert.Equal(t, "", fee.ValueDate)
	assert.Equal(t, "CHG", fee.TxType)

	assert.Equal(t, Money{1500000, "VND"}, st.Entries[2].Amount, `"1500000.00" is whole đồng`)
	rev := st.Entries[3]
	assert.Equal(t, Money{-300000, "VND"}, rev.Amount)
	assert.True(t, rev.Reversal)
	assert.Equal(t, "RC", rev.Mark, "a reversal booked as a debit reverses a credit")

	f, err := ToFacts(st, "VND")
	require.NoError(t, err)
	assert.Equal(t, "12010000123456", f.Account)
	assert.Equal(t, "STMT-20250303-0001", f.ID)
	require.Len(t, f.Entries, 4)
	assert.Equal(t, int64(14553000), f.Entries[0].Amount)
	assert.Equal(t, st.Source, f.Entries[0].Source)
	assert.Equal(t, "FT25062000111", f.Entries[0].Reference)
	assert.Equal(t, []int64{4950000, 4455000, 5148000},
		[]int64{f.Entries[0].Details[0].Amount, f.Entries[0].Details[1].Amount, f.Entries[0].Details[2].Amount})
	assert.Equal(t, "TID10000001-000102", f.Entries[0].Details[1].Reference)
	assert.Equal(t, int64(-22000), f.Entries[1].Amount)
	single := f.Entries[2]
	assert.Equal(t, int64(1500000), single.Amount)
	assert.Equal(t, "HS-2025-0001", single.Reference, "a single transaction's end-to-end id")
	assert.Equal(t, "Nộp phí hồ sơ HS-2025-0001", single.Text)
	require.Len(t, single.Details, 1)
	assert.Equal(t, int64(1500000), single.Details[0].Amount, "a lone detail without an amount carries the entry's")
	assert.True(t, f.Entries[3].Reversal)
	assert.Equal(t, int64(-300000), f.Entries[3].Amount)
	require.Len(t, f.Balances, 2, "CLAV is an available balance, not in the facts")
	assert.Equal(t, "opening", f.Balances[0].Kind)
	assert.True(t, f.Balances[0].Final)
	assert.Equal(t, int64(50000000), f.Balances[0].Amount)
	assert.Equal(t, "closing", f.Balances[1].Kind)
	assert.True(t, f.Balances[1].Final)
	assert.Equal(t, int64(65731000), f.Balances[1].Amount)
	assert.Equal(t, "2025-03-03", f.Balances[1].Date)
}

func TestCamt054VND(t *testing.T) {
	b := fixture(t, "camt054-vnd-v04.xml")
	facts, err := ReadBankFacts("n.xml", bytes.NewReader(b), FormatCamt054, BankOptions{})
	require.NoError(t, err)
	require.Len(t, facts, 1)
	require.Len(t, facts[0].Entries, 1)
	e := facts[0].Entries[0]
	assert.Equal(t, int64(9900000), e.Amount)
	assert.Equal(t, "2025-03-03", e.BookingDate, "08:02Z is 15:02 in Vietnam")
	assert.Equal(t, "FT25062000099", e.ID)
	assert.Equal(t, "FT25062000099", e.Reference, "several transactions: the bank's reference")
	require.Len(t, e.Details, 2)
	assert.Equal(t, int64(4950000), e.Details[1].Amount, "AmtDtls/TxAmt/Amt")
	assert.Equal(t, "TID10000002-000202", e.Details[1].Reference)

	// read as the wrong camt message
	_, err = ReadCamt("n.xml", bytes.NewReader(b), FormatCamt053, BankOptions{})
	requireRow(t, bankFileError(t, err), 2, "Document", "import it as camt054")
}

// camtDoc builds a small camt.053 of a version with the given entries.
func camtDoc(version, bals, entries string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.` + version + `">
<BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt>
<Id>S1</Id>
<Acct><Id><IBAN>VN00TEST0000000001</IBAN></Id></Acct>
` + bals + entries + `</Stmt>
</BkToCstmrStmt>
</Document>
`
}

func xBal(code, amt, sign string) string {
	return `<Bal><Tp><CdOrPrtry><Cd>` + code + `</Cd></CdOrPrtry></Tp><Amt Ccy="VND">` + amt + `</Amt><CdtDbtInd>` + sign + `</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>
`
}

func xNtry(amt, sign, sts string) string {
	return `<Ntry><Amt Ccy="VND">` + amt + `</Amt><CdtDbtInd>` + sign + `</CdtDbtInd>` + sts + `<BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>
`
}

func TestCamtVersions(t *testing.T) {
	bals := xBal("OPBD", "1000", "CRDT") + xBal("CLBD", "1500", "CRDT")
	for _, c := range []struct{ version, sts string }{
		{"02", "<Sts>BOOK</Sts>"},
		{"04", "<Sts>BOOK</Sts>"},
		{"06", "<Sts>BOOK</Sts>"},
		{"08", "<Sts><Cd>BOOK</Cd></Sts>"},
	} {
		t.Run(c.version, func(t *testing.T) {
			stmts, err := ReadCamt("s.xml", strings.NewReader(camtDoc(c.version, bals, xNtry("500", "CRDT", c.sts))), "", BankOptions{})
			require.NoError(t, err)
			require.Len(t, stmts[0].Entries, 1)
			assert.Equal(t, "camt.053.001."+c.version, stmts[0].Version)
			assert.Equal(t, "VN00TEST0000000001", stmts[0].Account)
		})
	}
	for _, c := range []struct{ doc, reason string }{
		{camtDoc("09", bals, ""), "camt.053.001.09 is a version this reader does not know"},
		{strings.Replace(camtDoc("02", bals, ""), "camt.053.001.02", "camt.052.001.02", 1), "intraday account report"},
		{strings.Replace(camtDoc("02", bals, ""), "camt.053.001.02", "pain.001.001.03", 1), "not an ISO 20022 camt message"},
		{`<?xml version="1.0"?><html><body/></html>`, "not an ISO 20022 <Document>"},
		{"", "empty"},
		{`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>`, "holds no statement (Ntfctn)"},
	} {
		_, err := ReadCamt("s.xml", strings.NewReader(c.doc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 0, "", c.reason)
	}
}

func TestCamtBadFiles(t *testing.T) {
	good := string(fixture(t, "camt053-vnd-v08.xml"))
	bals := xBal("OPBD", "1000", "CRDT") + xBal("CLBD", "1500", "CRDT")
	const booked = "<Sts>BOOK</Sts>"

	t.Run("truncated", func(t *testing.T) {
		cut := good[:strings.Index(good, "<Ntry>")+200]
		_, err := ReadCamt("t.xml", strings.NewReader(cut), FormatCamt053, BankOptions{})
		fe := bankFileError(t, err)
		requireRow(t, fe, strings.Count(cut, "\n")+1, "Stmt/Ntry", "truncated")
	})
	t.Run("truncated after an element", func(t *testing.T) {
		cut := good[:strings.Index(good, "</Stmt>")]
		_, err := ReadCamt("t.xml", strings.NewReader(cut), FormatCamt053, BankOptions{})
		requireRow(t, bankFileError(t, err), 0, "", "truncated")
	})
	t.Run("balance after the entries", func(t *testing.T) {
		doc := camtDoc("02", xBal("OPBD", "1000", "CRDT"), xNtry("500", "CRDT", booked)+xBal("CLBD", "1500", "CRDT"))
		_, err := ReadCamt("o.xml", strings.NewReader(doc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 10, "Stmt/Bal", "<Bal> comes after <Ntry> inside <Stmt>")
	})
	t.Run("amount after the details", func(t *testing.T) {
		doc := camtDoc("02", bals, `<Ntry><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-03-03</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls></NtryDtls>
<Amt Ccy="VND">500</Amt></Ntry>
`)
		_, err := ReadCamt("o.xml", strings.NewReader(doc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 12, "Stmt/Ntry/Amt", "<Amt> comes after <NtryDtls>")
	})
	t.Run("entry outside a statement", func(t *testing.T) {
		doc := strings.Replace(camtDoc("02", bals, xNtry("500", "CRDT", booked)), "</Stmt>\n", "</Stmt>\n"+xNtry("700", "CRDT", booked), 1)
		_, err := ReadCamt("o.xml", strings.NewReader(doc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 12, "Ntry", "outside a statement")
	})
	t.Run("twice the amount", func(t *testing.T) {
		doc := camtDoc("02", bals, `<Ntry><Amt Ccy="VND">500</Amt><Amt Ccy="VND">500</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-03-03</Dt></BookgDt></Ntry>
`)
		_, err := ReadCamt("o.xml", strings.NewReader(doc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 10, "Stmt/Ntry/Amt", "appears twice")
	})
	t.Run("every non-numeric amount is listed", func(t *testing.T) {
		doc := camtDoc("02", bals, xNtry("1.500.000", "CRDT", booked)+xNtry("abc", "CRDT", booked)+
			xNtry("-500", "CRDT", booked)+xNtry("1500000,00", "CRDT", booked)+xNtry("500.5", "CRDT", booked)+
			xNtry("", "CRDT", booked))
		_, err := ReadCamt("n.xml", strings.NewReader(doc), "", BankOptions{})
		fe := bankFileError(t, err)
		requireRow(t, fe, 10, "Stmt/Ntry/Amt", `"1.500.000" is not a number`)
		requireRow(t, fe, 11, "Stmt/Ntry/Amt", `"abc" is not a number`)
		requireRow(t, fe, 12, "Stmt/Ntry/Amt", `"-500" is not a number`)
		requireRow(t, fe, 13, "Stmt/Ntry/Amt", `uses ',' as the decimal separator`)
		requireRow(t, fe, 14, "Stmt/Ntry/Amt", "a fraction of the smallest unit of VND")
		requireRow(t, fe, 15, "Stmt/Ntry/Amt", "empty")
		assert.Len(t, fe.Rows, 6, "one row per bad amount, no knock-on balance error")
		assert.Contains(t, fe.Error(), "nothing was written")
	})
	t.Run("missing pieces", func(t *testing.T) {
		doc := camtDoc("02", bals, `<Ntry><Amt>500</Amt><CdtDbtInd>CR</CdtDbtInd><Sts>BOOK</Sts></Ntry>
<Ntry><Amt Ccy="VND">500</Amt><Sts>BOOK</Sts><BookgDt><Dt>2025-02-30</Dt></BookgDt></Ntry>
`)
		doc = strings.Replace(doc, "<Id>S1</Id>", "", 1)
		_, err := ReadCamt("m.xml", strings.NewReader(doc), "", BankOptions{})
		fe := bankFileError(t, err)
		requireRow(t, fe, 10, "Stmt/Ntry/Amt", "no Ccy attribute")
		requireRow(t, fe, 10, "Stmt/Ntry/CdtDbtInd", `"CR": it must be CRDT or DBIT`)
		requireRow(t, fe, 10, "Stmt/Ntry/BookgDt", "no booking date")
		requireRow(t, fe, 11, "Stmt/Ntry/CdtDbtInd", "missing")
		requireRow(t, fe, 11, "Stmt/Ntry/BookgDt", `"2025-02-30" is not a date`)
		requireRow(t, fe, 0, "Stmt/Id", "no Id")
	})
	t.Run("balances do not add up", func(t *testing.T) {
		bad := strings.Replace(good, "<Amt Ccy=\"VND\">22000</Amt>", "<Amt Ccy=\"VND\">23000</Amt>", 1)
		_, err := ReadCamt("b.xml", strings.NewReader(bad), "", BankOptions{})
		fe := bankFileError(t, err)
		requireRow(t, fe, 26, "Stmt/Bal(CLBD)/Amt", "opening 50000000 VND + 4 entries = 65730000 VND, but the closing balance is 65731000 VND")
		_, err = ReadCamt("b.xml", strings.NewReader(bad), "", BankOptions{SkipBalanceCheck: true})
		require.NoError(t, err)
	})
	t.Run("batch details do not add up", func(t *testing.T) {
		bad := strings.Replace(good, "<Amt Ccy=\"VND\">5148000</Amt>", "<Amt Ccy=\"VND\">5147000</Amt>", 1)
		_, err := ReadCamt("b.xml", strings.NewReader(bad), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 38, "Stmt/Ntry/NtryDtls", "3 transactions add up to 14552000 VND, but the entry is 14553000 VND")
	})
	t.Run("Windows-1258 declared as UTF-8", func(t *testing.T) {
		enc, err := encoding.ReplaceUnsupported(charmap.Windows1258.NewEncoder()).String(good)
		require.NoError(t, err)
		_, err = ReadCamt("w.xml", strings.NewReader(enc), "", BankOptions{})
		fe := bankFileError(t, err)
		line := strings.Count(good[:strings.Index(good, "Thanh toán")], "\n") + 1
		requireRow(t, fe, line, "Stmt/Ntry/AddtlNtryInf", "not valid UTF-8")
	})
	t.Run("Windows-1258 declared", func(t *testing.T) {
		enc, err := encoding.ReplaceUnsupported(charmap.Windows1258.NewEncoder()).String(strings.Replace(good, `encoding="UTF-8"`, `encoding="windows-1258"`, 1))
		require.NoError(t, err)
		_, err = ReadCamt("w.xml", strings.NewReader(enc), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 1, "", `declares the encoding "windows-1258"`)
	})
	t.Run("malformed", func(t *testing.T) {
		bad := strings.Replace(good, "</Acct>", "</Account>", 1)
		_, err := ReadCamt("m.xml", strings.NewReader(bad), "", BankOptions{})
		requireRow(t, bankFileError(t, err), 19, "Stmt/Acct", "malformed")
	})
}

func TestCamtIntermediateBalances(t *testing.T) {
	// a statement's first page: OPBD then the page's interim closing ITBD
	doc := camtDoc("04", xBal("OPBD", "1000", "CRDT")+xBal("ITBD", "400", "DBIT"), xNtry("1400", "DBIT", "<Sts>BOOK</Sts>"))
	stmts, err := ReadCamt("p.xml", strings.NewReader(doc), "", BankOptions{})
	require.NoError(t, err)
	f, err := ToFacts(stmts[0], "VND")
	require.NoError(t, err)
	require.Len(t, f.Balances, 2)
	assert.Equal(t, "closing", f.Balances[1].Kind)
	assert.False(t, f.Balances[1].Final)
	assert.Equal(t, int64(-400), f.Balances[1].Amount, "an overdrawn balance is negative")

	// the next page: ITBD opening, CLBD closing
	doc = camtDoc("04", xBal("ITBD", "400", "DBIT")+xBal("CLBD", "100", "CRDT"), xNtry("500", "CRDT", "<Sts>BOOK</Sts>"))
	stmts, err = ReadCamt("p.xml", strings.NewReader(doc), "", BankOptions{})
	require.NoError(t, err)
	f, err = ToFacts(stmts[0], "VND")
	require.NoError(t, err)
	assert.Equal(t, "opening", f.Balances[0].Kind)
	assert.False(t, f.Balances[0].Final)
	assert.Equal(t, "closing", f.Balances[1].Kind)
	assert.True(t, f.Balances[1].Final)

	doc = camtDoc("04", xBal("ITBD", "400", "DBIT")+xBal("CLBD", "200", "CRDT"), xNtry("500", "CRDT", "<Sts>BOOK</Sts>"))
	_, err = ReadCamt("p.xml", strings.NewReader(doc), "", BankOptions{})
	requireRow(t, bankFileError(t, err), 0, "Stmt/Bal(CLBD)/Amt", "do not add up")
}

// A large statement streams: 20,000 entries read in one go.
func TestCamtLarge(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString(xNtry(fmt.Sprint(1000+i%7), "CRDT", "<Sts>BOOK</Sts>"))
	}
	var sum int64
	for i := 0; i < 20000; i++ {
		sum += int64(1000 + i%7)
	}
	doc := camtDoc("02", xBal("OPBD", "0", "CRDT")+xBal("CLBD", fmt.Sprint(sum), "CRDT"), b.String())
	stmts, err := ReadCamt("l.xml", strings.NewReader(doc), "", BankOptions{})
	require.NoError(t, err)
	require.Len(t, stmts[0].Entries, 20000)
	ids := map[string]bool{}
	for _, e := range stmts[0].Entries {
		ids[e.ID] = true
	}
	assert.Len(t, ids, 20000, "identical entries get distinct, stable ids")
}
