package e2e

import (
	"context"
	"fmt"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordTexts makes the tab write down every text the element matching
// selector shows, on this page and every page it loads afterwards (a
// status that changes faster than a test can poll, or across the reload
// that shows the stored result): the server-rendered text, then each text
// a script puts in. They are kept in the tab's sessionStorage, read with
// recordedTexts.
func (p *page) recordTexts(selector string) {
	p.t.Helper()
	key := "e2e-texts:" + selector
	script := fmt.Sprintf(`(function () {
		const key = %s, selector = %s;
		function add(text) {
			text = (text || "").trim();
			if (text === "") return;
			const seen = JSON.parse(sessionStorage.getItem(key) || "[]");
			if (seen[seen.length - 1] !== text) seen.push(text);
			sessionStorage.setItem(key, JSON.stringify(seen));
		}
		function watch() {
			const el = document.querySelector(selector);
			if (!el) return;
			add(el.textContent);
			// Each change is read from its mutation record, not from the
			// element afterwards: several changes in one task are all kept.
			new MutationObserver(function (records) {
				for (const r of records) {
					if (r.type === "characterData") { add(r.target.data); continue; }
					let text = "";
					for (const n of r.addedNodes) text += n.textContent;
					add(text);
				}
			}).observe(el, {childList: true, characterData: true, subtree: true});
		}
		if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
		else watch();
	})()`, jsString(key), jsString(selector))
	p.do("record the texts of "+selector, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return chromedp.Void{}, err
	})
}

// recordedTexts are the texts recordTexts wrote down for selector, in the
// order shown (a text repeated at once is kept once).
func (p *page) recordedTexts(selector string) []string {
	p.t.Helper()
	return evalJS[[]string](p, fmt.Sprintf(`JSON.parse(sessionStorage.getItem(%s) || "[]")`, jsString("e2e-texts:"+selector)))
}

// waitRecorded waits until recordTexts has written down text for
// selector.
func (p *page) waitRecorded(selector, text string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("%s to have shown %q", selector, text),
		fmt.Sprintf(`JSON.parse(sessionStorage.getItem(%s) || "[]").includes(%s)`, jsString("e2e-texts:"+selector), jsString(text)))
}
