package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// White-box tests of the group commit with signed receipts: what a batch
// does when one of its writes is refused after its receipt is already being
// signed, and when the signer fails.

var groupSeries = receipts.Series{OrgCode: "UBND-G", OrgName: "Ủy ban nhân dân huyện G", TaxCode: "0300000001",
	Address: "1 Đường Một, huyện G", Letters: "AA"}

var (
	groupSignerOnce sync.Once
	groupSigner     *receipts.KeySigner
)

func groupDB(t *testing.T) (*DB, *receipts.KeySigner) {
	t.Helper()
	groupSignerOnce.Do(func() {
		var err error
		groupSigner, err = receipts.GenerateDemoSigner(groupSeries.OrgName, groupSeries.TaxCode)
		if err != nil {
			panic(err)
		}
	})
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	var mu sync.Mutex
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, receipts.Zone)
	db.Now = func() time.Time { // one second per transaction
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	_, err = db.CreateSeries(context.Background(), groupSeries)
	require.NoError(t, err)
	return db, groupSigner
}

func groupReceipt(dossier string, amount int64) receipts.NewReceipt {
	return receipts.NewReceipt{
		OrgCode:      groupSeries.OrgCode,
		Payer:        receipts.Payer{Name: "Lê Văn Cường"},
		Lines:        []receipts.Line{{Name: "Lệ phí chứng thực", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: amount}},
		Total:        amount,
		TotalInWords: "(bằng chữ)",
		Method:       receipts.Cash,
		DossierCode:  dossier,
	}
}

var errAfterReceipt = errors.New("the payment was refused after its receipt was issued")

// item is a group write that issues a signed receipt and then, if refuse,
// fails (a payment whose ledger entry is refused after its receipt).
func item(db *DB, keys receipts.Keys, nr receipts.NewReceipt, refuse bool, out *receipts.Receipt) *groupItem {
	return &groupItem{ctx: context.Background(), run: func(ctx context.Context, tx *Tx) error {
		r, err := tx.IssueSignedReceipt(ctx, nr, keys)
		if err != nil {
			return err
		}
		if refuse {
			return errAfterReceipt
		}
		*out = r
		return nil
	}}
}

func commitBatch(db *DB, items ...*groupItem) {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	db.commitGroup(items)
}

// A write refused after its receipt went to the signer: its receipt, its
// number and its signature are gone, and the next write, which takes the
// same number and row id, stores its own signature, not the refused one's.
func TestGroupDropsTheSignatureOfARefusedWrite(t *testing.T) {
	db, s := groupDB(t)
	var r1, r2, r3 receipts.Receipt
	items := []*groupItem{
		item(db, s, groupReceipt("HS-1", 10_000), false, &r1),
		item(db, s, groupReceipt("HS-2", 20_000), true, nil),
		item(db, s, groupReceipt("HS-3", 30_000), false, &r2),
		item(db, s, groupReceipt("HS-4", 40_000), true, nil),
		item(db, s, groupReceipt("HS-5", 50_000), false, &r3),
	}
	commitBatch(db, items...)
	for i, it := range items {
		require.True(t, it.done, "item %d", i)
		if i%2 == 1 {
			require.ErrorIs(t, it.err, errAfterReceipt)
		} else {
			require.NoError(t, it.err, "item %d", i)
		}
	}
	assert.Equal(t, []int64{1, 2, 3}, []int64{r1.Number, r2.Number, r3.Number})
	assert.Equal(t, []string{"HS-1", "HS-3", "HS-5"}, []string{r1.DossierCode, r2.DossierCode, r3.DossierCode})
	for _, r := range []receipts.Receipt{r1, r2, r3} {
		doc, err := db.SignedReceiptXML(context.Background(), receipts.Template, r.Series, r.Number)
		require.NoError(t, err)
		require.NoError(t, receipts.CheckSignedReceipt(doc, r, receipts.TrustCertificates(s.Certificate())), "receipt %s", r.Ref)
	}
	rep, err := db.VerifyReceiptSignatures(context.Background(), receipts.TrustCertificates(s.Certificate()))
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
	assert.EqualValues(t, 3, rep.Signed)
}

type brokenSigner struct{ receipts.Signer }

func (brokenSigner) SignXML([]byte) ([]byte, error) { return nil, errors.New("the token is unplugged") }

func (b brokenSigner) SignerFor(string) (receipts.Signer, error) { return b, nil }

// A signer that fails fails the whole batch: nothing of it is stored, every
// caller hears why, and the numbers are given back.
func TestGroupFailsWholeWhenASignatureFails(t *testing.T) {
	db, s := groupDB(t)
	var r1, r3 receipts.Receipt
	items := []*groupItem{
		item(db, s, groupReceipt("HS-1", 10_000), false, &r1),
		item(db, brokenSigner{s}, groupReceipt("HS-2", 20_000), false, new(receipts.Receipt)),
		item(db, s, groupReceipt("HS-3", 30_000), false, &r3),
	}
	commitBatch(db, items...)
	for i, it := range items {
		require.True(t, it.done)
		require.ErrorContains(t, it.err, "receipt 26TAA-00000002: the token is unplugged", "item %d", i)
	}
	var n int
	require.NoError(t, db.db.Get(&n, `SELECT COUNT(*) FROM receipts`))
	assert.Zero(t, n)
	require.NoError(t, db.db.Get(&n, `SELECT COUNT(*) FROM receipt_signatures`))
	assert.Zero(t, n)

	r, doc, err := db.IssueSignedReceipt(context.Background(), groupReceipt("HS-9", 1_000), s)
	require.NoError(t, err)
	assert.EqualValues(t, 1, r.Number, "the failed batch gave its numbers back")
	require.NoError(t, receipts.CheckSignedReceipt(doc, r, receipts.TrustCertificates(s.Certificate())))
}

// Signatures are stored only in the transaction that issues their receipt,
// in issue order: the trigger refuses a later one even in a batch.
func TestSignatureOnlyInItsIssuingTransaction(t *testing.T) {
	db, s := groupDB(t)
	for i := range 3 {
		_, err := db.IssueReceipt(context.Background(), groupReceipt(fmt.Sprintf("HS-%d", i), 1_000))
		require.NoError(t, err)
	}
	// Receipt 2 was issued by an earlier transaction than the newest.
	_, err := db.db.Exec(`INSERT INTO receipt_signatures (receipt_id, cert_fingerprint, xml) VALUES (2, 'x', 'x')`)
	require.ErrorContains(t, err, "never later")
	// In one transaction, a new receipt is signed, but not an older one.
	err = db.WithTx(context.Background(), func(tx *Tx) error {
		if _, err := tx.IssueSignedReceipt(context.Background(), groupReceipt("HS-4", 1_000), s); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO receipt_signatures (receipt_id, cert_fingerprint, xml) VALUES (3, 'x', 'x')`)
		return err
	})
	require.ErrorContains(t, err, "never later")
}

// A write that panics (the HTTP server recovers it and goes on) must not
// leave the other callers of its batch waiting for ever: they are told the
// batch was rolled back, and nothing of it is stored.
func TestGroupAnswersEveryoneWhenAWritePanics(t *testing.T) {
	db, s := groupDB(t)
	var r1 receipts.Receipt
	panicky := &groupItem{ctx: context.Background(), run: func(context.Context, *Tx) error { panic("a bug in a write") }}
	after := item(db, s, groupReceipt("HS-2", 20_000), false, new(receipts.Receipt))
	items := []*groupItem{item(db, s, groupReceipt("HS-1", 10_000), false, &r1), panicky, after}
	require.PanicsWithValue(t, "a bug in a write", func() { commitBatch(db, items...) })
	for i, it := range items {
		require.True(t, it.done, "item %d", i)
		require.ErrorIs(t, it.err, errBatchAbandoned, "item %d", i)
	}
	var n int
	require.NoError(t, db.db.Get(&n, `SELECT COUNT(*) FROM receipts`))
	assert.Zero(t, n)

	// The next caller leads a batch of its own as usual.
	r, _, err := db.IssueSignedReceipt(context.Background(), groupReceipt("HS-3", 1_000), s)
	require.NoError(t, err)
	assert.EqualValues(t, 1, r.Number)
}

// In a group commit, a write that goes on after a half-done receipt (its
// error ignored) is refused alone: its savepoint is rolled back, the other
// writes of the batch are stored.
func TestGroupRefusesAWriteThatIgnoredAHalfDoneError(t *testing.T) {
	db, s := groupDB(t)
	_, err := db.db.Exec(`CREATE TRIGGER boom BEFORE INSERT ON receipt_lines WHEN NEW.name = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END`)
	require.NoError(t, err)
	bad := groupReceipt("HS-BAD", 1_000)
	bad.Lines[0].Name = "BOOM"
	careless := &groupItem{ctx: context.Background(), run: func(ctx context.Context, tx *Tx) error {
		_, _ = tx.IssueReceipt(ctx, bad) // error ignored
		return nil
	}}
	var r1, r2 receipts.Receipt
	items := []*groupItem{item(db, s, groupReceipt("HS-1", 10_000), false, &r1), careless, item(db, s, groupReceipt("HS-2", 20_000), false, &r2)}
	commitBatch(db, items...)
	require.NoError(t, items[0].err)
	require.ErrorContains(t, items[1].err, "not stored: a write failed half-way")
	require.NoError(t, items[2].err)
	assert.Equal(t, []int64{1, 2}, []int64{r1.Number, r2.Number}, "no gap where the careless write was")
	rep, err := db.VerifyReceiptSignatures(context.Background(), receipts.TrustCertificates(s.Certificate()))
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
}
