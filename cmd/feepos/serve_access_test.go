package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a stdout that serve writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// serveStdout is serveUntil that also returns what serve printed on stdout.
func serveStdout(t *testing.T, during func(base string), args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out, errOut lockedBuffer
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), strings.NewReader(""), &out, &errOut)
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}, time.Minute, 20*time.Millisecond, "serve did not answer: %s", errOut.String())
	if during != nil {
		during(base)
	}
	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, errOut.String())
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop when its context ended")
	}
	return out.String()
}

func apiStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// serve --demo prints a token per role at every start, the same ones, and
// they open the API as their role.
func TestServeDemoPrintsTokensPerRole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feepos-data")
	dbPath := filepath.Join(dir, "feepos.db")
	tokenRe := regexp.MustCompile(`(?m)^  (dossier-system|cashier|accountant|admin)\s+(fp_\S+)$`)
	tokens := func(out string) map[string]string {
		m := map[string]string{}
		for _, g := range tokenRe.FindAllStringSubmatch(out, -1) {
			m[g[1]] = g[2]
		}
		return m
	}
	out1 := serveStdout(t, func(base string) {
		assert.Equal(t, http.StatusUnauthorized, apiStatus(t, base+"/api/v1/webhooks", ""))
	}, "--demo", "--db", dbPath)
	first := tokens(out1)
	require.Len(t, first, 4, out1)
	assert.Contains(t, out1, "webhook secret")

	fi, err := os.Stat(filepath.Join(dir, demoTokensFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	out2 := serveStdout(t, func(base string) {
		assert.Equal(t, http.StatusOK, apiStatus(t, base+"/api/v1/webhooks", first["admin"]))
		assert.Equal(t, http.StatusForbidden, apiStatus(t, base+"/api/v1/webhooks", first["cashier"]))
	}, "--demo", "--db", dbPath)
	assert.Equal(t, first, tokens(out2), "the same demo tokens at every start")

	r := feepos(t, "", "--db", dbPath, "tokens", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	assert.Len(t, list, 4)
}
