package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// noticeDB is twoOrgDB (one district and one police receipt, each signed
// by its own organisation's key, and a config naming both keys) with two
// more district receipts, the second replacing the first. refs: district,
// police, district, replaced district, its replacement.
func noticeDB(t *testing.T) (dbPath, cfgPath string, refs []receipts.Ref) {
	t.Helper()
	dbPath, cfgPath, refs = twoOrgDB(t, nil)
	district, _ := twoKeys(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	nr := receipts.NewReceipt{OrgCode: q1District.OrgCode, Payer: receipts.Payer{Name: "Trần Thị Bình", Address: "12 Lý Tự Trọng"},
		Lines:        []receipts.Line{{Name: "Lệ phí chứng thực", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 10_000}},
		Total:        10_000,
		TotalInWords: "Mười nghìn đồng", Method: receipts.Cash, DossierCode: "HS-2"}
	for i := 0; i < 3; i++ {
		if i == 2 {
			nr.Replaces = &refs[len(refs)-1]
		}
		r, _, err := db.IssueSignedReceipt(ctx, nr, district)
		require.NoError(t, err)
		refs = append(refs, r.Ref)
	}
	// The district's tax office; the police have none configured.
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n[[receipts.tax_offices]]\norg_code = \"UBND-Q1\"\nname = \"Thuế cơ sở 1 Thành phố Hồ Chí Minh\"\ncode = \"79101\"\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return dbPath, cfgPath, refs
}

func noticeCLI(t *testing.T, dbPath, cfgPath string, args ...string) result {
	t.Helper()
	base := []string{"--db", dbPath}
	if cfgPath != "" {
		base = append(base, "--config", cfgPath)
	}
	return feepos(t, "", append(append(base, "receipts", "notice"), args...)...)
}

func TestReceiptsNoticeSignedToStdout(t *testing.T) {
	dbPath, cfg, refs := noticeDB(t)
	keys := configKeys(t, cfg, dbPath)
	district, police := twoKeys(t)

	r := noticeCLI(t, dbPath, cfg, "--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "payer_name",
		"--explanation", "Ghi sai tên người nộp: Nguyễn Văn Ann, đúng là Nguyễn Văn An", "--place", "TP. Hồ Chí Minh")
	require.Equal(t, 0, r.code, r.stderr)
	doc := []byte(r.stdout)
	assert.True(t, strings.HasPrefix(r.stdout, `<?xml version="1.0" encoding="UTF-8"?>`))
	assert.Contains(t, r.stdout, `<ErrorNotice xmlns="urn:feepos:notice:2" version="2">`)
	assert.Contains(t, r.stdout, `<Title>THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI</Title>`)
	assert.Contains(t, r.stdout, `<NoticeType code="1">Thông báo của tổ chức thu phí, lệ phí</NoticeType>`)
	assert.Contains(t, r.stdout, `<TaxAuthority code="79101">Thuế cơ sở 1 Thành phố Hồ Chí Minh</TaxAuthority>`, "from the config")
	assert.Contains(t, r.stdout, `<Nature>Thông báo</Nature>`)
	assert.Contains(t, r.stdout, `<Form>04/SS-CTĐT</Form>`)
	assert.Contains(t, r.stdout, `<TaxCode>0301234567</TaxCode>`)
	assert.Contains(t, r.stdout, `<Series>`+refs[0].Series+`</Series>`)
	assert.Contains(t, r.stdout, `<Number>00000001</Number>`)
	assert.Contains(t, r.stdout, `<IssueDate>`+issueDate(t, dbPath, refs[0])+`</IssueDate>`)
	assert.Contains(t, r.stdout, `<ErrorKind code="payer_name">Sai tên người nộp</ErrorKind>`)
	assert.Contains(t, r.stdout, `<Explanation>Ghi sai tên người nộp: Nguyễn Văn Ann, đúng là Nguyễn Văn An</Explanation>`)
	assert.Contains(t, r.stdout, `<Place>TP. Hồ Chí Minh</Place>`)
	require.NoError(t, receipts.VerifyXML(doc, keys.Trust()))
	require.NoError(t, receipts.VerifyXML(doc, receipts.TrustCertificates(district.Certificate())))
	assert.Error(t, receipts.VerifyXML(doc, receipts.TrustCertificates(police.Certificate())))

	// A changed explanation no longer verifies.
	changed := strings.Replace(r.stdout, "Nguyễn Văn Ann", "Nguyễn Văn Anh", 1)
	assert.ErrorContains(t, receipts.VerifyXML([]byte(changed), keys.Trust()), "changed after signing")

	// The police's notice carries the police's tax code and signature; no
	// tax office is configured for them: named with --tax-authority.
	police1 := []string{"--org", "CA-Q1", "--receipt", strings.ToLower(refs[1].Series) + "-1", "--kind", "payer_address",
		"--explanation", "Sai địa chỉ"}
	r = noticeCLI(t, dbPath, cfg, police1...)
	require.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, `name the tax office the notice is addressed to (Kính gửi): --tax-authority NAME, or tax_office in [receipts] (or a [[receipts.tax_offices]] entry with org_code = "CA-Q1")`)
	r = noticeCLI(t, dbPath, cfg, append(police1, "--tax-authority", "Thuế Thành phố Hồ Chí Minh")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `<TaxAuthority>Thuế Thành phố Hồ Chí Minh</TaxAuthority>`)
	assert.Contains(t, r.stdout, `<TaxCode>0301234999-002</TaxCode>`)
	require.NoError(t, receipts.VerifyXML([]byte(r.stdout), keys.Trust()))
	cert, err := receipts.SigningCertificate([]byte(r.stdout))
	require.NoError(t, err)
	assert.Equal(t, []string{q1Police.TaxCode}, receipts.CertificateTaxCodes(cert))

	// --json without a destination is the notice itself.
	r = noticeCLI(t, dbPath, cfg, "--json", "--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "other", "--explanation", "Ghi chú sai")
	require.Equal(t, 0, r.code, r.stderr)
	var n receipts.ErrorNotice
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &n))
	require.Len(t, n.Items, 1)
	assert.Equal(t, refs[0], n.Items[0].Receipt)
	assert.Equal(t, receipts.OtherMistake, n.Items[0].Kind)
	assert.Equal(t, "0301234567", n.Org.TaxCode)
}

func TestReceiptsNoticeToFileAndDropFolder(t *testing.T) {
	dbPath, cfg, refs := noticeDB(t)
	keys := configKeys(t, cfg, dbPath)

	// Two receipts, one kind and explanation each, in order.
	out := filepath.Join(t.TempDir(), "notice.xml")
	r := noticeCLI(t, dbPath, cfg, "--org", "UBND-Q1", "--out", out,
		"--receipt", refs[0].String(), "--kind", "payer_name", "--explanation", "Sai tên, đúng là Nguyễn Văn An",
		"--receipt", refs[2].String(), "--kind", "amount_in_words", "--explanation", "Bằng chữ ghi Một nghìn, đúng là Mười nghìn")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Thông báo sai sót 04/SS-CTĐT UBND-Q1, ngày ")
	assert.Contains(t, r.stdout, ": 2 biên lai ("+refs[0].String()+", "+refs[2].String()+") → "+out+"; ký số bởi Ủy ban nhân dân Quận 1")
	x, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, receipts.VerifyXML(x, keys.Trust()))
	assert.Contains(t, string(x), `<Items count="2">`)
	first, second := strings.Index(string(x), "Sai tên, đúng là"), strings.Index(string(x), `<ErrorKind code="amount_in_words">`)
	assert.True(t, first > 0 && second > first, "rows in the order given")
	assert.Contains(t, string(x), "Bằng chữ ghi Một nghìn, đúng là Mười nghìn", "commas are kept, not split")

	// The drop folder: named after the MST and the date; the same notice
	// again is the same file (signing is deterministic), another is refused.
	drop := t.TempDir()
	args := []string{"--json", "--org", "UBND-Q1", "--drop", drop, "--receipt", refs[2].String(), "--kind", "payer_address",
		"--explanation", "Sai địa chỉ: 12 Lý Tự Trọng, đúng là 21 Lý Tự Trọng"}
	r = noticeCLI(t, dbPath, cfg, args...)
	require.Equal(t, 0, r.code, r.stderr)
	var res struct {
		Date     string   `json:"date"`
		File     string   `json:"file"`
		Receipts []string `json:"receipts"`
		Signed   bool     `json:"signed"`
		SignedBy string   `json:"signed_by"`
		Key      string   `json:"key"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, filepath.Join(drop, "04SS-CTDT_0301234567_"+strings.ReplaceAll(res.Date, "-", "")+".xml"), res.File)
	assert.Equal(t, []string{refs[2].String()}, res.Receipts)
	assert.True(t, res.Signed)
	assert.Equal(t, "Ủy ban nhân dân Quận 1", res.SignedBy)
	assert.Equal(t, filepath.Join(filepath.Dir(cfg), "ubnd.key")+" (UBND-Q1)", res.Key)
	sent, err := os.ReadFile(res.File)
	require.NoError(t, err)
	require.NoError(t, receipts.VerifyXML(sent, keys.Trust()))

	r = noticeCLI(t, dbPath, cfg, args...)
	require.Equal(t, 0, r.code, "a retry of the same notice: %s", r.stderr)
	r = noticeCLI(t, dbPath, cfg, "--org", "UBND-Q1", "--drop", drop, "--receipt", refs[0].String(), "--kind", "other", "--explanation", "Khác")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "never overwritten")
	again, err := os.ReadFile(res.File)
	require.NoError(t, err)
	assert.Equal(t, sent, again)
}

func TestReceiptsNoticeRefusals(t *testing.T) {
	dbPath, cfg, refs := noticeDB(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"amount needs a replacement", []string{"--receipt", refs[0].String(), "--kind", "amount", "--explanation", "Sai số tiền"}, 1,
			"receipt " + refs[0].String() + ": a wrong tax code, amount or fee, or a refund, is corrected by a replacement receipt, not by notice 04/SS-CTĐT"},
		{"tax code needs a replacement", []string{"--receipt", refs[0].String(), "--kind", "tax_code", "--explanation", "Sai MST"}, 1, "issue a receipt that replaces it"},
		{"fee needs a replacement", []string{"--receipt", refs[0].String(), "--kind", "fee", "--explanation", "Sai phí"}, 1, "replacement receipt"},
		{"unknown receipt", []string{"--receipt", refs[0].Series + "-99", "--kind", "payer_name", "--explanation", "x"}, 1,
			"receipt EBL01 " + refs[0].Series + "-00000099 does not exist"},
		{"another organisation's receipt", []string{"--receipt", refs[1].String(), "--kind", "payer_name", "--explanation", "x"}, 1,
			"receipt " + refs[1].String() + " is CA-Q1's (Công an Quận 1), not UBND-Q1's: each organisation reports its own receipts; run the notice with --org CA-Q1"},
		{"replaced receipt", []string{"--receipt", refs[3].String(), "--kind", "payer_name", "--explanation", "x"}, 1,
			"receipt " + refs[3].String() + " was replaced by " + refs[4].String()},
		{"listed twice", []string{"--receipt", refs[0].String(), "--receipt", refs[0].String(), "--kind", "payer_name", "--explanation", "x"}, 1, "listed twice"},
		{"unknown kind", []string{"--receipt", refs[0].String(), "--kind", "spelling", "--explanation", "x"}, 2, "use one of payer_name"},
		{"no receipt", []string{"--kind", "payer_name", "--explanation", "x"}, 2, "--receipt SERIES-NUMBER"},
		{"no kind", []string{"--receipt", refs[0].String(), "--explanation", "x"}, 2, "--kind"},
		{"no explanation", []string{"--receipt", refs[0].String(), "--kind", "other"}, 2, "--explanation TEXT"},
		{"blank explanation", []string{"--receipt", refs[0].String(), "--kind", "other", "--explanation", " "}, 2, "the explanation is empty"},
		{"kinds do not pair", []string{"--receipt", refs[0].String(), "--receipt", refs[2].String(), "--receipt", refs[4].String(),
			"--kind", "other", "--kind", "other", "--explanation", "x"}, 2, "3 --receipt and 2 --kind"},
		{"bad reference", []string{"--receipt", "26TAA7", "--kind", "other", "--explanation", "x"}, 2, "write SERIES-NUMBER"},
		{"bad number", []string{"--receipt", "26TAA-x", "--kind", "other", "--explanation", "x"}, 2, "not a receipt number"},
		{"future date", []string{"--receipt", refs[0].String(), "--kind", "other", "--explanation", "x", "--date", "2999-01-01"}, 2, "after today"},
		{"bad date", []string{"--receipt", refs[0].String(), "--kind", "other", "--explanation", "x", "--date", "01/07/2026"}, 2, "YYYY-MM-DD"},
		{"out and drop", []string{"--receipt", refs[0].String(), "--kind", "other", "--explanation", "x", "--out", "a", "--drop", "b"}, 2, "not both"},
		{"issued after the notice date", []string{"--receipt", refs[0].String(), "--kind", "other", "--explanation", "x", "--date", "2020-01-01"}, 1, "after the notice's date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := noticeCLI(t, dbPath, cfg, append([]string{"--org", "UBND-Q1"}, tc.args...)...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.msg)
			assert.Empty(t, r.stdout)
		})
	}

	r := noticeCLI(t, dbPath, cfg, "--receipt", refs[0].String(), "--kind", "other", "--explanation", "x")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--org CODE")

	r = noticeCLI(t, dbPath, cfg, "--org", "NOBODY", "--receipt", refs[0].String(), "--kind", "other", "--explanation", "x")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "has no receipt series")

	// A refusal in JSON carries the code invalid.
	r = noticeCLI(t, dbPath, cfg, "--json", "--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "amount", "--explanation", "x")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `"code":"invalid"`)
	assert.Contains(t, r.stderr, "replacement receipt")
}

// Without any key the notice is refused, saying how to configure one or to
// pass --unsigned; --unsigned writes it without a signature.
func TestReceiptsNoticeUnsignedAndWithoutKey(t *testing.T) {
	dbPath, _, refs := noticeDB(t) // no --config: no key at all
	args := []string{"--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "payer_id_number", "--explanation", "Sai số CCCD",
		"--tax-authority", "Thuế cơ sở 1 Thành phố Hồ Chí Minh"}

	drop := t.TempDir()
	r := noticeCLI(t, dbPath, "", append(args, "--drop", drop)...)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "sign 04/SS-CTĐT of UBND-Q1: no signing key: set [receipts] p12_file")
	assert.Contains(t, r.stderr, "or pass --unsigned if your provider signs 04/SS-CTĐT itself")
	entries, err := os.ReadDir(drop)
	require.NoError(t, err)
	assert.Empty(t, entries)

	r = noticeCLI(t, dbPath, "", append(args, "--unsigned")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `<ErrorKind code="payer_id_number">Sai số CCCD/hộ chiếu người nộp</ErrorKind>`)
	assert.NotContains(t, r.stdout, "Signature")
	assert.ErrorContains(t, receipts.VerifyXML([]byte(r.stdout), receipts.Trust{}), "not signed")

	r = noticeCLI(t, dbPath, "", append(args, "--unsigned", "--drop", drop)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "chưa ký số (--unsigned)")
}

// --type 2 answers the tax office's notice (its number and date; rows
// "Giải trình"); --format html is the form laid out for people.
func TestReceiptsNoticeAnswerToTheTaxOfficeAndHTML(t *testing.T) {
	dbPath, cfg, refs := noticeDB(t)
	keys := configKeys(t, cfg, dbPath)
	today := time.Now().In(receipts.Zone).Format("2006-01-02")
	args := []string{"--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "payer_name", "--explanation", "Sai tên",
		"--type", "2", "--tax-notice-number", "45/TB-CCT", "--tax-notice-date", today}
	r := noticeCLI(t, dbPath, cfg, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `<NoticeType code="2">Giải trình theo thông báo của cơ quan thuế</NoticeType>`)
	assert.Contains(t, r.stdout, "<Number>45/TB-CCT</Number>\n    <Date>"+today+"</Date>")
	assert.Contains(t, r.stdout, `<Nature>Giải trình</Nature>`)
	require.NoError(t, receipts.VerifyXML([]byte(r.stdout), keys.Trust()))

	out := filepath.Join(t.TempDir(), "notice.html")
	r = noticeCLI(t, dbPath, cfg, append(args, "--format", "html", "--out", out)...)
	require.Equal(t, 0, r.code, r.stderr)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<h1>THÔNG BÁO CHỨNG TỪ ĐIỆN TỬ ĐÃ LẬP SAI</h1>")
	assert.Contains(t, string(page), "Kính gửi: Thuế cơ sở 1 Thành phố Hồ Chí Minh (mã cơ quan thuế: 79101)")
	assert.Contains(t, string(page), "2. Giải trình theo thông báo của cơ quan thuế số 45/TB-CCT ngày ")

	for _, bad := range [][]string{
		{"--type", "3"},
		{"--type", "2"},
		{"--tax-notice-number", "45/TB-CCT"},
		{"--format", "pdf"},
		{"--format", "html", "--drop", t.TempDir()},
	} {
		a := []string{"--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "payer_name", "--explanation", "Sai tên"}
		r := noticeCLI(t, dbPath, cfg, append(a, bad...)...)
		assert.Equal(t, 2, r.code, "%v: %s", bad, r.stderr)
	}
}
