package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// The lobby kiosk (kiosk.go): the real router, the real payment workflow
// and the real SQLite store (newPayRig, cash only: no terminal needed).
// The kiosk is an HTML page outside openapi.json, so the tests call the
// server directly rather than through checkAPI.

// kioskGet serves GET path from the client at remote ("" : httptest's).
func kioskGet(t *testing.T, h http.Handler, path, remote string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func kioskPath(code string) string { return "/kiosk?code=" + url.QueryEscape(code) }

// kioskPayer is the payer of the kiosk tests' requests, with every
// personal field filled in, so the tests can check none of it shows.
var kioskPayer = map[string]any{
	"name":      "Lê Thị Hoa",
	"id_number": "001190000123",
	"tax_code":  "8000123456",
	"address":   "Số 5, đường Trần Phú",
	"phone":     "0912345678",
}

// assertNothingPersonal: no part of the payer but the masked name.
func assertNothingPersonal(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{"Lê Thị Hoa", "001190000123", "8000123456", "Trần Phú", "0912345678", "912345678", "Hoa"} {
		assert.NotContains(t, body, s)
	}
	assert.Contains(t, body, "L** T** H**", "the masked name")
}

func TestKioskPendingThenPaid(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	body := requestBody("HS-2026-0100")
	body["payer"] = kioskPayer
	req := r.createRequest("kiosk-1", body) // 100 000 + 3 × 2 000 = 106 000 đồng

	rec := kioskGet(t, r.srv, kioskPath("HS-2026-0100"), "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	page := rec.Body.String()
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'")
	assert.Contains(t, page, "<h2>Hồ sơ HS-2026-0100</h2>")
	assert.Contains(t, page, "Trạng thái: Chờ nộp")
	assert.Contains(t, page, `<td class="fee">Lệ phí đăng ký hộ kinh doanh<span class="kind">Lệ phí<span class="qty"> · Số lượng: 1</span></span></td><td class="n q">1</td><td class="n">100.000 đ</td>`)
	assert.Contains(t, page, `<td class="fee">Phí chứng thực bản sao<span class="kind">Phí<span class="qty"> · Số lượng: 3</span></span></td><td class="n q">3</td><td class="n">6.000 đ</td>`)
	assert.Contains(t, page, `<td>Tổng cộng</td><td class="q"></td><td class="n">106.000 đ</td>`)
	assert.Contains(t, page, "Bằng chữ: Một trăm linh sáu nghìn đồng")
	assert.Contains(t, page, "Chưa có biên lai.")
	assert.Regexp(t, `Ngày lập yêu cầu: <b>\d{2}/\d{2}/\d{4}</b>`, page)
	assert.Contains(t, page, `<meta http-equiv="refresh" content="90;url=/kiosk">`, "the next person does not see this dossier")
	assert.NotContains(t, page, req.ID, "no internal id")
	assert.NotContains(t, page, "motcua.example.gov.vn", "no callback URL")
	assertNothingPersonal(t, page)

	// Paid in cash: the receipt shows, with a link to its /verify page.
	r.charge(req.ID, map[string]any{"method": "cash", "tendered": 200_000})
	paid := r.request(req.ID)
	require.Len(t, paid.Payments, 1)
	require.Len(t, paid.Payments[0].Receipts, 1)
	ref := paid.Payments[0].Receipts[0]
	rc, err := r.db.Receipt(t.Context(), ref.Template, ref.Series, ref.Number)
	require.NoError(t, err)

	rec = kioskGet(t, r.srv, kioskPath("HS-2026-0100"), "")
	require.Equal(t, http.StatusOK, rec.Code)
	page = rec.Body.String()
	assert.Contains(t, page, "Trạng thái: Đã nộp")
	assert.NotContains(t, page, "Chưa có biên lai.")
	num := receipts.PrintedNumber(ref.Number)
	assert.Contains(t, page, "Ký hiệu "+ref.Series+" · Số "+num)
	assert.Contains(t, page, `Mẫu EBL01 · <span class="nw">Ngày `+rc.IssueDate()+`</span> · <span class="nw">Số tiền 106.000 đ</span>`)
	assert.Regexp(t, `^\d{2}/\d{2}/\d{4}$`, rc.IssueDate())
	assert.Contains(t, page, `href="/verify/EBL01/`+ref.Series+"/"+num+`"`)
	assert.NotContains(t, page, "Thanh toán thẻ")
	assert.NotContains(t, page, "Nguyễn Thị Thu", "no cashier")
	assertNothingPersonal(t, page)

	// The kiosk never shows the receipt's lookup code (a dossier code alone
	// must not unlock the signed XML, which names the payer in full): its
	// link answers that the receipt exists and asks for the code printed
	// on it.
	assert.NotContains(t, page, rc.LookupCode)
	assert.NotContains(t, page, "?c=")
	vrec := kioskGet(t, r.srv, "/verify/EBL01/"+ref.Series+"/"+num, "")
	assert.Equal(t, http.StatusOK, vrec.Code)
	assert.Contains(t, vrec.Body.String(), "Có biên lai ký hiệu mẫu EBL01, ký hiệu "+ref.Series)
	assert.Contains(t, vrec.Body.String(), `<input id="c" name="c"`)
	assert.NotContains(t, vrec.Body.String(), "106.000")

	// A code typed in lower case, with spaces around, finds it too.
	rec = kioskGet(t, r.srv, kioskPath("  hs-2026-0100 "), "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Trạng thái: Đã nộp")
}

// A dossier with a cancelled request and a new one: both are listed,
// newest first, each with its status.
func TestKioskSeveralRequests(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	first := r.createRequest("kiosk-a", requestBody("HS-2026-0200"))
	a := r.do("POST", "/api/v1/payment-requests/"+first.ID+"/cancel", tokDossier, map[string]any{"reason": "sai phí"})
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	r.createRequest("kiosk-b", requestBody("HS-2026-0200", map[string]any{"fee_code": "CA-LLTP", "amount": 200_000}))

	rec := kioskGet(t, r.srv, kioskPath("HS-2026-0200"), "")
	require.Equal(t, http.StatusOK, rec.Code)
	page := rec.Body.String()
	pending, cancelled := strings.Index(page, "Trạng thái: Chờ nộp"), strings.Index(page, "Trạng thái: Đã hủy")
	require.True(t, pending >= 0 && cancelled >= 0, page)
	assert.Less(t, pending, cancelled, "newest first")
	assert.Contains(t, page, "Bằng chữ: Hai trăm nghìn đồng")
	assert.Contains(t, page, "Phí cung cấp thông tin lý lịch tư pháp")
	assert.NotContains(t, page, "sai phí", "no reason of a staff action")
}

func TestKioskUnknownAndBadCodes(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})

	rec := kioskGet(t, r.srv, kioskPath("HS-KHONG-CO"), "")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), "Không tìm thấy hồ sơ “HS-KHONG-CO”")
	assert.Contains(t, rec.Body.String(), `role="alert"`)

	// A hostile code comes back escaped, never as markup.
	hostile := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	rec = kioskGet(t, r.srv, kioskPath(hostile), "")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	page := rec.Body.String()
	assert.NotContains(t, page, "<script>")
	assert.NotContains(t, page, "<img")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'", "and no script would run anyway")

	// Too long, or with control characters: refused without a look-up.
	rec = kioskGet(t, r.srv, kioskPath(strings.Repeat("A", kioskMaxCode+1)), "")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), "Mã hồ sơ không đúng")
	rec = kioskGet(t, r.srv, kioskPath("HS\x00-1"), "")
	assert.Equal(t, http.StatusBadRequest, rec.Code)

	// No code: the empty form, focused for the scanner, never listing
	// every request (an empty dossier_code would select them all).
	r.createRequest("kiosk-x", requestBody("HS-2026-0300"))
	for _, path := range []string{"/kiosk", "/kiosk/", "/kiosk?code=", "/kiosk?code=%20%20"} {
		rec = kioskGet(t, r.srv, path, "")
		require.Equal(t, http.StatusOK, rec.Code, path)
		page = rec.Body.String()
		assert.Regexp(t, `<input type="text" id="code" name="code" value="" autofocus`, page, path)
		assert.Contains(t, page, `<label for="code">Mã hồ sơ</label>`, path)
		assert.NotContains(t, page, "HS-2026-0300", path)
		assert.NotContains(t, page, "Trạng thái", path)
		assert.NotContains(t, page, `http-equiv="refresh"`, path)
	}
}

// The page is small and self-contained: no script, nothing loaded from
// elsewhere (offline on the center's LAN).
func TestKioskSelfContained(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	req := r.createRequest("kiosk-s", requestBody("HS-2026-0400"))
	r.charge(req.ID, map[string]any{"method": "cash"})
	rec := kioskGet(t, r.srv, kioskPath("HS-2026-0400"), "")
	require.Equal(t, http.StatusOK, rec.Code)
	page := rec.Body.String()
	assert.Less(t, len(page), 30_000)
	assert.NotContains(t, page, "<script")
	assert.NotRegexp(t, regexp.MustCompile(`(src|href)="(https?:)?//`), page)
	assert.Contains(t, page, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
}

func TestKioskRateLimit(t *testing.T) {
	old := kioskLimit
	kioskLimit = 3
	t.Cleanup(func() { kioskLimit = old })
	r := newPayRig(t, rigOptions{noTerms: true})
	r.createRequest("kiosk-r", requestBody("HS-2026-0500"))

	const client = "203.0.113.9:5555"
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusOK, kioskGet(t, r.srv, kioskPath("HS-2026-0500"), client).Code, i)
	}
	rec := kioskGet(t, r.srv, kioskPath("HS-2026-0500"), client)
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Contains(t, rec.Body.String(), "Quá nhiều lượt tra cứu")
	assert.Contains(t, rec.Body.String(), "tối đa 3 lần mỗi phút")
	assert.NotContains(t, rec.Body.String(), "Chờ nộp")
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	// Unknown codes count too: guessing codes is what the limit stops.
	assert.Equal(t, http.StatusTooManyRequests, kioskGet(t, r.srv, kioskPath("HS-X"), client).Code)

	// Another client has its own allowance; /verify has its own.
	assert.Equal(t, http.StatusOK, kioskGet(t, r.srv, kioskPath("HS-2026-0500"), "198.51.100.7:4321").Code)
	assert.NotEqual(t, http.StatusTooManyRequests, kioskGet(t, r.srv, "/verify/EBL01/26TAA/00000001", client).Code)
}

// Without the payment workflow the kiosk says it cannot look up, rather
// than "not found".
func TestKioskWithoutPayments(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	s := New(r.db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(s.Close)
	rec := kioskGet(t, s, kioskPath("HS-2026-0100"), "")
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "Chưa tra cứu được")
}

func TestKioskMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"Lê Thị Hoa":             "L** T** H**",
		"  nguyễn   văn  an ":    "N** V** A**",
		"Đặng Ánh":               "Đ** Á**",
		"Công ty TNHH Bình Minh": "C** T** T** B** M**",
		"":                       "",
	} {
		assert.Equal(t, want, kioskMaskName(in), in)
	}
}
