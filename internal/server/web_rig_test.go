package server

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
)

// The web pages' test rig (docs/WEB.md "Testing a page"): the payment
// API's rig (api_rig_test.go: database, catalogue, receipt series, the
// payment service and, unless noTerms, the ZVT simulator on a
// pseudo-terminal) plus a second httptest server on the bare router (not
// buffered through the OpenAPI check, so Server-Sent Events stream), a
// fake clock for the web side, and browsers (webClient) that sign in for
// real through POST /login and keep their cookies.

// Cheap argon2id parameters for this package's tests, set before any
// test runs: a real hash costs 250 ms under -race and every login makes
// two. The parameters travel with each hash, so checking is unchanged;
// internal/auth tests the real ones.
var _ = func() bool {
	auth.PasswordParams = auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}
	return true
}()

// testPassword is the password of the users the rig creates.
const testPassword = "mật-khẩu-thử-1"

type webRig struct {
	*payRig
	web   *httptest.Server // the router, unwrapped
	clock *fakeClock       // the web side's clock (sessions, lockout)
	users atomic.Int64
}

// fakeClock is a clock tests move by hand; it starts at the real time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newWebRig is the full rig, with the terminal T1 on the ZVT simulator.
func newWebRig(t *testing.T) *webRig { return newWebRigWith(t, rigOptions{}) }

// newWebRigWith is the rig with options (rigOptions{noTerms: true}: no
// terminal, faster).
func newWebRigWith(t *testing.T, o rigOptions) *webRig {
	t.Helper()
	rig := &webRig{payRig: newPayRig(t, o), clock: &fakeClock{t: time.Now()}}
	rig.srv.now = rig.clock.Now
	rig.web = httptest.NewServer(rig.srv)
	t.Cleanup(rig.web.Close)
	return rig
}

// createUser makes an account with the rig's test password, no forced
// change; username "" makes one up from the role.
func (rig *webRig) createUser(t *testing.T, username string, role auth.Role) auth.User {
	t.Helper()
	if username == "" {
		username = fmt.Sprintf("%s%d", role, rig.users.Add(1))
	}
	names := map[auth.Role]string{auth.RoleCashier: "Nguyễn Thị Thu", auth.RoleAccountant: "Trần Văn Kế", auth.RoleAdmin: "Lê Quản Trị"}
	cu, err := rig.db.CreateUser(t.Context(), sqlite.NewUser{Username: username, Name: names[role], Role: role, Password: testPassword},
		auth.System("test"))
	require.NoError(t, err)
	return cu.User
}

// client is a browser that has not signed in.
func (rig *webRig) client(t *testing.T) *webClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &webClient{base: rig.web.URL, http: &http.Client{Jar: jar, Timeout: patient}}
}

// login creates a user of role and signs in as them through the login
// form; the client then holds the session and its CSRF token.
func (rig *webRig) login(t *testing.T, role auth.Role) *webClient {
	t.Helper()
	u := rig.createUser(t, "", role)
	c := rig.loginAs(t, u.Username, testPassword)
	c.User = u
	return c
}

// loginAs signs in with a user name and password, which must succeed.
func (rig *webRig) loginAs(t *testing.T, username, password string) *webClient {
	t.Helper()
	c := rig.client(t)
	// Not followed: the role's home page may not exist in a test.
	resp, body := c.withoutRedirects().signIn(t, username, password)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "sign in as %s failed: %s", username, body)
	if c.User.ID == "" {
		c.User, _ = rig.db.UserByUsername(t.Context(), username)
	}
	// The session's CSRF token, from a page every user may see.
	_, body = c.get(t, "/password")
	require.NotEmpty(t, c.csrf, "the page has the CSRF meta tag: %s", body)
	return c
}

// webClient is a browser: cookies, the CSRF token of its last page, and
// redirects followed unless noFollow.
type webClient struct {
	base     string
	http     *http.Client
	csrf     string    // from the last page's <meta name="csrf-token">
	User     auth.User // who signed in (login)
	noFollow bool
	parent   *webClient // withoutRedirects: the client whose CSRF token it shares
}

// signIn posts the login form (fetching it first for the CSRF cookie).
func (c *webClient) signIn(t *testing.T, username, password string) (*http.Response, string) {
	t.Helper()
	c.get(t, "/login")
	return c.postForm(t, "/login", url.Values{"username": {username}, "password": {password}})
}

// withoutRedirects is the same browser (cookies shared) not following
// redirects: its answers are the 303s themselves.
func (c *webClient) withoutRedirects() *webClient {
	n := &webClient{base: c.base, csrf: c.csrf, User: c.User, noFollow: true, parent: c}
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	n.http = &hc
	return n
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// do sends req and reads the answer; the body is closed.
func (c *webClient) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if m := csrfMeta.FindSubmatch(b); m != nil && len(m[1]) > 0 {
		c.csrf = html.UnescapeString(string(m[1]))
		if c.parent != nil {
			c.parent.csrf = c.csrf
		}
	}
	return resp, string(b)
}

func (c *webClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	require.NoError(t, err)
	return c.do(t, req)
}

// postForm posts a form with the CSRF token added.
func (c *webClient) postForm(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get(csrfFormField) == "" {
		f.Set(csrfFormField, c.csrf)
	}
	return c.postFormRaw(t, path, f)
}

// postFormRaw posts a form as it is: no CSRF token added.
func (c *webClient) postFormRaw(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(t, req)
}

// postFile posts a multipart form with one file and fields, the CSRF
// token added.
func (c *webClient) postFile(t *testing.T, path string, fields url.Values, fileField, fileName string, content []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(k, v))
		}
	}
	if fields.Get(csrfFormField) == "" {
		require.NoError(t, mw.WriteField(csrfFormField, c.csrf))
	}
	fw, err := mw.CreateFormFile(fileField, fileName)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, c.base+path, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(t, req)
}

// fetch sends a script's request (method, JSON or nil body) with the
// X-CSRF-Token header, as app.js's feepos.fetch does.
func (c *webClient) fetch(t *testing.T, method, path string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(t, err)
	req.Header.Set(csrfHeader, c.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.do(t, req)
}
