package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
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
