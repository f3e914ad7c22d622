package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// The day's receipts for export: bounds at Vietnam midnight (half a second
// before it is the day before), the organisation filter, unsigned ones
// without XML, and the closure only once the day is closed.
func TestSignedReceiptsOfDay(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)
	k := twoOrgKeyring(t)
	clock.Set(time.Date(2026, 7, 1, 23, 59, 59, 500_000_000, receipts.Zone))
	late, _, err := db.IssueSignedReceipt(ctx, cashReceipt("HS-1", 1_000), k)
	require.NoError(t, err)
	clock.Set(time.Date(2026, 7, 2, 0, 0, 0, 0, receipts.Zone))
	police, _, err := db.IssueSignedReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-2", 2_000), k)
	require.NoError(t, err)
	unsigned := issue(t, db, cashReceipt("HS-3", 3_000))

	day1, err := db.SignedReceiptsOfDay(ctx, "2026-07-01", "")
	require.NoError(t, err)
	require.Len(t, day1, 1)
	assert.Equal(t, late.Ref, day1[0].Ref)
	stored, err := db.SignedReceiptXML(ctx, late.Template, late.Series, late.Number)
	require.NoError(t, err)
	assert.Equal(t, stored, day1[0].XML)
	assert.Equal(t, "EBL01_0301234567_26TAA_00000001.xml", day1[0].FileName())

	day2, err := db.SignedReceiptsOfDay(ctx, "2026-07-02", "")
	require.NoError(t, err)
	require.Len(t, day2, 2)
	assert.Equal(t, unsigned.Ref, day2[0].Ref, "series order: AA before AB")
	assert.Nil(t, day2[0].XML, "issued without a signature")
	assert.Equal(t, police.Ref, day2[1].Ref)
	assert.Equal(t, policeSeries.TaxCode, day2[1].TaxCode)

	onlyPolice, err := db.SignedReceiptsOfDay(ctx, "2026-07-02", policeSeries.OrgCode)
	require.NoError(t, err)
	require.Len(t, onlyPolice, 1)
	assert.Equal(t, police.Ref, onlyPolice[0].Ref)

	_, err = db.SignedReceiptsOfDay(ctx, "2026-07-02", "NOPE")
	requireReceiptCode(t, err, receipts.ENotFound)
	_, err = db.SignedReceiptsOfDay(ctx, "02/07/2026", "")
	requireReceiptCode(t, err, receipts.EInvalid)

	_, err = db.ClosureXML(ctx, "2026-07-01")
	requireReceiptCode(t, err, receipts.ENotFound)
	clock.Set(time.Date(2026, 7, 2, 8, 0, 0, 0, receipts.Zone))
	_, signed, err := db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	require.NoError(t, err)
	got, err := db.ClosureXML(ctx, "2026-07-01")
	require.NoError(t, err)
	assert.Equal(t, signed, got)
}
