package main

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// The receipts of a voided payment are listed for the accountant until
// resolved; --all lists the resolved ones too.
func TestReceiptsToNotify(t *testing.T) {
	dbPath, _, refs := signedReceiptsDB(t, 0)
	r := feepos(t, "", "--db", dbPath, "receipts", "to-notify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Không có biên lai nào chờ xử lý")

	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_requests (id, client_id, idempotency_key, body_hash, dossier_code, payer,
			total, status, created_at, updated_at) VALUES ('PR1', 'c', 'k', 'h', 'D1', '{}', 1000, 'pending', 't', 't')`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, request_id, method, status, amount, created_at)
			VALUES ('PM1', 'PR1', 'card', 'voided', 1000, 't')`); err != nil {
			return err
		}
		for _, ref := range refs[:2] {
			if err := tx.AddReceiptToNotify(ctx, sqlite.ReceiptToNotifyRow{Template: ref.Template, Series: ref.Series, Number: ref.Number,
				PaymentID: "PM1", OrgCode: "UBND-Q1", Total: 1000, Reason: "voided", CreatedBy: "system:recovery"}); err != nil {
				return err
			}
		}
		ok, err := tx.ResolveReceiptToNotify(ctx, refs[0].Template, refs[0].Series, refs[0].Number, "user:ketoan", "reported to the tax office")
		require.True(t, ok)
		return err
	}))
	require.NoError(t, db.Close())

	r = feepos(t, "", "--db", dbPath, "receipts", "to-notify")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "thanh toán PM1 bị hủy: chờ xử lý")
	assert.NotContains(t, r.stdout, "đã xử lý")
	r = feepos(t, "", "--db", dbPath, "--json", "receipts", "to-notify", "--all")
	require.Equal(t, 0, r.code, r.stderr)
	var rows []sqlite.ReceiptToNotifyRow
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rows))
	require.Len(t, rows, 2)
	assert.Equal(t, "reported to the tax office", rows[0].Resolution)
}

// An accountant resolves a listed receipt once, with a note, audited; a
// receipt not listed (or resolved already) is refused.
func TestReceiptsToNotifyResolve(t *testing.T) {
	dbPath, _, refs := signedReceiptsDB(t, 0)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_requests (id, client_id, idempotency_key, body_hash, dossier_code, payer,
			total, status, created_at, updated_at) VALUES ('PR1', 'c', 'k', 'h', 'D1', '{}', 1000, 'pending', 't', 't')`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, request_id, method, status, amount, created_at)
			VALUES ('PM1', 'PR1', 'card', 'voided', 1000, 't')`); err != nil {
			return err
		}
		return tx.AddReceiptToNotify(ctx, sqlite.ReceiptToNotifyRow{Template: refs[0].Template, Series: refs[0].Series, Number: refs[0].Number,
			PaymentID: "PM1", OrgCode: "UBND-Q1", Total: 1000, Reason: "voided", CreatedBy: "system:recovery"})
	}))
	require.NoError(t, db.Close())
	ref := refs[0].Series + "-" + strconv.FormatInt(refs[0].Number, 10)

	r := feepos(t, "", "--db", dbPath, "receipts", "to-notify", "resolve", ref)
	assert.Equal(t, 2, r.code, "the note is required")
	r = feepos(t, "", "--db", dbPath, "receipts", "to-notify", "resolve", ref, "--note", "Đã báo cơ quan thuế")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Đã ghi nhận")
	r = feepos(t, "", "--db", dbPath, "receipts", "to-notify", "resolve", ref, "--note", "again")
	assert.Equal(t, 1, r.code, "resolved once")
	assert.Contains(t, r.stderr, "not among the receipts waiting")

	r = feepos(t, "", "--db", dbPath, "receipts", "to-notify")
	assert.Contains(t, r.stdout, "Không có biên lai nào chờ xử lý")
	db, err = sqlite.Open(ctx, dbPath)
	require.NoError(t, err)
	defer db.Close()
	log, err := db.AuditLog(ctx, sqlite.AuditFilter{Action: "receipt.to_notify.resolve"})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "Đã báo cơ quan thuế", log[0].Reason)
}
