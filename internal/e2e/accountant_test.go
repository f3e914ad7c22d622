package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An accountant's day: a mistyped password is refused in Vietnamese, then
// ketoan signs in, uploads the card acquirer's settlement file of today
// with a line the ledger does not have, reconciles the day and stores it,
// finds the "Thiếu trong sổ" exception among the open ones, writes it off
// with a reason, and sees the flash and the exception gone.
func TestAccountantReconcile(t *testing.T) {
	h := start(t)
	p := h.page(t, desktop)

	// A wrong password: the form says so without telling which field was
	// wrong, and the browser stays on /login.
	p.open("/login")
	p.typeInto(`input[name="username"]`, "ketoan")
	p.typeInto(`input[name="password"]`, "sai-mat-khau\r")
	p.waitText("Tên đăng nhập hoặc mật khẩu không đúng.")
	p.waitPath("/login")
	p.shot("login-refused")

	p.login("ketoan", "demo1234")
	p.shot("accountant-home")

	p.open("/accountant/reconcile")
	p.waitVisible("form#upload")
	p.waitVisible("#run-commit")
	// The day the page reconciles (today in Asia/Ho_Chi_Minh, by the
	// server's clock): the settlement file is of that day, so its line no
	// payment has is an exception of the day, not a pending one.
	day := evalJS[string](p, `document.querySelector('#upload input[name="date"]').value`)
	require.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, day, "the upload form's date")
	require.Equal(t, day, evalJS[string](p, `document.querySelector("#run-date").value`), "the run form's date")
	p.shot("reconcile-empty")

	const trace = "987654"
	file := filepath.Join(t.TempDir(), "quyet-toan-e2e.csv")
	csv := "settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n" +
		fmt.Sprintf("%s,T0000001,MID1,000012,%s,RRN%s,AP0999,970436******9999,NAPAS,SALE,%sT11:00:00,80000,880,79120,VND\n", day, trace, trace, day)
	require.NoError(t, os.WriteFile(file, []byte(csv), 0o600))

	p.upload("#settlement", file)
	p.click("#upload-submit")
	p.waitVisible("#import-ok")
	p.waitText("quyet-toan-e2e.csv")
	assert.NotContains(t, p.bodyText(), "Tệp bị từ chối", "the settlement file is imported")
	p.shot("settlement-imported")

	p.waitVisible("#run-commit")
	p.click("#run-commit")
	p.waitText("Đã đối soát và lưu ngày")
	p.waitVisible("#report")
	p.shot("day-reconciled")

	// The day's report lists the exception, and so does the open list,
	// with its resolve form.
	p.waitVisible(`#day-exceptions tr.day-exception[data-kind="missing_in_ledger"]`)
	row := `#open-exceptions tr.exception[data-kind="missing_in_ledger"]`
	p.waitVisible(row)
	id := evalJS[string](p, fmt.Sprintf(`(function () {
		for (const tr of document.querySelectorAll(%s)) {
			if (tr.innerText.includes(%s)) return tr.dataset.id;
		}
		return "";
	})()`, jsString(row), jsString(trace)))
	require.NotEmpty(t, id, "an open missing_in_ledger exception naming the trace number %s", trace)
	mine := fmt.Sprintf(`#open-exceptions tr.exception[data-id="%s"]`, id)
	rowText := evalJS[string](p, fmt.Sprintf(`document.querySelector(%s).innerText`, jsString(mine)))
	assert.Contains(t, rowText, "Thiếu trong sổ")
	assert.Contains(t, rowText, "80.000 đ", "the settlement line's amount, Vietnamese style")
	assert.Regexp(t, regexp.MustCompile(`\d{2}/\d{2}/\d{4}`), rowText, "the day it was first seen, dd/mm/yyyy")
	p.shot("exception-open")

	p.typeInto(mine+` form.resolve input[name="reason"]`, "Ngân hàng xác nhận giao dịch thử, thư số 12/2026")
	p.shot("exception-reason")
	p.click(mine + ` form.resolve button[type="submit"]`)
	p.waitText("Ngoại lệ #" + id + " đã được xử lý")
	p.waitJS("exception #"+id+" gone from the open list", fmt.Sprintf(`document.readyState === "complete" && document.querySelector("#open-exceptions") !== null && document.querySelector(%s) === null`, jsString(mine)))
	assert.True(t, strings.Contains(p.bodyText(), "(chấp nhận chênh lệch)"), "the flash names the action taken")
	p.shot("exception-resolved")
}
