package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var embedded embed.FS

var migrationFiles, _ = fs.Sub(embedded, "migrations")

type migration struct {
	version int
	name    string
	sql     string
}

// ErrSchemaNewer is returned when the database was written by a newer
// feepos than this binary.
type ErrSchemaNewer struct{ DB, Binary int }

func (e *ErrSchemaNewer) Error() string {
	return fmt.Sprintf("the database is at schema version %d but this feepos knows only up to %d: run the newer feepos that wrote it, or restore a backup made by this version", e.DB, e.Binary)
}

// ErrorCode marks it as a conflict for the CLI and API.
func (e *ErrSchemaNewer) ErrorCode() string { return "conflict" }

// loadMigrations reads NNNN_name.sql files in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, n := range names {
		prefix, _, ok := strings.Cut(path.Base(n), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name it NNNN_what.sql", n)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, n, v)
		}
		seen[v] = n
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: n, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// schemaMigrationsTable records the migrations applied. Restore compares
// a backup's schema with one built from this text and the migrations.
const schemaMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`

// migrate applies, in order, every migration not yet recorded in
// schema_migrations, each in its own transaction with its record, so a
// crash leaves the schema at a whole version. Two processes starting at once
// serialize on BEGIN IMMEDIATE and the second finds the work done.
func migrate(ctx context.Context, db *sqlx.DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if _, err := db.ExecContext(ctx, schemaMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := db.GetContext(ctx, &current, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > latest {
		return &ErrSchemaNewer{DB: current, Binary: latest}
	}
	// Apply every migration not recorded yet, not only those above the
	// highest: a migration that landed on main after a later-numbered one was
	// applied (two branches merged) must not be skipped silently.
	var applied []int
	if err := db.SelectContext(ctx, &applied, `SELECT version FROM schema_migrations`); err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sqlx.DB, m migration) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	var done int
	if err := tx.GetContext(ctx, &done, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if done > 0 {
		return nil // another process applied it while we waited
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s failed, database left at the previous version: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("migration %s: record it: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}

// SchemaVersion is the highest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.db.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, err
}

// appliedVersions lists the migrations recorded in the database q reads.
// A file without schema_migrations is not a feepos database.
func appliedVersions(ctx context.Context, q querier, path string) (map[int]bool, error) {
	var vs []int
	if err := q.SelectContext(ctx, &vs, `SELECT version FROM schema_migrations`); err != nil {
		return nil, fmt.Errorf("%s is not a feepos database (it has no readable schema_migrations table: %v)", path, err)
	}
	applied := make(map[int]bool, len(vs))
	for _, v := range vs {
		applied[v] = true
	}
	return applied, nil
}

// schemaStatus compares the migrations applied with this binary's: a
// version it does not know (a newer feepos wrote the database) gives
// ErrSchemaNewer; missing lists the migrations not applied yet.
func schemaStatus(applied map[int]bool) (missing []migration, err error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	latest, known := 0, map[int]bool{}
	for _, m := range ms {
		latest = max(latest, m.version)
		known[m.version] = true
		if !applied[m.version] {
			missing = append(missing, m)
		}
	}
	for v := range applied {
		if !known[v] {
			newest := 0
			for w := range applied {
				newest = max(newest, w)
			}
			return nil, &ErrSchemaNewer{DB: newest, Binary: latest}
		}
	}
	return missing, nil
}

// requireCurrentSchema refuses a database that lacks a migration of this
// binary (ErrSchemaOlder) or has one it does not know (ErrSchemaNewer):
// for a database opened read-only, which is never migrated.
func (db *DB) requireCurrentSchema(ctx context.Context) error {
	applied, err := appliedVersions(ctx, db.db, db.path)
	if err != nil {
		return err
	}
	missing, err := schemaStatus(applied)
	if err != nil || len(missing) == 0 {
		return err
	}
	e := &ErrSchemaOlder{Path: db.path}
	for v := range applied {
		e.DB = max(e.DB, v)
	}
	ms, _ := loadMigrations(migrationFiles) // schemaStatus loaded them
	e.Binary = ms[len(ms)-1].version
	for _, m := range missing {
		e.Missing = append(e.Missing, m.name)
	}
	return e
}
