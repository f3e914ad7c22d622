package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

const (
	testPayer = "Nguyễn Văn An"
	testID    = "079201001234"
	testAddr  = "12 Nguyễn Huệ, Phường Sài Gòn"
	testPAN   = "411111******1111"
)

var verifySeries = receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
	Address: "45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh", Letters: "AA"}

// newVerifyServer opens a database with the district's series, a clock
// at 09:00 on 25 November 2026 in Vietnam moving a second per reading, and
// the server over it.
func newVerifyServer(t *testing.T) (*Server, *sqlite.DB) {
	t.Helper()
	s, db := newTestServer(t)
	var tick atomic.Int64
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, receipts.Zone)
	db.Now = func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }
	_, err := db.CreateSeries(context.Background(), verifySeries)
	require.NoError(t, err)
	// A request waits for the first chain walk, which takes milliseconds
	// here: a wide bound, so that a loaded machine cannot make the page
	// say "chưa kiểm tra được".
	s.verify.chains.firstWait = time.Minute
	return s, db
}

// issueCard issues a card payment of amount with the payer's personal data
// filled in, so that the tests can check none of it shows.
func issueCard(t *testing.T, db *sqlite.DB, amount int64, replaces *receipts.Ref) receipts.Receipt {
	t.Helper()
	r, err := db.IssueReceipt(context.Background(), receipts.NewReceipt{
		OrgCode:      verifySeries.OrgCode,
		Payer:        receipts.Payer{Name: testPayer, Address: testAddr, IDNumber: testID},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: amount}},
		Total:        amount,
		TotalInWords: "Một trăm năm mươi nghìn đồng",
		Method:       receipts.Card,
		DossierCode:  "HS-2026-0001",
		Card:         &receipts.CardPayment{TerminalID: "T1", TraceNo: "000123", ApprovalCode: "A1B2C3", PANMasked: testPAN},
		Replaces:     replaces,
	})
	require.NoError(t, err)
	return r
}

// issueSigned issues a cash receipt signed by signer.
func issueSigned(t *testing.T, db *sqlite.DB, signer receipts.Keys, amount int64) receipts.Receipt {
	t.Helper()
	r, _, err := db.IssueSignedReceipt(context.Background(), receipts.NewReceipt{
		OrgCode:      verifySeries.OrgCode,
		Payer:        receipts.Payer{Name: testPayer, Address: testAddr, IDNumber: testID},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: amount}},
		Total:        amount,
		TotalInWords: "Một trăm năm mươi nghìn đồng",
		Method:       receipts.Cash,
		DossierCode:  "HS-2026-0002",
	}, signer)
	require.NoError(t, err)
	return r
}

var (
	demoSignerOnce sync.Once
	demoSigner     *receipts.KeySigner
	demoSignerErr  error
)

// districtSigner is one demo key of the district for the whole package:
// making RSA keys is slow.
func districtSigner(t *testing.T) *receipts.KeySigner {
	t.Helper()
	demoSignerOnce.Do(func() {
		demoSigner, demoSignerErr = receipts.GenerateDemoSigner(verifySeries.OrgName, verifySeries.TaxCode)
	})
	require.NoError(t, demoSignerErr)
	return demoSigner
}

// getAccept gets path with the Accept header. A /verify/{template}/
// {series}/{number} path without "c=" gets the receipt's lookup code added
// (read from the database), as the QR code carries it: most tests are about
// what the page says of a receipt to its holder. getNoCode asks without it.
func getAccept(t *testing.T, h http.Handler, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	if s, ok := h.(*Server); ok && strings.HasPrefix(path, "/verify/") && !strings.Contains(path, "c=") {
		if parts := strings.Split(strings.SplitN(path[len("/verify/"):], "?", 2)[0], "/"); len(parts) == 3 {
			if n, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
				if rc, err := s.db.Receipt(context.Background(), strings.ToUpper(parts[0]), parts[1], n); err == nil && rc.LookupCode != "" {
					sep := "?"
					if strings.Contains(path, "?") {
						sep = "&"
					}
					path += sep + "c=" + rc.LookupCode
				}
			}
		}
	}
	return getNoCode(t, h, path, accept)
}

func getNoCode(t *testing.T, h http.Handler, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	checkAPI(t, h).ServeHTTP(rec, req)
	return rec
}

// decodeError reads the API's {error:{code, message}}.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) struct{ Code, Message string } {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
	return e.Error
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestVerifyPageShowsValidReceipt(t *testing.T) {
	s, db := newVerifyServer(t)
	r := issueCard(t, db, 150_000, nil)
	url := receipts.VerifyURL("https://bienlai.example.gov.vn", r)
	require.Equal(t, "https://bienlai.example.gov.vn/verify/EBL01/26TAA/00000001?c="+r.LookupCode, url, "the QR code carries the lookup code")

	rec := getAccept(t, s, strings.TrimPrefix(url, "https://bienlai.example.gov.vn"), browserAccept)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	body := rec.Body.String()
	for _, want := range []string{
		`<html lang="vi">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		"BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ",
		"<dt>Đơn vị thu</dt><dd>Ủy ban nhân dân Quận 1</dd>",
		"<dt>Mã số thuế</dt><dd>0301234567</dd>",
		"<dt>Ký hiệu mẫu</dt><dd>EBL01</dd>",
		"<dt>Ký hiệu</dt><dd>26TAA</dd>",
		"<dt>Số</dt><dd>00000001</dd>",
		"<dt>Ngày lập</dt><dd>25/11/2026</dd>",
		`<div class="fee"><dt>1. Lệ phí đăng ký khai sinh (Lệ phí)</dt><dd>150.000 đ</dd></div>`,
		"<dt>Tổng tiền</dt><dd>150.000 đ</dd>",
		"<dt>Trạng thái</dt><dd>Hợp lệ</dd>",
		"<dt>Chuỗi băm</dt><dd>toàn vẹn",
		"<dt>Chữ ký số</dt><dd>biên lai chưa được ký số",
	} {
		assert.Contains(t, body, want)
	}
	// Self-contained: no script, no stylesheet, image or font from elsewhere.
	for _, no := range []string{"<script", "<link", "<img", "http://", "https://", "@import", "url("} {
		assert.NotContains(t, body, no)
	}
	assert.NotContains(t, body, "Đã bị thay thế")
	assert.NotContains(t, body, "không toàn vẹn")
}

func TestVerifyPageShowsNoPersonalData(t *testing.T) {
	s, db := newVerifyServer(t)
	r := issueCard(t, db, 150_000, nil)
	for _, accept := range []string{browserAccept, "application/json"} {
		body := getAccept(t, s, "/verify/EBL01/26TAA/00000001", accept).Body.String()
		for _, secret := range []string{testPayer, "Nguy", testID, testAddr, testPAN, "1111", "A1B2C3", "000123", r.DossierCode} {
			assert.NotContains(t, body, secret, "%s answer shows %q", accept, secret)
		}
	}
}

// Issue 13, item 8: without the lookup code (or with a wrong one) the page
// says only that the receipt exists, so walking the numbers lists no
// date, amount, organisation or fee; an unknown number is a 404 as before.
func TestVerifyWithoutCodeSaysOnlyExists(t *testing.T) {
	s, db := newVerifyServer(t)
	r := issueCard(t, db, 150_000, nil)
	for _, path := range []string{"/verify/EBL01/26TAA/00000001", "/verify/EBL01/26TAA/00000001?c=", "/verify/EBL01/26TAA/00000001?c=0000000000"} {
		for _, accept := range []string{browserAccept, "application/json"} {
			rec := getNoCode(t, s, path, accept)
			require.Equal(t, http.StatusOK, rec.Code, path)
			body := rec.Body.String()
			for _, secret := range []string{"150.000", "150000", "25/11/2026", "2026-11-25", "Quận 1", "0301234567", "khai sinh", r.LookupCode, "xml", "Hợp lệ"} {
				assert.NotContains(t, body, secret, "%s %s shows %q", path, accept, secret)
			}
		}
	}
	body := getNoCode(t, s, "/verify/EBL01/26TAA/00000001", browserAccept).Body.String()
	assert.Contains(t, body, "Có biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000001.")
	assert.Contains(t, body, `<form method="get" action="/verify/EBL01/26TAA/00000001">`)
	assert.NotContains(t, body, "Mã tra cứu không đúng")
	assert.Contains(t, getNoCode(t, s, "/verify/EBL01/26TAA/00000001?c=0000000000", "").Body.String(), "Mã tra cứu không đúng")
	assert.JSONEq(t, `{"template":"EBL01","series":"26TAA","number":1,"exists":true,"lookup_code":"missing"}`,
		getNoCode(t, s, "/verify/EBL01/26TAA/00000001?format=json", "").Body.String())
	assert.JSONEq(t, `{"template":"EBL01","series":"26TAA","number":1,"exists":true,"lookup_code":"wrong"}`,
		getNoCode(t, s, "/verify/EBL01/26TAA/00000001?format=json&c=1234567890", "").Body.String())
	assert.Equal(t, http.StatusNotFound, getNoCode(t, s, "/verify/EBL01/26TAA/00000002", "").Code)

	// The code as a person types it: lower case, dashes, O for 0.
	typed := strings.ToLower(r.LookupCode[:5] + "-" + r.LookupCode[5:])
	typed = strings.ReplaceAll(typed, "0", "o")
	rec := getNoCode(t, s, "/verify/EBL01/26TAA/00000001?c="+typed, "")
	assert.Contains(t, rec.Body.String(), "<dt>Tổng tiền</dt><dd>150.000 đ</dd>")
}

// The holder of the code downloads the signed XML; nobody else does.
func TestVerifyDownloadsSignedXMLWithCode(t *testing.T) {
	s, db := newVerifyServer(t)
	r := issueSigned(t, db, districtSigner(t), 150_000)
	page := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "").Body.String()
	href := "/verify/EBL01/26TAA/00000001/xml?c=" + r.LookupCode
	assert.Contains(t, page, `<a href="`+href+`" download>`)

	rec := getNoCode(t, s, href, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/xml; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Content-Disposition"), `filename="EBL01_26TAA_00000001.xml"`)
	stored, err := db.SignedReceiptXML(context.Background(), "EBL01", "26TAA", 1)
	require.NoError(t, err)
	assert.Equal(t, stored, rec.Body.Bytes())
	assert.Contains(t, rec.Body.String(), "<LookupCode>"+r.LookupCode+"</LookupCode>")

	for _, bad := range []string{"/verify/EBL01/26TAA/00000001/xml", "/verify/EBL01/26TAA/00000001/xml?c=0000000000"} {
		rec := getNoCode(t, s, bad, "")
		assert.Equal(t, http.StatusForbidden, rec.Code, bad)
		assert.NotContains(t, rec.Body.String(), "150")
	}
	assert.Equal(t, http.StatusNotFound, getNoCode(t, s, "/verify/EBL01/26TAA/00000002/xml?c="+r.LookupCode, "").Code)
	unsigned := issueCard(t, db, 1_000, nil)
	assert.Equal(t, http.StatusNotFound, getNoCode(t, s, "/verify/EBL01/26TAA/00000002/xml?c="+unsigned.LookupCode, "").Code)
}

func TestVerifyPageShowsReplacement(t *testing.T) {
	s, db := newVerifyServer(t)
	orig := issueCard(t, db, 150_000, nil)
	fix := issueCard(t, db, 120_000, &orig.Ref)
	require.Equal(t, int64(2), fix.Number)

	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "")
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `Đã bị thay thế bởi biên lai <a href="/verify/EBL01/26TAA/00000002">ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000002</a>`)
	assert.NotContains(t, body, "<dd>Hợp lệ</dd>")
	assert.Contains(t, body, "<dt>Chuỗi băm</dt><dd>toàn vẹn")

	// The replacement is valid and names what it replaces.
	body = getAccept(t, s, "/verify/EBL01/26TAA/00000002", "").Body.String()
	assert.Contains(t, body, "<dt>Trạng thái</dt><dd>Hợp lệ</dd>")
	assert.Contains(t, body, `biên lai <a href="/verify/EBL01/26TAA/00000001">ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000001</a>`)
	assert.Contains(t, body, "<dt>Tổng tiền</dt><dd>120.000 đ</dd>")
}

func TestVerifyJSON(t *testing.T) {
	s, db := newVerifyServer(t)
	orig := issueCard(t, db, 1_500_000, nil)
	issueCard(t, db, 1_200_000, &orig.Ref)

	for _, req := range []struct{ path, accept string }{
		{"/verify/EBL01/26TAA/00000001", "application/json"},
		{"/verify/EBL01/26TAA/00000001?format=json", browserAccept},
		{"/verify/ebl01/26taa/1?format=json", ""}, // typed by hand
	} {
		rec := getAccept(t, s, req.path, req.accept)
		require.Equal(t, http.StatusOK, rec.Code, req.path)
		assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.JSONEq(t, `{"template":"EBL01","series":"26TAA","number":1,"date":"2026-11-25","total":1500000,"currency":"VND",
			"organisation":{"name":"Ủy ban nhân dân Quận 1","tax_code":"0301234567"},
			"status":"replaced","replaced_by":{"template":"EBL01","series":"26TAA","number":2},
			"chain_ok":true,"chain":"intact","signature":"unsigned","exists":true,
			"lines":[{"name":"Lệ phí đăng ký khai sinh","kind":"le_phi","amount":1500000}]}`, rec.Body.String(), req.path)
	}

	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000002?format=json", "")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, "valid", got["status"])
	assert.NotContains(t, got, "replaced_by")
	assert.Equal(t, map[string]any{"template": "EBL01", "series": "26TAA", "number": float64(1)}, got["replaces"])
}

func TestVerifyUnknownReceipt(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	for _, path := range []string{"/verify/EBL01/26TAA/00000002", "/verify/EBL01/25TAB/00000001"} {
		rec := getAccept(t, s, path, "")
		require.Equal(t, http.StatusNotFound, rec.Code, path)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Contains(t, rec.Body.String(), "<h1>Không tìm thấy biên lai</h1>")
	}
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000002", "application/json")
	require.Equal(t, http.StatusNotFound, rec.Code)
	e := decodeError(t, rec)
	assert.Equal(t, "not_found", e.Code)
	assert.Contains(t, e.Message, "Không tìm thấy biên lai")
}

func TestVerifyMalformedAddress(t *testing.T) {
	s, _ := newVerifyServer(t)
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/verify/EBL02/26TAA/00000001", []string{"Ký hiệu mẫu “EBL02” không đúng"}},
		{"/verify/EBL01/26TAF/00000001", []string{"Ký hiệu “26TAF” không đúng"}},
		{"/verify/EBL01/26XAA/00000001", []string{"Ký hiệu “26XAA” không đúng"}},
		{"/verify/EBL01/26TAA/123456789", []string{"Số “123456789” không đúng"}},
		{"/verify/EBL01/26TAA/00000000", []string{"Số “00000000” không đúng"}},
		{"/verify/EBL01/26TAA/-1", []string{"Số “-1” không đúng"}},
		{"/verify/EBL01/26TAA/12a", []string{"Số “12a” không đúng"}},
		{"/verify/X/Y/Z", []string{"Ký hiệu mẫu “X”", "Ký hiệu “Y”", "Số “Z”"}},
		{"/verify/EBL01/26TAA", []string{"/verify/EBL01/26TAA/00000123"}},
		{"/verify", []string{"/verify/EBL01/26TAA/00000123"}},
		{"/verify/EBL01/26TAA/1/2", []string{"/verify/EBL01/26TAA/00000123"}},
	} {
		rec := getAccept(t, s, c.path, "")
		require.Equal(t, http.StatusBadRequest, rec.Code, c.path)
		body := rec.Body.String()
		assert.Contains(t, body, "<h1>Đường dẫn tra cứu không đúng</h1>", c.path)
		for _, w := range c.want {
			assert.Contains(t, body, w, c.path)
		}
	}
	// Echoed parts are escaped.
	body := getAccept(t, s, "/verify/%3Cb%3E/26TAA/1", "").Body.String()
	assert.Contains(t, body, "&lt;B&gt;")
	assert.NotContains(t, body, "<B>")

	rec := getAccept(t, s, "/verify/EBL01/26TAA/abc?format=json", "")
	require.Equal(t, http.StatusBadRequest, rec.Code)
	e := decodeError(t, rec)
	assert.Equal(t, "invalid", e.Code)
	assert.Contains(t, e.Message, "Số “abc” không đúng")
}

func TestVerifyShowsBrokenChain(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	issueCard(t, db, 200_000, nil)
	// What someone with the file and the sqlite3 shell could do.
	var names []string
	require.NoError(t, db.SQL().Select(&names, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'receipt%'`))
	for _, n := range names {
		_, err := db.SQL().Exec(`DROP TRIGGER ` + n)
		require.NoError(t, err)
	}
	_, err := db.SQL().Exec(`UPDATE receipts SET total = 1000 WHERE number = 1`)
	require.NoError(t, err)

	for _, n := range []string{"00000001", "00000002"} {
		body := getAccept(t, s, "/verify/EBL01/26TAA/"+n, "").Body.String()
		assert.Contains(t, body, "Cảnh báo: dữ liệu biên lai không toàn vẹn", n)
		assert.Contains(t, body, "<dt>Chuỗi băm</dt><dd>không toàn vẹn", n)
		assert.Contains(t, body, "26TAA-00000001", n)
	}
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000002?format=json", "")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, false, got["chain_ok"])
	assert.Equal(t, "broken", got["chain"])
}

func TestVerifySignedReceipt(t *testing.T) {
	s, db := newVerifyServer(t)
	signer := districtSigner(t)
	s.SetReceiptTrust(receipts.TrustCertificates(signer.Certificate()))
	issueSigned(t, db, signer, 150_000)

	body := getAccept(t, s, "/verify/EBL01/26TAA/00000001", browserAccept).Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>hợp lệ (đơn vị ký: Ủy ban nhân dân Quận 1)</dd>")
	assert.Contains(t, body, `<p class="badge ok">Hợp lệ</p>`)
	assert.NotContains(t, body, "chưa được đối chiếu")

	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000001?format=json", "")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, "valid", got["signature"])

	// Without a configured trust the signature still proves the content
	// unchanged, and the page says the certificate was not checked.
	s2 := New(db, s.log)
	t.Cleanup(s2.Close)
	body = getAccept(t, s2, "/verify/EBL01/26TAA/00000001", "").Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>hợp lệ (đơn vị ký: Ủy ban nhân dân Quận 1)")
	assert.Contains(t, body, "chưa được đối chiếu")

	// Another organisation's certificate is not the trusted one.
	other, err := receipts.GenerateDemoSigner("Khác", "0109999999")
	require.NoError(t, err)
	s2.SetReceiptTrust(receipts.TrustCertificates(other.Certificate()))
	body = getAccept(t, s2, "/verify/EBL01/26TAA/00000001", "").Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>không hợp lệ: chữ ký không phải của chứng thư số đã đăng ký của đơn vị thu")
	assert.Contains(t, body, "Cảnh báo: chữ ký số của biên lai không hợp lệ.")
}

func TestVerifyUnsignedReceipt(t *testing.T) {
	s, db := newVerifyServer(t)
	signer := districtSigner(t)
	s.SetReceiptTrust(receipts.TrustCertificates(signer.Certificate()))
	issueSigned(t, db, signer, 150_000)
	issueCard(t, db, 200_000, nil) // issued without a signature

	body := getAccept(t, s, "/verify/EBL01/26TAA/00000002", "").Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>biên lai chưa được ký số")
	assert.Contains(t, body, `<p class="badge ok">Hợp lệ</p>`)
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000002?format=json", "")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, "unsigned", got["signature"])
}

func TestVerifyTamperedSignedXML(t *testing.T) {
	s, db := newVerifyServer(t)
	signer := districtSigner(t)
	s.SetReceiptTrust(receipts.TrustCertificates(signer.Certificate()))
	issueSigned(t, db, signer, 150_000)
	issueSigned(t, db, signer, 200_000)

	var names []string
	require.NoError(t, db.SQL().Select(&names, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'receipt_signatures'`))
	require.NotEmpty(t, names)
	for _, n := range names {
		_, err := db.SQL().Exec(`DROP TRIGGER ` + n)
		require.NoError(t, err)
	}
	res, err := db.SQL().Exec(`UPDATE receipt_signatures SET xml = replace(xml, '<Total currency="VND">150000</Total>', '<Total currency="VND">1000</Total>')
		WHERE receipt_id = (SELECT id FROM receipts WHERE number = 1)`)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	var doc string
	require.NoError(t, db.SQL().Get(&doc, `SELECT xml FROM receipt_signatures WHERE receipt_id = (SELECT id FROM receipts WHERE number = 1)`))
	require.Contains(t, doc, `<Total currency="VND">1000</Total>`, "the tamper must change the signed XML")

	body := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "").Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>không hợp lệ: nội dung biên lai đã bị thay đổi sau khi ký")
	assert.Contains(t, body, "Cảnh báo: chữ ký số của biên lai không hợp lệ.")
	assert.NotContains(t, body, `<p class="badge ok">`)
	// The chain, kept in the receipts table, still holds.
	assert.Contains(t, body, "<dt>Chuỗi băm</dt><dd>toàn vẹn")
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000001?format=json", "")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, "invalid", got["signature"])

	// The other receipt is untouched.
	body = getAccept(t, s, "/verify/EBL01/26TAA/00000002", "").Body.String()
	assert.Contains(t, body, "<dt>Chữ ký số</dt><dd>hợp lệ (đơn vị ký: Ủy ban nhân dân Quận 1)")
}

func TestSignatureReason(t *testing.T) {
	for problem, want := range map[string]string{
		"not signed: the document has no ds:Signature":                   "dữ liệu đã lưu không có chữ ký số",
		"the signature value does not match its SignedInfo (…)":          "giá trị chữ ký không khớp",
		"its signed XML no longer matches the stored receipt: /Receipt/": "nội dung đã ký không khớp với biên lai đang lưu",
		"something new": "chữ ký số không kiểm tra được",
	} {
		assert.Contains(t, signatureReason(&receipts.SignatureError{Doc: "receipt 26TAA-00000001", Problem: problem}), want, problem)
	}
}

func TestVerifyChainState(t *testing.T) {
	rc := receipts.Receipt{Ref: receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 5}}
	head := func(series string, n int64) receipts.ChainHead {
		return receipts.ChainHead{Template: "EBL01", Letters: series[3:], Series: series, Number: n}
	}
	for _, c := range []struct {
		name string
		rep  receipts.VerifyReport
		want string
	}{
		{"covered", receipts.VerifyReport{OK: true, Chains: []receipts.ChainHead{head("26TAB", 9), head("26TAA", 5)}}, chainIntact},
		{"covered by a later year", receipts.VerifyReport{OK: true, Chains: []receipts.ChainHead{head("27TAA", 1)}}, chainIntact},
		{"issued after the walk", receipts.VerifyReport{OK: true, Chains: []receipts.ChainHead{head("26TAA", 4)}}, chainUnknown},
		{"series not walked", receipts.VerifyReport{OK: true, Chains: []receipts.ChainHead{head("26TAB", 9)}}, chainUnknown},
		{"broken in its series", receipts.VerifyReport{Bad: "26TAA-00000002"}, chainBroken},
		{"broken in its series a year before", receipts.VerifyReport{Bad: "25TAA-00000100"}, chainBroken},
		{"broken in another series", receipts.VerifyReport{Bad: "26TAB-00000002"}, chainUnknown},
		{"broken, no receipt named", receipts.VerifyReport{Problem: "?"}, chainUnknown},
	} {
		got, _ := chainState(c.rep, rc)
		assert.Equal(t, c.want, got, c.name)
	}
}

func TestVerifyRateLimit(t *testing.T) {
	old := verifyLimit
	verifyLimit = 3
	t.Cleanup(func() { verifyLimit = old })
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)

	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusOK, getAccept(t, s, "/verify/EBL01/26TAA/00000001", "").Code, i)
	}
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), "<h1>Quá nhiều lượt tra cứu</h1>")
	assert.Contains(t, rec.Body.String(), "tối đa 3 lần mỗi phút")
	// Bad addresses count too: guessing numbers is what the limit stops.
	assert.Equal(t, http.StatusTooManyRequests, getAccept(t, s, "/verify/EBL01/26TAA/00000099", "").Code)

	rec = getAccept(t, s, "/verify/EBL01/26TAA/00000001?format=json", "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	e := decodeError(t, rec)
	assert.Equal(t, "rate_limited", e.Code)

	// Another client has its own allowance.
	other := httptest.NewRequest(http.MethodGet, "/verify/EBL01/26TAA/00000001", nil)
	other.RemoteAddr = "198.51.100.7:4321"
	rec = httptest.NewRecorder()
	checkAPI(t, s).ServeHTTP(rec, other)
	assert.Equal(t, http.StatusOK, rec.Code)

	// The rest of the service is not limited.
	assert.Equal(t, http.StatusOK, getAccept(t, s, "/healthz", "").Code)
}

func TestVerifyMetricsUseRoutePattern(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	getAccept(t, s, "/verify/EBL01/26TAA/00000001", "")
	body := getAccept(t, s, "/metrics", "").Body.String()
	assert.Contains(t, body, `feepos_http_requests_total{method="GET",route="/verify/{template}/{series}/{number}",status="200"} 1`)
}

func TestVerifyDatabaseDown(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	require.NoError(t, db.Close())
	rec := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "<h1>Chưa tra cứu được</h1>")
	assert.NotContains(t, rec.Body.String(), "database") // no internals to the public
	e := decodeError(t, getAccept(t, s, "/verify/EBL01/26TAA/00000001?format=json", ""))
	assert.Equal(t, "unavailable", e.Code)
}
