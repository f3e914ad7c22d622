package server

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/receipts"
)

// The admin's receipts page shows the hand-over to the tax authority's
// provider: a document the tax office refused, with its reason, and an
// outage with its resend deadline (issue 13, item 1).
func TestWebAdminReceiptsShowsTheTaxHandOver(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	c := rig.login(t, auth.RoleAdmin)
	ctx := context.Background()

	_, body := c.get(t, "/admin/receipts")
	assert.Contains(t, body, "Gửi dữ liệu cho cơ quan thuế")
	assert.Contains(t, body, "Chưa cấu hình nhà cung cấp", "no provider: the CLI hands over")
	assert.NotContains(t, body, `role="alert">Có`, "nothing to warn about yet")

	// A summary handed over and refused by the tax office.
	sum := receipts.Delivery{Document: "01TH-BLDT_0301234567_20260701_LD.xml", Kind: receipts.DocSummary, OrgCode: "UBND-Q1",
		Date: "2026-07-01", SHA256: "aa"}
	_, _, err := rig.db.QueueDelivery(ctx, sum, []byte("<a/>"))
	require.NoError(t, err)
	_, err = rig.db.DeliveryHandedOver(ctx, sum.Document, "file", receipts.HandOver{State: receipts.DeliveryHandedOver}, auth.System("test"))
	require.NoError(t, err)
	_, _, err = rig.db.ApplyAnswer(ctx, receipts.Answer{Form: "01/TB-TNĐT", Document: sum.Document, Result: receipts.DeliveryRejected,
		Reasons: []receipts.AnswerReason{{Code: "12", Text: "Sai mã số thuế"}}}, auth.System("test"))
	require.NoError(t, err)
	// A notice the provider could not be reached for: an outage.
	notice := receipts.Delivery{Document: "04SS-CTDT_0301234567_1.xml", Kind: receipts.DocNotice, OrgCode: "UBND-Q1", SHA256: "bb"}
	_, _, err = rig.db.QueueDelivery(ctx, notice, []byte("<b/>"))
	require.NoError(t, err)
	require.NoError(t, rig.db.DeliveryFailed(ctx, notice.Document, errors.New("dial tcp: connection refused"), true))

	resp, body := c.get(t, "/admin/receipts")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `role="alert">Có 2 vấn đề cần xử lý`)
	assert.Contains(t, body, `class="tax-rejected"><td>01TH-BLDT_0301234567_20260701_LD.xml</td>`)
	assert.Contains(t, body, "Sai mã số thuế")
	assert.Contains(t, body, `id="tax-outage"`)
	assert.Contains(t, body, "Hạn gửi lại chậm nhất")
	assert.Contains(t, body, "connection refused")
	assert.Contains(t, body, `<dd id="tax-queued">1</dd>`)

	// Not for a cashier.
	cashier := rig.login(t, auth.RoleCashier)
	resp, _ = cashier.get(t, "/admin/receipts")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
