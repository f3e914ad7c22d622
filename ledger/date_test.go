package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func TestBusinessDate(t *testing.T) {
	tests := []struct {
		utc  string
		want string
	}{
		{"2025-12-31T16:59:59Z", "2025-12-31"},
		{"2025-12-31T17:00:00Z", "2026-01-01"}, // midnight in Hà Nội
		{"2026-03-05T02:00:00Z", "2026-03-05"},
		{"2026-03-05T23:30:00Z", "2026-03-06"},
	}
	for _, tc := range tests {
		ts, err := time.Parse(time.RFC3339, tc.utc)
		require.NoError(t, err)
		assert.Equal(t, tc.want, ledger.BusinessDate(ts), tc.utc)
		assert.Equal(t, tc.want, ledger.BusinessDate(ts.In(time.FixedZone("PST", -8*3600))), "%s seen from another zone", tc.utc)
	}
}

func TestParseDate(t *testing.T) {
	d, err := ledger.ParseDate("2026-01-02")
	require.NoError(t, err)
	assert.Equal(t, ledger.Zone, d.Location())
	assert.Equal(t, "2026-01-01T17:00:00Z", d.UTC().Format(time.RFC3339))

	for _, bad := range []string{"", "2026-02-29", "2026-1-2", "02/01/2026", "2026-01-02 "} {
		_, err := ledger.ParseDate(bad)
		requireCode(t, err, ledger.EInvalid)
	}
}
