package importers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bank", name))
	require.NoError(t, err)
	return b
}

// readFixture reads a testdata/bank file in the format DetectBank names.
func readFixture(t testing.TB, name string, opt BankOptions) ([]BankStatement, error) {
	t.Helper()
	b := fixture(t, name)
	format := DetectBank(name, b)
	require.NotEmpty(t, format, name)
	return ReadBank(name, bytes.NewReader(b), format, opt)
}

// fileError asserts err is a *FileError and returns it.
func bankFileError(t testing.TB, err error) *FileError {
	t.Helper()
	require.Error(t, err)
	var fe *FileError
	require.True(t, errors.As(err, &fe), "want *FileError, got %T: %v", err, err)
	require.NotEmpty(t, fe.Rows)
	return fe
}

// requireRow asserts the file error lists a row at line (0: any) whose
// column and reason contain the given texts.
func requireRow(t testing.TB, fe *FileError, line int, column, reason string) {
	t.Helper()
	for _, r := range fe.Rows {
		if (line == 0 || r.Line == line) && strings.Contains(r.Column, column) && strings.Contains(r.Reason, reason) {
			return
		}
	}
	t.Fatalf("no row at line %d, column ~%q, reason ~%q in:\n%v", line, column, reason, fe)
}
