package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// A file the user named wrongly is the user's mistake, with a code that
// says which: never "internal".
func TestBackupAndRestoreFileMistakesCarryCodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "feepos.db")
	db := openTestDB(t, path)

	taken := filepath.Join(dir, "taken.db")
	require.NoError(t, os.WriteFile(taken, []byte("keep me"), 0o600))
	err := db.Backup(ctx, taken)
	assert.Equal(t, apperr.Conflict, apperr.Code(err), "%v", err)
	assert.ErrorContains(t, err, "already exists")
	got, _ := os.ReadFile(taken)
	assert.Equal(t, "keep me", string(got))
	require.NoError(t, db.Close())

	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte("not a database, not even close to one................................................................"), 0o600))
	empty := filepath.Join(dir, "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	for name, c := range map[string]struct{ from, code string }{
		"garbage":            {junk, apperr.Invalid},
		"not a feepos file":  {empty, apperr.Invalid},
		"missing":            {filepath.Join(dir, "missing.db"), apperr.NotFound},
		"a folder, not file": {dir, apperr.Invalid},
	} {
		_, err := sqlite.Restore(ctx, c.from, path, receipts.Trust{})
		assert.Equal(t, c.code, apperr.Code(err), "%s: %v", name, err)
		assert.ErrorContains(t, err, "restore from "+c.from, name)
	}
}
