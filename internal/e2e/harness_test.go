package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// harness is one test's `feepos serve --demo` and Chromium, both stopped
// when the test ends (also when it fails).
type harness struct {
	t         *testing.T
	srv       *server
	base      string // the server's http://127.0.0.1:PORT
	browser   context.Context
	artifacts string // the test's screenshot folder

	mu    sync.Mutex
	shots int // steps numbered across the test's pages
}

// start runs the server (a new demo database) and the browser for the
// test t.
func start(t *testing.T) *harness {
	t.Helper()
	// No browser is the commonest setup problem: say so before anything
	// else runs.
	if _, err := chromiumPath(); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, artifacts: artifactsDir(t)}
	dir := t.TempDir()
	profile := filepath.Join(dir, "chromium-profile")
	if err := os.Mkdir(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	browserReady := startBrowser(t, profile) // starts while the server does
	h.srv = startServer(t, dir, filepath.Join(h.artifacts, "server.log"))
	h.base = h.srv.base
	h.browser = browserReady()
	return h
}

// demoReceipts are the receipts the demo issued, with their /verify
// addresses (as serve logged them).
func (h *harness) demoReceipts() []demoReceipt {
	h.t.Helper()
	return h.srv.demoReceipts(h.t)
}

// apiToken is the demo API token of a role (dossier-system, cashier,
// accountant, admin).
func (h *harness) apiToken(role string) string {
	h.t.Helper()
	return h.srv.apiToken(h.t, role)
}

// page opens a new tab, in a browser context of its own, on viewport vp.
func (h *harness) page(t *testing.T, vp viewport) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(h.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{h: h, t: t, ctx: ctx, vp: vp}
	emulate := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if vp.mobile {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
	} else {
		emulate = []chromedp.EmulateViewportOption{chromedp.EmulateLandscape}
	}
	// The tab's first action creates it: no timeout on that context
	// (it would close the tab), the wait is bounded here.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height, emulate...)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("open a %s tab: %v", vp.name, err)
		}
	case <-afterWait():
		cancel()
		t.Fatalf("Chromium did not open a tab in %s", waitTimeout)
	}
	p.watchJSErrors()
	return p
}

// saveShot writes a full-page PNG of p as the test's next numbered step
// and returns its path ("" and a logged error if it could not).
func (h *harness) saveShot(p *page, name string) string {
	h.mu.Lock()
	h.shots++
	n := h.shots
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		p.t.Errorf("screenshot %q: %v", name, err)
		return ""
	}
	path := filepath.Join(h.artifacts, fmt.Sprintf("%02d-%s.png", n, safeName(name)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Errorf("screenshot %q: %v", name, err)
		return ""
	}
	return path
}

// artifactsDir is $FEEPOS_E2E_ARTIFACTS/<test name>, else
// <repo>/artifacts/e2e/<test name> (ignored by git), emptied of an earlier
// run's screenshots.
func artifactsDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("FEEPOS_E2E_ARTIFACTS")
	if root == "" {
		root = filepath.Join(repoRoot, "artifacts", "e2e")
	}
	dir := filepath.Join(root, safeName(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("empty the artifacts folder: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v (set FEEPOS_E2E_ARTIFACTS to a writable folder)", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screenshots and the server's log: %s", dir)
		}
	})
	return dir
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes a file name of a test or step name ("TestX/sub case" →
// "TestX_sub-case").
func safeName(s string) string {
	s = strings.ReplaceAll(s, "/", "_")
	return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-")
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// afterWait fires after the harness's longest wait.
func afterWait() <-chan time.Time { return time.After(waitTimeout) }

// afterPoll paces polling loops: short, so a wait ends soon after its
// condition holds.
func afterPoll() <-chan time.Time { return time.After(50 * time.Millisecond) }
