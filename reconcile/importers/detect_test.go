package importers

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetect(t *testing.T) {
	for file, want := range map[string]string{
		"generic.csv":          "csv",
		"vn-bank-pos-1258.csv": "csv",
		"vn-bank-pos.xlsx":     "xlsx",
		"napas.txt":            "napas",
	} {
		data, err := os.ReadFile("testdata/settlement/" + file)
		require.NoError(t, err)
		if len(data) > 4096 {
			data = data[:4096]
		}
		assert.Equal(t, want, Detect(file, data), file)
	}
	assert.Equal(t, "csv", Detect("x.csv", []byte{0xFF, 0xFE, 'a', 0}), "UTF-16 text")
	assert.Equal(t, "", Detect("x.bin", []byte{0, 1, 2}))
	assert.Equal(t, "", Detect("x", nil))

	saved := detectors
	t.Cleanup(func() { detectors = saved })
	RegisterDetector(func(name string, head []byte) string {
		if len(head) >= 5 && string(head[:5]) == "<?xml" {
			return "camt053"
		}
		return ""
	})
	assert.Equal(t, "camt053", Detect("s.xml", []byte("<?xml version")), "a registered detector answers before the CSV fallback")
}
