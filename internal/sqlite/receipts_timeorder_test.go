package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// A clock set back within the year: the receipt is refused, saying what to
// do, and nothing is taken (the next receipt, once the clock is right, gets
// the next number).
func TestIssueRefusesATimeBeforeTheLastReceiptOfItsSeries(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)
	first := issue(t, db, cashReceipt("HS-1", 10_000))
	police := issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-2", 7_000))

	clock.Set(time.Date(2026, 7, 1, 8, 30, 0, 0, receipts.Zone))
	_, err := db.IssueReceipt(ctx, cashReceipt("HS-3", 10_000))
	requireReceiptCode(t, err, receipts.EConflict)
	assert.Contains(t, err.Error(), "01/07/2026 08:30:00, earlier than the time of 26TAA-00000001")
	assert.Contains(t, err.Error(), "(01/07/2026 "+first.IssueClock()+")")
	assert.Contains(t, err.Error(), "clock was set back; check the server's date, time and time zone")

	// Another series is held to its own last receipt.
	_, err = db.IssueReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-4", 7_000))
	requireReceiptCode(t, err, receipts.EConflict)
	assert.Contains(t, err.Error(), police.Ref.String())

	at, err := first.IssuedTime()
	require.NoError(t, err)
	clock.Set(at) // the same time as the last: not earlier
	r := issue(t, db, cashReceipt("HS-3", 10_000))
	assert.EqualValues(t, 2, r.Number, "the refused receipt took no number")
	rep := requireReceiptsVerified(t, db, 3)
	assert.Empty(t, rep.TimeOrder)
}

// verify lists each pair of a series whose times go backwards: here a
// second receipt whose time was put back and whose hashes were redone (as a
// receipt issued before the check, or by another writer, would be stored).
func TestVerifyReportsReceiptsOutOfTimeOrder(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	first := issue(t, db, cashReceipt("HS-1", 10_000))
	second := issue(t, db, cashReceipt("HS-2", 10_000))
	issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-3", 7_000))

	dropReceiptTriggers(t, db)
	second.IssuedAt = "2026-07-01T01:59:00Z" // 08:59 in Vietnam, before the first's 09:00
	second.Seal(first.Hash)
	_, err := db.SQL().Exec(`UPDATE receipts SET issued_at = ?, hash = ? WHERE id = ?`, second.IssuedAt, second.Hash, second.ID)
	require.NoError(t, err)
	_, err = db.SQL().Exec(`UPDATE receipt_counters SET last_hash = ? WHERE letters = 'AA'`, second.Hash)
	require.NoError(t, err)

	rep, err := db.VerifyReceipts(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK, "the chain holds: %+v", rep)
	require.Len(t, rep.TimeOrder, 1)
	p := rep.TimeOrder[0]
	assert.Equal(t, first.Ref, p.Earlier)
	assert.Equal(t, second.Ref, p.Later)
	assert.Equal(t, "receipt 26TAA-00000002 was issued at 01/07/2026 08:59:00, before 26TAA-00000001 (01/07/2026 "+first.IssueClock()+") which comes before it in the series: the clock was set back", p.String())
	assert.Contains(t, p.VI(), "đồng hồ máy đã bị chỉnh lùi")
}
