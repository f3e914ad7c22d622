package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/receipts"
)

// The cashier's pages (web_cashier*.go) on the web rig: the queue and the
// scan, a request's page, cash with change, card with the live status
// read from the event stream, the review list, the shift close, and the
// refusals (role, CSRF, bad amounts: nothing written).

// The rig's default request: 100.000 đ + 3 × 2.000 đ.
const cashierTotal = 106_000

func payerBody(dossier, payer string) map[string]any {
	b := requestBody(dossier)
	b["payer"] = map[string]any{"name": payer}
	return b
}

// location is the Location of a redirect answer.
func location(t *testing.T, resp *http.Response) string {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return resp.Header.Get("Location")
}

func TestWebCashierQueueSearchAndScan(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	a := rig.createRequest("q1", payerBody("HS-2026-0001", "Lê Thị Hoa"))
	b := rig.createRequest("q2", payerBody("HS-2026-0002", "Phạm Văn Bình"))
	c := rig.login(t, auth.RoleCashier)

	resp, body := c.get(t, "/cashier")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `id="scan"`)
	assert.Contains(t, body, `data-autofocus`)
	assert.Contains(t, body, "HS-2026-0001")
	assert.Contains(t, body, "Phạm Văn Bình")
	assert.Contains(t, body, "106.000 đ")
	assert.Less(t, strings.Index(body, "HS-2026-0002"), strings.Index(body, "HS-2026-0001"), "newest first")

	// A scan: the exact dossier code (and Enter) jumps to its request.
	nc := c.withoutRedirects()
	resp, _ = nc.get(t, "/cashier?q=HS-2026-0002")
	assert.Equal(t, "/cashier/requests/"+b.ID, location(t, resp))
	resp, _ = nc.get(t, "/cashier?q=hs-2026-0001")
	assert.Equal(t, "/cashier/requests/"+a.ID, location(t, resp), "a scanner with Caps Lock")

	// A search by the payer's name or a part of the code.
	for _, name := range []string{"Bình", "bình", "phạm văn"} {
		_, body = c.get(t, "/cashier?q="+url.QueryEscape(name))
		assert.Contains(t, body, "HS-2026-0002", name)
		assert.NotContains(t, body, "HS-2026-0001", name)
	}
	_, body = c.get(t, "/cashier?q=2026-000")
	assert.Contains(t, body, "HS-2026-0001")
	assert.Contains(t, body, "HS-2026-0002")
	_, body = c.get(t, "/cashier?q=HS-KHONG-CO")
	assert.Contains(t, body, "Không tìm thấy hồ sơ nào chờ thanh toán")

	// Pages of 50.
	for i := range 51 {
		rig.createRequest("p"+string(rune('A'+i/26))+string(rune('a'+i%26)), payerBody("HS-P-"+string(rune('A'+i/26))+string(rune('a'+i%26)), "Người nộp"))
	}
	_, body = c.get(t, "/cashier")
	assert.Contains(t, body, `rel="next"`)
	assert.NotContains(t, body, "HS-2026-0001", "on the second page")
}

func TestWebCashierRequestPage(t *testing.T) {
	rig := newWebRig(t)
	req := rig.createRequest("r1", requestBody("HS-2026-0010"))
	c := rig.login(t, auth.RoleCashier)
	resp, body := c.get(t, "/cashier/requests/"+req.ID)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	words, err := receipts.Words(cashierTotal)
	require.NoError(t, err)
	for _, want := range []string{"HS-2026-0010", "Lê Thị Hoa", "Lệ phí đăng ký hộ kinh doanh", "Phí chứng thực bản sao", "Lệ phí", "UBND-X",
		"106.000 đ", "100.000 đ", words, "Thanh toán thẻ", "Tiền mặt", `id="terminal-T1"`, "Sẵn sàng", `id="tendered"`, `id="change"`} {
		assert.Contains(t, body, want)
	}
	resp, body = c.get(t, "/cashier/requests/PR-KHONG-CO")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, body, "Không tìm thấy")
}

func TestWebCashierCashWithChangeAndReceipts(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("c1", requestBody("HS-2026-0020"))
	c := rig.login(t, auth.RoleCashier)

	// Too little, or not a number: refused in Vietnamese, nothing written.
	for _, bad := range []struct{ in, want string }{
		{"100.000", "ít hơn số tiền phải thu"},
		{"abc", "không hợp lệ"},
		{"", "Hãy nhập số tiền khách đưa"},
	} {
		resp, body := c.postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {bad.in}})
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad.in)
		assert.Contains(t, body, bad.want)
		got := rig.request(req.ID)
		assert.Equal(t, payments.RequestPending, got.Status)
		assert.Empty(t, got.Payments, "nothing written")
	}

	resp, body := c.withoutRedirects().postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {"200.000 đ"}})
	page := location(t, resp)
	require.True(t, strings.HasPrefix(page, "/cashier/payments/PM"), body)
	resp, body = c.get(t, page)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Giao dịch thành công")
	assert.Contains(t, body, `data-state="paid"`)
	assert.Contains(t, body, "Tiền thừa trả khách")
	assert.Contains(t, body, "94.000 đ")
	assert.Contains(t, body, "200.000 đ")
	assert.NotContains(t, body, "data-events", "an ended payment is not followed")
	got := rig.request(req.ID)
	require.Equal(t, payments.RequestPaid, got.Status)
	require.Len(t, got.Payments, 1)
	require.NotEmpty(t, got.Payments[0].Receipts)
	rc := got.Payments[0].Receipts[0]
	num := fmt.Sprintf("%08d", rc.Number)
	assert.Contains(t, body, "Ký hiệu "+rc.Series+" · Số "+num)
	// The receipt's public page, with its lookup code, as its QR code
	// opens it (no verify_base configured: on the address served).
	stored, err := rig.db.Receipt(context.Background(), rc.Template, rc.Series, rc.Number)
	require.NoError(t, err)
	require.NotEmpty(t, stored.LookupCode)
	assert.Contains(t, body, "/verify/"+rc.Template+"/"+rc.Series+"/"+num+"?c="+stored.LookupCode+`"`)
	base := "/cashier/receipts/" + rc.Template + "/" + rc.Series + "/" + num
	assert.Contains(t, body, base+".pdf")
	assert.Contains(t, body, base+".html?size=80mm")

	// Print: A5 PDF and 80 mm HTML; a reprint is the same address.
	for range 2 {
		resp, pdf := c.get(t, base+".pdf")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(pdf, "%PDF"))
	}
	resp, html80 := c.get(t, base+".html?size=80mm")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, html80, "Lê Thị Hoa")
	resp, _ = c.get(t, "/cashier/receipts/"+rc.Template+"/"+rc.Series+"/99999999.pdf")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Paid: never charged twice.
	resp, body = c.postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {"200000"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "đã được thanh toán")
	assert.Len(t, rig.request(req.ID).Payments, 1)
}

// sseEvent is one event of a stream.
type sseEvent struct {
	Event string
	State cashierState
}

// readEvents reads the payment's event stream until "done" (or the
// patient timeout).
func readEvents(t *testing.T, c *webClient, paymentID string) []sseEvent {
	t.Helper()
	evs, _, done := readStream(t, c, paymentID, "")
	require.True(t, done, "the stream ended without done: %+v", evs)
	return evs
}

// readStream reads one connection of the event stream, as EventSource
// does (Last-Event-ID: lastID); it returns the events, the last id seen
// and whether "done" came.
func readStream(t *testing.T, c *webClient, paymentID, lastID string) ([]sseEvent, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patient)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/cashier/payments/"+paymentID+"/events", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	hc := *c.http
	hc.Timeout = 0 // the context bounds it
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	var out []sseEvent
	var ev sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			lastID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.State))
		case line == "" && ev.Event != "":
			out = append(out, ev)
			if ev.Event == "done" {
				return out, lastID, true
			}
			ev = sseEvent{}
		}
	}
	return out, lastID, false
}

func texts(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.State.Text)
	}
	return out
}

// chargeCard posts the card form and returns the payment page's path.
func chargeCard(t *testing.T, c *webClient, requestID string) (string, string) {
	t.Helper()
	resp, body := c.withoutRedirects().postForm(t, "/cashier/requests/"+requestID+"/card", url.Values{"terminal": {"T1"}})
	page := location(t, resp)
	require.True(t, strings.HasPrefix(page, "/cashier/payments/PM"), body)
	return page, strings.TrimPrefix(page, "/cashier/payments/")
}

func TestWebCashierCardApprovedLive(t *testing.T) {
	rig := newWebRig(t)
	req := rig.createRequest("k1", requestBody("HS-2026-0030"))
	c := rig.login(t, auth.RoleCashier)
	// A slow card: PIN entry and the bank's wait, 300 ms apart, so the
	// stream sees the terminal work.
	rig.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 5, Delay: 300 * time.Millisecond})
	page, pid := chargeCard(t, c, req.ID)

	_, body := c.get(t, page)
	assert.Contains(t, body, `id="payment-status"`)
	evs := readEvents(t, c, pid)
	got := texts(evs)
	t.Logf("statuses: %q", got)
	assert.Contains(t, got, "Mời cắm/quẹt thẻ")
	assert.Contains(t, got, "Nhập mã PIN")
	assert.Contains(t, got, "Đang xử lý")
	last := evs[len(evs)-1]
	assert.Equal(t, "done", last.Event)
	assert.Equal(t, "paid", last.State.Key)
	assert.Equal(t, "Giao dịch thành công", last.State.Text)

	// Loaded afterwards: the stored state, the receipts, no stream.
	_, body = c.get(t, page)
	assert.Contains(t, body, "Giao dịch thành công")
	assert.Contains(t, body, `data-state="paid"`)
	assert.NotContains(t, body, "data-events")
	assert.Contains(t, body, "In biên lai A5 (PDF)")
	assert.Contains(t, body, "In biên lai 80 mm")
	// A stream opened after the end says done at once.
	evs = readEvents(t, c, pid)
	require.Len(t, evs, 1)
	assert.Equal(t, "paid", evs[0].State.Key)
	assert.Equal(t, payments.RequestPaid, rig.request(req.ID).Status)
}

func TestWebCashierCardDeclined(t *testing.T) {
	rig := newWebRig(t)
	req := rig.createRequest("d1", requestBody("HS-2026-0040"))
	c := rig.login(t, auth.RoleCashier)
	rig.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 51})
	page, pid := chargeCard(t, c, req.ID)
	evs := readEvents(t, c, pid)
	last := evs[len(evs)-1]
	t.Logf("statuses: %q", texts(evs))
	assert.Equal(t, "declined", last.State.Key)
	assert.True(t, strings.HasPrefix(last.State.Text, "Bị từ chối: "), last.State.Text)
	_, body := c.get(t, page)
	assert.Contains(t, body, "Bị từ chối: ")
	assert.Contains(t, body, `id="retry"`, "payable again")
	assert.Equal(t, payments.RequestPending, rig.request(req.ID).Status)
}

func TestWebCashierNeedsReview(t *testing.T) {
	rig := newWebRig(t)
	req := rig.createRequest("n1", requestBody("HS-2026-0050"))
	c := rig.login(t, auth.RoleCashier)
	rig.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultHangUp, Target: zvtsim.TargetResult})
	page, pid := chargeCard(t, c, req.ID)
	evs := readEvents(t, c, pid)
	last := evs[len(evs)-1]
	require.Equal(t, "needs_review", last.State.Key, "%+v", evs)
	assert.Contains(t, last.State.Text, "KHÔNG thanh toán lại")

	_, body := c.get(t, page)
	assert.Contains(t, body, `id="review-alert"`)
	assert.Contains(t, body, "KHÔNG thanh toán lại")
	assert.Contains(t, body, "T1")
	assert.NotContains(t, body, `id="retry"`)

	resp, body := c.get(t, "/cashier/review")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, pid)
	assert.Contains(t, body, "HS-2026-0050")
	assert.Contains(t, body, "106.000 đ")
	assert.Contains(t, body, "KHÔNG thanh toán lại")
	assert.Contains(t, body, "Lý do chưa rõ")

	// The request page refuses another charge, in Vietnamese.
	resp, body = c.postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {"106000"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "KHÔNG thanh toán lại")
}

func TestWebCashierShiftClose(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("s1", requestBody("HS-2026-0060"))
	c := rig.login(t, auth.RoleCashier)
	resp, _ := c.postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {"106000"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, body := c.get(t, "/cashier/shift")
	assert.Contains(t, body, `data-expected="106000"`)
	assert.Contains(t, body, "106.000 đ")

	resp, body = c.postForm(t, "/cashier/shift", url.Values{"counted": {"100.000"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "ghi chú lý do chênh lệch")
	resp, body = c.postForm(t, "/cashier/shift", url.Values{"counted": {"mười"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "không hợp lệ")

	// The form carries the expected cash the cashier was shown.
	assert.Contains(t, body, `name="expected" value="106000"`)
	closeForm := url.Values{"expected": {"106000"}, "counted": {"100.000"}, "note": {"Trả nhầm tiền thừa"}}
	resp, body = c.postForm(t, "/cashier/shift", closeForm)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã kết ca")
	assert.Contains(t, body, "-6.000 đ")
	assert.Contains(t, body, `data-expected="0"`, "a new shift starts empty")

	// The same form again (F5 after closing): refused, nothing posted.
	var before int
	require.NoError(t, rig.db.SQL().QueryRow(`SELECT count(*) FROM ledger_entries`).Scan(&before))
	resp, body = c.postForm(t, "/cashier/shift", closeForm)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Số tiền theo sổ đã thay đổi")
	var after int
	require.NoError(t, rig.db.SQL().QueryRow(`SELECT count(*) FROM ledger_entries`).Scan(&after))
	assert.Equal(t, before, after, "no second variance")
	// A form without what was shown (an old page) is refused too.
	resp, _ = c.postForm(t, "/cashier/shift", url.Values{"counted": {"0"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestWebCashierRolesAndCSRF(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("x1", requestBody("HS-2026-0070"))
	acc := rig.login(t, auth.RoleAccountant)
	for _, p := range []string{"/cashier", "/cashier/requests/" + req.ID, "/cashier/review", "/cashier/shift"} {
		resp, body := acc.get(t, p)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, p)
		assert.Contains(t, body, "Bạn không có quyền")
	}
	resp, _ := acc.postForm(t, "/cashier/requests/"+req.ID+"/cash", url.Values{"tendered": {"200000"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	admin := rig.login(t, auth.RoleAdmin)
	resp, _ = admin.get(t, "/cashier")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "admin passes")

	// Not signed in: to the login page.
	resp, _ = rig.client(t).withoutRedirects().get(t, "/cashier")
	assert.Contains(t, location(t, resp), "/login?next=")

	c := rig.login(t, auth.RoleCashier)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/cashier/requests/" + req.ID + "/cash", url.Values{"tendered": {"200000"}}},
		{"/cashier/requests/" + req.ID + "/card", url.Values{"terminal": {"T1"}}},
		{"/cashier/shift", url.Values{"counted": {"0"}}},
	} {
		resp, body := c.postFormRaw(t, p.path, p.form)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, p.path)
		assert.Contains(t, body, "CSRF")
	}
	got := rig.request(req.ID)
	assert.Equal(t, payments.RequestPending, got.Status)
	assert.Empty(t, got.Payments)

	// No terminal: the card form says so.
	resp, body := c.postForm(t, "/cashier/requests/"+req.ID+"/card", url.Values{"terminal": {"T1"}})
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "Chưa có máy POS")
}

// The server ends each stream after sseMaxLife; the browser reconnects
// with Last-Event-ID and sees each status once, and the end.
func TestWebCashierCardStreamReconnects(t *testing.T) {
	old := sseMaxLife
	sseMaxLife = 400 * time.Millisecond
	t.Cleanup(func() { sseMaxLife = old })
	rig := newWebRig(t)
	req := rig.createRequest("rc1", requestBody("HS-2026-0035"))
	c := rig.login(t, auth.RoleCashier)
	rig.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Steps: 5, Delay: 300 * time.Millisecond})
	_, pid := chargeCard(t, c, req.ID)
	var all []sseEvent
	lastID, connections := "", 0
	deadline := time.Now().Add(patient)
	for {
		evs, id, done := readStream(t, c, pid, lastID)
		connections++
		all = append(all, evs...)
		if id != "" {
			lastID = id
		}
		if done || time.Now().After(deadline) {
			require.True(t, done)
			break
		}
	}
	got := texts(all)
	t.Logf("%d connections, statuses: %q", connections, got)
	assert.Greater(t, connections, 1, "the stream was cut and resumed")
	n := 0
	for _, s := range got {
		if s == "Mời cắm/quẹt thẻ" {
			n++
		}
	}
	assert.Equal(t, 1, n, "no status twice after a reconnection")
	assert.Contains(t, got, "Nhập mã PIN")
	assert.Equal(t, "paid", all[len(all)-1].State.Key)
}
