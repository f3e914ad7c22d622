package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// Migration 0018 (issue 13, items 8 and 9): receipts issued before it keep
// format 1 (the chain hash with the row id) and still verify; each gets a
// lookup code that is not part of what its hashes cover; the next receipt
// of the series is format 2, chained on from the last format-1 hash.
func TestMigration0018KeepsOldChainsAndAssignsCodes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	before := fstest.MapFS{}
	for _, m := range ms {
		if m.version < 18 {
			before[m.name] = &fstest.MapFile{Data: []byte(m.sql)}
		}
	}
	sdb, err := sqlx.Open(driverName, dsn(path))
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, sdb, before))

	// Two receipts as the feepos before 0018 wrote them.
	issued := time.Date(2026, 7, 1, 9, 0, 0, 0, receipts.Zone)
	_, err = sdb.ExecContext(ctx, `INSERT INTO receipt_series (org_code, letters, org_name, tax_code, address, created_at)
		VALUES ('CA-Q1', 'AB', 'Công an Quận 1', '0301234999-002', '73 Yersin', ?)`, issued.UTC().Format(time.RFC3339))
	require.NoError(t, err)
	prev := receipts.GenesisHash
	for n := int64(1); n <= 2; n++ {
		r := receipts.Receipt{ID: n, Ref: receipts.Ref{Template: receipts.Template, Series: "26TAB", Number: n},
			IssuedAt: issued.Add(time.Duration(n) * time.Minute).UTC().Format(time.RFC3339Nano),
			Org:      receipts.Organisation{Code: "CA-Q1", Name: "Công an Quận 1", TaxCode: "0301234999-002", Address: "73 Yersin"},
			NewReceipt: receipts.NewReceipt{OrgCode: "CA-Q1", Payer: receipts.Payer{Name: "Lê Văn Bình"}, Total: 20000,
				Lines:        []receipts.Line{{Name: "Lệ phí cấp CCCD", Kind: receipts.LePhi, FeeCode: "LP-CCCD", Amount: 20000}},
				TotalInWords: "Hai mươi nghìn đồng", Method: receipts.Cash, DossierCode: "HS-1"},
			Currency: receipts.Currency}
		r.Seal(prev)
		prev = r.Hash
		if n == 1 {
			_, err = sdb.ExecContext(ctx, `INSERT INTO receipt_counters VALUES ('EBL01', 'AB', 2026, 1, ?)`, r.Hash)
		} else {
			_, err = sdb.ExecContext(ctx, `UPDATE receipt_counters SET last_number = 2, last_hash = ?`, r.Hash)
		}
		require.NoError(t, err)
		_, err = sdb.ExecContext(ctx, `INSERT INTO receipts (id, template, series, letters, year, number, issued_at,
			org_code, org_name, org_tax_code, org_address, payer_name, total, currency, total_in_words, method, dossier_code,
			content_hash, prev_hash, hash) VALUES (?, 'EBL01', '26TAB', 'AB', 2026, ?, ?, 'CA-Q1', 'Công an Quận 1', '0301234999-002',
			'73 Yersin', 'Lê Văn Bình', 20000, 'VND', 'Hai mươi nghìn đồng', 'cash', 'HS-1', ?, ?, ?)`,
			n, n, r.IssuedAt, r.ContentHash, r.PrevHash, r.Hash)
		require.NoError(t, err)
		_, err = sdb.ExecContext(ctx, `INSERT INTO receipt_lines VALUES (?, 1, 'Lệ phí cấp CCCD', 'le_phi', 'LP-CCCD', 20000)`, n)
		require.NoError(t, err)
	}
	require.NoError(t, sdb.Close())

	db, err := Open(ctx, path)
	require.NoError(t, err)
	defer db.Close()
	db.Now = func() time.Time { return issued.Add(time.Hour) }
	old, err := db.Receipt(ctx, "EBL01", "26TAB", 1)
	require.NoError(t, err)
	assert.Equal(t, 1, old.FormatVersion)
	require.NoError(t, receipts.CheckLookupCode(old.LookupCode), "a code was assigned by the migration")
	old2, err := db.Receipt(ctx, "EBL01", "26TAB", 2)
	require.NoError(t, err)
	assert.NotEqual(t, old.LookupCode, old2.LookupCode)

	next, err := db.IssueReceipt(ctx, receipts.NewReceipt{OrgCode: "CA-Q1", Payer: receipts.Payer{Name: "Trần Thị Hoa"}, Total: 20000,
		Lines:        []receipts.Line{{Name: "Lệ phí cấp CCCD", Kind: receipts.LePhi, FeeCode: "LP-CCCD", Amount: 20000}},
		TotalInWords: "Hai mươi nghìn đồng", Method: receipts.Cash, DossierCode: "HS-2"})
	require.NoError(t, err)
	assert.Equal(t, 2, next.FormatVersion)
	assert.Equal(t, prev, next.PrevHash, "format 2 goes on from the last format-1 hash")
	assert.Equal(t, receipts.ChainHashV2("EBL01", "26TAB", 3, next.IssuedAt, next.ContentHash, prev), next.Hash, "no row id in the hash")

	rep, err := db.VerifyReceipts(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, "%+v", rep)

	// A format-2 receipt cannot be passed off as format 1, nor the reverse.
	_, err = db.SQL().ExecContext(ctx, `DROP TRIGGER receipts_no_update`)
	require.NoError(t, err)
	_, err = db.SQL().ExecContext(ctx, `UPDATE receipts SET format_version = 1 WHERE number = 3`)
	require.NoError(t, err)
	rep, err = db.VerifyReceipts(ctx)
	require.NoError(t, err)
	assert.False(t, rep.OK)
	assert.Equal(t, "26TAB-00000003", rep.Bad)
}

// Issue 13, item 10: a series issued by a delegate (the center for the
// police) copies the delegate onto each receipt; registering the delegate
// on a series made before is a correction, not a conflict, and receipts
// already issued keep what they were issued with.
func TestDelegatedSeries(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "feepos.db"))
	require.NoError(t, err)
	defer db.Close()
	police := receipts.Series{OrgCode: "CA-Q1", OrgName: "Công an Quận 1", TaxCode: "0301234999-002", Address: "73 Yersin", Letters: "AB"}
	_, err = db.CreateSeries(ctx, police)
	require.NoError(t, err)
	nr := receipts.NewReceipt{OrgCode: "CA-Q1", Payer: receipts.Payer{Name: "Lê Văn Bình"}, Total: 20000,
		Lines:        []receipts.Line{{Name: "Lệ phí cấp CCCD", Kind: receipts.LePhi, FeeCode: "LP-CCCD", Amount: 20000}},
		TotalInWords: "Hai mươi nghìn đồng", Method: receipts.Cash, DossierCode: "HS-1"}
	before, err := db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	assert.Nil(t, before.Delegate)

	police.DelegateName, police.DelegateTaxCode = "Trung tâm Phục vụ hành chính công Quận 1", "0301234567-001"
	got, err := db.CreateSeries(ctx, police)
	require.NoError(t, err)
	assert.Equal(t, police, got)
	after, err := db.IssueReceipt(ctx, nr)
	require.NoError(t, err)
	want := &receipts.Delegate{Name: "Trung tâm Phục vụ hành chính công Quận 1", TaxCode: "0301234567-001"}
	assert.Equal(t, want, after.Delegate)
	stored, err := db.Receipt(ctx, "EBL01", after.Series, after.Number)
	require.NoError(t, err)
	assert.Equal(t, want, stored.Delegate)
	assert.Contains(t, string(stored.Canonical()), `"delegate":{"name":"Trung tâm Phục vụ hành chính công Quận 1","tax_code":"0301234567-001"}`)
	first, err := db.Receipt(ctx, "EBL01", before.Series, before.Number)
	require.NoError(t, err)
	assert.Nil(t, first.Delegate, "issued before the delegation")

	police.OrgName = "Công an quận 1"
	_, err = db.CreateSeries(ctx, police)
	assert.Error(t, err, "other details than the delegate are still a conflict")
	rep, err := db.VerifyReceipts(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, "%+v", rep)
}
