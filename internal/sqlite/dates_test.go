package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// fixedClock is a store clock standing at 10:00 on date in Vietnam.
func fixedClock(date string) func() time.Time {
	d, err := ledger.ParseDate(date)
	if err != nil {
		panic(err)
	}
	at := d.Add(10 * time.Hour)
	return func() time.Time { return at }
}

func TestPostRefusesDatesOutsideTheWindow(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	db.Now = fixedClock("2026-07-15")
	post(t, db, cardPayment("2026-01-01", 1_000, "first-day"))
	post(t, db, cardPayment("2026-07-15", 1_000, "today"))
	before := stateOf(t, db)

	for _, tc := range []struct {
		date  string
		parts []string
	}{
		{"1900-01-01", []string{"the date 1900-01-01 is before 2026-01-01", "post it with a date from 2026-01-01 to 2026-07-15"}},
		{"2025-12-31", []string{"the date 2025-12-31 is before 2026-01-01", "books of 2025 and earlier years are closed"}},
		{"2026-07-16", []string{"the date 2026-07-16 is after today, 2026-07-15", "post it with a date from 2026-01-01 to 2026-07-15"}},
		{"2099-01-01", []string{"the date 2099-01-01 is after today, 2026-07-15"}},
	} {
		_, err := db.Post(ctx, cardPayment(tc.date, 5_000, "k-"+tc.date))
		requireInvalid(t, err, tc.parts...)

		// The rule holds inside a caller's transaction too, and refuses
		// before anything is written: the transaction's other writes commit.
		require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
			_, err := tx.PostEntry(ctx, cardPayment(tc.date, 5_000, ""))
			requireInvalid(t, err, tc.parts...)
			return nil
		}), tc.date)
	}
	assert.Equal(t, before, stateOf(t, db), "nothing written")

	// In the first quarter the previous year is still open.
	db.Now = fixedClock("2026-02-10")
	post(t, db, cardPayment("2025-12-31", 2_000, "last-year"))
	_, err := db.Post(ctx, cardPayment("2024-12-31", 2_000, ""))
	requireInvalid(t, err, "is before 2025-01-01", "from 2025-01-01 to 2026-02-10")
	requireVerified(t, db, 3)
}

// A retried posting returns what it got the first time even after its date
// has left the window; a new posting of that date is refused.
func TestPostRepeatAfterTheWindowMoved(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	db.Now = fixedClock("2026-03-31")
	first := post(t, db, cardPayment("2025-12-30", 3_000, "adj-2025"))

	db.Now = fixedClock("2026-04-01")
	again, err := db.Post(ctx, cardPayment("2025-12-30", 3_000, "adj-2025"))
	require.NoError(t, err)
	assert.Equal(t, first, again)
	_, err = db.Post(ctx, cardPayment("2025-12-30", 3_000, "adj-2025-b"))
	requireInvalid(t, err, "before 2026-01-01")
	requireVerified(t, db, 1)
}

func TestReverseRefusesADateBeforeTheEntry(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	db.Now = fixedClock("2026-07-15")
	orig := post(t, db, cardPayment("2026-03-05", 50_000, "pay-1"))
	before := stateOf(t, db)

	_, err := db.Reverse(ctx, orig.ID, "2026-03-04", "", "")
	requireInvalid(t, err, "entry 1 is dated 2026-03-05: its reversal cannot be dated earlier (2026-03-04): date the reversal from 2026-03-05 to 2026-07-15")
	_, err = db.Reverse(ctx, orig.ID, "1900-01-01", "", "")
	requireInvalid(t, err, "the date 1900-01-01 is before 2026-01-01")
	_, err = db.Reverse(ctx, orig.ID, "2099-01-01", "", "")
	requireInvalid(t, err, "the date 2099-01-01 is after today, 2026-07-15")

	// Any caller of PostEntry: a reversal built by hand is held to it too.
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.PostEntry(ctx, ledger.ReversalOf(orig, "2026-03-01", "", ""))
		requireInvalid(t, err, "its reversal cannot be dated earlier (2026-03-01)")
		return nil
	}))
	assert.Equal(t, before, stateOf(t, db), "nothing written")

	rev, err := db.Reverse(ctx, orig.ID, "2026-03-05", "", "")
	require.NoError(t, err, "the same day")
	assert.Equal(t, orig.ID, rev.Reverses)

	// An entry of a year now closed is reversed in the open period.
	db.Now = fixedClock("2026-03-31")
	old := post(t, db, cardPayment("2025-11-20", 9_000, "old"))
	db.Now = fixedClock("2026-04-01")
	_, err = db.Reverse(ctx, old.ID, "2025-11-20", "", "")
	requireInvalid(t, err, "the date 2025-11-20 is before 2026-01-01")
	rev, err = db.Reverse(ctx, old.ID, "", "", "")
	require.NoError(t, err, "dated today by default")
	assert.Equal(t, "2026-04-01", rev.Date)
	requireVerified(t, db, 4)
}

func TestCloseDayRefusesADayBeforeTheFirstSeries(t *testing.T) {
	ctx := context.Background()

	// No series at all: nothing to close.
	db := newTestDB(t)
	_, _, err := db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	requireReceiptCode(t, err, receipts.EInvalid)
	assert.Contains(t, err.Error(), "no receipt series exists yet")

	// The series were created at 09:00 on 1 July 2026.
	db, clock := newReceiptDB(t)
	issueSigned(t, db, cashReceipt("HS-1", 10_000))

	// On 1 July nothing can be closed: the first day is not over.
	_, _, err = db.CloseDay(ctx, "2026-06-30", orgSigner(t))
	requireReceiptCode(t, err, receipts.EInvalid)
	assert.Contains(t, err.Error(), "business date 2026-06-30 is before 2026-07-01, the first day with a receipt series: there is nothing to close on it; 2026-07-01 can be closed once it is over")

	clock.Set(time.Date(2026, 7, 3, 8, 0, 0, 0, receipts.Zone))
	for _, date := range []string{"1900-01-01", "2026-06-30"} {
		_, _, err = db.CloseDay(ctx, date, orgSigner(t))
		requireReceiptCode(t, err, receipts.EInvalid)
		assert.Contains(t, err.Error(), "business date "+date+" is before 2026-07-01, the first day with a receipt series: there is nothing to close on it; close a date from 2026-07-01 to 2026-07-02")
	}
	for _, date := range []string{"2026-07-03", "2099-01-01"} {
		_, _, err = db.CloseDay(ctx, date, orgSigner(t))
		requireReceiptCode(t, err, receipts.EInvalid)
		assert.Contains(t, err.Error(), "business date "+date+" is not over yet")
	}
	var closures int
	require.NoError(t, db.SQL().Get(&closures, `SELECT COUNT(*) FROM receipt_closures`))
	assert.Zero(t, closures, "nothing signed")

	// A day after the series start without receipts is closed, with none.
	c, _, err := db.CloseDay(ctx, "2026-07-02", orgSigner(t))
	require.NoError(t, err)
	assert.EqualValues(t, 0, c.Count)
	c, _, err = db.CloseDay(ctx, "2026-07-01", orgSigner(t))
	require.NoError(t, err)
	assert.EqualValues(t, 1, c.Count)
	require.True(t, verifySignatures(t, db).OK)
}
