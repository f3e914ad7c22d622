package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanPage is a stand-in for the cashier's scan field, until the real one
// is tested: a focused input whose form writes what was submitted, and a
// button, on a desktop screen.
const scanPage = `<!DOCTYPE html><html lang="vi"><meta charset="utf-8"><title>scan</title>
<form id="f"><input id="q" name="q" autofocus autocomplete="off"></form>
<p id="out"></p><button id="b" type="button">Bấm</button>
<select id="term"><option value="">—</option><option value="DEMO-ZVT">DEMO-ZVT</option></select>
<input id="file" type="file"><p id="chosen"></p>
<script>
document.getElementById("f").addEventListener("submit", function (e) {
  e.preventDefault();
  var q = document.getElementById("q");
  document.getElementById("out").textContent = "Đã quét: " + q.value;
  q.value = "";
});
document.getElementById("term").addEventListener("change", function (e) {
  document.getElementById("chosen").textContent = "Thiết bị: " + e.target.value;
});
document.getElementById("file").addEventListener("change", function (e) {
  document.getElementById("chosen").textContent = "Tệp: " + e.target.files[0].name;
});
document.getElementById("b").addEventListener("click", function () {
  document.getElementById("out").textContent = "Đã bấm";
  setTimeout(function () { throw new Error("lỗi thử") }, 0);
});
</script></html>`

// The harness's own helpers on a page that does not depend on the web
// app: the scanner types into the focused field and presses Enter; typing,
// choosing an option, uploading a file and a click work; an uncaught
// JavaScript error is caught.
func TestHarnessScanClickType(t *testing.T) {
	h := start(t)
	p := h.page(t, desktop)
	p.open("data:text/html;charset=utf-8," + url.PathEscape(scanPage))
	require.Equal(t, "q", evalJS[string](p, "document.activeElement.id"), "the autofocus field has the focus")

	p.scan("HS-2026-000123")
	p.waitText("Đã quét: HS-2026-000123")
	p.shot("scanned")

	p.typeInto("#q", "Nguyễn Văn A\r")
	p.waitText("Đã quét: Nguyễn Văn A")

	p.choose("#term", "DEMO-ZVT")
	p.waitText("Thiết bị: DEMO-ZVT")

	file := filepath.Join(t.TempDir(), "settlement.csv")
	require.NoError(t, os.WriteFile(file, []byte("a,b\n"), 0o600))
	p.upload("#file", file)
	p.waitText("Tệp: settlement.csv")

	p.click("#b")
	p.waitText("Đã bấm")
	var errs []string
	require.Eventually(t, func() bool {
		errs = append(errs, p.takeJSErrors()...)
		return len(errs) > 0
	}, waitTimeout, 20*time.Millisecond, "the error thrown after the click is reported")
	require.Len(t, errs, 1)
	assert.True(t, strings.Contains(errs[0], "lỗi thử"), errs[0])
	p.noHorizontalScroll()
}
