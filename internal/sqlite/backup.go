package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/feepos/feepos/receipts"
)

// Backup writes a consistent copy of the live database to dest with VACUUM
// INTO, which reads one snapshot while other connections keep writing. The
// copy holds everything the database does, so it is readable by its owner
// only (0600). It is written beside dest, checked as restore checks a
// backup (checkBackup) and renamed into place only then, so dest is either
// absent or a whole database that checks out.
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
	// VACUUM INTO writes into an empty file it finds: created here, the
	// copy has mode 0600 from its first byte, not the umask's (often 0644).
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	f.Close()
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := checkBackup(ctx, tmp); err != nil {
		os.Remove(tmp)
		var bad *ErrCheckFailed
		if errors.As(err, &bad) {
			return fmt.Errorf("backup to %s refused, nothing written: %w; the copy is read from the database, which most likely has the same problem: run feepos ledger verify and feepos receipts verify", dest, err)
		}
		return fmt.Errorf("backup to %s: %w", dest, err)
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

// BackupFile is Backup of the database at path, opened read-only: it never
// writes to the database (no migration), so it also copies a read-only
// database or one at an older schema version, to keep before upgrading.
func BackupFile(ctx context.Context, path, dest string) error {
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Backup(ctx, dest)
}

// ErrCheckFailed says a database file (a backup, a copy being restored) does
// not pass the checks restore makes; Problem is the first one found.
type ErrCheckFailed struct {
	Name    string // the file, as the person named it
	Problem string
}

func (e *ErrCheckFailed) Error() string { return e.Name + " does not check out: " + e.Problem }

// ErrorCode marks it as invalid for the CLI and API: the file named cannot
// be used (damaged, tampered with, not a feepos database).
func (e *ErrCheckFailed) ErrorCode() string { return "invalid" }

// checkStructure opens the database file at path read-only and checks what
// no feepos command changes: SQLite's integrity check, the foreign keys,
// and the schema (every table, index and trigger) against the one the
// embedded migrations create at the file's own schema version. current says
// whether that version is this binary's. name is the file as the person
// named it.
func checkStructure(ctx context.Context, path, name string) (current bool, err error) {
	sdb, err := sqlx.Open(driverName, readOnlyDSN(path, false))
	if err != nil {
		return false, err
	}
	defer sdb.Close()
	var result string
	if err := sdb.GetContext(ctx, &result, `PRAGMA integrity_check`); err != nil {
		return false, &ErrCheckFailed{Name: name, Problem: fmt.Sprintf("it is not a readable SQLite database (%v)", err)}
	}
	if result != "ok" {
		return false, &ErrCheckFailed{Name: name, Problem: fmt.Sprintf("it is damaged: SQLite's integrity check says %q", result)}
	}
	var orphans []struct {
		Table  string        `db:"table"`
		RowID  sql.NullInt64 `db:"rowid"` // NULL in a WITHOUT ROWID table
		Parent string        `db:"parent"`
		FKID   int64         `db:"fkid"`
	}
	if err := sdb.SelectContext(ctx, &orphans, `PRAGMA foreign_key_check`); err != nil {
		return false, fmt.Errorf("check %s: %w", name, err)
	}
	if len(orphans) > 0 {
		o := orphans[0]
		row := "a row of " + o.Table
		if o.RowID.Valid {
			row = fmt.Sprintf("row %d of %s", o.RowID.Int64, o.Table)
		}
		return false, &ErrCheckFailed{Name: name, Problem: row + " points to a row of " + o.Parent + " that does not exist (a row was deleted)"}
	}
	applied, err := appliedVersions(ctx, sdb, name)
	if err != nil {
		return false, &ErrCheckFailed{Name: name, Problem: "it is not a feepos database (no schema_migrations table)"}
	}
	missing, err := schemaStatus(applied)
	if err != nil {
		return false, err
	}
	problem, err := schemaProblem(ctx, sdb, applied)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", name, err)
	}
	if problem != "" {
		return false, &ErrCheckFailed{Name: name, Problem: problem}
	}
	return len(missing) == 0, nil
}

// checkContents walks db's ledger chain as feepos ledger verify does, then
// its receipts as feepos receipts verify does: with trust, their chains,
// signatures and daily closures; without, their chains only.
func checkContents(ctx context.Context, db *DB, name string, trust *receipts.Trust) error {
	lrep, err := db.Verify(ctx)
	if err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	if !lrep.OK {
		return &ErrCheckFailed{Name: name, Problem: "ledger verify: " + lrep.Problem}
	}
	var rrep receipts.VerifyReport
	if trust != nil {
		srep, err := db.VerifyReceiptSignatures(ctx, *trust)
		if err != nil {
			return fmt.Errorf("check %s: %w", name, err)
		}
		rrep = srep.VerifyReport
	} else if rrep, err = db.VerifyReceipts(ctx); err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	if !rrep.OK {
		return &ErrCheckFailed{Name: name, Problem: "receipts verify: " + rrep.Problem}
	}
	return nil
}

// checkBackup checks a backup just written at path: its structure always;
// its ledger and receipt chains when it is at this binary's schema (an older
// one is checked when restored, once its copy is migrated). Signatures are
// left to restore: checking each receipt's is slow.
func checkBackup(ctx context.Context, path string) error {
	current, err := checkStructure(ctx, path, "the copy")
	if err != nil || !current {
		return err
	}
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkContents(ctx, db, "the copy", nil)
}

// checkRestoreCopy checks tmp, the private copy of the backup src that is
// about to replace the database, as ledger verify and receipts verify
// would (signatures against trust) and its structure (checkStructure). A
// copy at an older schema is migrated first, as the next open would do.
// Once closed, tmp alone holds the whole database.
func checkRestoreCopy(ctx context.Context, tmp, src string, trust receipts.Trust) error {
	if _, err := checkStructure(ctx, tmp, src); err != nil {
		return err
	}
	db, err := openWritable(ctx, tmp)
	if err != nil {
		return err
	}
	err = checkContents(ctx, db, src, &trust)
	// Closing the last connection checkpoints the copy and removes its -wal.
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("check %s: %w", src, cerr)
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(tmp + "-wal"); err == nil && fi.Size() > 0 {
		return fmt.Errorf("check %s: the checked copy %s kept writes in its -wal after closing", src, tmp)
	}
	return removeSideFiles(tmp)
}

// Restore replaces the database at path with the backup at src. The backup
// is copied beside the database and the copy checked first (checkRestoreCopy:
// a tampered or damaged backup is refused, naming the first problem, and the
// database is left as it was). It refuses while a feepos process holds the
// database (see LockDatabase). The old database, with its WAL, is kept
// beside it as PATH.before-restore-TIME: restoring never destroys data, and
// a stale WAL is never applied to the restored file. trust is the receipts'
// signing certificates, as for VerifyReceiptSignatures. The database's
// folder is created if missing (a restore onto a new machine).
func Restore(ctx context.Context, src, path string, trust receipts.Trust) (kept string, err error) {
	if path == "" {
		path = DefaultPath
	}
	if fi, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("restore from %s: %w", src, &ErrNoDatabase{Path: src, Hint: "check --from: name a file made by feepos backup"})
	} else if err != nil {
		return "", fmt.Errorf("restore from %s: %w", src, badBackup(src, err))
	} else if fi.IsDir() {
		return "", fmt.Errorf("restore from %s: %w", src, badBackup(src, errors.New("it is a folder, not a backup file")))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("restore: create the data folder for %s: %w", path, err)
	}
	lock, err := LockDatabase(path)
	if err != nil {
		return "", fmt.Errorf("restore refused: %w", err)
	}
	defer lock.Release()

	tmp := path + ".restoring"
	os.Remove(tmp)
	if err := removeSideFiles(tmp); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("restore: copy %s: %w", src, err)
	}
	if err := checkRestoreCopy(ctx, tmp, src, trust); err != nil {
		os.Remove(tmp)
		removeSideFiles(tmp)
		return "", fmt.Errorf("restore from %s refused, the database at %s is unchanged: %w", src, path, badBackup(src, err))
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

// removeSideFiles removes the -wal, -shm and -journal of a copy feepos made
// and alone uses (a backup being checked, a copy being restored).
func removeSideFiles(path string) error {
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
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
