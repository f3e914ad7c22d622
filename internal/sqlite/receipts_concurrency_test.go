package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/soak"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Sixteen counters issue receipts at once, unsigned or signed, alone (the
// signed ones then share group commits and are signed in parallel) or
// inside a payment transaction with a ledger entry: numbers 1..320 (3200
// with FEEPOS_SOAK=1) without a gap or a duplicate, each number holding
// the receipt its caller was given, each signed receipt's stored signature
// over its own content.
func TestConcurrentReceipts(t *testing.T) {
	const workers = 16
	perWorker := soak.Pick(20, 200) // a multiple of 4
	total := int64(workers * perWorker)
	ctx := context.Background()
	db, _ := newReceiptDB(t)

	got := runWorkers(t, workers, perWorker, func(w, n int) (receipts.Receipt, error) {
		nr := cashReceipt(fmt.Sprintf("HS-%02d-%03d", w, n), int64(1000*(w+1)+n))
		var r receipts.Receipt
		var err error
		switch n % 4 {
		case 0:
			r, err = db.IssueReceipt(ctx, nr)
		case 1:
			err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
				if _, err := tx.PostEntry(ctx, cardPayment("2026-07-01", nr.Total, nr.DossierCode)); err != nil {
					return err
				}
				r, err = tx.IssueReceipt(ctx, nr)
				return err
			})
		case 2:
			r, _, err = db.IssueSignedReceipt(ctx, nr, orgSigner(t))
		case 3:
			err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
				if _, err := tx.PostEntry(ctx, cardPayment("2026-07-01", nr.Total, nr.DossierCode)); err != nil {
					return err
				}
				r, err = tx.IssueSignedReceipt(ctx, nr, orgSigner(t))
				return err
			})
		}
		return r, err
	})

	byNumber := map[int64]receipts.Receipt{}
	for w := range got {
		require.Len(t, got[w], perWorker)
		for i, r := range got[w] {
			require.Equal(t, "26TAA", r.Series)
			prev, dup := byNumber[r.Number]
			require.False(t, dup, "number %d given to %s and %s", r.Number, prev.DossierCode, r.DossierCode)
			byNumber[r.Number] = r
			if i > 0 {
				require.Greater(t, r.Number, got[w][i-1].Number, "a worker's numbers increase")
			}
		}
	}
	for n := int64(1); n <= total; n++ {
		want, ok := byNumber[n]
		require.True(t, ok, "number %d was not given", n)
		stored, err := db.Receipt(ctx, receipts.Template, "26TAA", n)
		require.NoError(t, err)
		require.Equal(t, want, stored)
	}
	requireReceiptsVerified(t, db, total)
	requireVerified(t, db, total/2)
	signed := 0
	for n := int64(1); n <= total; n++ {
		r := byNumber[n]
		var w, i int
		_, err := fmt.Sscanf(r.DossierCode, "HS-%02d-%03d", &w, &i)
		require.NoError(t, err)
		doc, err := db.SignedReceiptXML(ctx, receipts.Template, r.Series, r.Number)
		if i%4 < 2 {
			require.Error(t, err, "receipt %s was issued unsigned", r.Ref)
			continue
		}
		require.NoError(t, err, "receipt %s", r.Ref)
		require.NoError(t, receipts.CheckSignedReceipt(doc, r, trustOrg(t)), "receipt %s", r.Ref)
		signed++
	}
	require.Equal(t, workers*(perWorker/4)*2, signed, "n%4 = 2 or 3 of 0..perWorker-1")
}
