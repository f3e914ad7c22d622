package zvt

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/internal/vectortest"
)

// vectors reads testdata/vectors.txt (a copy of the shared vectors; tests
// never read outside this package).
func vectors(t testing.TB) map[string][]byte {
	t.Helper()
	v, err := vectortest.Hex("testdata/vectors.txt")
	require.NoError(t, err)
	return v
}
