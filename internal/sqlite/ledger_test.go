package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func TestPostRejects(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	first := post(t, db, cardPayment("2026-03-05", 50_000, "pay-1"))
	rev, err := db.Reverse(ctx, first.ID, "2026-03-05", "", "rev-1")
	require.NoError(t, err)
	other := post(t, db, cardPayment("2026-03-05", 70_000, "pay-2"))

	withLines := func(lines ...ledger.Line) ledger.NewEntry {
		e := cardPayment("2026-03-06", 1, "")
		e.Lines = lines
		return e
	}
	l := func(account string, side ledger.Side, amount int64, currency string) ledger.Line {
		return ledger.Line{Account: account, Side: side, Amount: amount, Currency: currency}
	}
	postOp := func(e ledger.NewEntry) func() error {
		return func() error { _, err := db.Post(ctx, e); return err }
	}
	reverseOp := func(id int64, date, key string) func() error {
		return func() error { _, err := db.Reverse(ctx, id, date, "", key); return err }
	}

	tests := []struct {
		name string
		op   func() error
		code string
	}{
		{"unbalanced", postOp(withLines(l("113", ledger.Debit, 50_000, "VND"), l("3373", ledger.Credit, 40_000, "VND"))), ledger.EInvalid},
		{"one line", postOp(withLines(l("113", ledger.Debit, 50_000, "VND"))), ledger.EInvalid},
		{"no lines", postOp(withLines()), ledger.EInvalid},
		{"zero amounts", postOp(withLines(l("113", ledger.Debit, 0, "VND"), l("3373", ledger.Credit, 0, "VND"))), ledger.EInvalid},
		{"negative amounts", postOp(withLines(l("113", ledger.Debit, -5, "VND"), l("3373", ledger.Credit, -5, "VND"))), ledger.EInvalid},
		{"above MaxAmount", postOp(withLines(l("113", ledger.Debit, ledger.MaxAmount+1, "VND"), l("3373", ledger.Credit, ledger.MaxAmount+1, "VND"))), ledger.EInvalid},
		{"VND debit against USD credit", postOp(withLines(l("113", ledger.Debit, 100, "VND"), l("3373", ledger.Credit, 100, "USD"))), ledger.EInvalid},
		{"unknown account on line 1", postOp(withLines(l("999", ledger.Debit, 100, "VND"), l("3373", ledger.Credit, 100, "VND"))), ledger.EInvalid},
		{"unknown account on the last line", postOp(withLines(l("113", ledger.Debit, 100, "VND"), l("3373", ledger.Credit, 60, "VND"), l("3379", ledger.Credit, 40, "VND"))), ledger.EInvalid},
		{"bad date", postOp(cardPayment("2026-02-30", 100, "")), ledger.EInvalid},
		{"empty description", postOp(func() ledger.NewEntry { e := cardPayment("2026-03-06", 100, ""); e.Description = " "; return e }()), ledger.EInvalid},
		{"reversal through Post", postOp(func() ledger.NewEntry { e := cardPayment("2026-03-06", 100, ""); e.Reverses = other.ID; return e }()), ledger.EInvalid},
		{"idempotency key reused with another amount", postOp(cardPayment("2026-03-05", 50_001, "pay-1")), ledger.EConflict},
		{"idempotency key reused with another date", postOp(cardPayment("2026-03-06", 50_000, "pay-1")), ledger.EConflict},
		{"idempotency key of a reversal reused for a payment", postOp(cardPayment("2026-03-05", 50_000, "rev-1")), ledger.EConflict},
		{"reverse an entry twice", reverseOp(first.ID, "2026-03-06", ""), ledger.EConflict},
		{"reverse an entry twice with a new key", reverseOp(first.ID, "2026-03-06", "rev-1-again"), ledger.EConflict},
		{"reverse a reversal", reverseOp(rev.ID, "2026-03-06", ""), ledger.EConflict},
		{"reverse with a key used by a payment", reverseOp(other.ID, "2026-03-06", "pay-1"), ledger.EConflict},
		{"reverse with a key used to reverse another entry", reverseOp(other.ID, "2026-03-06", "rev-1"), ledger.EConflict},
		{"reverse a missing entry", reverseOp(999, "2026-03-06", ""), ledger.ENotFound},
		{"reverse with a bad date", reverseOp(other.ID, "06/03/2026", ""), ledger.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := stateOf(t, db)
			requireCode(t, tc.op(), tc.code)
			assert.Equal(t, before, stateOf(t, db), "nothing written")
		})
	}
	requireVerified(t, db, 3)
}

func TestPostIdempotent(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	e := cardPayment("2026-03-05", 50_000, "pay-1")
	first := post(t, db, e)
	post(t, db, cardPayment("2026-03-05", 10_000, "pay-2"))
	before := stateOf(t, db)

	// The same request again, and the same content typed differently: NFD
	// Vietnamese, padded key, lower-case or omitted currency.
	variant := cardPayment("2026-03-05", 50_000, "  pay-1 ")
	variant.Description = norm.NFD.String(variant.Description)
	variant.Lines[0].Currency = ""
	variant.Lines[1].Currency = "vnd"
	for name, again := range map[string]ledger.NewEntry{"same": e, "normalized the same": variant} {
		got, err := db.Post(ctx, again)
		require.NoError(t, err, name)
		assert.Equal(t, first.ID, got.ID, name)
		assert.Equal(t, first.Hash, got.Hash, name)
		assert.Equal(t, first.CreatedAt, got.CreatedAt, name)
		assert.Equal(t, before, stateOf(t, db), "%s: nothing written", name)
	}

	// Inside a transaction too.
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		got, err := tx.PostEntry(ctx, e)
		if err == nil {
			assert.Equal(t, first.ID, got.ID)
		}
		return err
	}))
	assert.Equal(t, before, stateOf(t, db))

	// A reversal with a key is idempotent as well, and is not refused as
	// "already reversed" the second time.
	r1, err := db.Reverse(ctx, first.ID, "2026-03-06", "", "rev-1")
	require.NoError(t, err)
	afterReverse := stateOf(t, db)
	r2, err := db.Reverse(ctx, first.ID, "2026-03-06", "", "rev-1")
	require.NoError(t, err)
	assert.Equal(t, r1.ID, r2.ID)
	assert.Equal(t, afterReverse, stateOf(t, db))
	requireVerified(t, db, 3)
}

func TestEntryReadBack(t *testing.T) {
	ctx := context.Background()
	db := newUSDTestDB(t)
	db.Now = func() time.Time { return time.Date(2026, 3, 5, 9, 30, 0, 0, ledger.Zone) }

	e := cardPayment("2026-03-05", 50_000, "pay-1")
	e.Lines = append(e.Lines,
		ledger.Line{Account: "112.USD", Side: ledger.Debit, Amount: 7, Currency: "USD"},
		ledger.Line{Account: "3378.USD", Side: ledger.Credit, Amount: 7, Currency: "USD", Dimensions: ledger.Dimensions{Agency: "Sở Tư pháp"}})
	posted := post(t, db, e)
	assert.Equal(t, int64(1), posted.ID)
	assert.Equal(t, "2026-03-05T02:30:00Z", posted.CreatedAt, "created_at is UTC")
	assert.Equal(t, ledger.GenesisHash, posted.PrevHash)
	assert.Equal(t, e.Normalize().ContentHash(), posted.ContentHash)
	assert.Equal(t, ledger.ChainHash(1, posted.CreatedAt, "pay-1", posted.ContentHash, ledger.GenesisHash), posted.Hash)

	got, err := db.Entry(ctx, posted.ID)
	require.NoError(t, err)
	assert.Equal(t, posted, got)

	// The next entry links to it; a reversal without a date takes today's
	// business date in Hà Nội (already 6 March at 18:00 UTC on 5 March).
	db.Now = func() time.Time { return time.Date(2026, 3, 5, 18, 0, 0, 0, time.UTC) }
	rev, err := db.Reverse(ctx, posted.ID, "", "", "")
	require.NoError(t, err)
	assert.Equal(t, posted.Hash, rev.PrevHash)
	assert.Equal(t, "2026-03-06", rev.Date)
	assert.Equal(t, posted.ID, rev.Reverses)
	require.Len(t, rev.Lines, 4)
	for i, l := range rev.Lines {
		assert.NotEqual(t, posted.Lines[i].Side, l.Side)
		assert.Equal(t, posted.Lines[i].Amount, l.Amount)
		assert.Equal(t, posted.Lines[i].Account, l.Account)
		assert.Equal(t, posted.Lines[i].Dimensions, l.Dimensions)
	}

	got, err = db.Entry(ctx, posted.ID)
	require.NoError(t, err)
	assert.Equal(t, rev.ID, got.ReversedBy)

	_, err = db.Entry(ctx, 42)
	requireCode(t, err, ledger.ENotFound)

	day5, err := db.Journal(ctx, "2026-03-05")
	require.NoError(t, err)
	require.Len(t, day5, 1)
	assert.Equal(t, posted.ID, day5[0].ID)
	assert.Equal(t, rev.ID, day5[0].ReversedBy)
	day6, err := db.Journal(ctx, "2026-03-06")
	require.NoError(t, err)
	require.Len(t, day6, 1)
	assert.Equal(t, rev, day6[0])
	none, err := db.Journal(ctx, "2026-03-07")
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = db.Journal(ctx, "yesterday")
	requireCode(t, err, ledger.EInvalid)

	accounts, err := db.Accounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, usdChart().Accounts(), accounts)
	requireVerified(t, db, 2)
}

func TestJournalOrder(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	var want []int64
	for i, date := range []string{"2026-03-05", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-05"} {
		e := post(t, db, cardPayment(date, int64(1000+i), ""))
		if date == "2026-03-05" {
			want = append(want, e.ID)
		}
	}
	got, err := db.Journal(ctx, "2026-03-05")
	require.NoError(t, err)
	var ids []int64
	for _, e := range got {
		ids = append(ids, e.ID)
		assert.Len(t, e.Lines, 2)
	}
	assert.Equal(t, want, ids)
}

// Tx.PostEntry is public so a payment, its receipt and its ledger entry can
// share a transaction. It must keep the reversal rules that Reverse keeps:
// an entry it writes with Reverses set must point at an existing entry that
// is not itself a reversal, and must mirror its lines.
func TestTxPostEntryKeepsReversalRules(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	orig := post(t, db, cardPayment("2026-03-05", 50_000, ""))
	rev, err := db.Reverse(ctx, orig.ID, "2026-03-05", "", "")
	require.NoError(t, err)
	other := post(t, db, cardPayment("2026-03-05", 70_000, ""))

	notMirrored := cardPayment("2026-03-06", 1, "")
	notMirrored.Reverses = other.ID
	tests := []struct {
		name string
		e    ledger.NewEntry
		code string
	}{
		{"reversal of a reversal", reversalOf(rev.ID, rev.NewEntry, "2026-03-06", ""), ledger.EConflict},
		{"reversal of a missing entry", reversalOf(999, orig.NewEntry, "2026-03-06", ""), ledger.ENotFound},
		{"reversal whose lines do not mirror the original", notMirrored, ledger.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := stateOf(t, db)
			err := db.WithTx(ctx, func(tx *sqlite.Tx) error { _, err := tx.PostEntry(ctx, tc.e); return err })
			requireCode(t, err, tc.code)
			assert.Equal(t, before, stateOf(t, db))
		})
	}
}

// A reversal repeated with its key returns the first reversal; the same key
// for another date, description or entry is a conflict, as for Post.
func TestReverseIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	a := post(t, db, cardPayment("2026-03-05", 50_000, ""))
	b := post(t, db, cardPayment("2026-03-05", 70_000, ""))
	first, err := db.Reverse(ctx, a.ID, "2026-03-06", "Hủy giao dịch", "rev-a")
	require.NoError(t, err)
	again, err := db.Reverse(ctx, a.ID, "2026-03-06", "", "rev-a")
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)

	for name, call := range map[string]func() error{
		"other date":        func() error { _, err := db.Reverse(ctx, a.ID, "2026-03-07", "", "rev-a"); return err },
		"other description": func() error { _, err := db.Reverse(ctx, a.ID, "2026-03-06", "Khác", "rev-a"); return err },
		"other entry":       func() error { _, err := db.Reverse(ctx, b.ID, "2026-03-06", "", "rev-a"); return err },
	} {
		err := call()
		var le *ledger.Error
		require.ErrorAs(t, err, &le, name)
		assert.Equal(t, ledger.EConflict, le.Code, name)
	}
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK)
	assert.EqualValues(t, 3, rep.Entries)
}
