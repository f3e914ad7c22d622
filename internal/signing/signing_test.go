package signing_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func openDB(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feepos.db")
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, path
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Demo mode makes each demo organisation's key (mode 0600) and series,
// trusts both certificates, and reuses the keys on the next start.
func TestLoadDemo(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	var log bytes.Buffer
	k, trust, err := signing.Load(ctx, slog.New(slog.NewTextHandler(&log, nil)), db, config.Receipts{}, path, true)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "demo signing key created")
	assert.Equal(t, []string{"CA-DEMO"}, k.Orgs(), "the district's is the default key")
	require.NotNil(t, k.Default())
	assert.Len(t, k.Certificates(), 2)
	assert.NotEqual(t, receipts.Trust{}, trust)

	before := map[string][]byte{}
	for _, org := range signing.DemoOrgs {
		keyFile, certFile := signing.DemoKeyPaths(path, org)
		fi, err := os.Stat(keyFile)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		before[certFile], err = os.ReadFile(certFile)
		require.NoError(t, err)
		s, err := db.Series(ctx, org.Series.OrgCode)
		require.NoError(t, err)
		assert.Equal(t, org.Series.Letters, s.Letters)
	}
	log.Reset()
	_, _, err = signing.Load(ctx, slog.New(slog.NewTextHandler(&log, nil)), db, config.Receipts{}, path, true)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "demo signing key loaded")
	for file, b := range before {
		now, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, b, now, "%s is reused", file)
	}

	// The commands find the same keys next to the database.
	keys, err := signing.ReceiptKeys(config.Receipts{}, path)
	require.NoError(t, err)
	assert.Equal(t, []string{"CA-DEMO"}, keys.Orgs())
	districtKey, _ := signing.DemoKeyPaths(path, signing.DemoOrgs[0])
	assert.Equal(t, districtKey+" (demo key)", keys.From(""))
	s, from, err := signing.ClosureSigner(config.Receipts{}, path)
	require.NoError(t, err)
	assert.Equal(t, "Ủy ban nhân dân huyện Demo", s.Certificate().Subject.CommonName)
	assert.Equal(t, districtKey+" (demo key)", from)

	_, how, err := signing.Trust(config.Receipts{}, "", path)
	require.NoError(t, err)
	assert.True(t, how.Demo)
	assert.Len(t, how.Files, 2)
	assert.Contains(t, how.String(), "signatures by the demo certificates in ")
	assert.Contains(t, how.VI(), "chứng thư số mẫu")
}

func TestNoKey(t *testing.T) {
	db, path := openDB(t)
	_, err := signing.ReceiptKeys(config.Receipts{}, path)
	assert.ErrorContains(t, err, "no signing key: set [receipts] p12_file")
	assert.ErrorContains(t, err, "run 'feepos serve --demo' once")

	trust, how, err := signing.Trust(config.Receipts{}, "", path)
	require.NoError(t, err)
	assert.Equal(t, receipts.Trust{}, trust)
	assert.Equal(t, "no trusted certificate configured: each signature checked against the certificate it carries", how.String())

	var log bytes.Buffer
	k, _, err := signing.Load(context.Background(), slog.New(slog.NewTextHandler(&log, nil)), db, config.Receipts{}, path, false)
	require.NoError(t, err)
	assert.Nil(t, k)
	assert.Contains(t, log.String(), "receipts will not be signed")
}

func TestHalfADemoPair(t *testing.T) {
	db, path := openDB(t)
	keyFile, certFile := signing.DemoKeyPaths(path, signing.DemoOrgs[1])
	require.NoError(t, os.WriteFile(keyFile, []byte("x"), 0o600))
	_, _, err := signing.Load(context.Background(), quiet(), db, config.Receipts{}, path, true)
	assert.ErrorContains(t, err, "found only one of "+keyFile+" and "+certFile)
	_, err = signing.ReceiptKeys(config.Receipts{}, path)
	assert.ErrorContains(t, err, "found only one of")
}

var (
	keysOnce       sync.Once
	district, cops *receipts.KeySigner
	keysErr        error
)

func twoSigners(t *testing.T) (*receipts.KeySigner, *receipts.KeySigner) {
	keysOnce.Do(func() {
		district, keysErr = receipts.GenerateDemoSigner("Ủy ban nhân dân Quận 1", "0301234567")
		if keysErr == nil {
			cops, keysErr = receipts.GenerateDemoSigner("Công an Quận 1", "0301234999-002")
		}
	})
	require.NoError(t, keysErr)
	return district, cops
}

// The config's signers win over demo keys; each organisation its own,
// the closure by closure_org's; the trust is their certificates.
func TestConfigSigners(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	_, _, err := signing.Load(ctx, quiet(), db, config.Receipts{}, path, true) // demo keys present too
	require.NoError(t, err)
	dir := t.TempDir()
	d, c := twoSigners(t)
	require.NoError(t, d.WritePEM(filepath.Join(dir, "ubnd.key"), filepath.Join(dir, "ubnd.crt")))
	require.NoError(t, c.WritePEM(filepath.Join(dir, "ca.key"), filepath.Join(dir, "ca.crt")))
	cfg := config.Receipts{ClosureOrg: "CA-Q1", Signers: []config.Signer{
		{OrgCode: "UBND-Q1", KeyFile: filepath.Join(dir, "ubnd.key"), CertFile: filepath.Join(dir, "ubnd.crt")},
		{OrgCode: "CA-Q1", KeyFile: filepath.Join(dir, "ca.key"), CertFile: filepath.Join(dir, "ca.crt")},
	}}
	keys, err := signing.ReceiptKeys(cfg, path)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"UBND-Q1", "CA-Q1"}, keys.Orgs())
	assert.Nil(t, keys.Default())
	assert.Equal(t, filepath.Join(dir, "ca.key")+" (CA-Q1)", keys.From("CA-Q1"))
	s, from, err := signing.ClosureSigner(cfg, path)
	require.NoError(t, err)
	assert.Equal(t, "Công an Quận 1", s.Certificate().Subject.CommonName)
	assert.Equal(t, filepath.Join(dir, "ca.key")+" (CA-Q1)", from)

	_, how, err := signing.Trust(cfg, "", path)
	require.NoError(t, err)
	assert.False(t, how.Demo)
	assert.Equal(t, []string{filepath.Join(dir, "ubnd.crt"), filepath.Join(dir, "ca.crt")}, how.Files)
	_, how, err = signing.Trust(cfg, filepath.Join(dir, "ca.crt"), path)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, "ca.crt")}, how.Files, "--cert wins")

	k, trust, err := signing.Load(ctx, quiet(), db, cfg, path, false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"UBND-Q1", "CA-Q1"}, k.Orgs())
	assert.NotEqual(t, receipts.Trust{}, trust)

	// A missing file is named with its setting.
	require.NoError(t, os.Remove(filepath.Join(dir, "ca.crt")))
	_, err = signing.ReceiptKeys(cfg, path)
	assert.ErrorContains(t, err, `[[receipts.signers]] org_code "CA-Q1": cert_file `+filepath.Join(dir, "ca.crt")+" does not exist")
}
