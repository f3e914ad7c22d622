package receipts_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/receipts"
)

func TestRenderHTMLGolden(t *testing.T) {
	for _, tc := range []struct{ paper, file string }{
		{receipts.PaperA5, "receipt-a5.html"},
		{receipts.Paper80mm, "receipt-80mm.html"},
	} {
		t.Run(tc.paper, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, receipts.RenderHTML(&buf, renderedReceipt(), receipts.HTMLOptions{Paper: tc.paper, VerifyBase: testVerifyBase}))
			assert.True(t, norm.NFC.IsNormalString(buf.String()), "the page is in NFC")
			golden(t, tc.file, buf.Bytes())
		})
	}
}

func TestRenderHTMLContent(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&buf, renderedReceipt(), receipts.HTMLOptions{VerifyBase: testVerifyBase + "/"}))
	page := buf.String()
	for _, want := range []string{
		`<html lang="vi">`,
		"@page { size: A5 portrait;",
		"BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ",
		`Ký hiệu mẫu:</span> EBL01`,
		`Ký hiệu:</span> 26TAA`,
		`Số:</span> <strong>00000123</strong>`,
		"Ủy ban nhân dân phường Hoàn Kiếm",
		`Mã số thuế:</span> 0101234567`,
		`Họ tên người nộp:</span> Nguyễn Thị Hồng Nhung`,
		`Địa chỉ:</span> Số 5 ngõ Huế`,
		`<td>Lệ phí đăng ký hộ kinh doanh</td><td>Lệ phí</td><td class="amount">100.000 đ</td>`,
		`<td>Phí</td><td class="amount">50.000 đ</td>`,
		"Tổng cộng: 150.000 đ",
		`Số tiền bằng chữ:</span> Một trăm năm mươi nghìn đồng`,
		`Hình thức thanh toán:</span> Thẻ (POS)`,
		`Mã hồ sơ:</span> H26.12.345-261125-0001`,
		`Máy POS:</span> HKPOS001 · <span class="label">Số trace:</span> 000321 · <span class="label">Mã chuẩn chi:</span> A1B2C3 · <span class="label">Số thẻ:</span> 422151******5678`,
		"Ngày 25/11/2026",
		`Thời điểm lập:</span> 14:30:05 ngày 25/11/2026`,
		`src="data:image/png;base64,`,
		`href="http://127.0.0.1:8080/verify/EBL01/26TAA/00000123"`,
	} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, "Số CCCD", "the ID number is printed only when given")
	assert.NotContains(t, page, "thay thế")
}

func TestRenderHTMLReplacement(t *testing.T) {
	var buf bytes.Buffer
	r := renderedReplacement()
	r.Method, r.Card = receipts.Cash, nil
	r.Payer.IDNumber = "001190012345"
	require.NoError(t, receipts.RenderHTML(&buf, r, receipts.HTMLOptions{Paper: receipts.Paper80mm, VerifyBase: testVerifyBase}))
	page := buf.String()
	assert.Contains(t, page, "@page { size: 80mm 297mm;")
	assert.Contains(t, page, `<p class="status">Đã bị thay thế bởi biên lai ký hiệu mẫu EBL01, ký hiệu 26TAA, số 00000124</p>`)
	assert.Contains(t, page, `<p class="status">Thay thế cho biên lai mẫu số EBL01, ký hiệu 26TAA, số 00000122</p>`)
	assert.Contains(t, page, "Một trăm năm mươi nghìn đồng", "words from the total when the receipt has none")
	assert.Contains(t, page, `Hình thức thanh toán:</span> Tiền mặt`)
	assert.Contains(t, page, `Số CCCD/Hộ chiếu:</span> 001******345`, "masked: no fee of it needs the ID number")
	assert.NotContains(t, page, "001190012345")
	assert.NotContains(t, page, "Máy POS")
}

func TestRenderHTMLEscapes(t *testing.T) {
	r := renderedReceipt()
	r.Payer.Name = `<script>alert("x")</script>`
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderHTML(&buf, r, receipts.HTMLOptions{VerifyBase: testVerifyBase}))
	assert.NotContains(t, buf.String(), "<script>")
	assert.Contains(t, buf.String(), "&lt;script&gt;")
}

func TestRenderRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*receipts.Receipt)
		opts receipts.HTMLOptions
		want string
	}{
		{"paper", nil, receipts.HTMLOptions{Paper: "A4", VerifyBase: testVerifyBase}, `paper "A4"`},
		{"no base", nil, receipts.HTMLOptions{}, "verification base URL"},
		{"relative base", nil, receipts.HTMLOptions{VerifyBase: "/verify"}, "verification base URL"},
		{"series", func(r *receipts.Receipt) { r.Series = "26XAA" }, receipts.HTMLOptions{VerifyBase: testVerifyBase}, "series"},
		{"time", func(r *receipts.Receipt) { r.IssuedAt = "25/11/2026" }, receipts.HTMLOptions{VerifyBase: testVerifyBase}, "RFC 3339"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := renderedReceipt()
			if tc.edit != nil {
				tc.edit(&r)
			}
			var buf bytes.Buffer
			err := receipts.RenderHTML(&buf, r, tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Zero(t, buf.Len(), "nothing is written on error")
		})
	}
}

func TestVerifyURL(t *testing.T) {
	r := renderedReceipt()
	assert.Equal(t, "http://127.0.0.1:8080/verify/EBL01/26TAA/00000123", receipts.VerifyURL("http://127.0.0.1:8080", r))
	assert.Equal(t, "https://bienlai.example.vn/hk/verify/EBL01/26TAA/00000123", receipts.VerifyURL("https://bienlai.example.vn/hk/", r))
	assert.False(t, strings.Contains(receipts.VerifyURL("http://x", r), "//verify"))
}
