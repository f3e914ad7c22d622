package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func TestBackupWhilePosting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTestDB(t, filepath.Join(dir, "feepos.db"))
	for i := 0; i < 20; i++ {
		post(t, db, cardPayment("2026-03-05", int64(1000+i), fmt.Sprintf("before-%d", i)))
	}

	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		posted  atomic.Int64
		postErr = make(chan error, 4)
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				if _, err := db.Post(ctx, cardPayment("2026-03-06", int64(100+n), fmt.Sprintf("during-%d-%d", w, n))); err != nil {
					postErr <- err
					return
				}
				posted.Add(1)
			}
		}(w)
	}
	// Let the writers get going, then copy while they write.
	for posted.Load() < 20 {
		select {
		case err := <-postErr:
			t.Fatal(err)
		default:
		}
		time.Sleep(time.Millisecond)
	}
	dest := filepath.Join(dir, "backups", "feepos-2026-03-06.db")
	backupErr := db.Backup(ctx, dest)
	atLeast := posted.Load()
	stop.Store(true)
	wg.Wait()
	close(postErr)
	for err := range postErr {
		require.NoError(t, err)
	}
	require.NoError(t, backupErr)
	require.Greater(t, atLeast, int64(20))

	_, err := os.Stat(dest + ".partial")
	assert.True(t, errors.Is(err, os.ErrNotExist), "no partial file left behind")

	cp := openTestDB(t, dest)
	rep, err := cp.Verify(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
	assert.GreaterOrEqual(t, rep.Entries, int64(20+20), "the copy has the entries posted before it started")
	assert.LessOrEqual(t, rep.Entries, 20+posted.Load())
	tb, err := cp.TrialBalance(ctx, "")
	require.NoError(t, err)
	assert.True(t, tb.Balanced())
	requireVerified(t, db, 20+posted.Load())

	// A backup never overwrites a file.
	before, err := os.ReadFile(dest)
	require.NoError(t, err)
	err = db.Backup(ctx, dest)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already exists")
	after, err := os.ReadFile(dest)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	require.Error(t, db.Backup(ctx, ""))
}

// The backup file name is chosen by the operator (--to FILE).
func TestBackupToUnusualFileName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTestDB(t, filepath.Join(dir, "feepos.db"))
	post(t, db, cardPayment("2026-03-05", 1000, "k"))
	for _, name := range []string{"sao lưu 05-03.db", "100%.db", "a;b,c=d.db"} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(dir, "chỗ lưu", name)
			require.NoError(t, db.Backup(ctx, dest))
			requireVerified(t, openTestDB(t, dest), 1)
		})
	}
}

// Characters that mean something in a SQLite URI ('#', '?', "%xx") must not
// break backup or restore: the file name is the operator's choice.
func TestBackupAndRestoreWithURICharactersInName(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "feepos.db")
	db := openTestDB(t, path)
	post(t, db, cardPayment("2026-03-05", 1000, "k"))
	for _, name := range []string{"backup #2.db", "backup?v=2.db", "50%25.db"} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(dir, name)
			require.NoError(t, db.Backup(ctx, dest))
			_, err := os.Stat(dest)
			require.NoError(t, err, "the copy is at the name asked for")
			requireVerified(t, openTestDB(t, dest), 1)

			target := filepath.Join(t.TempDir(), "restored.db")
			_, err = sqlite.Restore(ctx, dest, target, receipts.Trust{})
			require.NoError(t, err)
			requireVerified(t, openTestDB(t, target), 1)
		})
	}
}

func TestLockDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feepos.db")
	lock, err := sqlite.LockDatabase(path)
	require.NoError(t, err)

	_, err = sqlite.LockDatabase(path)
	var inUse *sqlite.ErrInUse
	require.ErrorAs(t, err, &inUse)
	assert.Equal(t, path, inUse.Path)
	assert.Equal(t, strconv.Itoa(os.Getpid()), inUse.PID)
	assert.Equal(t, "conflict", inUse.ErrorCode())
	assert.Contains(t, err.Error(), strconv.Itoa(os.Getpid()))

	require.NoError(t, lock.Release())
	require.NoError(t, lock.Release(), "releasing twice is harmless")
	again, err := sqlite.LockDatabase(path)
	require.NoError(t, err)
	require.NoError(t, again.Release())
}

func entryCount(t *testing.T, path string) int64 {
	t.Helper()
	db := openTestDB(t, path)
	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	require.True(t, rep.OK, "%s: %+v", path, rep)
	require.NoError(t, db.Close())
	return rep.Entries
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "feepos.db")
	backup := filepath.Join(dir, "backup.db")

	db := openTestDB(t, path)
	for i := 0; i < 5; i++ {
		post(t, db, cardPayment("2026-03-05", int64(1000+i), fmt.Sprintf("k%d", i)))
	}
	require.NoError(t, db.Backup(ctx, backup))
	for i := 5; i < 8; i++ {
		post(t, db, cardPayment("2026-03-06", int64(1000+i), fmt.Sprintf("k%d", i)))
	}
	require.NoError(t, db.Close())

	// Refused while the service holds the database.
	lock, err := sqlite.LockDatabase(path)
	require.NoError(t, err)
	kept, err := sqlite.Restore(ctx, backup, path, receipts.Trust{})
	require.Error(t, err)
	var inUse *sqlite.ErrInUse
	require.True(t, errors.As(err, &inUse), "error %v (%T)", err, err)
	assert.Empty(t, kept)
	require.NoError(t, lock.Release())
	assert.Equal(t, int64(8), entryCount(t, path), "a refused restore changes nothing")

	// Refused from something that is not a feepos database.
	junk := filepath.Join(dir, "junk.db")
	require.NoError(t, os.WriteFile(junk, []byte("not a database"), 0o600))
	_, err = sqlite.Restore(ctx, junk, path, receipts.Trust{})
	require.Error(t, err)
	_, err = sqlite.Restore(ctx, filepath.Join(dir, "missing.db"), path, receipts.Trust{})
	require.Error(t, err)
	assert.Equal(t, int64(8), entryCount(t, path))

	// Allowed once released.
	kept, err = sqlite.Restore(ctx, backup, path, receipts.Trust{})
	require.NoError(t, err)
	require.NotEmpty(t, kept)
	_, err = os.Stat(kept)
	require.NoError(t, err, "the old database is kept aside")
	assert.Equal(t, int64(5), entryCount(t, path), "the restored database has the backup's entries")
	assert.Equal(t, int64(8), entryCount(t, kept), "the kept database has everything it had")

	restored := openTestDB(t, path)
	for i := 0; i < 8; i++ {
		var n int
		require.NoError(t, restored.SQL().Get(&n, `SELECT COUNT(*) FROM ledger_entries WHERE idempotency_key = ?`, fmt.Sprintf("k%d", i)))
		assert.Equal(t, map[bool]int{true: 1, false: 0}[i < 5], n, "key k%d", i)
	}
	// The restored database is writable and continues the chain.
	e := post(t, restored, cardPayment("2026-03-07", 99, "after-restore"))
	assert.Equal(t, int64(6), e.ID)
	requireVerified(t, restored, 6)
}

// Restoring never destroys data: two restores in a row must keep both
// previous databases.
func TestRestoreTwiceKeepsBoth(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "feepos.db")
	backup := filepath.Join(dir, "backup.db")

	db := openTestDB(t, path)
	post(t, db, cardPayment("2026-03-05", 1000, "k0"))
	require.NoError(t, db.Backup(ctx, backup))
	post(t, db, cardPayment("2026-03-05", 1001, "k1"))
	post(t, db, cardPayment("2026-03-05", 1002, "k2"))
	require.NoError(t, db.Close())

	kept1, err := sqlite.Restore(ctx, backup, path, receipts.Trust{})
	require.NoError(t, err)
	kept2, err := sqlite.Restore(ctx, backup, path, receipts.Trust{})
	require.NoError(t, err)
	require.NotEqual(t, kept1, kept2, "each restore keeps its own copy")
	assert.Equal(t, int64(3), entryCount(t, kept1))
	assert.Equal(t, int64(1), entryCount(t, kept2))
}

// The database being replaced is checkpointed first: its kept copy holds
// every write in its main file, so it needs no -wal (a kill between the
// renames of a restore cannot separate the two).
func TestRestoreCheckpointsTheReplacedDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "feepos.db")
	backup := filepath.Join(dir, "backup.db")
	db := openTestDB(t, path)
	post(t, db, cardPayment("2026-03-05", 1000, "k0"))
	require.NoError(t, db.Backup(ctx, backup))
	for i := 1; i < 6; i++ { // these stay in the -wal while db is open
		post(t, db, cardPayment("2026-03-06", int64(1000+i), fmt.Sprintf("k%d", i)))
	}
	wal, err := os.Stat(path + "-wal")
	require.NoError(t, err)
	require.NotZero(t, wal.Size(), "the writes are in the -wal before the restore")

	kept, err := sqlite.Restore(ctx, backup, path, receipts.Trust{})
	require.NoError(t, err)
	// The kept main file alone, copied without any -wal, has all 6.
	alone := filepath.Join(t.TempDir(), "alone.db")
	data, err := os.ReadFile(kept)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(alone, data, 0o600))
	assert.Equal(t, int64(6), entryCount(t, alone))
	assert.Equal(t, int64(1), entryCount(t, path))
}
