package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"
)

// Backup writes a consistent copy of the live database to dest with VACUUM
// INTO, which reads one snapshot while other connections keep writing. The
// copy is written beside dest and renamed into place only once complete and
// checked, so dest is either absent or a whole database.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if dest == "" {
		return errors.New("backup: say where to write the copy (--to FILE)")
	}
	if _, err := os.Stat(dest); err == nil {
		return &FileError{Path: dest, Code: "conflict", Err: fmt.Errorf("backup: %s already exists: choose a new file name, backups are never overwritten", dest)}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return fmt.Errorf("backup: create folder for %s: %w", dest, err)
	}
	tmp := dest + ".partial"
	os.Remove(tmp)
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := checkDatabaseFile(ctx, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: the copy does not check out: %w", dest, err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return syncDir(filepath.Dir(dest))
}

// checkDatabaseFile opens a database file read-only and checks that it is an
// intact feepos database this binary can run.
func checkDatabaseFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	sdb, err := sqlx.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer sdb.Close()
	var result string
	if err := sdb.GetContext(ctx, &result, `PRAGMA integrity_check`); err != nil {
		return fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if result != "ok" {
		return fmt.Errorf("%s is damaged: integrity check says %q", path, result)
	}
	var version int
	if err := sdb.GetContext(ctx, &version, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`); err != nil {
		return fmt.Errorf("%s is not a feepos database (no schema_migrations table)", path)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].version; version > latest {
		return &ErrSchemaNewer{DB: version, Binary: latest}
	}
	return nil
}

// Restore replaces the database at path with the backup at src. It refuses
// while a feepos process holds the database (see LockDatabase). The old
// database, with its WAL, is kept beside it as PATH.before-restore-TIME:
// restoring never destroys data, and a stale WAL is never applied to the
// restored file.
func Restore(ctx context.Context, src, path string) (kept string, err error) {
	if path == "" {
		path = DefaultPath
	}
	if err := checkDatabaseFile(ctx, src); err != nil {
		return "", fmt.Errorf("restore from %s: %w", src, badBackup(src, err))
	}
	lock, err := LockDatabase(path)
	if err != nil {
		return "", fmt.Errorf("restore refused: %w", err)
	}
	defer lock.Release()

	tmp := path + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("restore: copy %s: %w", src, err)
	}
	if _, err := os.Stat(path); err == nil {
		// Everything of the current database into its main file first: its
		// -wal is then empty, so a kill between the renames below cannot
		// leave a -wal that SQLite would replay onto the restored file, or
		// a kept copy whose main file lacks the last writes.
		if err := checkpointAll(ctx, path); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("restore: %w", err)
		}
		// Never reuse a name: a second restore must not replace the first
		// restore's kept copy.
		stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
		kept = path + ".before-restore-" + stamp
		for i := 2; exists(kept) || exists(kept+"-wal") || exists(kept+"-shm"); i++ {
			kept = fmt.Sprintf("%s.before-restore-%s-%d", path, stamp, i)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				os.Remove(tmp)
				return "", fmt.Errorf("restore: move the current database aside: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return kept, fmt.Errorf("restore: put %s in place: %w (the previous database is at %s)", src, err, kept)
	}
	return kept, syncDir(filepath.Dir(path))
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// checkpointAll copies every write of the database at path from its -wal
// into the main file and empties the -wal (PRAGMA wal_checkpoint(TRUNCATE)).
// It fails when another connection still reads or writes.
func checkpointAll(ctx context.Context, path string) error {
	sdb, err := sqlx.Open(driverName, dsn(path))
	if err != nil {
		return err
	}
	defer sdb.Close()
	var busy, frames, done int
	if err := sdb.QueryRowxContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if busy != 0 {
		return fmt.Errorf("%s is in use by another feepos command (its last writes are not checkpointed): wait for it to finish and restore again", path)
	}
	return nil
}
