package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/receipts"
)

// A stored receipt is served whole with a token: JSON (with its public
// check address and signature state), the PDF and HTML the payer is given,
// and the stored signed XML, byte for byte; a receipt issued unsigned has
// no XML; bad references and suffixes are refused.
func TestReceiptForms(t *testing.T) {
	r := newPayRig(t, rigOptions{noTerms: true})
	ctx := context.Background()
	words, err := receipts.Words(100_000)
	require.NoError(t, err)
	nr := receipts.NewReceipt{OrgCode: orgDistrict.OrgCode, Payer: receipts.Payer{Name: "Lê Thị Hoa"},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "HKD-DK", Amount: 100_000}},
		Total:        100_000,
		TotalInWords: words,
		Method:       receipts.Cash, DossierCode: "HS-001"}
	signed, doc, err := r.db.IssueSignedReceipt(ctx, nr, r.keys)
	require.NoError(t, err)
	nr.OrgCode = orgPolice.OrgCode
	unsigned, err := r.db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	path := func(rc receipts.Receipt, suffix string) string {
		return "/api/v1/receipts/" + rc.Template + "/" + rc.Series + "/" + receipts.PrintedNumber(rc.Number) + suffix
	}

	a := r.do("GET", path(signed, ""), tokDossier, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var got receiptJSON
	a.decode(t, &got)
	assert.Equal(t, signed.Ref, got.Ref)
	assert.Equal(t, int64(100_000), got.Total)
	assert.Equal(t, "Lê Thị Hoa", got.Payer.Name)
	assert.Equal(t, signatureValid, got.Signature)
	assert.Equal(t, orgDistrict.OrgName, got.SignedBy)
	assert.Equal(t, receipts.VerifyURL("https://bienlai.example.gov.vn", signed), got.VerifyURL)
	assert.Equal(t, "no-store", a.Header.Get("Cache-Control"))

	a = r.do("GET", path(signed, ".pdf"), tokCashier, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	assert.Equal(t, "application/pdf", a.Header.Get("Content-Type"))
	assert.True(t, bytes.HasPrefix(a.Body, []byte("%PDF-")))

	a = r.do("GET", path(signed, ".html"), tokAccountant, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	assert.Contains(t, a.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(a.Body), "Lê Thị Hoa")
	assert.Contains(t, string(a.Body), "Một trăm nghìn đồng")
	a80 := r.do("GET", path(signed, ".html")+"?paper=80mm", tokAccountant, nil)
	require.Equal(t, http.StatusOK, a80.Status)
	assert.NotEqual(t, a.Body, a80.Body, "the 80 mm roll is laid out otherwise")

	a = r.do("GET", path(signed, ".xml"), tokDossier, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	assert.Equal(t, doc, a.Body, "the stored signed XML, as stored")

	a = r.do("GET", path(unsigned, ""), tokDossier, nil)
	require.Equal(t, http.StatusOK, a.Status)
	a.decode(t, &got)
	assert.Equal(t, signatureUnsigned, got.Signature)
	a = r.do("GET", path(unsigned, ".xml"), tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status)
	assert.Contains(t, a.errMessage(t), "without a signature")

	for p, status := range map[string]int{
		path(signed, ".docx"):                   http.StatusNotFound,
		"/api/v1/receipts/EBL01/26TAA/99999999": http.StatusNotFound,
		"/api/v1/receipts/XYZ/26TAA/1":          http.StatusBadRequest,
		"/api/v1/receipts/EBL01/2026A/1":        http.StatusBadRequest,
		"/api/v1/receipts/EBL01/26TAA/abc.pdf":  http.StatusBadRequest,
	} {
		a := r.do("GET", p, tokDossier, nil)
		assert.Equal(t, status, a.Status, "%s: %s", p, a)
		code := a.errCode(t)
		assert.Contains(t, []string{apperr.NotFound, apperr.Invalid}, code)
	}
	a = r.do("GET", "/api/v1/receipts/EBL01/26TAA", tokDossier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status)
	assert.False(t, strings.Contains(string(a.Body), "Lê Thị Hoa"))
}
