package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The public receipt check (the QR code's target) on a citizen's phone:
// each demo receipt says it is valid, and nothing scrolls sideways.
func TestVerifyPageOnPhone(t *testing.T) {
	h := start(t)
	receipts := h.demoReceipts()
	require.NotEmpty(t, receipts)
	assert.True(t, strings.HasPrefix(h.apiToken("cashier"), "fp_"), "the demo API token reader")

	p := h.page(t, phone)
	for _, r := range receipts {
		require.True(t, strings.HasPrefix(r.Verify, h.base+"/verify/"), "demo receipt %s: verify address %q is not on the server %s", r.Receipt, r.Verify, h.base)
		require.Contains(t, r.Verify, "?c=", "demo receipt %s: the logged address carries the lookup code, as the QR code does", r.Receipt)
		p.open(r.Verify)
		p.waitText("Hợp lệ")
		p.waitText("Kết quả tra cứu biên lai điện tử")
		p.shot("verify-" + r.Org + "-" + r.Receipt)
		text := p.bodyText()
		assert.NotContains(t, text, "Cảnh báo", "receipt %s", r.Receipt)
		p.noHorizontalScroll()
	}
}

func TestParseLogfmt(t *testing.T) {
	kv := parseLogfmt(`time=2026-12-06T10:03:42.253Z level=INFO msg="demo receipt" org=CA-DEMO receipt=26TAB-00000001 total=20000 verify=http://127.0.0.1:39869/verify/EBL01/26TAB/00000001`)
	assert.Equal(t, "demo receipt", kv["msg"])
	assert.Equal(t, "CA-DEMO", kv["org"])
	assert.Equal(t, "http://127.0.0.1:39869/verify/EBL01/26TAB/00000001", kv["verify"])
	kv = parseLogfmt(`time=x level=INFO msg="demo receipt" verify="http://127.0.0.1:39869/verify/EBL01/26TAB/00000001?c=7K3M9QX2TB"`)
	assert.Equal(t, "http://127.0.0.1:39869/verify/EBL01/26TAB/00000001?c=7K3M9QX2TB", kv["verify"])
	kv = parseLogfmt(`time=x level=INFO msg=listening addr=127.0.0.1:41234`)
	assert.Equal(t, "listening", kv["msg"])
	assert.Equal(t, "127.0.0.1:41234", kv["addr"])
	kv = parseLogfmt(`level=WARN msg="say \"hi\"" err="a b"`)
	assert.Equal(t, `say "hi"`, kv["msg"])
	assert.Equal(t, "a b", kv["err"])
	assert.Empty(t, parseLogfmt("==== feepos demo: API tokens ===="))
}
