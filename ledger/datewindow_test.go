package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func TestPostingWindow(t *testing.T) {
	tests := []struct {
		now      time.Time
		from, to string
	}{
		// Until 31 March the previous year is still open.
		{time.Date(2026, 1, 1, 0, 0, 0, 0, ledger.Zone), "2025-01-01", "2026-01-01"},
		{time.Date(2026, 3, 31, 23, 59, 59, 0, ledger.Zone), "2025-01-01", "2026-03-31"},
		// From 1 April only the current year.
		{time.Date(2026, 4, 1, 0, 0, 0, 0, ledger.Zone), "2026-01-01", "2026-04-01"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, ledger.Zone), "2026-01-01", "2026-12-31"},
		// The business date is Vietnam's, whatever the clock's zone: 17:00
		// UTC on 31 March is 1 April in Hà Nội.
		{time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC), "2026-01-01", "2026-04-01"},
		{time.Date(2025, 12, 31, 16, 59, 59, 0, time.UTC), "2025-01-01", "2025-12-31"},
		{time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), "2025-01-01", "2026-01-01"},
	}
	for _, tc := range tests {
		w := ledger.PostingWindow(tc.now)
		assert.Equal(t, ledger.DateWindow{From: tc.from, To: tc.to}, w, "now %s", tc.now)
	}
}

func TestCheckEntryDate(t *testing.T) {
	w := ledger.PostingWindow(time.Date(2026, 7, 15, 10, 0, 0, 0, ledger.Zone))
	for _, ok := range []string{"2026-01-01", "2026-03-05", "2026-07-15"} {
		assert.NoError(t, w.CheckEntryDate(ok), ok)
		assert.True(t, w.Contains(ok), ok)
	}
	tests := []struct {
		date string
		want []string
	}{
		{"1900-01-01", []string{"the date 1900-01-01 is before 2026-01-01", "books of 2025 and earlier years are closed", "post it with a date from 2026-01-01 to 2026-07-15"}},
		{"2025-12-31", []string{"the date 2025-12-31 is before 2026-01-01", "post it with a date from 2026-01-01 to 2026-07-15"}},
		{"2026-07-16", []string{"the date 2026-07-16 is after today, 2026-07-15", "post it with a date from 2026-01-01 to 2026-07-15"}},
		{"2099-01-01", []string{"the date 2099-01-01 is after today, 2026-07-15", "post it with a date from 2026-01-01 to 2026-07-15"}},
	}
	for _, tc := range tests {
		assert.False(t, w.Contains(tc.date), tc.date)
		le := requireCode(t, w.CheckEntryDate(tc.date), ledger.EInvalid)
		for _, s := range tc.want {
			assert.Contains(t, le.Message, s, tc.date)
		}
	}

	// In the first quarter the previous year is open, and the message
	// names the year closed before it.
	w = ledger.PostingWindow(time.Date(2026, 2, 10, 10, 0, 0, 0, ledger.Zone))
	require.NoError(t, w.CheckEntryDate("2025-12-31"))
	le := requireCode(t, w.CheckEntryDate("2024-12-31"), ledger.EInvalid)
	assert.Contains(t, le.Message, "books of 2024 and earlier years are closed")
	assert.Contains(t, le.Message, "from 2025-01-01 to 2026-02-10")
}

func TestCheckReversalDate(t *testing.T) {
	w := ledger.PostingWindow(time.Date(2026, 7, 15, 10, 0, 0, 0, ledger.Zone))
	require.NoError(t, w.CheckReversalDate(7, "2026-03-05", "2026-03-05"), "the same day")
	require.NoError(t, w.CheckReversalDate(7, "2026-03-05", "2026-07-15"), "a later day")

	le := requireCode(t, w.CheckReversalDate(7, "2026-03-05", "2026-03-04"), ledger.EInvalid)
	assert.Equal(t, "entry 7 is dated 2026-03-05: its reversal cannot be dated earlier (2026-03-04): date the reversal from 2026-03-05 to 2026-07-15", le.Message)

	// An entry of a closed year is reversed in the open period.
	le = requireCode(t, w.CheckReversalDate(7, "2025-11-30", "2025-11-29"), ledger.EInvalid)
	assert.Contains(t, le.Message, "date the reversal from 2026-01-01 to 2026-07-15")

	// An entry dated ahead (stored before the window was enforced) cannot
	// be reversed yet; the message says what to do instead.
	le = requireCode(t, w.CheckReversalDate(7, "2099-01-01", "2026-07-15"), ledger.EInvalid)
	assert.Contains(t, le.Message, "entry 7 is dated 2099-01-01, after today (2026-07-15): it cannot be reversed yet")
}
