package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// ReceiptToNotifyRow is a receipt issued for money that was not collected
// (its payment was voided: the terminal reversed the charge after feepos
// recorded it), kept for an accountant (migration 0013,
// docs/RECEIPTS.md "Open question: a payment undone in full").
type ReceiptToNotifyRow struct {
	Template   string         `db:"template" json:"template"`
	Series     string         `db:"series" json:"series"`
	Number     int64          `db:"number" json:"number"`
	PaymentID  string         `db:"payment_id" json:"payment_id"`
	OrgCode    string         `db:"org_code" json:"org_code"`
	Total      int64          `db:"total" json:"total"`
	Reason     string         `db:"reason" json:"reason"`
	CreatedAt  string         `db:"created_at" json:"created_at"`
	CreatedBy  string         `db:"created_by" json:"created_by"`
	ResolvedAt sql.NullString `db:"resolved_at" json:"-"`
	ResolvedBy string         `db:"resolved_by" json:"resolved_by,omitempty"`
	Resolution string         `db:"resolution" json:"resolution,omitempty"`
}

// AddReceiptToNotify lists a receipt for an accountant; listing it again
// changes nothing.
func (tx *Tx) AddReceiptToNotify(ctx context.Context, r ReceiptToNotifyRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO receipts_to_notify (template, series, number, payment_id, org_code, total,
		reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Template, r.Series, r.Number, r.PaymentID, r.OrgCode, r.Total, r.Reason, attemptTime(tx.Now), r.CreatedBy)
	if err != nil {
		return fmt.Errorf("list receipt %s-%d to notify: %w", r.Series, r.Number, err)
	}
	return nil
}

// ResolveReceiptToNotify writes how an accountant resolved a listed
// receipt (once); false if it is not listed or resolved already.
func (tx *Tx) ResolveReceiptToNotify(ctx context.Context, template, series string, number int64, by, resolution string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE receipts_to_notify SET resolved_at = ?, resolved_by = ?, resolution = ?
		WHERE template = ? AND series = ? AND number = ? AND resolved_at IS NULL`,
		attemptTime(tx.Now), by, resolution, template, series, number)
	if err != nil {
		return false, fmt.Errorf("resolve receipt %s-%d to notify: %w", series, number, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReceiptsToNotify lists the receipts waiting for an accountant (all:
// the resolved ones too), oldest first.
func (db *DB) ReceiptsToNotify(ctx context.Context, all bool) ([]ReceiptToNotifyRow, error) {
	var out []ReceiptToNotifyRow
	if err := db.db.SelectContext(ctx, &out, `SELECT template, series, number, payment_id, org_code, total, reason, created_at,
		created_by, resolved_at, resolved_by, resolution FROM receipts_to_notify WHERE ? OR resolved_at IS NULL
		ORDER BY created_at, template, series, number`, all); err != nil {
		return nil, fmt.Errorf("list receipts to notify: %w", err)
	}
	return out, nil
}
