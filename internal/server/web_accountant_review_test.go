package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// A charge whose outcome the terminal cannot prove waits on the review
// page with its evidence; the accountant settles it there with a reason,
// audited; the day at a glance counted it.
func TestWebAccountantSettlesInReview(t *testing.T) {
	rig := newWebRig(t)
	req := rig.createRequest("acct-nr", requestBody("HS-2026-0031"))
	rig.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultHangUp, Target: zvtsim.TargetResult})
	p := rig.settled(rig.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentNeedsReview, p.Status, "%+v", p)

	c := rig.login(t, auth.RoleAccountant)
	_, body := c.get(t, "/accountant")
	assert.Regexp(t, `id="day-review">.*\s*<div class="big">1</div>`, body)
	resp, body := c.get(t, "/accountant/review")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `data-payment="`+p.ID+`"`)
	assert.Contains(t, body, "HS-2026-0031")
	assert.Contains(t, body, "Bằng chứng từ máy POS")

	settle := "/accountant/payments/" + p.ID + "/settle"
	resp, _ = rig.login(t, auth.RoleCashier).postForm(t, settle, url.Values{"outcome": {"not_charged"}, "reason": {"x"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, body = c.postForm(t, settle, url.Values{"outcome": {"not_charged"}, "reason": {"Phiếu in của máy POS ghi giao dịch bị hủy"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "đã ghi nhận là chưa trừ tiền")
	assert.Contains(t, body, `id="no-review"`)
	assert.Equal(t, payments.RequestPending, rig.request(req.ID).Status, "payable again")
	log, err := rig.db.AuditLog(context.Background(), sqlite.AuditFilter{Action: "payment.settle"})
	require.NoError(t, err)
	require.NotEmpty(t, log)
	assert.Equal(t, c.User.ID, log[0].Actor.ID)
	// Settled already: the workflow refuses, said on the page.
	resp, body = c.postForm(t, settle, url.Values{"outcome": {"charged"}, "reason": {"lần hai"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode, body)
}
