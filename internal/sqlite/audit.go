package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/internal/auth"
)

// The audit log (migration 0008, docs/API.md "Access"). A change and its
// audit line are written in the same transaction.

// Audit appends e to the audit log; e.At defaults to the transaction's
// time, e.Actor must be set.
func (tx *Tx) Audit(ctx context.Context, e auth.AuditEntry) error {
	if e.Action == "" || e.Actor.Kind == "" || e.Actor.ID == "" {
		return errors.New("audit: an action and its actor are required")
	}
	at := e.At
	if at.IsZero() {
		at = tx.Now
	}
	var detail any
	if len(e.Detail) > 0 {
		detail = string(e.Detail)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(at, actor_kind, actor_id, actor_name, actor_role, action, object, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.UTC().Format(time.RFC3339Nano), e.Actor.Kind, e.Actor.ID, e.Actor.Name, string(e.Actor.Role),
		e.Action, e.Object, e.Reason, detail)
	if err != nil {
		return fmt.Errorf("write audit line %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit lines; empty fields select all.
type AuditFilter struct {
	Object string
	Action string
	Limit  int // default 100
}

// AuditLog lists audit lines, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]auth.AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var rows []struct {
		ID        int64   `db:"id"`
		At        string  `db:"at"`
		ActorKind string  `db:"actor_kind"`
		ActorID   string  `db:"actor_id"`
		ActorName string  `db:"actor_name"`
		ActorRole string  `db:"actor_role"`
		Action    string  `db:"action"`
		Object    string  `db:"object"`
		Reason    string  `db:"reason"`
		Detail    *string `db:"detail"`
	}
	err := db.db.SelectContext(ctx, &rows, `SELECT id, at, actor_kind, actor_id, actor_name, actor_role, action, object, reason, detail
		FROM audit_log WHERE (? = '' OR object = ?) AND (? = '' OR action = ?) ORDER BY id DESC LIMIT ?`,
		f.Object, f.Object, f.Action, f.Action, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out := make([]auth.AuditEntry, 0, len(rows))
	for _, r := range rows {
		at, err := time.Parse(time.RFC3339Nano, r.At)
		if err != nil {
			return nil, fmt.Errorf("audit line %d: time %q: %w", r.ID, r.At, err)
		}
		e := auth.AuditEntry{ID: r.ID, At: at, Action: r.Action, Object: r.Object, Reason: r.Reason,
			Actor: auth.Actor{Kind: r.ActorKind, ID: r.ActorID, Name: r.ActorName, Role: auth.Role(r.ActorRole)}}
		if r.Detail != nil {
			e.Detail = []byte(*r.Detail)
		}
		out = append(out, e)
	}
	return out, nil
}
