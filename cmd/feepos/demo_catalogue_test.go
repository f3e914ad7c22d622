package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve --demo seeds the demo fee catalogue, which fees list then shows;
// a second start changes nothing.
func TestServeDemoSeedsCatalogue(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "feepos-data", "feepos.db")
	log := serveUntil(t, nil, "--demo", "--db", dbPath)
	assert.Contains(t, log, "demo fee catalogue imported")

	r := feepos(t, "", "--db", dbPath, "fees", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var fees []struct {
		FeeCode    string `json:"fee_code"`
		OrgCode    string `json:"org_code"`
		AgencyCode string `json:"agency_code"`
		UnitAmount *int64 `json:"unit_amount"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fees))
	codes := map[string]bool{}
	for _, f := range fees {
		codes[f.FeeCode] = true
	}
	for _, code := range []string{"LP-HKD", "P-CTBS", "P-CTCK", "LP-GPXD", "P-TDGCN", "LP-CT"} {
		assert.True(t, codes[code], code)
	}

	log = serveUntil(t, nil, "--demo", "--db", dbPath)
	assert.NotContains(t, log, "demo fee catalogue imported")
}
