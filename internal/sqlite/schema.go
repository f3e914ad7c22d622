package sqlite

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// schemaObject is one table, index, trigger or view of sqlite_master.
type schemaObject struct {
	Type  string `db:"type"`
	Name  string `db:"name"`
	Table string `db:"tbl_name"`
	SQL   string `db:"sql"`
}

// schemaObjects reads sqlite_master, keyed by name, with each statement's
// whitespace collapsed. The statistics tables ANALYZE may add are left out.
func schemaObjects(ctx context.Context, q querier) (map[string]schemaObject, error) {
	var objs []schemaObject
	if err := q.SelectContext(ctx, &objs, `SELECT type, name, tbl_name, COALESCE(sql, '') AS sql FROM sqlite_master
		WHERE name NOT LIKE 'sqlite\_stat%' ESCAPE '\'`); err != nil {
		return nil, fmt.Errorf("read the schema: %w", err)
	}
	out := make(map[string]schemaObject, len(objs))
	for _, o := range objs {
		o.SQL = strings.Join(strings.Fields(o.SQL), " ")
		out[o.Name] = o
	}
	return out, nil
}

// expectedSchema is the schema the embedded migrations create when exactly
// the versions in applied are applied, built in a database in memory.
func expectedSchema(ctx context.Context, applied map[int]bool) (map[string]schemaObject, error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	mem, err := sqlx.Open(driverName, ":memory:")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	mem.SetMaxOpenConns(1) // each connection to :memory: is a database of its own
	if _, err := mem.ExecContext(ctx, schemaMigrationsTable); err != nil {
		return nil, fmt.Errorf("build the expected schema: %w", err)
	}
	for _, m := range ms {
		if applied[m.version] {
			if err := applyMigration(ctx, mem, m); err != nil {
				return nil, fmt.Errorf("build the expected schema: %w", err)
			}
		}
	}
	return schemaObjects(ctx, mem)
}

// schemaProblem compares the schema q reads with the one the migrations in
// applied create, and names the first difference: a table, index, trigger
// or view missing, changed or added. "" when they are the same.
func schemaProblem(ctx context.Context, q querier, applied map[int]bool) (string, error) {
	want, err := expectedSchema(ctx, applied)
	if err != nil {
		return "", err
	}
	have, err := schemaObjects(ctx, q)
	if err != nil {
		return "", err
	}
	for _, name := range sortedNames(want) {
		w := want[name]
		h, ok := have[name]
		switch {
		case !ok:
			return fmt.Sprintf("the %s %s is missing: feepos's migrations create it (it was dropped)", w.Type, name), nil
		case h.Type != w.Type || h.Table != w.Table || h.SQL != w.SQL:
			return fmt.Sprintf("the %s %s differs from the one feepos's migrations create (it was changed)", w.Type, name), nil
		}
	}
	for _, name := range sortedNames(have) {
		if _, ok := want[name]; !ok {
			h, on := have[name], ""
			if h.Type != "table" {
				on = " on " + h.Table
			}
			return fmt.Sprintf("the %s %s%s is not one feepos's migrations create (it was added)", h.Type, name, on), nil
		}
	}
	return "", nil
}

func sortedNames(m map[string]schemaObject) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
