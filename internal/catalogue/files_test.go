package catalogue_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/feepos/feepos/internal/catalogue"
)

func amount(n int64) *int64 { return &n }

// sample is a catalogue with a fee per page, a fee computed per dossier
// (no unit amount), one collected for another agency, and one no longer
// collected.
func sample() catalogue.Catalogue {
	return catalogue.Catalogue{
		Procedures: []catalogue.Procedure{
			{Code: "CT-BS", Name: "Chứng thực bản sao từ bản chính", Level: catalogue.LevelDistrict, Agency: "UBND-DEMO"},
			{Code: "DD-GCN", Name: "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", Level: catalogue.LevelVertical, Agency: "VPDKDD-DEMO"},
		},
		Fees: []catalogue.Fee{
			{Code: "P-CTBS", Name: "Phí chứng thực bản sao từ bản chính", Kind: catalogue.KindPhi, ProcedureCode: "CT-BS",
				OrgCode: "UBND-DEMO", AgencyCode: "UBND-DEMO", UnitAmount: amount(2000), Unit: "trang", LegalBasis: "Thông tư 226/2016/TT-BTC", Active: true},
			{Code: "P-TDGCN", Name: "Phí thẩm định hồ sơ cấp Giấy chứng nhận, \"lần đầu\"", Kind: catalogue.KindPhi, ProcedureCode: "DD-GCN",
				OrgCode: "UBND-DEMO", AgencyCode: "VPDKDD-DEMO", Unit: "hồ sơ", LegalBasis: "Thông tư 106/2021/TT-BTC", Active: true,
				PayerIDRequired: true},
			{Code: "LP-OLD", Name: "Lệ phí cũ", Kind: catalogue.KindLePhi, OrgCode: "UBND-DEMO", AgencyCode: "UBND-DEMO",
				UnitAmount: amount(50000), Unit: "hồ sơ", Active: false},
		},
	}
}

func importErr(t *testing.T, err error) *catalogue.ImportError {
	t.Helper()
	var ie *catalogue.ImportError
	require.True(t, errors.As(err, &ie), "want an *ImportError, got %v", err)
	return ie
}

func TestCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, catalogue.WriteCSV(&buf, sample()))
	assert.True(t, strings.HasPrefix(buf.String(), strings.Join(catalogue.Columns, ",")+"\n"))
	got, err := catalogue.ReadCSV(&buf, "x.csv")
	require.NoError(t, err)
	assert.Equal(t, sample(), got)
}

func TestXLSXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, catalogue.WriteXLSX(&buf, sample()))
	got, err := catalogue.ReadXLSX(bytes.NewReader(buf.Bytes()), "x.xlsx")
	require.NoError(t, err)
	assert.Equal(t, sample(), got)

	// The amount is a number cell, formatted with separators.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{catalogue.Sheet}, f.GetSheetList())
	typ, err := f.GetCellType(catalogue.Sheet, "J2")
	require.NoError(t, err)
	assert.NotEqual(t, excelize.CellTypeSharedString, typ)
	shown, err := f.GetCellValue(catalogue.Sheet, "J2")
	require.NoError(t, err)
	assert.Equal(t, "2,000", shown)
}

// A spreadsheet typed by hand: Vietnamese headers in another order, with
// a byte order mark, amounts with separators, kinds in Vietnamese, the
// procedure named once, agency left to default to the collector.
func TestCSVVietnameseHeadersAndBOM(t *testing.T) {
	in := "\ufeffMã phí,Tên phí,Loại,Mức thu,Đơn vị tính,Đơn vị thu,Mã thủ tục,Tên thủ tục,Cấp,Căn cứ pháp lý\n" +
		"LP-HKD,Lệ phí đăng ký hộ kinh doanh,Lệ phí,100.000,hồ sơ,UBND-DEMO,HKD,Đăng ký hộ kinh doanh,cấp huyện,Thông tư 85/2019/TT-BTC\n" +
		"\n" +
		"LP-HKD2,Lệ phí thay đổi đăng ký hộ kinh doanh,LE PHI,\"50,000 đ\",hồ sơ,UBND-DEMO,HKD,,,\n" +
		"LP-CT,Lệ phí đăng ký cư trú,le_phi,20000,lần,CA-DEMO,CT,Đăng ký thường trú,ngành dọc,\n"
	c, err := catalogue.ReadCSV(strings.NewReader(in), "in.csv")
	require.NoError(t, err)
	require.Len(t, c.Fees, 3)
	assert.Equal(t, catalogue.Fee{Code: "LP-HKD", Name: "Lệ phí đăng ký hộ kinh doanh", Kind: catalogue.KindLePhi, ProcedureCode: "HKD",
		OrgCode: "UBND-DEMO", AgencyCode: "UBND-DEMO", UnitAmount: amount(100000), Unit: "hồ sơ", LegalBasis: "Thông tư 85/2019/TT-BTC", Active: true}, c.Fees[0])
	assert.Equal(t, int64(50000), *c.Fees[1].UnitAmount)
	assert.Equal(t, []catalogue.Procedure{
		{Code: "HKD", Name: "Đăng ký hộ kinh doanh", Level: catalogue.LevelDistrict},
		{Code: "CT", Name: "Đăng ký thường trú", Level: catalogue.LevelVertical},
	}, c.Procedures)
}

// Every wrong row is listed with its line and column, in one error.
func TestCSVEveryProblemListed(t *testing.T) {
	in := "fee_code,name,kind,org_code,unit_amount,unit,procedure_code,procedure_name\n" +
		"A,Phí A,phi,ORG,1000,bản,,\n" + // line 2: fine
		",Phí B,phi,ORG,1000,bản,,\n" + // line 3: no code
		"C,Phí C,fee,ORG,0,bản,,\n" + // line 4: kind, amount
		"A,Phí A lần hai,phi,ORG,1.5,,,\n" + // line 5: duplicate, fraction
		"D,,le_phi,,-3,trang,P1,\n" + // line 6: name, org, amount, procedure never named
		"E,Phí E,phi,ORG,,,,Thủ tục không mã\n" + // line 7: procedure name without code
		"F,Phí F,phi,ORG,1000,,,\n" // line 8: no unit for its amount
	_, err := catalogue.ReadCSV(strings.NewReader(in), "bad.csv")
	ie := importErr(t, err)
	type at struct {
		line int
		col  string
	}
	var got []at
	for _, r := range ie.Rows {
		got = append(got, at{r.Line, r.Column})
	}
	assert.Equal(t, []at{
		{3, "fee_code"},
		{4, "kind"}, {4, "unit_amount"},
		{5, "unit_amount"}, {5, "fee_code"},
		{6, "unit_amount"}, {6, "name"}, {6, "org_code"}, {6, "procedure_name"},
		{7, "procedure_code"},
		{8, "unit"},
	}, got)
	msg := err.Error()
	assert.Contains(t, msg, "bad.csv: 11 problems wrong, nothing was imported")
	assert.Contains(t, msg, "line 5 (fee A), column fee_code: the fee code is on line 2 already")
	assert.Contains(t, msg, `line 4 (fee C), column kind: the kind "fee" is not phi (phí) or le_phi (lệ phí)`)
	assert.Contains(t, msg, `line 5 (fee A), column unit_amount: "1.5" is not an amount in whole đồng`)
	assert.Equal(t, "invalid", ie.ErrorCode())
}

func TestCSVHeaderProblems(t *testing.T) {
	_, err := catalogue.ReadCSV(strings.NewReader("fee_code,name,unit_amout,Tên phí\nA,B,1,C\n"), "h.csv")
	ie := importErr(t, err)
	msg := ie.Error()
	assert.Contains(t, msg, "line 1, column unit_amout: unknown column")
	assert.Contains(t, msg, "line 1, column Tên phí: a second column for name")
	assert.Contains(t, msg, "line 1, column kind: this required column is missing")
	assert.Contains(t, msg, "line 1, column org_code: this required column is missing")

	_, err = catalogue.ReadCSV(strings.NewReader(""), "e.csv")
	assert.Contains(t, importErr(t, err).Error(), "the file is empty")
	_, err = catalogue.ReadCSV(strings.NewReader("fee_code,name,kind,org_code\n"), "e.csv")
	assert.Contains(t, importErr(t, err).Error(), "no fee")
	_, err = catalogue.ReadCSV(strings.NewReader("fee_code,name,kind,org_code\nA,\"B,phi,ORG\n"), "q.csv")
	assert.Contains(t, importErr(t, err).Error(), "not valid CSV")
	_, err = catalogue.ReadCSV(strings.NewReader("fee_code,name,kind,org_code,\nA,B,phi,ORG,lost\n"), "x.csv")
	assert.Contains(t, importErr(t, err).Error(), "line 2, column #5: a value under no header")
}

func TestProcedureDisagreement(t *testing.T) {
	in := "fee_code,name,kind,org_code,procedure_code,procedure_name,procedure_level\n" +
		"A,Phí A,phi,ORG,P,Thủ tục P,district\n" +
		"B,Phí B,phi,ORG,P,Thủ tục khác,vertical\n"
	_, err := catalogue.ReadCSV(strings.NewReader(in), "p.csv")
	msg := importErr(t, err).Error()
	assert.Contains(t, msg, `line 3 (fee B), column procedure_name: the procedure P is named "Thủ tục P" on line 2`)
	assert.Contains(t, msg, "line 3 (fee B), column procedure_level: the procedure P is district on line 2")
}

func TestXLSXHandTyped(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	// A title row and an empty row above the header; amounts as numbers
	// and as text; an extra sheet first.
	_, err := f.NewSheet("Ghi chú")
	require.NoError(t, err)
	require.NoError(t, f.SetSheetName("Sheet1", "Phí"))
	rows := [][]any{
		{"Mã phí", "Tên phí, lệ phí", "Phí/lệ phí", "Đơn vị thu", "Đơn giá", "ĐVT"},
		{"P-CTCK", "Phí chứng thực chữ ký", "phí", "UBND-DEMO", 10000, "trường hợp"},
		{"P-X", "Phí X", "phí", "UBND-DEMO", "12.000", "bản"},
		{"P-Y", "Phí Y", "phí", "UBND-DEMO", 12.5, "bản"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		require.NoError(t, f.SetSheetRow("Phí", cell, &r))
	}
	require.NoError(t, f.SetCellValue("Ghi chú", "A1", "not a catalogue"))
	// The sheet named catalogue.Sheet wins; without it, the first sheet.
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	_, err = catalogue.ReadXLSX(bytes.NewReader(buf.Bytes()), "h.xlsx")
	msg := importErr(t, err).Error()
	assert.Contains(t, msg, "h.xlsx (sheet Phí): 1 problem wrong")
	assert.Contains(t, msg, `line 6 (fee P-Y), column unit_amount: "12.5" is not an amount in whole đồng`)

	require.NoError(t, f.SetCellValue("Phí", "E6", 15000))
	buf.Reset()
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	c, err := catalogue.ReadXLSX(bytes.NewReader(buf.Bytes()), "h.xlsx")
	require.NoError(t, err)
	require.Len(t, c.Fees, 3)
	assert.Equal(t, int64(10000), *c.Fees[0].UnitAmount)
	assert.Equal(t, int64(12000), *c.Fees[1].UnitAmount)
	assert.Equal(t, "trường hợp", c.Fees[0].Unit)

	_, err = catalogue.ReadXLSX(strings.NewReader("not a zip"), "n.xlsx")
	assert.Contains(t, importErr(t, err).Error(), "not an XLSX workbook")
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{
		"100000": 100000, "100.000": 100000, "100,000": 100000, "1.234.567": 1234567, "100 000": 100000,
		"100000.00": 100000, "2000đ": 2000, "2.000 đ": 2000, "75000 VND": 75000, " 1 ": 1,
	} {
		got, err := catalogue.ParseAmount(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, *got, in)
	}
	got, err := catalogue.ParseAmount("  ")
	require.NoError(t, err)
	assert.Nil(t, got)
	for _, in := range []string{"0", "-5", "1.5", "10.00.0", "1,00,000", "abc", "1e5", "99999999999999999999", "100.0001"} {
		_, err := catalogue.ParseAmount(in)
		assert.Error(t, err, in)
	}
}

func TestValidateBuiltCatalogue(t *testing.T) {
	require.NoError(t, sample().Validate())
	c := sample()
	c.Fees = append(c.Fees, c.Fees[0])
	c.Fees[1].ProcedureCode = "NONE"
	c.Fees[2].Kind = "lephi"
	msg := importErr(t, c.Validate()).Error()
	assert.Contains(t, msg, "(fee P-CTBS), column fee_code: the fee code is listed twice")
	assert.Contains(t, msg, "(fee P-TDGCN), column procedure_code: the procedure NONE is not in the catalogue")
	assert.Contains(t, msg, `(fee LP-OLD), column kind: the kind "lephi" is not`)
}

func TestPlan(t *testing.T) {
	stored := sample()
	in := sample()
	in.Fees = in.Fees[:1]
	in.Fees[0].UnitAmount = amount(3000)
	in.Fees = append(in.Fees, catalogue.Fee{Code: "NEW", Name: "Mới", Kind: catalogue.KindPhi, OrgCode: "O", Active: true})
	in.Procedures[0].Name = "Đổi tên"

	ch := catalogue.Plan(stored, in, catalogue.ImportOptions{})
	assert.Equal(t, []string{"NEW"}, ch.Added)
	assert.Equal(t, []string{"P-CTBS"}, ch.Updated)
	assert.Empty(t, ch.Deactivated)
	assert.Equal(t, []string{"CT-BS"}, ch.ProceduresUpdated)
	assert.Empty(t, ch.ProceduresAdded)

	// Only fees still active are deactivated.
	ch = catalogue.Plan(stored, in, catalogue.ImportOptions{DeactivateMissing: true})
	assert.Equal(t, []string{"P-TDGCN"}, ch.Deactivated)

	assert.True(t, catalogue.Plan(stored, sample(), catalogue.ImportOptions{DeactivateMissing: true}).Empty())
}

func TestFormats(t *testing.T) {
	f, err := catalogue.FormatOf("/tmp/Danh Muc.XLSX")
	require.NoError(t, err)
	assert.Equal(t, catalogue.XLSX, f)
	_, err = catalogue.FormatOf("fees.txt")
	assert.ErrorContains(t, err, "--format csv|xlsx")
	_, err = catalogue.ParseFormat("ods")
	assert.Error(t, err)
	assert.Equal(t, "fee_code", catalogue.ColumnOf("MA PHI"))
	assert.Equal(t, "unit", catalogue.ColumnOf("đvt"))
	assert.Equal(t, "procedure_code", catalogue.ColumnOf("Mã  TTHC"))
}

// payer_id_required: empty is no; the Vietnamese header and "x" are yes;
// anything else is named with its line.
func TestCSVPayerIDRequired(t *testing.T) {
	in := "Mã phí,Tên phí,Loại,Mức thu,Đơn vị tính,Đơn vị thu,In số định danh\n" +
		"LP-CT,Lệ phí đăng ký thường trú,le_phi,20000,lần,CA-DEMO,x\n" +
		"P-CT,Phí chứng thực,phi,2000,trang,UBND-DEMO,\n"
	c, err := catalogue.ReadCSV(strings.NewReader(in), "in.csv")
	require.NoError(t, err)
	assert.True(t, c.Fees[0].PayerIDRequired)
	assert.False(t, c.Fees[1].PayerIDRequired)

	_, err = catalogue.ReadCSV(strings.NewReader("fee_code,name,kind,org_code,unit_amount,unit,payer_id_required\nA,Phí A,phi,ORG,1000,bản,maybe\n"), "in.csv")
	ie := importErr(t, err)
	require.Len(t, ie.Rows, 1)
	assert.Equal(t, catalogue.ColPayerIDRequired, ie.Rows[0].Column)
	assert.Equal(t, 2, ie.Rows[0].Line)
}
