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

	p := h.page(t, phone)
	for _, r := range receipts {
		require.True(t, strings.HasPrefix(r.Verify, h.base+"/verify/"), "demo receipt %s: verify address %q is not on the server %s", r.Receipt, r.Verify, h.base)
		p.open(r.Verify)
		p.waitText("Hợp lệ")
		p.waitText("Kết quả tra cứu biên lai điện tử")
		p.shot("verify-" + r.Org + "-" + r.Receipt)
		text := p.bodyText()
		assert.NotContains(t, text, "Cảnh báo", "receipt %s", r.Receipt)
		p.noHorizontalScroll()
	}
}
