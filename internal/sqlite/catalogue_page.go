package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/feepos/feepos/internal/catalogue"
)

// One page of the fee catalogue, for the admin's catalogue page (docs/WEB.md
// "Admin").

// FeeQuery is one page of the fee catalogue: fees whose code, name,
// procedure, organisation or agency contains Search (any case), by code.
type FeeQuery struct {
	Search string
	Offset int
	Limit  int // default and at most 200
}

// FeesPage is one page of the catalogue (inactive fees too) and how many
// fees match in all.
func (db *DB) FeesPage(ctx context.Context, q FeeQuery) (fees []catalogue.Fee, total int, err error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 200
	}
	where, args := "", []any{}
	if s := strings.TrimSpace(q.Search); s != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
		where = ` WHERE code LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\' OR procedure_code LIKE ? ESCAPE '\'
			OR org_code LIKE ? ESCAPE '\' OR agency_code LIKE ? ESCAPE '\'`
		args = append(args, like, like, like, like, like)
	}
	if err := db.db.GetContext(ctx, &total, `SELECT COUNT(*) FROM fees`+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count the fees: %w", err)
	}
	var rows []feeRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+feeColumns+` FROM fees`+where+` ORDER BY code LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("read the fees: %w", err)
	}
	for _, r := range rows {
		fees = append(fees, r.fee())
	}
	return fees, total, nil
}
