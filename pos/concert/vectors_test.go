package concert

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// loadVectors reads testdata/concert-vectors.txt (a copy of sections D and
// E of feepos shared/testdata/ECR-VECTORS.md; the file names the sources).
func loadVectors(tb testing.TB) map[string][]byte {
	tb.Helper()
	f, err := os.Open("testdata/concert-vectors.txt")
	require.NoError(tb, err)
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, val, ok := strings.Cut(line, " ")
		require.True(tb, ok, line)
		switch {
		case strings.HasPrefix(val, "hex:"):
			b, err := ParseHex(strings.TrimPrefix(val, "hex:"))
			require.NoError(tb, err, id)
			out[id] = b
		case strings.HasPrefix(val, "ascii:"):
			out[id] = []byte(strings.TrimPrefix(val, "ascii:"))
		default:
			tb.Fatalf("vector %s: unknown value %q", id, val)
		}
	}
	require.NoError(tb, sc.Err())
	return out
}
