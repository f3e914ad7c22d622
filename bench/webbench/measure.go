package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/bench/internal/stats"
	"github.com/feepos/feepos/internal/auth"
)

// What is measured, per page: the time from the moment the client holds
// an open keep-alive TCP connection to the server on loopback
// (httptrace's GotConn, just before the request is written) to the moment
// it has read the last byte of the body: the request's trip in, the
// server's routing, session, database reads and rendering, the answer's
// trip out. One connection, one request at a time, no compression (the
// server sends none), redirects not followed. Connecting is not in it.
//
// The public pages are rate-limited per client IP (/verify 30, /kiosk 60
// a minute): the client moves to a new connection from another loopback
// address (127.77.x.y; Linux routes all of 127/8 to lo) every perConn
// requests, on every page alike, so no request meets the limit and the
// limiter's own work stays in the time.
const perConn = 20

var nextIP atomic.Uint32

// localAddr is the next client address.
func localAddr() *net.TCPAddr {
	n := nextIP.Add(1)
	return &net.TCPAddr{IP: net.IPv4(127, 77, byte(n/250), byte(n%250+1))}
}

// browser is one client: its cookies (a signed-in session or none) and a
// connection from an address that changes every perConn requests.
type browser struct {
	base  string
	jar   http.CookieJar
	tr    *http.Transport
	http  *http.Client
	local atomic.Pointer[net.TCPAddr]
	uses  int
}

func newBrowser(base string, jar http.CookieJar) *browser {
	b := &browser{base: base, jar: jar}
	b.local.Store(localAddr())
	b.tr = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{LocalAddr: b.local.Load(), Timeout: 10 * time.Second}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}
	b.http = &http.Client{Transport: b.tr, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

func (b *browser) close() { b.tr.CloseIdleConnections() }

// get fetches path and returns the status, the body and the time
// measured (see above).
func (b *browser) get(ctx context.Context, path string) (int, []byte, time.Duration, error) {
	if b.uses > 0 && b.uses%perConn == 0 {
		b.tr.CloseIdleConnections()
		b.local.Store(localAddr())
	}
	b.uses++
	var t0 time.Time
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { t0 = time.Now() }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, b.base+path, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Accept-Language", "vi-VN,vi")
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	resp.Body.Close()
	return resp.StatusCode, body, d, err
}

var (
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
	csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
)

// signIn makes a session for username through the login form, as a
// browser does: GET /login (the pre-session CSRF cookie and token), POST
// /login, which must answer 303.
func signIn(ctx context.Context, base, username, password string) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := newBrowser(base, jar)
	defer b.close()
	status, body, _, err := b.get(ctx, "/login")
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("GET /login: %d %v", status, err)
	}
	token := ""
	if m := csrfMeta.FindSubmatch(body); m != nil {
		token = html.UnescapeString(string(m[1]))
	} else if m := csrfInput.FindSubmatch(body); m != nil {
		token = html.UnescapeString(string(m[1]))
	}
	form := url.Values{"username": {username}, "password": {password}, "csrf_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("POST /login as %s: %d, not 303: %.300s", username, resp.StatusCode, msg)
	}
	return jar, nil
}

// PageResult is one page's measurement.
type PageResult struct {
	Path   string    `json:"path"` // as listed (the targets in braces)
	URL    string    `json:"url"`  // as requested
	Role   auth.Role `json:"role,omitempty"`
	State  string    `json:"state"` // measured | not built | failed
	Status int       `json:"status"`
	Error  string    `json:"error,omitempty"`
	// FirstUS is the first request's time (a cold page: templates, the
	// database's pages, /verify's chain walk), not in Times.
	FirstUS float64       `json:"first_us"`
	Times   stats.Summary `json:"times_us"`
	Bytes   int           `json:"bytes"`
}

const (
	stateMeasured = "measured"
	stateNotBuilt = "not built"
	stateFailed   = "failed"
)

// measure gets the page warm+n times on one browser with jar.
func measure(ctx context.Context, base string, jar http.CookieJar, p page, fx Fixture, warm, n int) PageResult {
	res := PageResult{Path: p.Path, URL: fx.fill(p.Path), Role: p.Role}
	b := newBrowser(base, jar)
	defer b.close()
	var times []float64
	for i := range 1 + warm + n {
		status, body, d, err := b.get(ctx, res.URL)
		if err == nil && status != http.StatusOK {
			err = errors.New(http.StatusText(status))
		}
		res.Status = status
		if err != nil {
			res.State, res.Error = stateFailed, err.Error()
			if status == http.StatusNotFound && i == 0 {
				res.State, res.Error = stateNotBuilt, ""
			}
			if status >= 300 && status < 400 {
				res.Error += " → " + string(body)
			}
			return res
		}
		us := float64(d.Nanoseconds()) / 1e3
		switch {
		case i == 0:
			res.FirstUS, res.Bytes = us, len(body)
		case i > warm:
			times = append(times, us)
		}
	}
	res.State, res.Times = stateMeasured, stats.Summarize(times)
	return res
}
