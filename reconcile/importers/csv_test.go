package importers

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/reconcile"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/settlement/" + name)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// fileError asserts err is a *FileError and returns its rows as text.
func fileError(t *testing.T, err error) (*FileError, string) {
	t.Helper()
	var fe *FileError
	require.True(t, errors.As(err, &fe), "want a *FileError, got %v", err)
	var b strings.Builder
	for _, r := range fe.Rows {
		b.WriteString(r.String() + "\n")
	}
	return fe, b.String()
}

func TestReadCSVGeneric(t *testing.T) {
	lines, err := ReadCSV(open(t, "generic.csv"), "generic.csv", nil)
	require.NoError(t, err)
	require.Len(t, lines, 5)
	l := lines[0]
	assert.Equal(t, reconcile.SettlementLine{
		ID: "2026-03-02|T0000001|000012|101|SALE|606109000101", Line: 2, SettlementDate: "2026-03-02",
		TerminalID: "T0000001", MerchantID: "MID000000000001", BatchNo: "000012", TraceNo: 101,
		RRN: "606109000101", ApprovalCode: "A1B2C3", PANMasked: "970436******1234", CardBrand: "NAPAS",
		Type: reconcile.Sale, TxnTime: time.Date(2026, 3, 2, 8, 15, 2, 0, Zone),
		Amount: 150000, Fee: 1650, Net: 148350, Currency: "VND",
	}, l)
	assert.Equal(t, "2026-03-02T08:15:02+07:00", l.TxnTime.Format(time.RFC3339))
	assert.Equal(t, int64(2500000), lines[1].Amount, "a .00 suffix is accepted")
	assert.Equal(t, reconcile.Void, lines[3].Type)
	assert.Equal(t, reconcile.Refund, lines[4].Type)
	ids := map[string]bool{}
	for _, l := range lines {
		ids[l.ID] = true
	}
	assert.Len(t, ids, 5, "ids are unique")

	again, err := ReadCSV(open(t, "generic.csv"), "generic.csv", nil)
	require.NoError(t, err)
	assert.Equal(t, lines, again, "stable across re-imports")
}

func TestReadCSVBOMOrderExtraColumns(t *testing.T) {
	lines, err := ReadCSV(open(t, "generic-bom-reordered.csv"), "x.csv", Generic())
	require.NoError(t, err)
	require.Len(t, lines, 1)
	assert.Equal(t, "T0000001", lines[0].TerminalID)
	assert.Equal(t, int64(101), lines[0].TraceNo)
	assert.Equal(t, "", lines[0].RRN, "optional columns may be absent")
	assert.Equal(t, int64(148350), lines[0].Net)
}

func TestReadCSVRefusesEveryBadRow(t *testing.T) {
	lines, err := ReadCSV(open(t, "generic-bad.csv"), "generic-bad.csv", nil)
	assert.Nil(t, lines)
	fe, text := fileError(t, err)
	assert.Equal(t, "generic-bad.csv", fe.File)
	assert.Equal(t, "csv/generic", fe.Format)
	for _, want := range []string{
		`line 3, settlement_date: "2026-02-30" is not a date in the format yyyy-mm-dd`,
		`line 3, amount: "2500000.50" has a fraction of a đồng`,
		`line 4, pan_masked: is a full card number`,
		`line 4, currency: currency "USD": feepos reconciles VND only`,
		`line 5: duplicate line: same line id "2026-03-02|T0000001|000012|101|SALE|606109000101" as line 2`,
		`line 6, txn_type: "CHARGEBACK" is not a transaction type of profile generic`,
		`line 7, trace_no: "00010x" is not a trace number`,
		`line 7, txn_time: "2026-03-02 08:15:02" is not a date in the format yyyy-mm-ddTHH:MM:SS`,
		`line 7, amount: amount -5 must be > 0`,
		`line 8, settlement_date: settlement date 2026-03-02 is before the transaction`,
		`line 8, net_amount: net 148000 is not amount − fee (150000 − 1650 = 148350)`,
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "5200000000000007", "a full PAN is never echoed")
	assert.NotRegexp(t, `(?m)^line 2[:,]`, text, "line 2 is good")
	assert.Contains(t, err.Error(), "nothing was written")
}

func TestReadCSVMissingColumns(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("settlement_date,terminal_id,txn_type,txn_time,amount,fee,net_amount,currency\n"), "m.csv", nil)
	_, text := fileError(t, err)
	assert.Equal(t, "line 1, trace_no: required column \"trace_no\" is missing from the header (profile generic, field trace_no)\n", text)

	_, err = ReadCSV(strings.NewReader(""), "empty.csv", nil)
	_, text = fileError(t, err)
	assert.Contains(t, text, "the file is empty")
}

func TestReadCSVFuncStopsCallingAfterABadRow(t *testing.T) {
	var got []int
	err := ReadCSVFunc(open(t, "generic-bad.csv"), "generic-bad.csv", nil, func(l reconcile.SettlementLine) error {
		got = append(got, l.Line)
		return nil
	})
	fileError(t, err)
	assert.Equal(t, []int{2}, got, "good lines before the first bad one are streamed; the caller rolls back on the error")

	stop := errors.New("disk full")
	err = ReadCSVFunc(open(t, "generic.csv"), "generic.csv", nil, func(reconcile.SettlementLine) error { return stop })
	assert.Same(t, stop, err)
}

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in       string
		th, dec  byte
		want     int64
		badMatch string
	}{
		{"150000", 0, '.', 150000, ""},
		{"150000.00", 0, '.', 150000, ""},
		{"1.234.567", '.', ',', 1234567, ""},
		{"1.234.567,00 đ", '.', ',', 1234567, ""},
		{"1,234,567", ',', '.', 1234567, ""},
		{"1,234,567.00 VND", ',', '.', 1234567, ""},
		{"150.000₫", '.', ',', 150000, ""},
		{"1,234,567", 0, '.', 0, "not an amount"},
		{"1.23.567", '.', ',', 0, "not an amount"},
		{"12,5", '.', ',', 0, "fraction"},
		{"1e5", 0, '.', 0, "not an amount"},
		{"", 0, '.', 0, "not an amount"},
		{"9999999999999999", 0, '.', 0, "too large"},
	} {
		got, bad := parseAmount(c.in, c.th, c.dec)
		if c.badMatch != "" {
			assert.Contains(t, bad, c.badMatch, c.in)
			continue
		}
		assert.Empty(t, bad, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}

// Each line gets its own compact strings (id, RRN, approval code, masked
// PAN in one allocation; the low-cardinality columns shared across
// lines), with or without the acquirer's own id for the line.
func TestReadCSVLinesOwnCompactStrings(t *testing.T) {
	head := "external_id,settlement_date,terminal_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n"
	data := head + "X-1,2026-03-02,T1,7,101,RRN1,AP1,970436******1234,NAPAS,SALE,2026-03-02T08:00:00,150000,1650,148350,VND\n" +
		"X-2,2026-03-02,T1,7,102,,AP22,,NAPAS,SALE,2026-03-02T08:01:00,20000,0,20000,VND\n" +
		",2026-03-02,T1,7,103,RRN333,,970436******9999,NAPAS,SALE,2026-03-02T08:02:00,30000,0,30000,VND\n"
	gen, err := os.ReadFile("profiles/generic.toml")
	require.NoError(t, err)
	p, err := ParseProfile([]byte(strings.Replace(string(gen), "[columns]\n", "[columns]\nexternal_id = \"external_id\"\n", 1)))
	require.NoError(t, err)
	lines, err := ReadCSV(strings.NewReader(data), "x.csv", p)
	require.NoError(t, err)
	require.Len(t, lines, 3)
	for i, want := range [][4]string{
		{"X-1", "RRN1", "AP1", "970436******1234"},
		{"X-2", "", "AP22", ""},
		{"2026-03-02|T1|7|103|SALE|RRN333", "RRN333", "", "970436******9999"},
	} {
		l := lines[i]
		assert.Equal(t, want, [4]string{l.ID, l.RRN, l.ApprovalCode, l.PANMasked}, "line %d", i+2)
		assert.Equal(t, "2026-03-02", l.SettlementDate)
		assert.Equal(t, "T1", l.TerminalID)
		assert.Equal(t, "VND", l.Currency)
	}
	assert.Same(t, unsafe.StringData(lines[0].TerminalID), unsafe.StringData(lines[2].TerminalID), "a terminal's id is shared")
	assert.Same(t, unsafe.StringData(lines[0].SettlementDate), unsafe.StringData(lines[1].SettlementDate), "a date is shared")
}
