package vectortest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "v.txt")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func TestHex(t *testing.T) {
	v, err := Hex(write(t, "# comment\n\nA1 10 02 05-01\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"A1": {0x10, 0x02, 0x05, 0x01}}, v)

	_, err = Hex(write(t, "A1\n"))
	assert.ErrorContains(t, err, "line 1")
	_, err = Hex(write(t, "# x\nA1 1G\n"))
	assert.ErrorContains(t, err, "line 2: vector A1")
}

func TestTagged(t *testing.T) {
	v, err := Tagged(write(t, "D1 hex:02 30 03\nE1 ascii:CZ0040320\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"D1": {0x02, 0x30, 0x03}, "E1": []byte("CZ0040320")}, v)

	_, err = Tagged(write(t, "D1 02 30 03\n"))
	assert.ErrorContains(t, err, "unknown value")
}

func TestMissingFile(t *testing.T) {
	_, err := Hex(filepath.Join(t.TempDir(), "none.txt"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
