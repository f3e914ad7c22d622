// feepos web pages: the little JavaScript every page shares.
// - feepos.fetch: fetch with the session's CSRF token (from <meta name="csrf-token">)
//   and same-origin credentials; use it for every POST a script makes.
// - [data-autofocus]: focus (and select) the element when the page loads,
//   so a barcode scanner's keystrokes land in it.
// - [data-confirm="…"] on a form: ask before submitting.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function feeposFetch(url, options) {
    options = options || {};
    var headers = new Headers(options.headers || {});
    if (csrf && !headers.has("X-CSRF-Token")) headers.set("X-CSRF-Token", csrf);
    options.headers = headers;
    options.credentials = "same-origin";
    return fetch(url, options);
  }
  window.feepos = { fetch: feeposFetch, csrf: csrf };

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-autofocus]");
    if (el) {
      el.focus();
      if (typeof el.select === "function") el.select();
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  });
})();
