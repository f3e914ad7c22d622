package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// A command opens the database one of three ways, by what it does to it:
//
//   - Open (db.go) creates the file and its folder when missing, and
//     migrates: feepos serve, the only command that creates a database.
//   - OpenExisting refuses a missing file and migrates: the commands that
//     write (ledger post, ledger reverse, receipts close, migrate).
//   - OpenReadOnly refuses a missing file and never writes to it: reports
//     and checks, which therefore also work on an auditor's read-only copy.
//
// A mistyped path thus never yields a new empty database whose reports say
// all is well.

// ErrNoDatabase says there is no database file where one was named.
type ErrNoDatabase struct {
	Path string
	// Hint says what to check; the default speaks of --db.
	Hint string
}

func (e *ErrNoDatabase) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "check --db (or [service] db in the configuration); only feepos serve creates a new database, and feepos restore --from BACKUP puts a backup in place"
	}
	return fmt.Sprintf("database %s does not exist: %s", e.Path, hint)
}

// ErrorCode marks it as not found for the CLI and API.
func (e *ErrNoDatabase) ErrorCode() string { return "not_found" }

// ErrReadOnly says a command that writes met a database it cannot write:
// its file, folder or disk is read-only for this user.
type ErrReadOnly struct{ Path string }

func (e *ErrReadOnly) Error() string {
	return fmt.Sprintf("database %s cannot be written here (its file, folder or disk is read-only for this user), and this command writes to it: run it where the database is writable; reports and checks (ledger verify, ledger trial-balance, receipts verify…) open it read-only and work on a read-only copy", e.Path)
}

// ErrorCode marks it as forbidden for the CLI and API.
func (e *ErrReadOnly) ErrorCode() string { return "forbidden" }

// ErrSchemaOlder says a database opened read-only lacks migrations this
// binary has. Reading commands never migrate, so it must be upgraded by a
// command that writes.
type ErrSchemaOlder struct {
	Path    string
	Missing []string // the migrations' file names
	DB      int      // the highest version applied
	Binary  int      // the highest version this binary knows
}

func (e *ErrSchemaOlder) Error() string {
	what := "migration " + e.Missing[0]
	if len(e.Missing) > 1 {
		what = "migrations " + strings.Join(e.Missing, ", ")
	}
	return fmt.Sprintf("database %s lacks %s of this feepos (it is at schema version %d, this feepos at %d), and reports and checks never upgrade a database: "+
		"upgrade it once with 'feepos --db %s migrate' where it is writable (back it up first), or read it with the feepos version that wrote it",
		e.Path, what, e.DB, e.Binary, e.Path)
}

// ErrorCode marks it as a conflict for the CLI and API.
func (e *ErrSchemaOlder) ErrorCode() string { return "conflict" }

// OpenExisting opens the existing database at path to write to it, and
// applies the migrations this binary knows. A missing file is refused with
// ErrNoDatabase, one that cannot be written with ErrReadOnly.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		path = DefaultPath
	}
	if err := requireFile(path); err != nil {
		return nil, err
	}
	return openWritable(ctx, path)
}

// OpenReadOnly opens the existing database at path for reading only: the
// connections are opened read-only (mode=ro: SQLITE_OPEN_READONLY), so
// nothing is migrated and SQLite refuses any statement that would change
// the file, whoever runs the command (root included). A missing
// file is refused with ErrNoDatabase; a schema older than this binary's
// with ErrSchemaOlder (which says how to upgrade), a newer one with
// ErrSchemaNewer.
//
// A database in WAL mode is read through its -wal and -shm files, which
// SQLite creates beside it when they are missing (an empty -wal and the
// -shm stay behind). Where it cannot (a folder the user may not write) and
// there is no -wal holding writes, the file is opened as immutable: read
// without locks, as a snapshot, so no process may write to it meanwhile.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	db, err := openReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.requireCurrentSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openReadOnly is OpenReadOnly without the check of the schema version.
func openReadOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		path = DefaultPath
	}
	if err := requireFile(path); err != nil {
		return nil, err
	}
	db, err := openReadOnlyDSN(ctx, path, false)
	if err != nil && needsImmutable(err) {
		if werr := requireNoPendingWAL(path); werr != nil {
			return nil, werr
		}
		db, err = openReadOnlyDSN(ctx, path, true)
	}
	if err != nil {
		return nil, openError(path, err)
	}
	return db, nil
}

// readOnlyDSN opens path with mode=ro, so SQLite itself refuses any write
// (whoever runs the command, root included); with immutable, also without
// locks or -wal/-shm files. Only reads run on it, so there is no journal
// mode, synchronous or _txlock to set. (Not query_only: it would also
// refuse VACUUM INTO, which writes only the backup.)
func readOnlyDSN(path string, immutable bool) string {
	q := url.Values{}
	q.Set("mode", "ro")
	if immutable {
		q.Set("immutable", "1")
	}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_cache_size", "-65536")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func openReadOnlyDSN(ctx context.Context, path string, immutable bool) (*DB, error) {
	sdb, err := sqlx.Open(driverName, readOnlyDSN(path, immutable))
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	// The first read opens the -wal and -shm files, or fails to.
	var n int
	if err := sdb.GetContext(ctx, &n, `SELECT COUNT(*) FROM sqlite_master`); err != nil {
		sdb.Close()
		return nil, err
	}
	return newDB(sdb, path), nil
}

// needsImmutable reports whether a read-only open failed because SQLite
// could not create the -shm (or -wal) file beside a WAL database: the
// folder is read-only for this user.
func needsImmutable(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrReadonly || se.Code == sqlite3.ErrCantOpen)
}

// requireNoPendingWAL refuses to read path as immutable when its -wal holds
// writes: an immutable open would not see them.
func requireNoPendingWAL(path string) error {
	fi, err := os.Stat(path + "-wal")
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil
	}
	return coded{"forbidden", fmt.Errorf("database %s has writes in %s-wal that are not in its main file yet, and SQLite cannot read them here: "+
		"it needs %s-shm, which this folder does not let it create; copy the database with its -wal file into a folder you can write, "+
		"or read a backup made with feepos backup", path, path, path)}
}

// requireFile checks that path is a file this user can read.
func requireFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &ErrNoDatabase{Path: path}
	case err != nil:
		return fmt.Errorf("database %s: %w", path, err)
	case fi.IsDir():
		return coded{"invalid", fmt.Errorf("database %s is a folder, not a database file: check --db", path)}
	}
	f, err := os.Open(path)
	if err != nil {
		return coded{"forbidden", fmt.Errorf("cannot read database %s: %w", path, err)}
	}
	return f.Close()
}

// probeWrite reads the schema, then writes the header's user_version (to
// the value it has) in a transaction it rolls back, so a file that is not a
// database or cannot be written is reported before anything else runs.
// BEGIN IMMEDIATE alone would not tell: SQLite grants it on a read-only
// WAL database and refuses only the first write.
func probeWrite(ctx context.Context, sdb *sqlx.DB) error {
	var n int
	if err := sdb.GetContext(ctx, &n, `SELECT COUNT(*) FROM sqlite_master`); err != nil {
		return err
	}
	tx, err := sdb.BeginTxx(ctx, nil) // BEGIN IMMEDIATE (dsn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int64
	if err := tx.GetContext(ctx, &v, `PRAGMA user_version`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v)); err != nil {
		return err
	}
	return tx.Rollback()
}

// openError says why the database at path could not be opened, blaming
// what is at fault: a file that is not readable is named as such only when
// it is not.
func openError(path string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrReadonly:
			return &ErrReadOnly{Path: path}
		case sqlite3.ErrNotADB:
			return coded{"invalid", fmt.Errorf("%s is not a SQLite database (or it is damaged): check --db", path)}
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm:
			f, oerr := os.Open(path)
			if oerr == nil {
				f.Close()
				return fmt.Errorf("open database %s: %w (the file is readable: SQLite could not open or create its -wal, -shm or journal file in the folder; check the folder)", path, err)
			}
			if !errors.Is(oerr, os.ErrNotExist) {
				return coded{"forbidden", fmt.Errorf("cannot read database %s: %w", path, oerr)}
			}
		}
	}
	return fmt.Errorf("open database %s: %w", path, err)
}

// coded gives an error its code for the CLI and API (apperr).
type coded struct {
	code string
	error
}

func (c coded) ErrorCode() string { return c.code }
func (c coded) Unwrap() error     { return c.error }
