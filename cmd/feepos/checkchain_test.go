package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// demoDayExport makes the demo's receipts yesterday (serve --demo's two
// payments: the district's and the police's, the police's issued by the
// center on its behalf), closes that day and exports it with the CLI. It
// returns the export directory and the demo certificates.
func demoDayExport(t *testing.T) (drop string, certs []string) {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "feepos.db")
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	yesterday := time.Now().In(receipts.Zone).AddDate(0, 0, -1)
	day := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day(), 10, 0, 0, 0, receipts.Zone)
	db.Now = func() time.Time { return day }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chart, err := config.Config{}.Chart()
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, chart))
	require.NoError(t, seedDemoCatalogue(ctx, log, db, true)) // the chart and fees, as serve --demo
	keys, _, err := signing.Load(ctx, log, db, config.Receipts{}, dbPath, true)
	require.NoError(t, err)
	rs, err := seedDemoReceipts(ctx, log, db, keys)
	require.NoError(t, err)
	require.Len(t, rs, 3)
	require.NoError(t, db.Close())

	date := day.Format(time.DateOnly)
	r := feepos(t, "", "--db", dbPath, "receipts", "close", "--date", date)
	require.Equal(t, 0, r.code, r.stderr)
	drop = t.TempDir()
	r = feepos(t, "", "--db", dbPath, "receipts", "export", "--drop", drop, "--date", date)
	require.Equal(t, 0, r.code, r.stderr)
	for _, org := range signing.DemoOrgs {
		_, cert := signing.DemoKeyPaths(dbPath, org)
		certs = append(certs, cert)
	}
	return drop, certs
}

// checkchain runs tools/checkchain on dir.
func checkchain(t *testing.T, dir string, certs ...string) (string, int) {
	t.Helper()
	args := []string{filepath.Join("..", "..", "tools", "checkchain", "checkchain.py")}
	for _, c := range certs {
		args = append(args, "--cert", c)
	}
	out, err := exec.Command("python3", append(args, dir)...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err, string(out))
	return string(out), 0
}

// Issue 13, item 9: an outsider recomputes every hash and link of a day's
// export and verifies every signature with xmlsec1, without feepos; a
// changed amount, a removed receipt and a key of another organisation are
// each caught.
func TestCheckchainVerifiesADemoDayExport(t *testing.T) {
	for _, tool := range []string{"python3", "xmlsec1", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("tools/checkchain needs %s, which is not installed (apt-get install python3 xmlsec1 openssl; .ci/run installs them)", tool)
		}
	}
	drop, certs := demoDayExport(t)
	names, err := filepath.Glob(filepath.Join(drop, "*.xml"))
	require.NoError(t, err)
	require.Len(t, names, 4, "three receipts and the closure")
	first := func(dir, glob string) string {
		m, err := filepath.Glob(filepath.Join(dir, glob))
		require.NoError(t, err)
		require.NotEmpty(t, m)
		return m[0]
	}

	// The police's receipt names the center that issued it on its behalf.
	b, err := os.ReadFile(first(drop, "EBL01_0100000002_*AB_00000001.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "<Delegate>\n    <Name>"+signing.DemoCenterName+"</Name>\n    <TaxCode>"+signing.DemoCenterTaxCode+"</TaxCode>")

	out, code := checkchain(t, drop, certs...)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "OK: 3 receipts, 1 closures")
	out, code = checkchain(t, drop)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "not compared with a trusted one")

	copyDir := func() string {
		dir := t.TempDir()
		for _, n := range names {
			b, err := os.ReadFile(n)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(n)), b, 0o644))
		}
		return dir
	}

	// An amount changed in a file: the signature and the content hash fail.
	dir := copyDir()
	f := first(dir, "EBL01_*_*AA_00000002.xml")
	b, err = os.ReadFile(f)
	require.NoError(t, err)
	changed := regexp.MustCompile(`<Total currency="VND">(\d+)</Total>`).ReplaceAll(b, []byte(`<Total currency="VND">1$1</Total>`))
	require.NotEqual(t, b, changed)
	require.NoError(t, os.WriteFile(f, changed, 0o644))
	out, code = checkchain(t, dir, certs...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "xmlsec1 --verify fails")
	assert.Contains(t, out, "content hash")

	// A receipt removed: the closure's count fails.
	dir = copyDir()
	require.NoError(t, os.Remove(first(dir, "EBL01_*_*AA_00000002.xml")))
	out, code = checkchain(t, dir, certs...)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "closes 2 receipts")

	// Only the district's certificate trusted: the police's receipt fails.
	out, code = checkchain(t, drop, certs[0])
	assert.Equal(t, 1, code, out)
	assert.True(t, strings.Contains(out, "_00000001.xml: xmlsec1 --verify fails"), out)
}
