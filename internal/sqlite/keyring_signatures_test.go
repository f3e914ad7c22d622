package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// policeSigner is the agency's own demo signer (its MST in the subject).
func policeSigner(t testing.TB) *receipts.KeySigner { return seriesSigner(t, policeSeries) }

// twoOrgKeyring has the district's key as the default and the police's
// as its own.
func twoOrgKeyring(t testing.TB) *receipts.Keyring {
	t.Helper()
	k := receipts.NewKeyring(orgSigner(t))
	require.NoError(t, k.Add(policeSeries.OrgCode, policeSigner(t)))
	return k
}

// storedSigner is the certificate that signed a receipt, as stored.
func storedSigner(t testing.TB, db *sqlite.DB, r receipts.Receipt) string {
	t.Helper()
	doc, err := db.SignedReceiptXML(context.Background(), r.Template, r.Series, r.Number)
	require.NoError(t, err)
	cert, err := receipts.SigningCertificate(doc)
	require.NoError(t, err)
	return cert.Subject.CommonName
}

// One dossier, two organisations: each receipt is signed with its own
// organisation's certificate, and verify holds against the keyring's trust.
func TestKeyringSignsEachOrganisationsReceipts(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)
	k := twoOrgKeyring(t)

	district, _, err := db.IssueSignedReceipt(ctx, cashReceipt("HS-1", 10_000), k)
	require.NoError(t, err)
	police, _, err := db.IssueSignedReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-1", 7_000), k)
	require.NoError(t, err)
	_, _, err = db.IssueSignedReceipt(ctx, cardReceiptFor(districtSeries.OrgCode, "HS-2", 5_000), k)
	require.NoError(t, err)

	assert.Equal(t, "26TAA", district.Series)
	assert.Equal(t, "26TAB", police.Series)
	assert.Equal(t, districtSeries.OrgName, storedSigner(t, db, district))
	assert.Equal(t, policeSeries.OrgName, storedSigner(t, db, police))

	clock.Set(time.Date(2026, 7, 2, 0, 5, 0, 0, receipts.Zone))
	s, _, err := k.ClosureSigner()
	require.NoError(t, err)
	_, _, err = db.CloseDay(ctx, "2026-07-01", s)
	require.NoError(t, err)

	rep, err := db.VerifyReceiptSignatures(ctx, k.Trust())
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 3, rep.Signed)
	assert.EqualValues(t, 1, rep.Closures)

	// Trusting only the district's certificate names the police receipt.
	rep, err = db.VerifyReceiptSignatures(ctx, trustOrg(t))
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Equal(t, "26TAB-00000001", rep.Bad)
	assert.Contains(t, rep.Problem, "not the trusted certificate")
}

// A police receipt signed with the district's key (a keyring without the
// police's entry, so the default signed it): both certificates are
// trusted, yet verify names the receipt by the tax codes.
func TestVerifyNamesReceiptSignedWithAnotherOrganisationsKey(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	_, _, err := db.IssueSignedReceipt(ctx, cashReceipt("HS-1", 10_000), twoOrgKeyring(t))
	require.NoError(t, err)
	districtOnly := receipts.NewKeyring(orgSigner(t))
	wrong, _, err := db.IssueSignedReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-1", 7_000), districtOnly)
	require.NoError(t, err)
	assert.Equal(t, districtSeries.OrgName, storedSigner(t, db, wrong))

	rep, err := db.VerifyReceiptSignatures(ctx, twoOrgKeyring(t).Trust())
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.EqualValues(t, 1, rep.Signed)
	assert.Equal(t, "26TAB-00000001", rep.Bad)
	assert.Equal(t, `receipt 26TAB-00000001: signed with the certificate of "Ủy ban nhân dân Quận 1", tax code (MST) 0301234567, but the receipt's organisation CA-Q1 has tax code 0301234999-002: each organisation signs its receipts with its own certificate`, rep.Problem)
}

// Without a default signer, an organisation without a key cannot issue a
// signed receipt, and its number is not taken.
func TestKeyringRefusesOrganisationWithoutKey(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	k := receipts.NewKeyring(nil)
	require.NoError(t, k.Add(districtSeries.OrgCode, orgSigner(t)))
	_, _, err := db.IssueSignedReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-1", 7_000), k)
	requireReceiptCode(t, err, receipts.EInvalid)
	assert.Contains(t, err.Error(), `no signing key for organisation CA-Q1: add a [[receipts.signers]] entry with org_code = "CA-Q1"`)

	k2 := twoOrgKeyring(t)
	r, _, err := db.IssueSignedReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-1", 7_000), k2)
	require.NoError(t, err)
	assert.EqualValues(t, 1, r.Number)
}
