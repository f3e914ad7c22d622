package main

import (
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Issue 13, "Prove it": a receipt, a daily summary 01/TH-BLĐT and a notice
// 04/SS-CTĐT, as feepos signs them, verify with xmlsec1 — a verifier that
// is not feepos's — against the organisation's certificate, and a changed
// byte of the content does not. (tools/checkchain does the same for a
// whole day's export: checkchain_test.go.)

// xmlsec1Verify runs xmlsec1 --verify on doc with cert as the only trusted
// certificate and returns its error (nil: the signature holds).
func xmlsec1Verify(t *testing.T, doc []byte, cert *receipts.KeySigner) error {
	t.Helper()
	dir := t.TempDir()
	certFile, docFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "doc.xml")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate().Raw}), 0o600))
	require.NoError(t, os.WriteFile(docFile, doc, 0o600))
	out, err := exec.Command("xmlsec1", "--verify", "--enabled-reference-uris", "empty", "--trusted-pem", certFile, docFile).CombinedOutput()
	if err != nil {
		return &xmlsecError{err: err, out: string(out)}
	}
	return nil
}

type xmlsecError struct {
	err error
	out string
}

func (e *xmlsecError) Error() string { return e.err.Error() + ": " + e.out }

func TestXmlsec1VerifiesReceiptSummaryAndNotice(t *testing.T) {
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		t.Skip("xmlsec1 is not installed (apt-get install xmlsec1; .ci/run installs it)")
	}
	district, police := twoKeys(t)

	// A receipt: its stored signed XML.
	dbPath, cfg, refs := noticeDB(t)
	db, err := sqlite.Open(context.Background(), dbPath)
	require.NoError(t, err)
	doc, err := db.SignedReceiptXML(context.Background(), refs[0].Template, refs[0].Series, refs[0].Number)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NoError(t, xmlsec1Verify(t, doc, district), "the receipt")
	assert.Error(t, xmlsec1Verify(t, doc, police), "the receipt against another organisation's certificate")
	changed := strings.Replace(string(doc), "<Total", "<Total data-x=\"1\"", 1)
	require.NotEqual(t, string(doc), changed)
	assert.Error(t, xmlsec1Verify(t, []byte(changed), district), "a changed receipt")

	// A notice 04/SS-CTĐT.
	r := noticeCLI(t, dbPath, cfg, "--org", "UBND-Q1", "--receipt", refs[0].String(), "--kind", "payer_name",
		"--explanation", "Ghi sai tên người nộp: Nguyễn Văn Ann, đúng là Nguyễn Văn An")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, xmlsec1Verify(t, []byte(r.stdout), district), "the notice")
	assert.Error(t, xmlsec1Verify(t, []byte(strings.Replace(r.stdout, "Nguyễn Văn Ann", "Nguyễn Văn Anh", 1)), district), "a changed notice")

	// A daily summary 01/TH-BLĐT.
	sumDB := summaryDB(t)
	r = summaryCLI(t, "--db", sumDB, "receipts", "summary", "--org", "UBND-Q1", "--date", "2026-07-01")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, xmlsec1Verify(t, []byte(r.stdout), district), "the summary")
	changed = strings.Replace(r.stdout, "<Amount>80000</Amount>", "<Amount>80001</Amount>", 1)
	require.NotEqual(t, r.stdout, changed, "the summary holds the 80.000 đ line")
	assert.Error(t, xmlsec1Verify(t, []byte(changed), district), "a changed summary")
}
