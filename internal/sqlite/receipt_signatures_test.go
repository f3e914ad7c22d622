package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

var (
	signersMu sync.Mutex
	signers   = map[string]*receipts.KeySigner{}
)

// seriesSigner is the demo signer of a series' organisation (its MST in
// the certificate), made once per package run: RSA key generation is slow.
func seriesSigner(t testing.TB, s receipts.Series) *receipts.KeySigner {
	t.Helper()
	signersMu.Lock()
	defer signersMu.Unlock()
	if k, ok := signers[s.OrgCode]; ok {
		return k
	}
	k, err := receipts.GenerateDemoSigner(s.OrgName, s.TaxCode)
	require.NoError(t, err)
	signers[s.OrgCode] = k
	return k
}

// orgSigner is the district's signer.
func orgSigner(t testing.TB) *receipts.KeySigner { return seriesSigner(t, districtSeries) }

func trustOrg(t testing.TB) receipts.Trust {
	return receipts.TrustCertificates(orgSigner(t).Certificate())
}

func issueSigned(t testing.TB, db *sqlite.DB, nr receipts.NewReceipt) (receipts.Receipt, []byte) {
	t.Helper()
	r, doc, err := db.IssueSignedReceipt(context.Background(), nr, twoOrgKeyring(t))
	require.NoError(t, err)
	return r, doc
}

func verifySignatures(t testing.TB, db *sqlite.DB) receipts.SignatureReport {
	t.Helper()
	rep, err := db.VerifyReceiptSignatures(context.Background(), twoOrgKeyring(t).Trust())
	require.NoError(t, err)
	return rep
}

func TestIssueSignedReceiptStoresVerifiableXML(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	r1, doc1 := issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cardReceiptFor(districtSeries.OrgCode, "HS-2", 20_000, 5_000))
	fix := cashReceipt("HS-1", 12_000)
	fix.Replaces = &receipts.Ref{Series: "26TAA", Number: 1}
	issueSigned(t, db, fix)
	issueSigned(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-2", 7_000))

	stored, err := db.SignedReceiptXML(ctx, receipts.Template, r1.Series, r1.Number)
	require.NoError(t, err)
	assert.Equal(t, doc1, stored)
	require.NoError(t, receipts.VerifyXML(stored, trustOrg(t)))
	assert.Contains(t, string(stored), "<Series>26TAA</Series>")

	rep := verifySignatures(t, db)
	require.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 4, rep.Receipts)
	assert.EqualValues(t, 4, rep.Signed)

	// The signature is written in the receipt's transaction: a failed
	// signer leaves neither receipt nor number behind.
	_, _, err = db.IssueSignedReceipt(ctx, cashReceipt("HS-9", 1_000), failingSigner{orgSigner(t)})
	require.Error(t, err)
	rep = verifySignatures(t, db)
	require.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 4, rep.Receipts)
	r5, _ := issueSigned(t, db, cashReceipt("HS-9", 1_000))
	assert.EqualValues(t, 4, r5.Number, "the failed issue gave its number back")

	// Append-only.
	_, err = db.SQL().Exec(`UPDATE receipt_signatures SET xml = 'x' WHERE receipt_id = 1`)
	require.ErrorContains(t, err, "receipt signatures are immutable")
	_, err = db.SQL().Exec(`DELETE FROM receipt_signatures WHERE receipt_id = 1`)
	require.ErrorContains(t, err, "receipt signatures are immutable")
	_, err = db.SQL().Exec(`INSERT INTO receipt_signatures (receipt_id, cert_fingerprint, xml) VALUES (1, 'x', 'x')`)
	require.Error(t, err)
}

type failingSigner struct{ receipts.Signer }

func (failingSigner) SignXML([]byte) ([]byte, error) { return nil, assert.AnError }

func (f failingSigner) SignerFor(string) (receipts.Signer, error) { return f, nil }

func TestVerifyNamesUnsignedReceipt(t *testing.T) {
	db, _ := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issue(t, db, cashReceipt("HS-2", 20_000)) // IssueReceipt only: no signature
	issueSigned(t, db, cashReceipt("HS-3", 30_000))

	requireReceiptsVerified(t, db, 3) // the chains alone hold
	rep := verifySignatures(t, db)
	assert.False(t, rep.OK)
	assert.Equal(t, "26TAA-00000002", rep.Bad)
	assert.Contains(t, rep.Problem, "receipt 26TAA-00000002 is not signed")
	assert.EqualValues(t, 1, rep.Signed)
}

func TestVerifyNamesChangedSignedXML(t *testing.T) {
	db, _ := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cashReceipt("HS-2", 20_000))
	dropReceiptTriggers(t, db)
	_, err := db.SQL().Exec(`UPDATE receipt_signatures SET xml = replace(xml, '<Amount>20000<', '<Amount>20001<') WHERE receipt_id = 2`)
	require.NoError(t, err)

	rep := verifySignatures(t, db)
	assert.False(t, rep.OK)
	assert.Equal(t, "26TAA-00000002", rep.Bad)
	assert.Equal(t, "receipt 26TAA-00000002: the signed content was changed after signing (its digest no longer matches the signature)", rep.Problem)
}

// rewriteTail changes the payer of the last receipt of 26TAA and recomputes
// its hashes and the counter: what someone who knows the hash chain could
// do. The chains still hold; the signature does not.
func rewriteTail(t *testing.T, db *sqlite.DB, number int64) receipts.Receipt {
	t.Helper()
	r, err := db.Receipt(context.Background(), receipts.Template, "26TAA", number)
	require.NoError(t, err)
	r.Payer.Name = "Người khác"
	r.Seal(r.PrevHash)
	dropReceiptTriggers(t, db)
	_, err = db.SQL().Exec(`UPDATE receipts SET payer_name = ?, content_hash = ?, hash = ? WHERE id = ?`, r.Payer.Name, r.ContentHash, r.Hash, r.ID)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`UPDATE receipt_counters SET last_hash = ? WHERE letters = 'AA' AND year = 2026`, r.Hash)
	require.NoError(t, err)
	return r
}

func TestVerifyNamesReceiptRewrittenWithItsChain(t *testing.T) {
	db, _ := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cashReceipt("HS-2", 20_000))
	rewriteTail(t, db, 2)

	requireReceiptsVerified(t, db, 2)
	rep := verifySignatures(t, db)
	assert.False(t, rep.OK)
	assert.Equal(t, "26TAA-00000002", rep.Bad)
	assert.Contains(t, rep.Problem, `receipt 26TAA-00000002: its signed XML no longer matches the stored receipt: /Receipt/Payer/Name: signed "Nguyễn Văn An", stored "Người khác"`)
}

func TestVerifyRefusesAnotherSigner(t *testing.T) {
	db, _ := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	other, err := receipts.GenerateDemoSigner("Khác", "0109999999")
	require.NoError(t, err)
	rep, err := db.VerifyReceiptSignatures(context.Background(), receipts.TrustCertificates(other.Certificate()))
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Contains(t, rep.Problem, "receipt 26TAA-00000001: signed by")

	rep, err = db.VerifyReceiptSignatures(context.Background(), receipts.Trust{})
	require.NoError(t, err)
	assert.True(t, rep.OK, "the zero Trust accepts the certificate each signature carries")
}

func TestCloseDaySignsHeadsAndTotals(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cashReceipt("HS-2", 20_000))
	last, _ := issueSigned(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-2", 7_000))

	_, _, err := db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	requireReceiptCode(t, err, receipts.EInvalid) // the day is not over

	clock.Set(time.Date(2026, 7, 2, 0, 5, 0, 0, receipts.Zone))
	c, doc, err := db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	require.NoError(t, err)
	assert.EqualValues(t, 3, c.Count)
	assert.EqualValues(t, 37_000, c.Total)
	require.Len(t, c.Series, 2)
	assert.Equal(t, receipts.ClosureSeries{Template: "EBL01", Letters: "AB", OrgCode: policeSeries.OrgCode, TaxCode: policeSeries.TaxCode,
		Count: 1, Total: 7_000, FirstNumber: 1, LastNumber: 1, HeadSeries: "26TAB", HeadNumber: 1, Head: last.Hash}, c.Series[1])
	require.NoError(t, receipts.VerifyXML(doc, trustOrg(t)))

	_, _, err = db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	requireReceiptCode(t, err, receipts.EConflict)

	// A receipt of the next day does not change the closed day.
	issueSigned(t, db, cashReceipt("HS-3", 30_000))
	rep := verifySignatures(t, db)
	require.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 1, rep.Closures)
	assert.EqualValues(t, 4, rep.Signed)

	_, err = db.SQL().Exec(`DELETE FROM receipt_closures`)
	require.ErrorContains(t, err, "a daily closure is immutable")
}

func TestClosureCatchesAChainRewrittenAndResigned(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))
	issueSigned(t, db, cashReceipt("HS-2", 20_000))
	clock.Set(time.Date(2026, 7, 2, 0, 5, 0, 0, receipts.Zone))
	_, _, err := db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	require.NoError(t, err)

	// Someone holding the key rewrites receipt 2 and signs it again: every
	// receipt holds, the closure signed the day before does not.
	r := rewriteTail(t, db, 2)
	doc, err := receipts.ReceiptXML(r)
	require.NoError(t, err)
	signed, err := orgSigner(t).SignXML(doc)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`UPDATE receipt_signatures SET xml = ? WHERE receipt_id = ?`, string(signed), r.ID)
	require.NoError(t, err)

	rep := verifySignatures(t, db)
	assert.False(t, rep.OK)
	assert.EqualValues(t, 2, rep.Signed)
	assert.Equal(t, "closure 2026-07-01", rep.Bad)
	assert.Contains(t, rep.Problem, "closure of 2026-07-01: its signed XML no longer matches the receipts stored for that date: /DailyClosure/Series/Head/Hash")
}
