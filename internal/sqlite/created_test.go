package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

// The caller learns whether a post with an idempotency key wrote a new
// entry or returned the one written before.
func TestPostAndReverseSayWhetherTheEntryIsNew(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)

	first, created, err := db.PostCreated(ctx, cardPayment("2026-03-05", 1000, "k1"))
	require.NoError(t, err)
	assert.True(t, created)
	again, created, err := db.PostCreated(ctx, cardPayment("2026-03-05", 1000, "k1"))
	require.NoError(t, err)
	assert.False(t, created, "same key, same content: the first entry")
	assert.Equal(t, first.ID, again.ID)
	_, created, err = db.PostCreated(ctx, cardPayment("2026-03-05", 1000, ""))
	require.NoError(t, err)
	assert.True(t, created, "no key: always new")
	_, created, err = db.PostCreated(ctx, cardPayment("2026-03-05", 2000, "k1"))
	requireCode(t, err, ledger.EConflict)
	assert.False(t, created)

	rev, created, err := db.ReverseCreated(ctx, first.ID, "2026-03-05", "", "r1")
	require.NoError(t, err)
	assert.True(t, created)
	rev2, created, err := db.ReverseCreated(ctx, first.ID, "2026-03-05", "", "r1")
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, rev.ID, rev2.ID)
	requireVerified(t, db, 3)
}

// An account that is not in the chart is not an account without lines.
func TestBalancesOfAnUnknownAccountIsNotFound(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	post(t, db, cardPayment("2026-03-05", 1000, "k1"))

	_, err := db.Balances(ctx, ledger.BalanceQuery{AsOf: "2026-03-05", Account: "999"})
	requireCode(t, err, ledger.ENotFound)
	assert.ErrorContains(t, err, `account "999"`)

	bs, err := db.Balances(ctx, ledger.BalanceQuery{AsOf: "2026-03-05", Account: "111"})
	require.NoError(t, err, "in the chart, no lines yet")
	assert.Empty(t, bs)
	bs, err = db.Balances(ctx, ledger.BalanceQuery{AsOf: "2026-03-05", Account: "113"})
	require.NoError(t, err)
	require.Len(t, bs, 1)
	assert.EqualValues(t, 1000, bs[0].Balance)
}
