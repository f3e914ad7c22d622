package concert

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/internal/vectortest"
)

// loadVectors reads testdata/concert-vectors.txt (a copy of sections D and
// E of feepos shared/testdata/ECR-VECTORS.md; the file names the sources).
func loadVectors(tb testing.TB) map[string][]byte {
	tb.Helper()
	v, err := vectortest.Tagged("testdata/concert-vectors.txt")
	require.NoError(tb, err)
	return v
}
