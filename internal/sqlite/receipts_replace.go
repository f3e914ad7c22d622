package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/feepos/feepos/receipts"
)

// What a replacement receipt issued by an operator needs from the store
// besides Tx.IssueSignedReceipt (migration 0024; the workflow is
// payments.Service.ReplaceReceipt, docs/RECEIPTS.md "Replacement and
// status").

// PaymentOfReceipt names the payment that issued or replaced-in a receipt
// (payment_receipts); found is false for a receipt no payment of feepos
// is linked to.
func (tx *Tx) PaymentOfReceipt(ctx context.Context, ref receipts.Ref) (row PaymentReceiptRow, found bool, err error) {
	err = tx.GetContext(ctx, &row, `SELECT payment_id, template, series, number, org_code, total, kind
		FROM payment_receipts WHERE template = ? AND series = ? AND number = ?`, ref.Template, ref.Series, ref.Number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return PaymentReceiptRow{}, false, nil
	case err != nil:
		return PaymentReceiptRow{}, false, fmt.Errorf("read the payment of receipt %s: %w", ref, err)
	}
	return row, true, nil
}

// ReceiptToNotifyOpen says whether a receipt is listed in
// receipts_to_notify and not resolved yet (its money was not collected).
func (tx *Tx) ReceiptToNotifyOpen(ctx context.Context, ref receipts.Ref) (bool, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM receipts_to_notify
		WHERE template = ? AND series = ? AND number = ? AND resolved_at IS NULL`, ref.Template, ref.Series, ref.Number); err != nil {
		return false, fmt.Errorf("read receipts to notify: %w", err)
	}
	return n > 0, nil
}

// ReceiptRefundRow is a refund owed to a payer because a replacement
// receipt's total is lower than the original's.
type ReceiptRefundRow struct {
	ID               int64          `db:"id" json:"id"`
	Template         string         `db:"template" json:"template"`
	Series           string         `db:"series" json:"series"`
	Number           int64          `db:"number" json:"number"`
	OriginalTemplate string         `db:"original_template" json:"original_template"`
	OriginalSeries   string         `db:"original_series" json:"original_series"`
	OriginalNumber   int64          `db:"original_number" json:"original_number"`
	PaymentID        sql.NullString `db:"payment_id" json:"-"`
	OrgCode          string         `db:"org_code" json:"org_code"`
	DossierCode      string         `db:"dossier_code" json:"dossier_code"`
	PayerName        string         `db:"payer_name" json:"payer_name"`
	Amount           int64          `db:"amount" json:"amount"`
	Currency         string         `db:"currency" json:"currency"`
	LedgerEntryID    int64          `db:"ledger_entry_id" json:"ledger_entry"`
	Reason           string         `db:"reason" json:"reason"`
	CreatedAt        string         `db:"created_at" json:"created_at"`
	CreatedBy        string         `db:"created_by" json:"created_by"`
	PaidAt           sql.NullString `db:"paid_at" json:"-"`
	PaidBy           string         `db:"paid_by" json:"paid_by,omitempty"`
	PayoutEntryID    sql.NullInt64  `db:"payout_entry_id" json:"-"`
}

// AddReceiptRefund records a refund owed, inside the transaction that
// issues the replacement and posts the entry.
func (tx *Tx) AddReceiptRefund(ctx context.Context, r ReceiptRefundRow) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO receipt_refunds (template, series, number, original_template, original_series,
		original_number, payment_id, org_code, dossier_code, payer_name, amount, currency, ledger_entry_id, reason, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Template, r.Series, r.Number, r.OriginalTemplate, r.OriginalSeries, r.OriginalNumber, r.PaymentID, r.OrgCode,
		r.DossierCode, r.PayerName, r.Amount, r.Currency, r.LedgerEntryID, r.Reason, StoreTime(tx.Now), r.CreatedBy)
	if err != nil {
		return 0, fmt.Errorf("record the refund owed for receipt %s-%d: %w", r.Series, r.Number, err)
	}
	return res.LastInsertId()
}

const receiptRefundColumns = `id, template, series, number, original_template, original_series, original_number, payment_id,
	org_code, dossier_code, payer_name, amount, currency, ledger_entry_id, reason, created_at, created_by, paid_at, paid_by, payout_entry_id`

// ReceiptRefunds lists the refunds owed to payers (all: the paid ones
// too), oldest first.
func (db *DB) ReceiptRefunds(ctx context.Context, all bool) ([]ReceiptRefundRow, error) {
	var out []ReceiptRefundRow
	if err := db.db.SelectContext(ctx, &out, `SELECT `+receiptRefundColumns+` FROM receipt_refunds
		WHERE ? OR paid_at IS NULL ORDER BY id`, all); err != nil {
		return nil, fmt.Errorf("list refunds owed: %w", err)
	}
	return out, nil
}

// ReceiptRefundOf reads the refund a replacement receipt owes (found is
// false when it owes none).
func (db *DB) ReceiptRefundOf(ctx context.Context, ref receipts.Ref) (ReceiptRefundRow, bool, error) {
	var r ReceiptRefundRow
	err := db.db.GetContext(ctx, &r, `SELECT `+receiptRefundColumns+` FROM receipt_refunds
		WHERE template = ? AND series = ? AND number = ?`, ref.Template, ref.Series, ref.Number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ReceiptRefundRow{}, false, nil
	case err != nil:
		return ReceiptRefundRow{}, false, fmt.Errorf("read the refund of receipt %s: %w", ref, err)
	}
	return r, true, nil
}

// Receipt reads one receipt with its lines and status inside the
// transaction.
func (tx *Tx) Receipt(ctx context.Context, ref receipts.Ref) (receipts.Receipt, error) {
	if err := ref.Validate(); err != nil {
		return receipts.Receipt{}, err
	}
	return receiptByRef(ctx, tx, ref)
}
