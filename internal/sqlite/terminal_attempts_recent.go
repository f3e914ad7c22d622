package sqlite

import (
	"context"
	"fmt"

	"github.com/feepos/feepos/internal/terminals"
)

// A terminal's latest attempts, for the admin's terminals page (docs/WEB.md
// "Admin"): bounded and indexed, so the page stays fast on a year's data.

// RecentAttempts is terminal's newest attempts (at most limit, newest
// first) with their history and evidence, the wire tap kept with each
// among it (index terminal_attempts_by_terminal).
func (db *DB) RecentAttempts(ctx context.Context, terminal string, limit int) ([]terminals.AttemptRecord, error) {
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	var rows []attemptRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+attemptColumns+` FROM terminal_attempts a
		WHERE a.terminal = ? ORDER BY a.started_at DESC, a.id DESC LIMIT ?`, terminal, limit); err != nil {
		return nil, fmt.Errorf("read the recent attempts of terminal %s: %w", terminal, err)
	}
	out := make([]terminals.AttemptRecord, 0, len(rows))
	for _, r := range rows {
		rec, err := db.attemptRecord(ctx, db.db, r)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
