// Package demo is what feepos serve --demo starts with: here, the sample
// fee catalogue of the two demo organisations (the district UBND-DEMO
// and the police CA-DEMO) and the land registry the district collects
// for (VPDKDD-DEMO).
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
)

// catalogueCSV is the demo catalogue, in the format of feepos fees import
// (docs/CATALOGUE.md), so that it is also an example file.
//
//go:embed catalogue.csv
var catalogueCSV []byte

// CatalogueCSV is the demo catalogue file as embedded.
func CatalogueCSV() []byte { return bytes.Clone(catalogueCSV) }

// Catalogue is the demo fee catalogue: a business household
// registration, certified copies per page, a signature certification, a
// construction permit, a land-use appraisal fee whose amount the land
// registry computes per dossier (collected by the district for it), a
// land certificate charge, and two police charges.
func Catalogue() (catalogue.Catalogue, error) {
	c, err := catalogue.ReadCSV(bytes.NewReader(catalogueCSV), "demo catalogue")
	if err != nil {
		return catalogue.Catalogue{}, fmt.Errorf("the embedded demo catalogue: %w", err)
	}
	return c, nil
}

// SeedCatalogue imports the demo catalogue into db when it differs from
// what db holds (so a second start writes nothing and adds no audit
// line), as feepos itself (auth.System("demo")). Other fees are kept.
func SeedCatalogue(ctx context.Context, db *sqlite.DB) (catalogue.Changes, error) {
	c, err := Catalogue()
	if err != nil {
		return catalogue.Changes{}, err
	}
	opt := catalogue.ImportOptions{Source: "demo catalogue (internal/demo/catalogue.csv)"}
	plan, err := db.PlanImport(ctx, c, opt)
	if err != nil || plan.Empty() {
		return plan, err
	}
	ch, err := db.ImportCatalogue(ctx, c, opt, auth.System("demo"))
	if err != nil {
		return catalogue.Changes{}, fmt.Errorf("seed the demo fee catalogue: %w", err)
	}
	return ch, nil
}
