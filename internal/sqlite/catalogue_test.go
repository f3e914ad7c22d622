package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
)

func feeAmount(n int64) *int64 { return &n }

func testCatalogue() catalogue.Catalogue {
	return catalogue.Catalogue{
		Procedures: []catalogue.Procedure{{Code: "HKD", Name: "Đăng ký hộ kinh doanh", Level: catalogue.LevelDistrict, Agency: "UBND-DEMO"}},
		Fees: []catalogue.Fee{
			{Code: "LP-HKD", Name: "Lệ phí đăng ký hộ kinh doanh", Kind: catalogue.KindLePhi, ProcedureCode: "HKD", OrgCode: "UBND-DEMO",
				AgencyCode: "UBND-DEMO", UnitAmount: feeAmount(100000), Unit: "hồ sơ", LegalBasis: "Thông tư 85/2019/TT-BTC", Active: true},
			{Code: "P-TD", Name: "Phí thẩm định", Kind: catalogue.KindPhi, OrgCode: "UBND-DEMO", AgencyCode: "VPDKDD-DEMO", Unit: "hồ sơ", Active: true},
		},
	}
}

var catalogueActor = auth.Actor{Kind: auth.KindCLI, ID: "tester", Role: auth.RoleAdmin}

func TestImportCatalogue(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)

	ch, err := db.ImportCatalogue(ctx, testCatalogue(), catalogue.ImportOptions{Source: "a.csv"}, catalogueActor)
	require.NoError(t, err)
	assert.Equal(t, []string{"LP-HKD", "P-TD"}, ch.Added)
	assert.Equal(t, []string{"HKD"}, ch.ProceduresAdded)

	fee, err := db.FeeByCode(ctx, "LP-HKD")
	require.NoError(t, err)
	assert.Equal(t, testCatalogue().Fees[0], fee)
	fee, err = db.FeeByCode(ctx, "P-TD")
	require.NoError(t, err)
	assert.Nil(t, fee.UnitAmount)
	stored, err := db.Catalogue(ctx)
	require.NoError(t, err)
	assert.Equal(t, testCatalogue(), stored)

	// A file without P-TD keeps it, unless asked to deactivate.
	one := testCatalogue()
	one.Fees = one.Fees[:1]
	one.Fees[0].UnitAmount = feeAmount(120000)
	plan, err := db.PlanImport(ctx, one, catalogue.ImportOptions{DeactivateMissing: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"LP-HKD"}, plan.Updated)
	assert.Equal(t, []string{"P-TD"}, plan.Deactivated)
	fees, err := db.Fees(ctx)
	require.NoError(t, err)
	assert.Len(t, fees, 2, "a plan writes nothing")
	assert.Equal(t, int64(100000), *fees[0].UnitAmount)

	ch, err = db.ImportCatalogue(ctx, one, catalogue.ImportOptions{}, catalogueActor)
	require.NoError(t, err)
	assert.Equal(t, []string{"LP-HKD"}, ch.Updated)
	assert.Empty(t, ch.Deactivated)
	fees, err = db.Fees(ctx)
	require.NoError(t, err)
	assert.Len(t, fees, 2)

	ch, err = db.ImportCatalogue(ctx, one, catalogue.ImportOptions{DeactivateMissing: true, Source: "b.xlsx"}, catalogueActor)
	require.NoError(t, err)
	assert.Equal(t, []string{"P-TD"}, ch.Deactivated)
	assert.Equal(t, []string{"LP-HKD"}, ch.Unchanged)
	_, err = db.FeeByCode(ctx, "P-TD")
	var unknown *catalogue.UnknownFeeError
	assert.True(t, errors.As(err, &unknown), "an inactive fee is not payable")
	all, err := db.AllFees(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.False(t, all[1].Active)

	// Each import has its audit line, with its actor and changes.
	log, err := db.AuditLog(ctx, sqlite.AuditFilter{Action: "catalogue.import"})
	require.NoError(t, err)
	require.Len(t, log, 3)
	assert.Equal(t, catalogueActor, log[0].Actor)
	assert.Equal(t, "fee_catalogue", log[0].Object)
	var detail map[string]any
	require.NoError(t, json.Unmarshal(log[0].Detail, &detail))
	assert.Equal(t, "b.xlsx", detail["source"])
	assert.Equal(t, []any{"P-TD"}, detail["deactivated"])
	assert.Equal(t, true, detail["deactivate_missing"])
}

// A catalogue that does not validate writes nothing, its audit line
// neither.
func TestImportCatalogueInvalidWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	bad := testCatalogue()
	bad.Fees[1].UnitAmount = feeAmount(0)
	_, err := db.ImportCatalogue(ctx, bad, catalogue.ImportOptions{Source: "bad.csv"}, catalogueActor)
	var ie *catalogue.ImportError
	require.True(t, errors.As(err, &ie))
	assert.Equal(t, "bad.csv", ie.Source)
	all, err := db.AllFees(ctx)
	require.NoError(t, err)
	assert.Empty(t, all)
	log, err := db.AuditLog(ctx, sqlite.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, log)

	// An actor is required: the audit line refuses, and the fees go with it.
	_, err = db.ImportCatalogue(ctx, testCatalogue(), catalogue.ImportOptions{}, auth.Actor{})
	require.Error(t, err)
	all, err = db.AllFees(ctx)
	require.NoError(t, err)
	assert.Empty(t, all)
}
