package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func TestPostRefusesACurrencyTheChartHasNoAccountFor(t *testing.T) {
	ctx := context.Background()
	usd := func(debit, credit string) ledger.NewEntry {
		return ledger.NewEntry{Date: "2026-03-06", Description: "Phí dịch vụ bằng USD", Lines: []ledger.Line{
			{Account: debit, Side: ledger.Debit, Amount: 12, Currency: "USD"},
			{Account: credit, Side: ledger.Credit, Amount: 12, Currency: "usd"}}}
	}

	// The default chart is kept in đồng: a balanced USD entry is refused.
	db := newTestDB(t)
	_, err := db.Post(ctx, usd("112", "3378"))
	requireInvalid(t, err, `line 1 is in USD, but the chart of accounts has no account in USD (its accounts are kept in VND): post the amount in VND, or add accounts with currency = "USD" to the chart`)
	assert.Equal(t, tableState{}, stateOf(t, db))

	// A chart with accounts kept in USD takes USD lines on those accounts,
	// and only there.
	db = newUSDTestDB(t)
	_, err = db.Post(ctx, usd("112", "3378"))
	requireInvalid(t, err, "line 1 posts USD to account 112, which is kept in VND: post USD amounts to an account kept in USD")
	_, err = db.Post(ctx, usd("112.USD", "3378"))
	requireInvalid(t, err, "line 2 posts USD to account 3378, which is kept in VND")
	e := cardPayment("2026-03-06", 5_000, "")
	e.Lines[0].Account = "112.USD"
	_, err = db.Post(ctx, e)
	requireInvalid(t, err, "line 1 posts VND to account 112.USD, which is kept in USD")
	assert.Equal(t, tableState{}, stateOf(t, db))

	posted := post(t, db, usd("112.USD", "3378.USD"))
	assert.Equal(t, "USD", posted.Lines[1].Currency)
	tb, err := db.TrialBalance(ctx, "")
	require.NoError(t, err)
	require.Len(t, tb.Totals, 1)
	assert.Equal(t, ledger.CurrencyTotal{Currency: "USD", Debit: 12, Credit: 12}, tb.Totals[0])
}

func TestSyncChartRefusesCurrencyChangeOfUsedAccount(t *testing.T) {
	ctx := context.Background()
	db := newUSDTestDB(t)
	post(t, db, ledger.NewEntry{Date: "2026-03-06", Description: "Phí dịch vụ bằng USD", Lines: []ledger.Line{
		{Account: "112.USD", Side: ledger.Debit, Amount: 12, Currency: "USD"},
		{Account: "3378.USD", Side: ledger.Credit, Amount: 12, Currency: "USD"}}})
	before := mustAccounts(t, db)

	chart, err := usdChart().Override([]ledger.Account{{Code: "112.USD", Name: "Tiền gửi", Type: ledger.Asset}})
	require.NoError(t, err)
	err = db.SyncChart(ctx, chart)
	requireCode(t, err, ledger.EConflict)
	assert.Contains(t, err.Error(), "account 112.USD is kept in USD in the database and has postings; the chart says VND")
	assert.Equal(t, before, mustAccounts(t, db), "a refused sync changes nothing")

	// An account without postings may change its currency.
	chart, err = usdChart().Override([]ledger.Account{{Code: "111.USD", Name: "Tiền mặt ngoại tệ (EUR)", Type: ledger.Asset, Currency: "EUR"}})
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, chart))
	assert.Equal(t, "EUR", accountsByCode(t, db)["111.USD"].Currency)
}
