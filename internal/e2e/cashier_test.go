package e2e

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoZVT is the simulated ZVT terminal of serve --demo; its faults for
// the next card transactions are set by FEEPOS_DEMO_ZVT_FAULTS (feepos sim
// --fault specs, one-shot, in order).
const demoZVT = "DEMO-ZVT"

// A card payment at the counter: thungan scans a demo dossier's code on
// the queue, lands on its request, charges it on the simulated ZVT
// terminal, follows the live statuses to "Giao dịch thành công", prints
// the receipt, which has the next number of its series, and the receipt's
// public check says it is valid on a phone.
func TestCashierCardPayment(t *testing.T) {
	// The card is slow to come: the terminal's intermediate statuses last
	// long enough to be seen, and the charge is approved.
	t.Setenv("FEEPOS_DEMO_ZVT_FAULTS", "slow_card:700ms")
	h := start(t)
	p := h.page(t, desktop)
	p.login("thungan", "demo1234")

	p.openQueue()
	p.shot("queue")
	p.scan("HS-DEMO-0003")
	reqPath := p.waitRequestPage("HS-DEMO-0003")
	assert.Equal(t, "Lê Hoàng Cường", evalJS[string](p, `document.querySelector("#payer-name").innerText`))
	assert.Equal(t, "600.000 đ", evalJS[string](p, `document.querySelector("#total").innerText.trim()`))
	assert.NotEmpty(t, evalJS[string](p, `document.querySelector("#total-words").innerText.trim()`), "the total in words")
	p.waitTerminalReady(reqPath, demoZVT)
	p.shot("request")

	p.recordTexts("#payment-status")
	p.click("#terminal-" + demoZVT)
	p.click("#pay-card")
	p.waitPathPrefix("/cashier/payments/")
	// Recorded, not polled: a loaded machine may poll past a status that
	// lasts 700 ms (the shot then shows a later one).
	p.waitRecorded("#payment-status", "Mời cắm/quẹt thẻ")
	p.shot("card-insert")
	p.waitText("Giao dịch thành công")
	p.waitVisible("#receipts a.print-a5")
	p.shot("card-paid")
	payPath := evalJS[string](p, "location.pathname")

	// The statuses the cashier saw, in order: at least one of the
	// terminal's intermediate ones, success last.
	seen := p.recordedTexts("#payment-status")
	t.Logf("statuses shown: %q", seen)
	require.NotEmpty(t, seen)
	assert.Equal(t, "Giao dịch thành công", seen[len(seen)-1], "the last status")
	intermediate := 0
	for _, s := range seen[:len(seen)-1] {
		if s == "Mời cắm/quẹt thẻ" || s == "Nhập mã PIN" || strings.HasPrefix(s, "Đang xử lý") || s == "Mời rút thẻ" {
			intermediate++
		}
	}
	assert.Positive(t, intermediate, "an intermediate status before success, saw %q", seen)
	assert.Contains(t, seen, "Mời cắm/quẹt thẻ", "the slow card's wait was shown")
	assert.Equal(t, "paid", evalJS[string](p, `document.querySelector("#payment-status").dataset.state`))
	assert.NotRegexp(t, regexp.MustCompile(`\d{16}`), p.bodyText(), "no full card number on the page")

	// Paid: the dossier has left the queue.
	p.openQueue()
	assert.NotContains(t, evalJS[string](p, `document.querySelector("#queue").innerText`), "HS-DEMO-0003", "a paid dossier is no longer pending")
	p.open(payPath)
	p.waitVisible("#receipts a.print-a5")

	// The receipt: the next number of its series (the demo issued the
	// earlier ones when it started).
	rs := p.receipts()
	require.Len(t, rs, 1, "one organisation, one receipt")
	r := rs[0]
	assert.Equal(t, nextDemoNumber(t, h, r.template, r.series), r.number, "receipt %s/%s: the number after the demo's last", r.template, r.series)
	num := fmt.Sprintf("%08d", r.number)
	assert.Contains(t, r.text, "Số "+num)

	// Print: the A5 PDF comes as a PDF; the 80 mm slip shows the same
	// number.
	pdf := evalPromise[string](p, fmt.Sprintf(`fetch(%s).then(async r => r.status + " " + r.headers.get("Content-Type") + " " + (await r.text()).slice(0, 5))`, jsString(r.pdf)))
	assert.Regexp(t, `^200 application/pdf %PDF-$`, pdf, "the A5 receipt %s", r.pdf)
	p.open(r.html80)
	p.waitText(num)
	p.waitText("600.000")
	p.shot("receipt-80mm")
	// The address under the printed QR code.
	verify := evalJS[string](p, `(document.querySelector("a[href*='/verify/']") || {href: ""}).href`)
	// It carries the receipt's lookup code (?c=…): without it the public
	// page says only whether the receipt exists (docs/RECEIPTS.md).
	require.Regexp(t, `^`+regexp.QuoteMeta(fmt.Sprintf("%s/verify/%s/%s/%s", h.base, r.template, r.series, num))+`\?c=[0-9A-Z]{10}$`, verify,
		"the printed receipt's check address")
	assert.Equal(t, verify, r.verify, "the payment page's check link")

	// The citizen scans the receipt's QR code with a phone.
	phoneTab := h.page(t, phone)
	phoneTab.open(verify)
	phoneTab.waitText("Hợp lệ")
	phoneTab.waitText(num)
	assert.NotContains(t, phoneTab.bodyText(), "Cảnh báo")
	phoneTab.noHorizontalScroll()
	phoneTab.shot("verify-phone")
}

// A declined card, then cash: the demo terminal declines the first card
// (host code 51); the cashier goes back to the request and takes cash,
// with the keyboard only, sees what is missing and then the change as the
// amount is typed, and the payment ends with the change and a receipt.
func TestCashierDeclinedAndCash(t *testing.T) {
	t.Setenv("FEEPOS_DEMO_ZVT_FAULTS", "decline:51")
	h := start(t)
	p := h.page(t, desktop)
	p.login("thungan", "demo1234")

	p.openQueue()
	p.scan("HS-DEMO-0002")
	reqPath := p.waitRequestPage("HS-DEMO-0002")
	assert.Equal(t, "20.000 đ", evalJS[string](p, `document.querySelector("#total").innerText.trim()`))
	p.waitTerminalReady(reqPath, demoZVT)
	p.shot("request")

	p.click("#terminal-" + demoZVT)
	p.click("#pay-card")
	p.waitPathPrefix("/cashier/payments/")
	p.waitText("Bị từ chối")
	p.waitVisible("#retry")
	status := evalJS[string](p, `document.querySelector("#payment-status").innerText.trim()`)
	assert.True(t, strings.HasPrefix(status, "Bị từ chối: "), "the decline says why: %q", status)
	assert.Contains(t, status, "51", "the host's code")
	assert.Equal(t, "declined", evalJS[string](p, `document.querySelector("#payment-status").dataset.state`))
	assert.False(t, evalJS[bool](p, `document.querySelector("#receipts") !== null`), "no receipt for a declined card")
	p.shot("card-declined")

	// Pay again, cash this time, with the keyboard only: each page
	// focuses its next step (the retry link, then the amount tendered).
	p.waitFocus("retry")
	p.press(kb.Enter)
	p.waitPath(reqPath)
	p.waitFocus("tendered")
	p.press("15000")
	p.waitJS("the missing amount", `document.querySelector("#change").innerText.includes("Còn thiếu 5.000 đ")`)
	p.shot("cash-short")
	p.typeOver("#tendered", "50.000")
	p.waitJS("the change", `document.querySelector("#change").innerText.trim() === "30.000 đ"`)
	p.shot("cash-change")
	p.press(kb.Enter)
	p.waitPathPrefix("/cashier/payments/")
	p.waitText("Giao dịch thành công")
	p.waitVisible("#receipts a.print-a5")
	assert.Equal(t, "50.000 đ", evalJS[string](p, `document.querySelector("#cash-tendered").innerText.trim()`))
	assert.Equal(t, "30.000 đ", evalJS[string](p, `document.querySelector("#cash-change").innerText.trim()`))
	rs := p.receipts()
	require.Len(t, rs, 1)
	assert.Equal(t, nextDemoNumber(t, h, rs[0].template, rs[0].series), rs[0].number, "the cash receipt's number")
	p.shot("cash-paid")

	p.open(rs[0].html80)
	p.waitText(fmt.Sprintf("%08d", rs[0].number))
	p.waitText("20.000")
	p.shot("cash-receipt-80mm")
}

// typeOver selects what the field holds and types text over it, as a
// person does with Ctrl+A (chromedp's Clear empties the value attribute
// only, not what was typed).
func (p *page) typeOver(selector, text string) {
	p.t.Helper()
	p.waitVisible(selector)
	if !evalJS[bool](p, fmt.Sprintf(`(function () {
		const el = document.querySelector(%s);
		if (!el) return false;
		el.focus();
		el.select();
		return true;
	})()`, jsString(selector))) {
		p.fail("select the text of "+selector, fmt.Errorf("no such field"))
	}
	p.press(text)
}

// evalPromise evaluates a JavaScript expression whose value is a promise
// (a fetch) and decodes what it resolves to.
func evalPromise[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluate "+expr, err)
	}
	return v
}

// waitFocus waits until the element with this id has the keyboard's
// focus.
func (p *page) waitFocus(id string) {
	p.t.Helper()
	p.waitJS("the focus on #"+id, fmt.Sprintf(`document.readyState === "complete" && document.activeElement !== null && document.activeElement.id === %s`, jsString(id)))
}

// openQueue opens the cashier's queue and waits until its scan field has
// the focus, as the scanner needs.
func (p *page) openQueue() {
	p.t.Helper()
	p.open("/cashier")
	p.waitVisible("#scan")
	p.waitFocus("scan")
}

// waitRequestPage waits for the request page of the dossier a scan led to
// and returns its path.
func (p *page) waitRequestPage(dossier string) string {
	p.t.Helper()
	p.waitPathPrefix("/cashier/requests/")
	p.waitJS("the request of "+dossier, fmt.Sprintf(`document.querySelector("#dossier-code") !== null && document.querySelector("#dossier-code").innerText.trim() === %s`, jsString(dossier)))
	return evalJS[string](p, "location.pathname")
}

// waitTerminalReady reloads the request page until the terminal is shown
// "Sẵn sàng" (serve connects its terminals while it starts).
func (p *page) waitTerminalReady(reqPath, terminal string) {
	p.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	sel := fmt.Sprintf(`[data-terminal-state=%s]`, jsString(terminal))
	for {
		p.waitVisible(sel)
		state := evalJS[string](p, fmt.Sprintf(`document.querySelector(%s).innerText.trim()`, jsString(sel)))
		if state == "Sẵn sàng" {
			return
		}
		if time.Now().After(deadline) {
			p.fail("wait for terminal "+terminal, fmt.Errorf("it is %q, not Sẵn sàng", state))
		}
		<-afterPoll()
		p.open(reqPath)
	}
}

// waitPathPrefix waits until the address's path starts with prefix and
// the page has loaded.
func (p *page) waitPathPrefix(prefix string) {
	p.t.Helper()
	p.waitJS("an address under "+prefix, fmt.Sprintf(`location.pathname.startsWith(%s) && document.readyState === "complete"`, jsString(prefix)))
}

// shownReceipt is one receipt of a payment page.
type shownReceipt struct {
	text             string // its line: "Biên lai EBL01 · Ký hiệu … · Số …"
	template, series string
	number           int
	pdf, html80      string // the print links
	verify           string // the public check's address
}

var receiptPDF = regexp.MustCompile(`/cashier/receipts/([^/]+)/([^/]+)/(\d+)\.pdf$`)

// receipts reads the payment page's receipts.
func (p *page) receipts() []shownReceipt {
	p.t.Helper()
	rows := evalJS[[][]string](p, `[...document.querySelectorAll("#receipts li[data-receipt]")].map(li => [
		li.innerText,
		li.querySelector("a.print-a5") ? li.querySelector("a.print-a5").href : "",
		li.querySelector("a.print-80mm") ? li.querySelector("a.print-80mm").href : "",
		li.querySelector("a[href*='/verify/']") ? li.querySelector("a[href*='/verify/']").href : ""])`)
	var out []shownReceipt
	for _, row := range rows {
		u, err := url.Parse(row[1])
		require.NoError(p.t, err)
		m := receiptPDF.FindStringSubmatch(u.Path)
		require.NotNil(p.t, m, "the A5 print link %q", row[1])
		n, err := strconv.Atoi(m[3])
		require.NoError(p.t, err)
		out = append(out, shownReceipt{text: row[0], template: m[1], series: m[2], number: n, pdf: row[1], html80: row[2], verify: row[3]})
	}
	return out
}

// nextDemoNumber is the number the next receipt of the series gets after
// the receipts serve --demo issued when it started (1 if none).
func nextDemoNumber(t *testing.T, h *harness, template, series string) int {
	t.Helper()
	last := 0
	for _, r := range h.demoReceipts() {
		u, err := url.Parse(r.Verify)
		require.NoError(t, err)
		parts := strings.Split(strings.TrimPrefix(u.Path, "/verify/"), "/")
		if len(parts) != 3 || parts[0] != template || parts[1] != series {
			continue
		}
		n, err := strconv.Atoi(parts[2])
		require.NoError(t, err)
		last = max(last, n)
	}
	return last + 1
}
