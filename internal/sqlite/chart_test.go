package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func roleHolder(t *testing.T, db *sqlite.DB, r ledger.Role) (string, error) {
	t.Helper()
	var code string
	err := db.WithTx(context.Background(), func(tx *sqlite.Tx) (err error) {
		code, err = tx.AccountFor(context.Background(), r)
		return err
	})
	return code, err
}

func accountsByCode(t *testing.T, db *sqlite.DB) map[string]ledger.Account {
	t.Helper()
	as, err := db.Accounts(context.Background())
	require.NoError(t, err)
	out := map[string]ledger.Account{}
	for _, a := range as {
		out[a.Code] = a
	}
	return out
}

func TestSyncChartMovesRole(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	old := post(t, db, cardPayment("2026-03-05", 50_000, "before"))

	code, err := roleHolder(t, db, ledger.RoleCardClearing)
	require.NoError(t, err)
	assert.Equal(t, "113", code)

	chart, err := ledger.DefaultChart().Override([]ledger.Account{
		{Code: "1131", Name: "Tiền đang chuyển - thẻ ngân hàng", Type: ledger.Asset, Role: ledger.RoleCardClearing},
	})
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, chart))

	code, err = roleHolder(t, db, ledger.RoleCardClearing)
	require.NoError(t, err)
	assert.Equal(t, "1131", code)
	accounts := accountsByCode(t, db)
	assert.Equal(t, ledger.Account{Code: "1131", Name: "Tiền đang chuyển - thẻ ngân hàng", Type: ledger.Asset, Role: ledger.RoleCardClearing, Currency: "VND"}, accounts["1131"])
	assert.Equal(t, ledger.Role(""), accounts["113"].Role, "the old account keeps its row and loses the role")
	assert.Equal(t, ledger.Asset, accounts["113"].Type)
	assert.Equal(t, chart.Accounts(), mustAccounts(t, db))

	// New postings go to the new account; the old entry is untouched.
	e := cardPayment("2026-03-06", 20_000, "after")
	e.Lines[0].Account = code
	post(t, db, e)
	got, err := db.Entry(ctx, old.ID)
	require.NoError(t, err)
	assert.Equal(t, "113", got.Lines[0].Account)
	requireVerified(t, db, 2)

	// Moving it back works too, and 1131 keeps its row.
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	code, err = roleHolder(t, db, ledger.RoleCardClearing)
	require.NoError(t, err)
	assert.Equal(t, "113", code)
	accounts = accountsByCode(t, db)
	assert.Contains(t, accounts, "1131")
	assert.Equal(t, ledger.Role(""), accounts["1131"].Role)

	// Syncing the same chart again changes nothing.
	before := mustAccounts(t, db)
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	assert.Equal(t, before, mustAccounts(t, db))
}

func mustAccounts(t *testing.T, db *sqlite.DB) []ledger.Account {
	t.Helper()
	as, err := db.Accounts(context.Background())
	require.NoError(t, err)
	return as
}

func TestSyncChartRefusesTypeChangeOfUsedAccount(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	// Bank charges (614, expense) has postings.
	post(t, db, ledger.NewEntry{Date: "2026-03-05", Description: "Phí MDR", Lines: []ledger.Line{
		{Account: "614", Side: ledger.Debit, Amount: 220},
		{Account: "113", Side: ledger.Credit, Amount: 220},
	}})
	before := mustAccounts(t, db)

	chart, err := ledger.DefaultChart().Override([]ledger.Account{
		{Code: "1131", Name: "Tiền đang chuyển - thẻ", Type: ledger.Asset, Role: ledger.RoleCardClearing},
		{Code: "614", Name: "Chi phí hoạt động thu phí", Type: ledger.Liability, Role: ledger.RoleBankCharges},
	})
	require.NoError(t, err)
	err = db.SyncChart(ctx, chart)
	requireCode(t, err, ledger.EConflict)
	assert.Contains(t, err.Error(), "614")
	assert.Equal(t, before, mustAccounts(t, db), "a refused sync changes nothing, roles included")
	code, err := roleHolder(t, db, ledger.RoleCardClearing)
	require.NoError(t, err)
	assert.Equal(t, "113", code)

	// An unused account may change type (421 has no postings).
	chart, err = ledger.DefaultChart().Override([]ledger.Account{
		{Code: "421", Name: "Thặng dư lũy kế", Type: ledger.Liability, Role: ledger.RoleAccumulatedSurplus},
	})
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, chart))
	assert.Equal(t, ledger.Liability, accountsByCode(t, db)["421"].Type)

	// Renaming a used account is fine.
	chart, err = ledger.DefaultChart().Override([]ledger.Account{
		{Code: "614", Name: "Phí ngân hàng", Type: ledger.Expense, Role: ledger.RoleBankCharges},
	})
	require.NoError(t, err)
	require.NoError(t, db.SyncChart(ctx, chart))
	assert.Equal(t, "Phí ngân hàng", accountsByCode(t, db)["614"].Name)
}

func TestSyncChartRejectsInvalidChart(t *testing.T) {
	db := newTestDB(t)
	before := mustAccounts(t, db)
	requireCode(t, db.SyncChart(context.Background(), ledger.Chart{}), ledger.EInvalid)
	assert.Equal(t, before, mustAccounts(t, db))
}

func TestAccountForMissingRole(t *testing.T) {
	db := newTestDB(t)
	_, err := roleHolder(t, db, "no_such_role")
	requireCode(t, err, ledger.ENotFound)
}
