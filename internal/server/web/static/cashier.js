// feepos cashier pages (web_cashier*.go): the change shown as the amount
// tendered is typed, the shift's variance as the count is typed, the
// scan field kept focused, and a card payment's live status (Server-Sent
// Events). Everything here is a convenience: the server checks the
// amounts again and renders the stored status on every load.
(function () {
  "use strict";

  function parseDong(s) {
    s = String(s || "").replace(/đ|VND/gi, "").replace(/[.\s,\u00a0]/g, "");
    if (!/^\d{1,15}$/.test(s)) return null;
    return parseInt(s, 10);
  }
  function money(n) {
    var neg = n < 0;
    var s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (neg ? "-" : "") + s + " đ";
  }

  // The change: tendered − total, or what is missing.
  function liveDifference(input, output, base, sign, shortText) {
    if (!input || !output) return;
    var total = parseInt(input.getAttribute(base), 10) || 0;
    function update() {
      var v = parseDong(input.value);
      output.classList.remove("bad");
      if (v === null) {
        output.textContent = input.value.trim() === "" ? "—" : "Số tiền không hợp lệ";
        if (input.value.trim() !== "") output.classList.add("bad");
        return;
      }
      var d = v - total;
      if (sign && d < 0) {
        output.textContent = shortText + money(-d);
        output.classList.add("bad");
        return;
      }
      output.textContent = money(d);
      if (!sign && d !== 0) output.classList.add("bad");
    }
    input.addEventListener("input", update);
    update();
  }

  // A keyboard-wedge scanner types into whatever has the focus: on the
  // queue, a key typed outside any field goes to the scan field.
  function keepScanFocus(scan) {
    if (!scan) return;
    document.addEventListener("keydown", function (e) {
      var a = document.activeElement;
      if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return;
      if (a && a !== document.body && a.id !== "main") return;
      scan.focus();
    });
  }

  // The live status of a card payment.
  function follow(el) {
    var url = el.getAttribute("data-events");
    if (!url || !window.EventSource) return;
    var es = new EventSource(url);
    function show(data) {
      var st;
      try { st = JSON.parse(data); } catch (e) { return null; }
      el.textContent = st.text;
      el.setAttribute("data-state", st.key);
      el.className = "pay-status" + (st.tone ? " " + st.tone : "");
      return st;
    }
    es.addEventListener("status", function (e) { show(e.data); });
    es.addEventListener("done", function (e) {
      show(e.data);
      es.close();
      // The stored result (receipts, change, evidence) is the page's.
      window.setTimeout(function () { window.location.reload(); }, 600);
    });
    es.onerror = function () {
      // EventSource reconnects by itself; if it gave up, reload the page,
      // which shows the stored state.
      if (es.readyState === EventSource.CLOSED) {
        window.setTimeout(function () { window.location.reload(); }, 3000);
      }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var t = document.getElementById("tendered");
    liveDifference(t, document.getElementById("change"), "data-total", true, "Còn thiếu ");
    var c = document.getElementById("counted");
    liveDifference(c, document.getElementById("variance"), "data-expected", false, "");
    keepScanFocus(document.querySelector("[data-scan]"));
    var st = document.getElementById("payment-status");
    if (st) follow(st);
  });
})();
