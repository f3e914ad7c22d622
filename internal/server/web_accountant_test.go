package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// The accountant's pages: the day at a glance, the reconciliation
// (upload, run, report, resolve), the downloads and the ledger, with
// their refusals.

var (
	testCashier = auth.Actor{Kind: auth.KindToken, ID: "3", Name: "Nguyễn Thị Thu", Role: auth.RoleCashier}
	testDossier = auth.Actor{Kind: auth.KindToken, ID: "1", Name: "một cửa", Role: auth.RoleDossierSystem}
)

// acctCardDay records card payments (as from terminal slips) at `at`,
// one per amount, on terminal TID T0000001 with trace numbers 101, 102…,
// and returns their ids.
func acctCardDay(t *testing.T, rig *webRig, at time.Time, amounts ...int64) []string {
	t.Helper()
	ctx := context.Background()
	// A second handle on the rig's database whose clock is at: the
	// payments are recorded (and dated) then, as from a slip; the rig's
	// own handle keeps the real time for the pages.
	db, err := sqlite.Open(ctx, rig.db.Path())
	require.NoError(t, err)
	defer db.Close()
	db.Now = func() time.Time { return at }
	svc := payments.New(db, nil, rig.keys, payments.Options{Clock: func() time.Time { return at }})
	defer svc.Close()
	var ids []string
	for i, amount := range amounts {
		req, _, err := svc.CreateRequest(ctx, testDossier, fmt.Sprintf("acct-%d-%d", at.Unix(), i), payments.NewRequest{
			DossierCode: fmt.Sprintf("HS-ACCT-%d", i), Payer: payments.Payer{Name: "Nguyễn Văn An"},
			Items: []payments.NewItem{{FeeCode: "GPXD", Amount: amount}}})
		require.NoError(t, err)
		p, err := svc.RecordCardResult(ctx, testCashier, req.ID, "T1", payments.TerminalResult{TraceNo: fmt.Sprint(101 + i),
			ApprovalCode: fmt.Sprintf("AP%04d", 101+i), PANMasked: "970436******1234", TerminalID: "T0000001", CardType: "NAPAS"})
		require.NoError(t, err)
		ids = append(ids, p.ID)
	}
	return ids
}

const genericHeader = "settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n"

// settlementLine is one generic CSV line of terminal T0000001, batch
// 000012, fee 1.1 %.
func settlementLine(day string, trace int, amount int64) string {
	fee := amount * 11 / 1000
	return fmt.Sprintf("%s,T0000001,MID1,000012,%d,RRN%d,AP%04d,970436******1234,NAPAS,SALE,%sT10:00:00,%d,%d,%d,VND\n",
		day, trace, trace, trace, day, amount, fee, amount-fee)
}

var rowsRE = regexp.MustCompile(`<tr class="exception" id="exception-(\d+)" data-id="\d+" data-kind="([a-z_]+)">`)

func openExceptionRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range rowsRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestWebAccountantDayAtAGlance(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("acct-cash-1", requestBody("HS-TIEN-MAT"))
	pid := rig.charge(req.ID, map[string]any{"method": "cash", "tendered": 200_000})
	require.Equal(t, payments.PaymentPaid, rig.settled(pid).Status)

	c := rig.login(t, auth.RoleAccountant)
	resp, body := c.get(t, "/accountant")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `<div class="big" id="day-total">106.000 đ</div>`)
	assert.Contains(t, body, `<span id="day-count">1</span> giao dịch`)
	assert.Contains(t, body, `data-method="cash"`)
	assert.Contains(t, body, "Tiền mặt")
	assert.Contains(t, body, "Ủy ban nhân dân huyện X", "by organisation, named")
	assert.Contains(t, body, "<svg class=\"chart\"", "the charts are inline SVG")
	assert.Contains(t, body, `href="/accountant/review"`)

	// Another day: nothing; a bad date: a Vietnamese message.
	_, body = c.get(t, "/accountant?date=2020-01-02")
	assert.Contains(t, body, "Chưa có khoản thu nào trong ngày 02/01/2020")
	resp, body = c.get(t, "/accountant?date=31-31-2020")
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "không hợp lệ")

	// The other pages answer.
	for _, p := range []string{"/accountant/reconcile", "/accountant/review", "/accountant/summary", "/accountant/ledger"} {
		resp, body := c.get(t, p)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", p, body)
	}
	_, body = c.get(t, "/accountant/ledger")
	assert.Contains(t, body, "Tổng phát sinh Nợ bằng tổng phát sinh Có.")
	assert.Contains(t, body, "Sổ nhật ký chung")
	assert.Regexp(t, `Nợ</td><td>\d+ [^<]+</td>`, body, "the journal's lines name their accounts")

	// An admin passes; a cashier and a stranger do not.
	resp, _ = rig.login(t, auth.RoleAdmin).get(t, "/accountant")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = rig.login(t, auth.RoleCashier).get(t, "/accountant")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = rig.client(t).withoutRedirects().get(t, "/accountant")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestWebAccountantReconcile(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	ctx := context.Background()
	// The payments of two days ago; the acquirer's file of yesterday
	// settles one: the other is past the acquirer's lag (one day).
	yesterday := time.Now().In(ledger.Zone).AddDate(0, 0, -1)
	day := yesterday.Format(ledger.DateLayout)
	at := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day()-1, 10, 0, 0, 0, ledger.Zone)
	ids := acctCardDay(t, rig, at, 150_000, 320_000)

	c := rig.login(t, auth.RoleAccountant)
	_, body := c.get(t, "/accountant/reconcile?date="+day)
	assert.Contains(t, body, `id="no-report"`)

	// A bad file: every bad row with its line, column and reason, in
	// Vietnamese; nothing written.
	bad := genericHeader + settlementLine(day, 101, 150_000) + strings.Replace(settlementLine(day, 102, 320_000), ",320000,", ",32O000,", 1)
	resp, body := c.postFile(t, "/accountant/reconcile/import", url.Values{"date": {day}}, "settlement", "quyet-toan-loi.csv", []byte(bad))
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
	assert.Contains(t, body, "Tệp bị từ chối: quyet-toan-loi.csv")
	assert.Regexp(t, `<tr class="import-error"><td class="num">3</td><td>amount</td>\s*<td>&#34;32O000&#34; không phải số tiền theo định dạng của mẫu tệp`, body)
	var files int
	require.NoError(t, rig.db.SQL().GetContext(ctx, &files, `SELECT COUNT(*) FROM reconcile_files`))
	assert.Zero(t, files, "nothing written")

	// The acquirer's file lacks the second payment.
	good := genericHeader + settlementLine(day, 101, 150_000)
	resp, body = c.postFile(t, "/accountant/reconcile/import", url.Values{"date": {day}}, "settlement", "quyet-toan.csv", []byte(good))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã nhập quyet-toan.csv")
	// The same file again: a no-op that says so.
	_, body = c.postFile(t, "/accountant/reconcile/import", url.Values{"date": {day}}, "settlement", "lan-hai.csv", []byte(good))
	assert.Contains(t, body, "Tệp này đã được nhập")

	// A dry run shows the report and stores nothing.
	resp, body = c.postForm(t, "/accountant/reconcile/run", url.Values{"date": {day}, "mode": {"dry_run"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `id="dry-run"`)
	assert.Contains(t, body, "Thiếu trong sao kê")
	assert.Empty(t, openExceptionRows(body), "a dry run stores no exception")

	// The run: the report lists the exception, open, with its form.
	resp, body = c.postForm(t, "/accountant/reconcile/run", url.Values{"date": {day}, "mode": {"commit"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Đã đối soát và lưu ngày "+yesterday.Format("02/01/2006"))
	assert.Contains(t, body, `data-field="matched_count">1<`)
	assert.Contains(t, body, `<tr class="day-exception" data-kind="missing_in_settlement">`)
	open := openExceptionRows(body)
	require.Len(t, open, 1, body)
	var excID string
	for id, kind := range open {
		excID = id
		assert.Equal(t, "missing_in_settlement", kind)
	}
	assert.Contains(t, body, ids[1], "the payment missing in the file")

	// Downloads of the stored report.
	for ext, ct := range map[string]string{"csv": ctCSV, "xlsx": ctXLSX, "html": ctHTML} {
		resp, b := c.get(t, "/accountant/reconcile/report."+ext+"?date="+day)
		require.Equal(t, http.StatusOK, resp.StatusCode, b)
		assert.Equal(t, ct, resp.Header.Get("Content-Type"))
		assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
		assert.NotEmpty(t, b)
	}
	resp, _ = c.get(t, "/accountant/reconcile/report.csv?date=2020-01-01")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Resolve: the reason is required (nothing written), then it goes.
	resolve := "/accountant/exceptions/" + excID + "/resolve"
	resp, body = c.postForm(t, resolve, url.Values{"date": {day}, "action": {"write_off"}, "reason": {"  "}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "hãy ghi lý do")
	assert.Len(t, openExceptionRows(body), 1)
	// A cashier may not; nor a form without its CSRF token.
	cashier := rig.login(t, auth.RoleCashier)
	resp, _ = cashier.postForm(t, resolve, url.Values{"action": {"write_off"}, "reason": {"x"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = c.postFormRaw(t, resolve, url.Values{"action": {"write_off"}, "reason": {"x"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	resp, body = c.postForm(t, resolve, url.Values{"date": {day}, "action": {"write_off"}, "reason": {"Thư ngân hàng số 12/2026: giao dịch bị treo"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "Ngoại lệ #"+excID+" đã được xử lý (chấp nhận chênh lệch).")
	assert.Empty(t, openExceptionRows(body))
	audit, err := rig.db.AuditLog(ctx, sqlite.AuditFilter{Action: "reconcile.resolve"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, "Thư ngân hàng số 12/2026: giao dịch bị treo", audit[0].Reason)
	assert.Equal(t, c.User.ID, audit[0].Actor.ID, "the audit line names the accountant")

	// Unmatch opens it again.
	resp, body = c.postForm(t, "/accountant/exceptions/unmatch", url.Values{"date": {day}, "id": {excID}, "action": {"unmatch"}, "reason": {"nhầm"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Len(t, openExceptionRows(body), 1)
	resp, _ = c.postForm(t, "/accountant/exceptions/999999/resolve", url.Values{"action": {"write_off"}, "reason": {"x"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// The page's refusals of its other POSTs.
	for _, p := range []string{"/accountant/reconcile/run", "/accountant/reconcile/import", "/accountant/payments/" + ids[0] + "/confirm",
		"/accountant/payments/" + ids[0] + "/settle", "/accountant/exceptions/unmatch"} {
		resp, _ := cashier.postForm(t, p, url.Values{"date": {day}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, p)
		resp, _ = c.postFormRaw(t, p, url.Values{"date": {day}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, p)
	}
	resp, _ = cashier.postFile(t, "/accountant/reconcile/import", url.Values{"date": {day}}, "settlement", "x.csv", []byte(good))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = cashier.get(t, "/accountant/reconcile/report.csv?date="+day)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestWebAccountantRefusals(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	c := rig.login(t, auth.RoleAccountant)
	// An upload without a file, a run without a date, a settle without an
	// outcome or reason, a confirm without its line: Vietnamese messages.
	resp, body := c.postFile(t, "/accountant/reconcile/import", url.Values{}, "other", "x.csv", []byte("x"))
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Hãy chọn tệp quyết toán")
	resp, body = c.postForm(t, "/accountant/reconcile/run", url.Values{})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "Hãy chọn ngày cần đối soát")
	resp, body = c.postForm(t, "/accountant/payments/P-1/settle", url.Values{"outcome": {"charged"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "hãy ghi lý do")
	resp, body = c.postForm(t, "/accountant/payments/P-1/settle", url.Values{"reason": {"x"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "hãy chọn kết quả")
	resp, body = c.postForm(t, "/accountant/payments/P-1/confirm", url.Values{"reason": {"x"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "cần dòng quyết toán")
	resp, _ = c.postForm(t, "/accountant/payments/P-1/settle", url.Values{"outcome": {"charged"}, "reason": {"x"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	// A run of a day to come is refused by the close, said in Vietnamese.
	resp, body = c.postForm(t, "/accountant/reconcile/run", url.Values{"date": {"2999-01-01"}, "mode": {"commit"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "Dữ liệu không hợp lệ")
}

func TestWebAccountantSummaryDownloads(t *testing.T) {
	rig := newWebRigWith(t, rigOptions{noTerms: true})
	req := rig.createRequest("acct-sum-1", requestBody("HS-TONG-HOP"))
	pid := rig.charge(req.ID, map[string]any{"method": "cash"})
	require.Equal(t, payments.PaymentPaid, rig.settled(pid).Status)
	rig.srv.SetReceiptKeys(rig.keys)
	today := ledger.BusinessDate(time.Now())

	c := rig.login(t, auth.RoleAccountant)
	_, body := c.get(t, "/accountant/summary?date="+today)
	assert.Contains(t, body, `data-org="UBND-X"`)
	for format, ct := range map[string]string{"xml": ctXML, "xlsx": ctXLSX} {
		resp, b := c.get(t, "/accountant/summary/download?org=UBND-X&date="+today+"&format="+format)
		require.Equal(t, http.StatusOK, resp.StatusCode, b)
		assert.Equal(t, ct, resp.Header.Get("Content-Type"))
		assert.Contains(t, resp.Header.Get("Content-Disposition"), "01TH-BLDT_0100000001_")
		if format == "xml" {
			assert.Contains(t, b, "Signature", "signed with the organisation's key")
		}
	}
	resp, b := c.get(t, "/accountant/summary/download?org=UBND-X&date="+today+"&format=xml&unsigned=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, b, "<ds:Signature")
	resp, _ = c.get(t, "/accountant/summary/download?org=NOPE&date="+today+"&format=xml")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = c.get(t, "/accountant/summary/download?org=UBND-X&format=pdf")
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp, _ = rig.login(t, auth.RoleCashier).get(t, "/accountant/summary/download?org=UBND-X&format=xml")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
