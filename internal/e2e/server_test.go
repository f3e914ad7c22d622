package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitTimeout bounds every wait of the harness: generous, because the
// machine running the tests may be a loaded 2-core VM; nothing waits a
// fixed time.
const waitTimeout = 60 * time.Second

// server is one `feepos serve --demo` child process on a port of
// 127.0.0.1 the system picked.
type server struct {
	base    string // http://127.0.0.1:PORT
	dataDir string // the database's folder (demo keys, tokens, terminal state)
	cmd     *exec.Cmd
	log     *serverLog
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done
}

// demoReceipt is one "demo receipt" line of serve's log.
type demoReceipt struct {
	Org, Receipt, Total, Verify string
}

// startServer runs the binary TestMain built with a database of its own
// in dir and waits until it answers /healthz. The process is stopped
// (SIGTERM, then SIGKILL) when the test ends, also when it failed; its log
// is written to logFile and, when the test failed, into the test's log.
func startServer(t *testing.T, dir, logFile string) *server {
	t.Helper()
	db := filepath.Join(dir, "feepos-data", "feepos.db")
	cmd := exec.Command(feeposBin, "serve", "--demo", "--addr", "127.0.0.1:0", "--db", db)
	cmd.Dir = dir // nothing of the demo lands in the repository
	// The process dies with the test binary even if that is killed (a
	// go test -timeout panic runs no cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// slog writes to stderr; stdout is merged in so nothing is lost.
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	s := &server{dataDir: filepath.Dir(db), cmd: cmd, log: newServerLog(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", feeposBin, err)
	}
	go s.log.read(pr)
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop(t)
		if logFile != "" {
			_ = os.WriteFile(logFile, []byte(s.log.String()), 0o644)
		}
		if t.Failed() {
			t.Logf("feepos serve's log:\n%s", s.log.String())
		}
	})

	addr, err := s.log.waitAddr(waitTimeout, s.done)
	if err != nil {
		t.Fatalf("feepos serve: %v\nits log:\n%s", err, s.log.String())
	}
	s.base = "http://" + addr
	s.waitHealthy(t)
	return s
}

// waitHealthy polls /healthz until it answers 200.
func (s *server) waitHealthy(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(waitTimeout)
	var last string
	for {
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
			t.Fatalf("feepos serve exited (%v) before /healthz answered\nits log:\n%s", s.err, s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("feepos serve: /healthz did not answer 200 in %s (last: %s)\nits log:\n%s", waitTimeout, last, s.log.String())
		}
	}
}

// stop ends the process as a service manager would (SIGTERM: it shuts
// down gracefully), and kills it if it has not exited in time.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(waitTimeout):
		t.Errorf("feepos serve did not stop %s after SIGTERM: killed", waitTimeout)
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// demoReceipts are the demo receipts serve logged, with their /verify
// addresses. They are logged just before /healthz answers, so they are in
// the log or about to be read from the pipe.
func (s *server) demoReceipts(t *testing.T) []demoReceipt {
	t.Helper()
	rs, err := s.log.waitDemoReceipts(waitTimeout)
	if err != nil {
		t.Fatalf("%v\nfeepos serve's log:\n%s", err, s.log.String())
	}
	return rs
}

// apiToken is the demo API token of a role (dossier-system, cashier,
// accountant, admin) that serve --demo keeps in demo-tokens.json, for a
// test that prepares data over the JSON API (Authorization: Bearer).
func (s *server) apiToken(t *testing.T, role string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dataDir, "demo-tokens.json"))
	if err != nil {
		t.Fatalf("the demo API tokens: %v", err)
	}
	var toks []struct{ Role, Token string }
	if err := json.Unmarshal(b, &toks); err != nil {
		t.Fatalf("the demo API tokens: %v", err)
	}
	for _, tok := range toks {
		if tok.Role == role {
			return tok.Token
		}
	}
	t.Fatalf("no demo API token of role %q in demo-tokens.json", role)
	return ""
}

// serverLog holds serve's output and what the harness reads from it.
type serverLog struct {
	mu       sync.Mutex
	changed  *sync.Cond
	lines    []string
	addr     string
	receipts []demoReceipt
	eof      bool
}

func newServerLog() *serverLog {
	l := &serverLog{}
	l.changed = sync.NewCond(&l.mu)
	return l
}

func (l *serverLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		kv := parseLogfmt(line)
		l.mu.Lock()
		l.lines = append(l.lines, line)
		switch kv["msg"] {
		case "listening":
			if l.addr == "" {
				l.addr = kv["addr"]
			}
		case "demo receipt":
			l.receipts = append(l.receipts, demoReceipt{Org: kv["org"], Receipt: kv["receipt"], Total: kv["total"], Verify: kv["verify"]})
		}
		l.changed.Broadcast()
		l.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r) // a line too long: keep the child from blocking
	l.mu.Lock()
	l.eof = true
	l.changed.Broadcast()
	l.mu.Unlock()
}

// waitFor waits until cond (called with l.mu held) is true, the output
// ended or timeout passed.
func (l *serverLog) waitFor(timeout time.Duration, cond func() bool) bool {
	timer := time.AfterFunc(timeout, func() {
		l.mu.Lock()
		l.changed.Broadcast()
		l.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	l.mu.Lock()
	defer l.mu.Unlock()
	for !cond() && !l.eof && time.Now().Before(deadline) {
		l.changed.Wait()
	}
	return cond()
}

// waitAddr is the address of serve's "listening" line: with --addr
// 127.0.0.1:0 the system picks the port, and that line is where serve says
// which.
func (l *serverLog) waitAddr(timeout time.Duration, exited <-chan struct{}) (string, error) {
	if l.waitFor(timeout, func() bool { return l.addr != "" }) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.addr, nil
	}
	select {
	case <-exited:
		return "", errors.New("it exited before logging the address it listens on")
	default:
		return "", fmt.Errorf("no \"listening\" line with addr= in its log after %s", timeout)
	}
}

// demoReceiptCount is how many receipts serve --demo issues and logs: the
// card payment of a dossier with the district's and the police's fees (two
// receipts) and a cash payment (cmd/feepos/demo_receipts.go).
const demoReceiptCount = 3

func (l *serverLog) waitDemoReceipts(timeout time.Duration) ([]demoReceipt, error) {
	if !l.waitFor(timeout, func() bool { return len(l.receipts) >= demoReceiptCount }) {
		l.mu.Lock()
		n := len(l.receipts)
		l.mu.Unlock()
		return nil, fmt.Errorf(`feepos serve --demo logged %d "demo receipt" lines, not %d`, n, demoReceiptCount)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]demoReceipt(nil), l.receipts...), nil
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// parseLogfmt reads the key=value pairs of a log/slog text line; a value
// with spaces or quotes is a Go-quoted string. A line that is not of that
// form gives what could be read of it.
func parseLogfmt(line string) map[string]string {
	kv := map[string]string{}
	for line != "" {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq <= 0 || strings.ContainsAny(line[:eq], " \"") {
			break
		}
		key := line[:eq]
		line = line[eq+1:]
		var val string
		if strings.HasPrefix(line, `"`) {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				break
			}
			val, _ = strconv.Unquote(q)
			line = line[len(q):]
		} else if sp := strings.IndexByte(line, ' '); sp >= 0 {
			val, line = line[:sp], line[sp:]
		} else {
			val, line = line, ""
		}
		kv[key] = val
	}
	return kv
}
