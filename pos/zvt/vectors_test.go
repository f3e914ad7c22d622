package zvt

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// vectors reads testdata/vectors.txt (a copy of the shared vectors; tests
// never read outside this package).
func vectors(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, hexs, ok := strings.Cut(line, " ")
		require.True(t, ok, line)
		b, err := ParseHex(hexs)
		require.NoError(t, err, id)
		out[id] = b
	}
	require.NoError(t, sc.Err())
	return out
}
