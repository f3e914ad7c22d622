package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// defaultChromium is where Debian's package chromium puts the browser.
const defaultChromium = "/usr/bin/chromium"

// chromiumPath is $FEEPOS_CHROMIUM, else Debian's Chromium. The e2e tests
// fail (not skip) without it: CI must run them.
func chromiumPath() (string, error) {
	path := os.Getenv("FEEPOS_CHROMIUM")
	from := "FEEPOS_CHROMIUM"
	if path == "" {
		path, from = defaultChromium, "the default path"
	}
	resolved, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("no Chromium at %s (%s): %w; install it (apt-get install chromium, which .ci/run does) or set FEEPOS_CHROMIUM to a Chromium or Chrome binary", path, from, err)
	}
	return resolved, nil
}

// startBrowser launches a headless Chromium with a new empty profile in
// profileDir and returns a func that waits until it runs and gives the
// context of its first tab, from which every page opens: the server
// starts meanwhile. The browser is closed when the test ends.
func startBrowser(t *testing.T, profileDir string) (wait func() context.Context) {
	t.Helper()
	execPath, err := chromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profileDir),
		chromedp.Headless,
		// The tests run as root in CI's containers, where Chromium's
		// sandbox cannot start (and chromium-sandbox is not installed).
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Nothing but the page under test on the network: no QUIC, no
		// background requests to Google, no component or sync updates.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true), // small /dev/shm in containers
		chromedp.Flag("disable-features", "Translate"),
		// Timers and rendering at full speed though no window is focused.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.Flag("password-store", "basic"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser() // closes the browser
		cancelAlloc()   // waits for its process to end
	})

	// The first action starts the browser, and no timeout may be set on
	// its context (it would end the browser with it): the wait is bounded
	// by wait instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	deadline := time.Now().Add(waitTimeout)
	return func() context.Context {
		t.Helper()
		select {
		case err := <-started:
			if err != nil {
				t.Fatalf("start Chromium %s: %v", execPath, err)
			}
		case <-time.After(time.Until(deadline)):
			cancelBrowser()
			t.Fatalf("Chromium %s did not start in %s", execPath, waitTimeout)
		}
		return browserCtx
	}
}

// viewport is a screen the pages are shown on.
type viewport struct {
	name          string
	width, height int64
	mobile        bool // a phone: mobile layout (meta viewport honoured) and touch
}

var (
	desktop = viewport{name: "desktop", width: 1366, height: 768}            // the counter PC
	phone   = viewport{name: "phone", width: 390, height: 844, mobile: true} // a citizen's phone
)

// page is one browser tab in a browser context of its own (its own
// cookies: a cashier and an accountant can be logged in side by side).
// Every method fails the test on error, with what it was doing.
type page struct {
	h   *harness
	t   *testing.T
	ctx context.Context
	vp  viewport

	mu       sync.Mutex
	jsErrors []string // uncaught JavaScript exceptions not yet taken
}

// watchJSErrors collects the page's uncaught JavaScript exceptions: a
// test fails at its end if one was neither expected (takeJSErrors) nor
// fixed. Resources that fail to load are not counted (a missing favicon
// is not a bug of the page).
func (p *page) watchJSErrors() {
	events := chromedp.Events(p.ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range events {
			if err != nil {
				return // the tab was closed
			}
			p.mu.Lock()
			p.jsErrors = append(p.jsErrors, describeException(ev.ExceptionDetails))
			p.mu.Unlock()
		}
	}()
	p.t.Cleanup(func() {
		if errs := p.takeJSErrors(); len(errs) > 0 {
			p.t.Errorf("uncaught JavaScript errors on the %s page:\n%s", p.vp.name, strings.Join(errs, "\n"))
		}
	})
}

// takeJSErrors returns the uncaught JavaScript exceptions so far, and
// forgets them.
func (p *page) takeJSErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	errs := p.jsErrors
	p.jsErrors = nil
	return errs
}

func describeException(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg)
}

// do runs actions with the harness's generous timeout.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail(what, err)
	}
}

// fail ends the test with a screenshot of the page as it was.
func (p *page) fail(what string, err error) {
	p.t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("not done in %s: %w", waitTimeout, err)
	}
	shot := p.h.saveShot(p, "FAILED-"+what)
	p.t.Fatalf("%s (page %s, %s viewport): %v\nscreenshot: %s\npage text:\n%s", what, p.location(), p.vp.name, err, shot, p.bodyText())
}

// open loads a path of the server ("/verify/…") or an absolute URL and
// waits for its load event.
func (p *page) open(pathOrURL string) {
	p.t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = p.h.base + u
	}
	p.do("open "+u, chromedp.Navigate(u))
}

// waitText waits until the page's visible text contains text (across
// navigations: a form's submit may still be loading the next page).
func (p *page) waitText(text string) {
	p.t.Helper()
	p.waitJS("text "+strconvQuote(text), fmt.Sprintf(`document.body !== null && document.body.innerText.includes(%s)`, jsString(text)))
}

// waitGone waits until the page's visible text no longer contains text.
func (p *page) waitGone(text string) {
	p.t.Helper()
	p.waitJS("no text "+strconvQuote(text), fmt.Sprintf(`document.body !== null && !document.body.innerText.includes(%s)`, jsString(text)))
}

// waitVisible waits until an element matching the CSS selector is visible.
func (p *page) waitVisible(selector string) {
	p.t.Helper()
	p.do("wait for "+selector, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// click clicks, with the mouse, the first element matching the CSS
// selector, once it is visible.
func (p *page) click(selector string) {
	p.t.Helper()
	p.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// typeInto focuses the element matching the CSS selector and types text
// key by key, as a person does ("\r" is Enter; see chromedp/kb for other
// keys).
func (p *page) typeInto(selector, text string) {
	p.t.Helper()
	p.do("type into "+selector, chromedp.SendKeys(chromedp.CSS(selector), text))
}

// choose selects the option with value in the <select> matching the CSS
// selector, firing input and change as a person's choice does.
func (p *page) choose(selector, value string) {
	p.t.Helper()
	p.waitVisible(selector)
	js := fmt.Sprintf(`(function () {
		const s = document.querySelector(%s);
		if (!s || ![...s.options].some(o => o.value === %s)) return false;
		s.focus();
		s.value = %s;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, jsString(selector), jsString(value), jsString(value))
	if !evalJS[bool](p, js) {
		p.fail("choose "+value+" in "+selector, errors.New("no such option"))
	}
}

// upload puts the file at path into the <input type="file"> matching the
// CSS selector (the form is not submitted).
func (p *page) upload(selector, path string) {
	p.t.Helper()
	p.do("upload "+path+" into "+selector, chromedp.SetUploadFiles(chromedp.CSS(selector), []string{path}, chromedp.NodeReady))
}

// waitPath waits until the page's address has this path (a redirect after
// a form, a link followed).
func (p *page) waitPath(path string) {
	p.t.Helper()
	p.waitJS("the address "+path, fmt.Sprintf(`location.pathname === %s && document.readyState === "complete"`, jsString(path)))
}

// press types keys into whatever element has the focus (e.g. kb.Enter,
// kb.Tab, kb.Escape of github.com/chromedp/chromedp/kb).
func (p *page) press(keys string) {
	p.t.Helper()
	p.do("press keys", chromedp.KeyEvent(keys))
}

// scan is a keyboard-wedge barcode/QR scanner reading code: it types the
// characters into whatever has the focus, as fast as the protocol sends
// them, then Enter, as the scanner's USB keyboard does. The page decides
// where that goes (the cashier's screen keeps its scan field focused).
func (p *page) scan(code string) {
	p.t.Helper()
	p.do("scan "+code, chromedp.KeyEvent(code+"\r"))
}

// login signs in on /login (fields named username and password) and
// waits until the browser has left the login page.
func (p *page) login(user, password string) {
	p.t.Helper()
	p.open("/login")
	p.typeInto(`input[name="username"]`, user)
	p.typeInto(`input[name="password"]`, password+"\r")
	p.waitJS("leave /login after signing in as "+user, `location.pathname !== "/login" && document.readyState === "complete"`)
}

// shot writes a full-page PNG screenshot of this step: NN-name.png in the
// test's artifacts folder.
func (p *page) shot(name string) {
	p.t.Helper()
	p.h.saveShot(p, name)
}

// noHorizontalScroll checks that the page is not wider than the viewport
// (nothing to scroll sideways on a phone).
func (p *page) noHorizontalScroll() {
	p.t.Helper()
	w := evalJS[int64](p, "document.documentElement.scrollWidth")
	if w > p.vp.width {
		p.shot("too-wide")
		p.t.Errorf("page %s is %d px wide on a %d px %s viewport: it scrolls sideways", p.location(), w, p.vp.width, p.vp.name)
	}
}

// location is the page's URL ("" if it cannot be read).
func (p *page) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

// bodyText is the page's visible text ("" if it cannot be read).
func (p *page) bodyText() string {
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// waitJS waits until the JavaScript expression is true. It polls from Go
// and survives navigations: the expression is evaluated again in the new
// document.
func (p *page) waitJS(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	var lastErr error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			p.fail("wait for "+what, lastErr)
			return
		case <-afterPoll():
		}
	}
}

// evalJS evaluates a JavaScript expression in the page and decodes its
// value into T.
func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.fail("evaluate "+expr, err)
	}
	return v
}
