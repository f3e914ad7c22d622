package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebTemplatesParse: every page of web/templates parses with the
// layout (a broken one would stop feepos at start).
func TestWebTemplatesParse(t *testing.T) {
	wt, err := loadWebTemplates()
	require.NoError(t, err)
	for _, name := range []string{"login", "password", "error"} {
		assert.Contains(t, wt.pages, name)
	}
	for name, tpl := range wt.pages {
		assert.NotNil(t, tpl.Lookup("content"), "page %s defines content", name)
	}
	assert.Contains(t, wt.static, "app.css")
	assert.Contains(t, wt.static, "app.js")
}

func TestWebTemplateFuncs(t *testing.T) {
	assert.Equal(t, "1.234.000 đ", webMoney(int64(1_234_000)))
	assert.Equal(t, "0 đ", webMoney(0))
	at := time.Date(2026, 12, 31, 17, 30, 5, 0, time.UTC) // 00:30:05 on 1 January in Hà Nội
	assert.Equal(t, "01/01/2027", webTime(at, "02/01/2006"))
	assert.Equal(t, "01/01/2027 00:30:05", webTime(&at, "02/01/2006 15:04:05"))
	assert.Equal(t, "", webTime((*time.Time)(nil), "02/01/2006"))
	assert.Equal(t, "Một nghìn không trăm linh năm đồng", webWords(int64(1005)))
	assert.Equal(t, `<input type="hidden" name="csrf_token" value="a&amp;b">`, string(csrfField("a&b")))
	assert.Equal(t, "/cashier/shift", navFor(menuFor("admin"), "/cashier/shift/close"))
	assert.Equal(t, "/cashier", navFor(menuFor("cashier"), "/cashier/requests/PR-1"))
	assert.Equal(t, "", safeNext("//evil.example"))
	assert.Equal(t, "", safeNext("https://evil.example"))
	assert.Equal(t, "", safeNext(`/\evil.example`))
	assert.Equal(t, "/admin/users?x=1", safeNext("/admin/users?x=1"))
}
