package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func feeCount(t *testing.T, rig *webRig) int {
	t.Helper()
	fees, err := rig.db.AllFees(t.Context())
	require.NoError(t, err)
	return len(fees)
}

func TestWebAdminFeesListExportImport(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	admin := rig.login(t, auth.RoleAdmin)
	resp, body := admin.get(t, "/admin/fees")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "HKD-DK")
	assert.Contains(t, body, "CT-BS")
	assert.Contains(t, body, "100.000 đ")

	_, body = admin.get(t, "/admin/fees?q=hkd")
	assert.Contains(t, body, "HKD-DK")
	assert.NotContains(t, body, "CT-BS", "searched")
	_, body = admin.get(t, "/admin/fees?q=kh%C3%B4ng-c%C3%B3")
	assert.Contains(t, body, "Không có khoản nào khớp")

	// The export is the CLI's CSV.
	resp, csv := admin.get(t, "/admin/fees/export")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/csv")
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	require.Len(t, lines, 1+feeCount(t, rig))
	assert.True(t, strings.HasPrefix(lines[0], "fee_code,name,kind"), lines[0])

	// One bad line: every problem listed by line, in Vietnamese, nothing
	// written (not even the good new line).
	before := feeCount(t, rig)
	bad := csv + "NEW-OK,Phí mới,phi,,,,,UBND-Q1,,50000,hồ sơ,,1\nNEW-BAD,Phí sai,phi,,,,,UBND-Q1,,abc,hồ sơ,,1\n"
	bad = strings.ReplaceAll(bad, "UBND-Q1", orgDistrict.OrgCode)
	resp, body = admin.postFile(t, "/admin/fees/import", nil, "file", "danh-muc.csv", []byte(bad))
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "chưa nhập gì")
	assert.Contains(t, body, fmt.Sprintf(`<td class="num">%d</td><td>NEW-BAD</td>`, len(lines)+2))
	assert.Contains(t, body, "Mức thu (unit_amount)")
	assert.Contains(t, body, "không phải số tiền hợp lệ")
	assert.Equal(t, before, feeCount(t, rig), "nothing written")
	_, err := rig.db.FeeByCode(t.Context(), "NEW-OK")
	assert.Error(t, err)

	// The file corrected: a dry run writes nothing, the import writes it,
	// audited with the admin.
	good := strings.Replace(bad, ",abc,", ",70.000,", 1)
	resp, body = admin.postFile(t, "/admin/fees/import", url.Values{"dry_run": {"1"}}, "file", "danh-muc.csv", []byte(good))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Chưa ghi gì")
	assert.Equal(t, before, feeCount(t, rig))
	resp, body = admin.postFile(t, "/admin/fees/import", nil, "file", "danh-muc.csv", []byte(good))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã nhập danh mục")
	assert.Contains(t, body, "Thêm mới (2): NEW-BAD, NEW-OK")
	assert.Equal(t, before+2, feeCount(t, rig))
	assert.Equal(t, 1, auditCount(t, rig, "catalogue.import", admin.User.ID))

	resp, body = admin.postFile(t, "/admin/fees/import", nil, "file", "danh-muc.pdf", []byte("x"))
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "không phải CSV hoặc XLSX")
	resp, body = admin.postForm(t, "/admin/fees/import", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Hãy chọn tệp danh mục")
}

func TestWebAdminWebhooksRetryDead(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	ctx := context.Background()
	var id int64
	require.NoError(t, rig.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var err error
		id, err = tx.EnqueueWebhook(ctx, sqlite.WebhookMessage{RequestID: "pr_dead", ClientID: "1", URL: "https://motcua.example.gov.vn/cb",
			Event: "payment_request.paid", Body: []byte(`{"event":"payment_request.paid"}`)})
		return err
	}))
	require.NoError(t, rig.db.WebhookFailed(ctx, id, sqlite.WebhookTry{At: time.Now(), Status: 502, Error: "HTTP 502 Bad Gateway"}, time.Now(), true))

	admin := rig.login(t, auth.RoleAdmin)
	resp, body := admin.get(t, "/admin/webhooks?state=dead")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "pr_dead")
	assert.Contains(t, body, "Gửi thất bại")
	assert.Contains(t, body, "HTTP 502 Bad Gateway")
	assert.Contains(t, body, fmt.Sprintf(`action="/admin/webhooks/%d/retry"`, id))

	resp, body = admin.postForm(t, fmt.Sprintf("/admin/webhooks/%d/retry", id), url.Values{"state": {"dead"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, fmt.Sprintf("Đã đưa webhook số %d vào hàng gửi lại", id))
	m, _, err := rig.db.Webhook(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, sqlite.WebhookPending, m.State, "due again")
	assert.Equal(t, 1, auditCount(t, rig, "webhook.retry", admin.User.ID))
	assert.NotContains(t, body, "pr_dead", "no longer among the dead")

	_, body = admin.get(t, "/admin/webhooks")
	assert.Contains(t, body, "Đang chờ gửi")

	require.NoError(t, rig.db.WebhookDelivered(ctx, id, sqlite.WebhookTry{At: time.Now(), Status: 200}))
	resp, body = admin.postForm(t, fmt.Sprintf("/admin/webhooks/%d/retry", id), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "đã được gửi thành công trước đó")
	resp, _ = admin.postForm(t, "/admin/webhooks/999999/retry", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// shortLivedSigner is a signer whose certificate ends after d.
func shortLivedSigner(t *testing.T, cn string, d time.Duration) *receipts.KeySigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(min(-time.Hour, d-24*time.Hour)), NotAfter: time.Now().Add(d), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	s, err := receipts.NewSigner(key, cert)
	require.NoError(t, err)
	return s
}

func TestWebAdminReceiptsSeriesAndCertificates(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("adm-rc-1", requestBody("HS-ADM-RC"))
	p := rig.settled(rig.charge(req.ID, map[string]any{"method": "cash"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)

	admin := rig.login(t, auth.RoleAdmin)
	resp, body := admin.get(t, "/admin/receipts")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, orgDistrict.OrgName)
	assert.Contains(t, body, "EBL01")
	assert.Contains(t, body, "00000001", "the last number given")
	assert.Contains(t, body, "chưa nạp khoá ký", "no keyring given")

	keys := receipts.NewKeyring(nil)
	require.NoError(t, keys.Add(orgDistrict.OrgCode, shortLivedSigner(t, "UBND thử nghiệm", 10*24*time.Hour)))
	require.NoError(t, keys.Add(orgPolice.OrgCode, shortLivedSigner(t, "Công an thử nghiệm", 400*24*time.Hour)))
	rig.srv.SetReceiptKeys(keys)
	_, body = admin.get(t, "/admin/receipts")
	assert.Contains(t, body, "UBND thử nghiệm")
	assert.Contains(t, body, "Sắp hết hạn")
	assert.Contains(t, body, "Có 1 chứng thư cần xử lý")
	assert.Contains(t, body, "Còn hiệu lực")

	// An expired one (the sessions' clock is not moved: it would end the
	// admin's session).
	keys = receipts.NewKeyring(shortLivedSigner(t, "Chứng thư cũ", -2*24*time.Hour))
	rig.srv.SetReceiptKeys(keys)
	_, body = admin.get(t, "/admin/receipts")
	assert.Contains(t, body, "Chứng thư cũ")
	assert.Contains(t, body, "Đã hết hạn")
	assert.Contains(t, body, "(chứng thư mặc định)", "the default signer signs for both organisations")
}
