// Package sqlite stores feepos in one SQLite file: opening it with the
// pragmas money needs, embedded migrations, backup and restore, and the
// SQL behind the ledger.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3" // the driver; cgo
)

// DefaultPath is where the database lives unless --db says otherwise.
const DefaultPath = "./feepos-data/feepos.db"

// BusyTimeout is how long a statement waits for another process's write
// lock (a backup, a CLI command) before giving up.
const BusyTimeout = 10 * time.Second

// DB is the opened database.
type DB struct {
	db   *sqlx.DB
	path string

	// Now is the clock; tests set it.
	Now func() time.Time

	// writeMu queues this process's writers in Go. Without it they would
	// queue inside SQLite's busy handler, which sleeps in growing steps and
	// turns a 2 ms wait into a 50 ms one.
	writeMu sync.Mutex

	group groupQueue // see groupcommit.go

	// signers bounds the receipts signed at once to the CPUs Go runs on
	// (receipt_signatures.go).
	signers chan struct{}

	stmtMu sync.Mutex
	stmts  map[string]*sqlx.Stmt // see stmt.go

	// wconn is the one connection every write transaction runs on (taken
	// from the pool at the first write, held until Close). SQLite drops a
	// connection's page cache whenever another connection has changed the
	// file since it last read, so writes spread over the pool each began
	// on a cold cache: the first statement of a payment's record re-read
	// its pages, 1–3 ms of the record's CPU (docs/BENCHMARKS.md "Payments
	// (issue 10)"). On one connection the writer's cache stays warm: its
	// own commits do not invalidate it. Guarded by writeMu.
	wconn *sqlx.Conn
}

// beginOnWriter begins a write transaction on the writing connection.
// The caller holds writeMu.
func (db *DB) beginOnWriter(ctx context.Context) (*sqlx.Tx, error) {
	if db.wconn == nil {
		c, err := db.db.Connx(context.Background())
		if err != nil {
			return nil, err
		}
		db.wconn = c
	}
	return db.wconn.BeginTxx(ctx, nil)
}

// dsn sets, per connection: WAL (readers never block the writer),
// synchronous=FULL (a commit is on disk when it returns: money writes),
// foreign keys, a busy timeout, and BEGIN IMMEDIATE for every transaction
// so a writer takes the lock up front instead of failing half-way, and a
// larger page cache.
func dsn(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	// 64 MiB of page cache per connection (default 2 MiB): index pages of
	// a year's ledger stay in memory instead of being re-read per posting.
	q.Set("_cache_size", "-65536")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// driverName is go-sqlite3 with a connect hook for the pragmas its DSN has
// no parameter for.
const driverName = "sqlite3_feepos"

// walAutocheckpoint is the WAL size, in pages, past which a commit also
// checkpoints. SQLite's default (1000 pages, ~4 MiB) checkpoints every ~100
// postings inside a payment's commit; 10000 (~40 MiB of WAL) does it ten
// times less often and halves the p99 of a posting (docs/BENCHMARKS.md).
const walAutocheckpoint = 10000

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if _, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walAutocheckpoint), nil); err != nil {
				return err
			}
			// Savepoint journals (each write of a group commit is a
			// SAVEPOINT) and temporary sort tables in memory, not in a
			// temporary file: a page a payment's record changes was
			// otherwise copied to a file first, in a system call.
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
}

// Open opens the database at path for feepos serve, creating the file and
// its folder when missing, and applies the migrations this binary knows.
// It is the only way a database is created (open.go has the others).
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		path = DefaultPath
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the data folder for %s: %w", path, err)
	}
	return openWritable(ctx, path)
}

// openWritable opens the database at path read-write (creating the file if
// it is missing), checks that it can be written, and migrates it.
func openWritable(ctx context.Context, path string) (*DB, error) {
	sdb, err := sqlx.Open(driverName, dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	if err := probeWrite(ctx, sdb); err != nil {
		sdb.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, sdb, migrationFiles); err != nil {
		sdb.Close()
		return nil, err
	}
	return newDB(sdb, path), nil
}

func newDB(sdb *sqlx.DB, path string) *DB {
	return &DB{db: sdb, path: path, Now: time.Now, stmts: map[string]*sqlx.Stmt{},
		signers: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// Close closes the database.
func (db *DB) Close() error {
	db.writeMu.Lock()
	if db.wconn != nil {
		db.wconn.Close()
		db.wconn = nil
	}
	db.writeMu.Unlock()
	db.stmtMu.Lock()
	for _, s := range db.stmts {
		s.Close()
	}
	db.stmts = map[string]*sqlx.Stmt{}
	db.stmtMu.Unlock()
	return db.db.Close()
}

// querier is what reads need from a *sqlx.DB, a *sqlx.Conn or a *Tx.
type querier interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// SQL gives the raw handle to tests and read-only reports.
func (db *DB) SQL() *sqlx.DB { return db.db }

// Tx is one write transaction. Now is fixed when it begins, so every row it
// writes carries the same time.
type Tx struct {
	*sqlx.Tx
	db  *DB
	Now time.Time

	unlock func() // gives writeMu back; nil when the caller holds it
	once   sync.Once

	// signatures are the receipts' signatures being made while the
	// transaction goes on; Commit waits for them and stores them.
	signatures []*pendingSignature
	// broken is the error of a write that failed half-way (halfDone).
	broken error
	// parallelSign is set for a group commit of several writes: their
	// receipts are then signed on other goroutines (receipt_signatures.go).
	parallelSign bool
}

// BeginWrite starts a write transaction (BEGIN IMMEDIATE). End it with
// Commit or Rollback.
func (db *DB) BeginWrite(ctx context.Context) (*Tx, error) {
	db.writeMu.Lock()
	tx, err := db.beginOnWriter(ctx)
	if err != nil {
		db.writeMu.Unlock()
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	return &Tx{Tx: tx, db: db, Now: db.Now().UTC(), unlock: db.writeMu.Unlock}, nil
}

func (tx *Tx) release() {
	tx.once.Do(func() {
		if tx.unlock != nil {
			tx.unlock()
		}
	})
}

// Commit stores the receipts' signatures still being made, then commits;
// the data is on disk when it returns nil. If a signature fails, nothing is
// stored.
func (tx *Tx) Commit() error {
	defer tx.release()
	if tx.broken != nil {
		tx.Tx.Rollback()
		return fmt.Errorf("nothing was stored: a write of this transaction failed half-way (%w), and committing would keep its first half", tx.broken)
	}
	if err := tx.storeSignatures(context.Background()); err != nil {
		tx.Tx.Rollback()
		return err
	}
	return tx.Tx.Commit()
}

// savepoint and rollbackTo keep what Tx holds in Go in step with a
// SAVEPOINT and its ROLLBACK TO.
func (tx *Tx) savepoint() int { return len(tx.signatures) }

func (tx *Tx) rollbackTo(mark int) {
	tx.signatures = tx.signatures[:mark]
	tx.broken = nil // ROLLBACK TO undid the half-done write
}

// halfDone records that a write failed after its first statement took
// effect (an entry without its lines, a counter stepped for a receipt not
// stored): Commit then refuses, so a caller that goes on after the error
// cannot store half of it. A failed statement undoes itself in SQLite, so
// only failures after a successful write count.
func (tx *Tx) halfDone(err error) {
	if err != nil && tx.broken == nil {
		tx.broken = err
	}
}

// Rollback undoes the transaction; safe after Commit.
func (tx *Tx) Rollback() error {
	defer tx.release()
	err := tx.Tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// WithTx runs fn in one write transaction: all of it is stored, or none.
// Inside fn write through tx only (tx.PostEntry, tx.IssueSignedReceipt…):
// a DB method that writes (db.Post, db.IssueSignedReceipt) waits for the
// write lock fn's transaction holds, for ever.
func (db *DB) WithTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// withTxValue is WithTx for fn that returns a value: the value once
// committed, the zero value and the error otherwise.
func withTxValue[T any](ctx context.Context, db *DB, fn func(*Tx) (T, error)) (T, error) {
	var out T
	err := db.WithTx(ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
