package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// Two collecting organisations, each with its series: the district (AA)
// and a vertical agency (AB).
var (
	districtSeries = receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh", Letters: "AA"}
	policeSeries = receipts.Series{OrgCode: "CA-Q1", OrgName: "Công an Quận 1", TaxCode: "0301234999-002",
		Address: "73 Yersin, Phường Cầu Ông Lãnh, TP. Hồ Chí Minh", Letters: "AB"}
)

// stepClock starts at t and moves one second per reading, so every
// transaction has its own time.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.Add(-time.Second)
	c.mu.Unlock()
}

// newReceiptDB opens a fresh database with both series and a clock at
// 09:00 on 1 July 2026 in Vietnam.
func newReceiptDB(t testing.TB) (*sqlite.DB, *stepClock) {
	t.Helper()
	db := newTestDB(t)
	clock := &stepClock{}
	clock.Set(time.Date(2026, 7, 1, 9, 0, 0, 0, receipts.Zone))
	db.Now = clock.Now
	createSeries(t, db)
	return db, clock
}

func createSeries(t testing.TB, db *sqlite.DB) {
	t.Helper()
	for _, s := range []receipts.Series{districtSeries, policeSeries} {
		_, err := db.CreateSeries(context.Background(), s)
		require.NoError(t, err)
	}
}

// cashReceipt is a cash payment of one charge to the district.
func cashReceipt(dossier string, amount int64) receipts.NewReceipt {
	return receipts.NewReceipt{
		OrgCode:      districtSeries.OrgCode,
		Payer:        receipts.Payer{Name: "Nguyễn Văn An"},
		Lines:        []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: amount}},
		Total:        amount,
		TotalInWords: "(bằng chữ)", // words.go fills this in the payment workflow
		Method:       receipts.Cash,
		DossierCode:  dossier,
	}
}

func cardReceiptFor(org, dossier string, amounts ...int64) receipts.NewReceipt {
	r := receipts.NewReceipt{
		OrgCode:      org,
		Payer:        receipts.Payer{Name: "Trần Thị Bình", Address: "12 Nguyễn Huệ, TP. Hồ Chí Minh", IDNumber: "079190004321"},
		TotalInWords: "(bằng chữ)",
		Method:       receipts.Card,
		DossierCode:  dossier,
		Card:         &receipts.CardPayment{TerminalID: "T1", TraceNo: "000412", ApprovalCode: "A1B2C3", PANMasked: "411111******1111"},
	}
	for i, a := range amounts {
		r.Lines = append(r.Lines, receipts.Line{Name: fmt.Sprintf("Phí thẩm định %d", i+1), Kind: receipts.Phi, FeeCode: fmt.Sprintf("P-%d", i+1), Amount: a})
		r.Total += a
	}
	return r
}

func issue(t testing.TB, db *sqlite.DB, nr receipts.NewReceipt) receipts.Receipt {
	t.Helper()
	r, err := db.IssueReceipt(context.Background(), nr)
	require.NoError(t, err)
	return r
}

func requireReceiptCode(t testing.TB, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var re *receipts.Error
	require.ErrorAs(t, err, &re, "error %v (%T) is not a *receipts.Error", err, err)
	require.Equal(t, code, re.Code, "error: %v", err)
}

func requireReceiptsVerified(t testing.TB, db *sqlite.DB, count int64) receipts.VerifyReport {
	t.Helper()
	rep, err := db.VerifyReceipts(context.Background())
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep)
	require.Equal(t, count, rep.Receipts)
	return rep
}

func TestIssueReceiptNumbersEachSeries(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)

	var issued []receipts.Receipt
	for i := 0; i < 3; i++ {
		issued = append(issued, issue(t, db, cashReceipt(fmt.Sprintf("HS-%d", i), 10_000)))
	}
	police := issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-0", 20_000, 30_000))

	for i, r := range issued {
		assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "26TAA", Number: int64(i + 1)}, r.Ref)
		assert.Equal(t, receipts.Valid, r.Status)
	}
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "26TAB", Number: 1}, police.Ref, "each organisation's series numbers from 1")
	assert.Equal(t, receipts.GenesisHash, issued[0].PrevHash)
	assert.Equal(t, issued[0].Hash, issued[1].PrevHash)
	assert.Equal(t, receipts.GenesisHash, police.PrevHash, "each series has its own chain")

	// Read back exactly as issued, organisation details copied in.
	got, err := db.Receipt(ctx, "EBL01", "26TAB", 1)
	require.NoError(t, err)
	assert.Equal(t, police, got)
	assert.Equal(t, policeSeries.OrgName, got.Org.Name)
	assert.Equal(t, "0301234999-002", got.Org.TaxCode)
	assert.Equal(t, "01/07/2026", got.IssueDate())
	assert.Equal(t, "09:00:", got.IssueClock()[:6])
	assert.Equal(t, int64(50_000), got.Total)
	require.NotNil(t, got.Card)
	assert.Equal(t, "411111******1111", got.Card.PANMasked)

	got, err = db.Receipt(ctx, "EBL01", "26taa", 2) // series in any case
	require.NoError(t, err)
	assert.Equal(t, issued[1], got)
	assert.Nil(t, got.Card)

	_, err = db.Receipt(ctx, "EBL01", "26TAA", 4)
	requireReceiptCode(t, err, receipts.ENotFound)
	_, err = db.Receipt(ctx, "EBL01", "26TAF", 1)
	requireReceiptCode(t, err, receipts.EInvalid)

	rep := requireReceiptsVerified(t, db, 4)
	require.Len(t, rep.Chains, 2)
	assert.Equal(t, receipts.ChainHead{Template: "EBL01", Letters: "AA", Series: "26TAA", Number: 3, Receipts: 3, Head: issued[2].Hash, ID: issued[2].ID}, rep.Chains[0])
	assert.Equal(t, receipts.ChainHead{Template: "EBL01", Letters: "AB", Series: "26TAB", Number: 1, Receipts: 1, Head: police.Hash, ID: police.ID}, rep.Chains[1])
}

func TestIssueReceiptRefusals(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	issue(t, db, cashReceipt("HS-1", 10_000))

	bad := cashReceipt("HS-2", 10_000)
	bad.Total = 9_000
	_, err := db.IssueReceipt(ctx, bad)
	requireReceiptCode(t, err, receipts.EInvalid)

	noSeries := cashReceipt("HS-2", 10_000)
	noSeries.OrgCode = "UBND-Q3"
	_, err = db.IssueReceipt(ctx, noSeries)
	requireReceiptCode(t, err, receipts.ENotFound)

	clear := cardReceiptFor(districtSeries.OrgCode, "HS-2", 10_000)
	clear.Card.PANMasked = "4111111111111111"
	_, err = db.IssueReceipt(ctx, clear)
	requireReceiptCode(t, err, receipts.EInvalid)

	// Refusals take no number.
	next := issue(t, db, cashReceipt("HS-2", 10_000))
	assert.EqualValues(t, 2, next.Number)
	requireReceiptsVerified(t, db, 2)
}

func TestCreateSeries(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)

	again, err := db.CreateSeries(ctx, districtSeries)
	require.NoError(t, err, "the same series again is harmless")
	assert.Equal(t, districtSeries, again)
	got, err := db.Series(ctx, "UBND-Q1")
	require.NoError(t, err)
	assert.Equal(t, districtSeries, got)

	other := districtSeries
	other.Letters = "AC"
	_, err = db.CreateSeries(ctx, other)
	requireReceiptCode(t, err, receipts.EConflict) // one series per organisation

	taken := policeSeries
	taken.OrgCode, taken.Letters = "UBND-Q3", "AA"
	_, err = db.CreateSeries(ctx, taken)
	requireReceiptCode(t, err, receipts.EConflict)

	for _, change := range []func(*receipts.Series){
		func(s *receipts.Series) { s.Letters = "AF" },
		func(s *receipts.Series) { s.TaxCode = "03012345" },
		func(s *receipts.Series) { s.OrgName = "" },
	} {
		s := districtSeries
		s.OrgCode = "UBND-Q5"
		change(&s)
		_, err = db.CreateSeries(ctx, s)
		requireReceiptCode(t, err, receipts.EInvalid)
	}
	_, err = db.Series(ctx, "UBND-Q5")
	requireReceiptCode(t, err, receipts.ENotFound)
}

// 31/12 23:59:59 in Vietnam is still 2026's series; one second later the
// series is 27TAA and numbering restarts at 1. The chain goes on across the
// year.
func TestReceiptYearRollsAtVietnamMidnight(t *testing.T) {
	ctx := context.Background()
	db, clock := newReceiptDB(t)

	clock.Set(time.Date(2026, 12, 31, 23, 59, 57, 0, receipts.Zone))
	issue(t, db, cashReceipt("HS-1", 10_000))
	issue(t, db, cashReceipt("HS-2", 10_000))
	last := issue(t, db, cashReceipt("HS-3", 10_000)) // at 23:59:59
	assert.Equal(t, "31/12/2026", last.IssueDate())
	assert.Equal(t, "23:59:59", last.IssueClock())
	assert.Equal(t, "2026-12-31T16:59:59Z", last.IssuedAt, "stored in UTC")
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 3}, last.Ref)

	first := issue(t, db, cashReceipt("HS-4", 10_000)) // 00:00:00 on 1 January
	assert.Equal(t, "01/01/2027", first.IssueDate())
	assert.Equal(t, "00:00:00", first.IssueClock())
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "27TAA", Number: 1}, first.Ref)
	assert.Equal(t, last.Hash, first.PrevHash, "the chain goes on across the year")
	second := issue(t, db, cashReceipt("HS-5", 10_000))
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "27TAA", Number: 2}, second.Ref)

	// The other series starts its 2027 numbering on its first receipt.
	police := issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-6", 10_000))
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "27TAB", Number: 1}, police.Ref)

	// The old year's receipts are still found under their own symbol.
	got, err := db.Receipt(ctx, "EBL01", "26TAA", 3)
	require.NoError(t, err)
	assert.Equal(t, last, got)

	rep := requireReceiptsVerified(t, db, 6)
	assert.Equal(t, "27TAA", rep.Chains[0].Series)
	assert.EqualValues(t, 2, rep.Chains[0].Number)
	assert.EqualValues(t, 5, rep.Chains[0].Receipts)

	// A clock set back over New Year cannot issue into the old year.
	clock.Set(time.Date(2026, 12, 31, 23, 0, 0, 0, receipts.Zone))
	_, err = db.IssueReceipt(ctx, cashReceipt("HS-7", 10_000))
	requireReceiptCode(t, err, receipts.EConflict)
	assert.Contains(t, err.Error(), "check the server clock")
	requireReceiptsVerified(t, db, 6)
}

// A payment, its ledger entry and its receipt commit together or not at
// all: a rolled-back payment gives its number back.
func TestIssueReceiptInsideThePaymentTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	issue(t, db, cashReceipt("HS-1", 10_000))

	boom := errors.New("terminal result not acknowledged")
	err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.PostEntry(ctx, cardPayment("2026-07-01", 50_000, "pay-2")); err != nil {
			return err
		}
		r, err := tx.IssueReceipt(ctx, cardReceiptFor(districtSeries.OrgCode, "HS-2", 50_000))
		require.NoError(t, err)
		assert.EqualValues(t, 2, r.Number)
		return boom
	})
	require.ErrorIs(t, err, boom)

	var entry ledger.Entry
	var receipt, police receipts.Receipt
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		var err error
		if entry, err = tx.PostEntry(ctx, cardPayment("2026-07-01", 50_000, "pay-2")); err != nil {
			return err
		}
		// One dossier, fees of two organisations: two receipts.
		if receipt, err = tx.IssueReceipt(ctx, cardReceiptFor(districtSeries.OrgCode, "HS-2", 30_000)); err != nil {
			return err
		}
		police, err = tx.IssueReceipt(ctx, cardReceiptFor(policeSeries.OrgCode, "HS-2", 20_000))
		return err
	}))
	assert.EqualValues(t, 1, entry.ID)
	assert.EqualValues(t, 2, receipt.Number, "the rolled-back number is given again: no gap")
	assert.EqualValues(t, 1, police.Number)
	assert.Equal(t, receipt.IssuedAt, police.IssuedAt, "one transaction, one time")
	requireReceiptsVerified(t, db, 3)
	requireVerified(t, db, 1)
}

func TestReplacement(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	orig := issue(t, db, cashReceipt("HS-1", 10_000))
	issue(t, db, cashReceipt("HS-2", 20_000))
	police := issue(t, db, cardReceiptFor(policeSeries.OrgCode, "HS-3", 5_000))

	fix := cashReceipt("HS-1", 12_000) // the amount was wrong
	fix.Replaces = &receipts.Ref{Series: "26TAA", Number: 1}
	repl := issue(t, db, fix)
	assert.Equal(t, receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 3}, repl.Ref, "a replacement takes the next number of the series")
	assert.Equal(t, &orig.Ref, repl.Replaces)
	assert.Equal(t, receipts.Valid, repl.Status)

	got, err := db.Receipt(ctx, "EBL01", "26TAA", 1)
	require.NoError(t, err)
	assert.Equal(t, receipts.Replaced, got.Status)
	assert.Equal(t, &repl.Ref, got.ReplacedBy)
	assert.Equal(t, orig.Hash, got.Hash, "the original's row is not touched")
	assert.Equal(t, int64(10_000), got.Total)

	// The original is replaced once; a second replacement is refused.
	again := cashReceipt("HS-1", 11_000)
	again.Replaces = &receipts.Ref{Template: "EBL01", Series: "26TAA", Number: 1}
	_, err = db.IssueReceipt(ctx, again)
	requireReceiptCode(t, err, receipts.EConflict)
	assert.Contains(t, err.Error(), "already replaced by 26TAA-00000003")

	// A replacement may itself be replaced.
	fix2 := cashReceipt("HS-1", 12_500)
	fix2.Replaces = &repl.Ref
	repl2 := issue(t, db, fix2)
	got, err = db.Receipt(ctx, "EBL01", "26TAA", 3)
	require.NoError(t, err)
	assert.Equal(t, receipts.Replaced, got.Status)
	assert.Equal(t, &repl2.Ref, got.ReplacedBy)

	// Not across organisations, not a receipt that does not exist.
	cross := cashReceipt("HS-3", 5_000)
	cross.Replaces = &police.Ref
	_, err = db.IssueReceipt(ctx, cross)
	requireReceiptCode(t, err, receipts.EInvalid)
	ghost := cashReceipt("HS-9", 5_000)
	ghost.Replaces = &receipts.Ref{Series: "26TAA", Number: 99}
	_, err = db.IssueReceipt(ctx, ghost)
	requireReceiptCode(t, err, receipts.ENotFound)

	requireReceiptsVerified(t, db, 5)
}

// The triggers hold the rules against plain SQL too.
func TestReceiptTriggersRefuseEdits(t *testing.T) {
	ctx := context.Background()
	db, _ := newReceiptDB(t)
	issue(t, db, cashReceipt("HS-1", 10_000))
	issue(t, db, cashReceipt("HS-2", 10_000))

	for _, q := range []string{
		`UPDATE receipts SET total = 1 WHERE number = 1`,
		`DELETE FROM receipts WHERE number = 2`,
		`UPDATE receipt_lines SET amount = 1`,
		`DELETE FROM receipt_lines`,
		`INSERT INTO receipt_lines (receipt_id, line_no, name, kind, fee_code, amount) VALUES (1, 2, 'Phí', 'phi', 'P', 1)`,
		`UPDATE receipt_counters SET last_number = 1`,
		`UPDATE receipt_counters SET last_number = last_number + 2`,
		`DELETE FROM receipt_counters`,
		`INSERT INTO receipt_counters (template, letters, year, last_number, last_hash) VALUES ('EBL01', 'AB', 2026, 5, 'x')`,
		`DELETE FROM receipt_series`,
		`UPDATE receipt_series SET letters = 'AC' WHERE letters = 'AA'`,
		// A receipt written without taking its number from the counter.
		`INSERT INTO receipts SELECT id + 10, template, series, letters, year, number + 1, issued_at, org_code, org_name, org_tax_code,
			org_address, payer_name, payer_address, payer_id_number, total, currency, total_in_words, method, dossier_code,
			card_terminal_id, card_trace_no, card_approval_code, card_pan_masked, replaces_template, replaces_series,
			replaces_number, content_hash, prev_hash, hash FROM receipts WHERE number = 2`,
	} {
		_, err := db.SQL().ExecContext(ctx, q)
		assert.Error(t, err, q)
	}
	// A series' details may be corrected; the receipts keep their copy.
	_, err := db.SQL().ExecContext(ctx, `UPDATE receipt_series SET address = 'Địa chỉ mới' WHERE letters = 'AA'`)
	require.NoError(t, err)
	r, err := db.Receipt(ctx, "EBL01", "26TAA", 1)
	require.NoError(t, err)
	assert.Equal(t, districtSeries.Address, r.Org.Address)
	requireReceiptsVerified(t, db, 2)
}
