package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/demo"
	"github.com/feepos/feepos/internal/sqlite"
)

func TestDemoCatalogue(t *testing.T) {
	c, err := demo.Catalogue()
	require.NoError(t, err)
	byCode := map[string]catalogue.Fee{}
	for _, f := range c.Fees {
		byCode[f.Code] = f
		assert.NotEmpty(t, f.LegalBasis, f.Code)
		assert.Contains(t, []string{"UBND-DEMO", "CA-DEMO"}, f.OrgCode, "collected by a demo organisation (one with a receipt series)")
		assert.True(t, f.Active)
	}
	amount := func(code string) int64 {
		t.Helper()
		require.NotNil(t, byCode[code].UnitAmount, code)
		return *byCode[code].UnitAmount
	}
	assert.Equal(t, int64(100_000), amount("LP-HKD"))
	assert.Equal(t, int64(2_000), amount("P-CTBS"))
	assert.Equal(t, "trang", byCode["P-CTBS"].Unit)
	assert.Equal(t, int64(10_000), amount("P-CTCK"))
	assert.Equal(t, int64(75_000), amount("LP-GPXD"))
	assert.Equal(t, int64(20_000), amount("LP-CT"))
	assert.Equal(t, "CA-DEMO", byCode["LP-CT"].OrgCode)

	// Collected by the district for the land registry, computed per dossier.
	land := byCode["P-TDGCN"]
	assert.Equal(t, "UBND-DEMO", land.OrgCode)
	assert.Equal(t, "VPDKDD-DEMO", land.AgencyCode)
	assert.Nil(t, land.UnitAmount)
	p, ok := c.Procedure("DD-GCN")
	require.True(t, ok)
	assert.Equal(t, catalogue.LevelVertical, p.Level)

	assert.Contains(t, string(demo.CatalogueCSV()), "fee_code,name,kind")
}

func TestSeedCatalogueOnce(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	require.NoError(t, err)
	defer db.Close()

	ch, err := demo.SeedCatalogue(ctx, db)
	require.NoError(t, err)
	assert.Len(t, ch.Added, 8)
	fee, err := db.FeeByCode(ctx, "LP-HKD")
	require.NoError(t, err)
	assert.Equal(t, "Lệ phí cấp giấy chứng nhận đăng ký hộ kinh doanh", fee.Name)

	// Again: nothing to do, nothing written.
	ch, err = demo.SeedCatalogue(ctx, db)
	require.NoError(t, err)
	assert.True(t, ch.Empty())
	log, err := db.AuditLog(ctx, sqlite.AuditFilter{Action: "catalogue.import"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "system", log[0].Actor.Kind)
}
