package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/receipts"
)

var _ receipts.Service = (*DB)(nil)

// Numbering. The next number comes from a counter row per (template, series
// letters, year), stepped inside the transaction that stores the receipt.
// Every write transaction is BEGIN IMMEDIATE and this process's writers queue
// on writeMu, so no two transactions read the same counter: numbers are
// strictly increasing without a gap, and a rolled-back transaction gives its
// number back with everything else. A counter row rather than MAX(number)+1
// because the row remembers the last number and hash even if the last
// receipt row were deleted behind feepos's back: the number is never reused,
// and verify sees the deletion (no chain can show a missing tail by itself).
// Triggers hold the rule in SQL too: a counter starts at 1, steps by one, and
// a receipt row must carry the number and hash its counter has just taken.
const (
	sqlSeriesByOrg = `SELECT org_code, org_name, tax_code, address, letters, delegate_name, delegate_tax_code
		FROM receipt_series WHERE org_code = ?`
	sqlCounterHead = `SELECT year, last_number, last_hash FROM receipt_counters
		WHERE template = ? AND letters = ? ORDER BY year DESC LIMIT 1`
	sqlCounterStart = `INSERT INTO receipt_counters (template, letters, year, last_number, last_hash) VALUES (?, ?, ?, 1, ?)`
	sqlCounterStep  = `UPDATE receipt_counters SET last_number = last_number + 1, last_hash = ?
		WHERE template = ? AND letters = ? AND year = ? AND last_number = ?`
	sqlReceiptMaxID  = `SELECT COALESCE(MAX(id), 0) FROM receipts`
	sqlInsertReceipt = `INSERT INTO receipts (id, template, series, letters, year, number, issued_at,
		org_code, org_name, org_tax_code, org_address, payer_name, payer_address, payer_id_number,
		total, currency, total_in_words, method, dossier_code,
		card_terminal_id, card_trace_no, card_approval_code, card_pan_masked,
		replaces_template, replaces_series, replaces_number, content_hash, prev_hash, hash, replaces_issue_date,
		format_version, lookup_code, delegate_name, delegate_tax_code, payer_tax_code, payer_id_printed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertReceiptLine = `INSERT INTO receipt_lines (receipt_id, line_no, name, kind, fee_code, amount) VALUES (?, ?, ?, ?, ?, ?)`
)

// CreateSeries registers an organisation's receipt series. Creating it
// again with the same details returns it; other details, or letters already
// used by another organisation, are a conflict.
func (db *DB) CreateSeries(ctx context.Context, s receipts.Series) (receipts.Series, error) {
	return withTxValue(ctx, db, func(tx *Tx) (receipts.Series, error) { return tx.CreateSeries(ctx, s) })
}

// CreateSeries registers a series inside tx.
func (tx *Tx) CreateSeries(ctx context.Context, s receipts.Series) (receipts.Series, error) {
	s = s.Normalize()
	if err := s.Validate(); err != nil {
		return receipts.Series{}, err
	}
	prev, err := seriesByOrg(ctx, tx, s.OrgCode)
	if err != nil && !isNotFound(err) {
		return receipts.Series{}, err
	}
	if err == nil {
		if prev == s {
			return prev, nil
		}
		withDelegate := prev
		withDelegate.DelegateName, withDelegate.DelegateTaxCode = s.DelegateName, s.DelegateTaxCode
		if withDelegate != s {
			return receipts.Series{}, receipts.Conflictf("organisation %s already has receipt series %s with other details: one series per organisation", s.OrgCode, prev.Letters)
		}
		// Only the delegate changed (a delegation made or ended, or a
		// series registered before delegates existed): the series' details
		// may be corrected; receipts already issued keep the copy they
		// were issued with.
		if _, err := tx.ExecContext(ctx, `UPDATE receipt_series SET delegate_name = ?, delegate_tax_code = ? WHERE org_code = ?`,
			s.DelegateName, s.DelegateTaxCode, s.OrgCode); err != nil {
			return receipts.Series{}, fmt.Errorf("store the delegate of receipt series %s: %w", s.Letters, err)
		}
		return s, nil
	}
	var owner string
	err = tx.GetContext(ctx, &owner, `SELECT org_code FROM receipt_series WHERE letters = ?`, s.Letters)
	if err == nil {
		return receipts.Series{}, receipts.Conflictf("series letters %s already belong to organisation %s: choose other letters", s.Letters, owner)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return receipts.Series{}, fmt.Errorf("look up series letters: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_series (org_code, letters, org_name, tax_code, address, created_at,
		delegate_name, delegate_tax_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.OrgCode, s.Letters, s.OrgName, s.TaxCode, s.Address,
		tx.Now.Format(time.RFC3339Nano), s.DelegateName, s.DelegateTaxCode); err != nil {
		return receipts.Series{}, fmt.Errorf("store receipt series: %w", err)
	}
	return s, nil
}

// Series reads an organisation's series.
func (db *DB) Series(ctx context.Context, orgCode string) (receipts.Series, error) {
	return seriesByOrg(ctx, db.db, strings.TrimSpace(orgCode))
}

type seriesRow struct {
	OrgCode string `db:"org_code"`
	OrgName string `db:"org_name"`
	TaxCode string `db:"tax_code"`
	Address string `db:"address"`
	Letters string `db:"letters"`
	// Decree 254/2026/NĐ-CP Art. 25.4 (migration 0018).
	DelegateName    string `db:"delegate_name"`
	DelegateTaxCode string `db:"delegate_tax_code"`
}

func seriesByOrg(ctx context.Context, q querier, orgCode string) (receipts.Series, error) {
	var r seriesRow
	err := q.GetContext(ctx, &r, sqlSeriesByOrg, orgCode)
	return seriesResult(r, err, orgCode)
}

// series is seriesByOrg on the issuing path, with a prepared statement.
func (tx *Tx) series(ctx context.Context, orgCode string) (receipts.Series, error) {
	s, err := tx.stmt(ctx, sqlSeriesByOrg)
	if err != nil {
		return receipts.Series{}, err
	}
	var r seriesRow
	err = s.GetContext(ctx, &r, orgCode)
	return seriesResult(r, err, orgCode)
}

func seriesResult(r seriesRow, err error, orgCode string) (receipts.Series, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Series{}, receipts.NotFoundf("organisation %q has no receipt series: create its series first", orgCode)
	} else if err != nil {
		return receipts.Series{}, fmt.Errorf("read receipt series of %s: %w", orgCode, err)
	}
	return receipts.Series(r), nil
}

func isNotFound(err error) bool {
	var re *receipts.Error
	return errors.As(err, &re) && re.Code == receipts.ENotFound
}

// IssueReceipt issues a receipt in its own transaction. To store it with
// the payment and its ledger entry, call Tx.IssueReceipt inside WithTx.
func (db *DB) IssueReceipt(ctx context.Context, nr receipts.NewReceipt) (receipts.Receipt, error) {
	return withTxValue(ctx, db, func(tx *Tx) (receipts.Receipt, error) { return tx.IssueReceipt(ctx, nr) })
}

// IssueReceipt takes, inside tx, the next number of the organisation's
// series for the year of tx.Now in Asia/Ho_Chi_Minh, chains and stores the
// receipt. The number is taken only if tx commits: a rolled-back payment
// leaves no gap. An error after the counter moved makes tx refuse to
// commit (Tx.halfDone): return the error from WithTx's fn.
func (tx *Tx) IssueReceipt(ctx context.Context, nr receipts.NewReceipt) (receipts.Receipt, error) {
	return tx.issueReceipt(ctx, nr, nil)
}

// issueReceipt is IssueReceipt; sealed, when not nil, is called with the
// receipt as soon as its number and chain are fixed, before it is stored,
// so that signing it overlaps the writes (receipt_signatures.go).
func (tx *Tx) issueReceipt(ctx context.Context, nr receipts.NewReceipt, sealed func(receipts.Receipt)) (_ receipts.Receipt, err error) {
	wrote := false // the counter moved: a later failure leaves tx half-done
	defer func() {
		if wrote {
			tx.halfDone(err)
		}
	}()
	nr = nr.Normalize()
	if err := nr.Validate(); err != nil {
		return receipts.Receipt{}, err
	}
	series, err := tx.series(ctx, nr.OrgCode)
	if err != nil {
		return receipts.Receipt{}, err
	}
	year := receipts.YearOf(tx.Now)
	if year < 2000 || year > 2099 {
		return receipts.Receipt{}, receipts.Invalidf("the clock says %d: a series symbol holds the years 2000–2099 only; check the server clock", year)
	}
	code, err := receipts.NewLookupCode()
	if err != nil {
		return receipts.Receipt{}, fmt.Errorf("draw the receipt's lookup code: %w", err)
	}
	out := receipts.Receipt{
		Ref:           receipts.Ref{Template: receipts.Template, Series: receipts.SeriesSymbol(year, series.Letters)},
		IssuedAt:      tx.Now.UTC().Format(time.RFC3339Nano),
		Org:           series.Organisation(),
		Delegate:      series.Delegate(),
		NewReceipt:    nr,
		Currency:      receipts.Currency,
		Status:        receipts.Valid,
		FormatVersion: receipts.CurrentFormat,
		LookupCode:    code,
	}
	var delegate receipts.Delegate
	if out.Delegate != nil {
		delegate = *out.Delegate
	}

	if nr.Replaces != nil {
		orig, err := tx.checkReplacement(ctx, series, *nr.Replaces)
		if err != nil {
			return receipts.Receipt{}, err
		}
		// The replacement names the original's date (printed and in its
		// signed XML); Seal and the signature below see it.
		if t, err := orig.IssuedTime(); err == nil {
			out.ReplacesDate = t.Format("2006-01-02")
		}
	}

	// The number: the counter of this year, or a new counter at 1 whose
	// chain goes on from the last receipt of the series' previous year.
	var head struct {
		Year   int    `db:"year"`
		Number int64  `db:"last_number"`
		Hash   string `db:"last_hash"`
	}
	headStmt, err := tx.stmt(ctx, sqlCounterHead)
	if err != nil {
		return receipts.Receipt{}, err
	}
	err = headStmt.GetContext(ctx, &head, receipts.Template, series.Letters)
	newYear := false
	switch {
	case errors.Is(err, sql.ErrNoRows):
		out.Number, newYear = 1, true
		head.Hash = receipts.GenesisHash
	case err != nil:
		return receipts.Receipt{}, fmt.Errorf("read receipt counter: %w", err)
	case head.Year > year:
		return receipts.Receipt{}, receipts.Conflictf("the clock says %d but series %s already has receipts of %d: check the server clock",
			year, series.Letters, head.Year)
	case head.Year < year:
		out.Number, newYear = 1, true // 00:00 on 1 January: 26TAA → 27TAA, numbering restarts
	default:
		if head.Number >= receipts.MaxNumber {
			return receipts.Receipt{}, receipts.Conflictf("series %s has used all %d numbers of %d", out.Series, receipts.MaxNumber, year)
		}
		out.Number = head.Number + 1
	}
	if head.Number > 0 { // a receipt before this one: its time may not be later
		if err := tx.checkIssueTime(ctx, series.Letters, head.Year, head.Number, tx.Now); err != nil {
			return receipts.Receipt{}, err
		}
	}

	maxID, err := tx.stmt(ctx, sqlReceiptMaxID)
	if err != nil {
		return receipts.Receipt{}, err
	}
	if err := maxID.GetContext(ctx, &out.ID); err != nil {
		return receipts.Receipt{}, fmt.Errorf("read last receipt id: %w", err)
	}
	out.ID++
	out.Seal(head.Hash)
	if sealed != nil {
		sealed(out)
	}

	if newYear {
		start, err := tx.stmt(ctx, sqlCounterStart)
		if err != nil {
			return receipts.Receipt{}, err
		}
		if _, err := start.ExecContext(ctx, receipts.Template, series.Letters, year, out.Hash); err != nil {
			return receipts.Receipt{}, fmt.Errorf("start receipt counter of %s: %w", out.Series, err)
		}
	} else {
		step, err := tx.stmt(ctx, sqlCounterStep)
		if err != nil {
			return receipts.Receipt{}, err
		}
		res, err := step.ExecContext(ctx, out.Hash, receipts.Template, series.Letters, year, head.Number)
		if err != nil {
			return receipts.Receipt{}, fmt.Errorf("step receipt counter of %s: %w", out.Series, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return receipts.Receipt{}, fmt.Errorf("step receipt counter of %s: moved under us (%d rows, %v)", out.Series, n, err)
		}
	}
	wrote = true

	var card receipts.CardPayment
	if nr.Card != nil {
		card = *nr.Card
	}
	var rt, rs, rn, rd any
	if nr.Replaces != nil {
		rt, rs, rn = nr.Replaces.Template, nr.Replaces.Series, nr.Replaces.Number
		if out.ReplacesDate != "" {
			rd = out.ReplacesDate
		}
	}
	insert, err := tx.stmt(ctx, sqlInsertReceipt)
	if err != nil {
		return receipts.Receipt{}, err
	}
	if _, err := insert.ExecContext(ctx, out.ID, out.Template, out.Series, series.Letters, year, out.Number, out.IssuedAt,
		out.Org.Code, out.Org.Name, out.Org.TaxCode, out.Org.Address, nr.Payer.Name, nr.Payer.Address, nr.Payer.IDNumber,
		nr.Total, out.Currency, nr.TotalInWords, string(nr.Method), nr.DossierCode,
		card.TerminalID, card.TraceNo, card.ApprovalCode, card.PANMasked,
		rt, rs, rn, out.ContentHash, out.PrevHash, out.Hash, rd,
		out.FormatVersion, out.LookupCode, delegate.Name, delegate.TaxCode, nr.Payer.TaxCode, nr.Payer.IDPrinted); err != nil {
		if strings.Contains(err.Error(), "receipts.replaces_") {
			return receipts.Receipt{}, receipts.Conflictf("receipt %s was already replaced: a receipt is replaced once", nr.Replaces)
		}
		return receipts.Receipt{}, fmt.Errorf("store receipt %s: %w", out.Ref, err)
	}
	insertLine, err := tx.stmt(ctx, sqlInsertReceiptLine)
	if err != nil {
		return receipts.Receipt{}, err
	}
	for i, l := range nr.Lines {
		if _, err := insertLine.ExecContext(ctx, out.ID, i+1, l.Name, string(l.Kind), l.FeeCode, l.Amount); err != nil {
			return receipts.Receipt{}, fmt.Errorf("store receipt %s line %d: %w", out.Ref, i+1, err)
		}
	}
	return out, nil
}

// checkReplacement holds the replacement rules (Circular 91/2026/TT-BTC
// Art. 20): the original exists, belongs to the same organisation's series,
// and is not replaced yet. A replacement may itself be replaced later.
func (tx *Tx) checkReplacement(ctx context.Context, series receipts.Series, ref receipts.Ref) (receipts.Receipt, error) {
	orig, err := receiptByRef(ctx, tx, ref)
	if err != nil {
		return receipts.Receipt{}, err
	}
	if orig.OrgCode != series.OrgCode {
		return receipts.Receipt{}, receipts.Invalidf("receipt %s belongs to organisation %s: a replacement is issued in the original's series", ref, orig.OrgCode)
	}
	if orig.ReplacedBy != nil {
		return receipts.Receipt{}, receipts.Conflictf("receipt %s was already replaced by %s: a receipt is replaced once; if %s is wrong too, replace it",
			ref, orig.ReplacedBy, orig.ReplacedBy)
	}
	return orig, nil
}

// Receipt reads one receipt with its lines and status.
func (db *DB) Receipt(ctx context.Context, template, series string, number int64) (receipts.Receipt, error) {
	ref := receipts.Ref{Template: strings.TrimSpace(template), Series: strings.ToUpper(strings.TrimSpace(series)), Number: number}
	if err := ref.Validate(); err != nil {
		return receipts.Receipt{}, err
	}
	return receiptByRef(ctx, db.db, ref)
}

func receiptByRef(ctx context.Context, q querier, ref receipts.Ref) (receipts.Receipt, error) {
	rs, err := loadReceipts(ctx, q, `r.template = ? AND r.series = ? AND r.number = ?`, ref.Template, ref.Series, ref.Number)
	if err != nil {
		return receipts.Receipt{}, err
	}
	if len(rs) == 0 {
		return receipts.Receipt{}, receipts.NotFoundf("receipt %s %s does not exist", ref.Template, ref)
	}
	return rs[0], nil
}

// receiptRow is how a receipt is read back.
type receiptRow struct {
	ID               int64          `db:"id"`
	Template         string         `db:"template"`
	Series           string         `db:"series"`
	Letters          string         `db:"letters"`
	Year             int            `db:"year"`
	Number           int64          `db:"number"`
	IssuedAt         string         `db:"issued_at"`
	OrgCode          string         `db:"org_code"`
	OrgName          string         `db:"org_name"`
	OrgTaxCode       string         `db:"org_tax_code"`
	OrgAddress       string         `db:"org_address"`
	PayerName        string         `db:"payer_name"`
	PayerAddress     string         `db:"payer_address"`
	PayerIDNumber    string         `db:"payer_id_number"`
	PayerTaxCode     string         `db:"payer_tax_code"`   // migration 0020
	PayerIDPrinted   bool           `db:"payer_id_printed"` // migration 0020
	Total            int64          `db:"total"`
	Currency         string         `db:"currency"`
	TotalInWords     string         `db:"total_in_words"`
	Method           string         `db:"method"`
	DossierCode      string         `db:"dossier_code"`
	CardTerminalID   string         `db:"card_terminal_id"`
	CardTraceNo      string         `db:"card_trace_no"`
	CardApprovalCode string         `db:"card_approval_code"`
	CardPANMasked    string         `db:"card_pan_masked"`
	ReplacesTemplate sql.NullString `db:"replaces_template"`
	ReplacesSeries   sql.NullString `db:"replaces_series"`
	ReplacesNumber   sql.NullInt64  `db:"replaces_number"`
	ReplacesDate     sql.NullString `db:"replaces_issue_date"`
	ContentHash      string         `db:"content_hash"`
	PrevHash         string         `db:"prev_hash"`
	Hash             string         `db:"hash"`
	FormatVersion    int            `db:"format_version"`
	LookupCode       string         `db:"lookup_code"`
	DelegateName     string         `db:"delegate_name"`
	DelegateTaxCode  string         `db:"delegate_tax_code"`
	// Only in loadReceipts: the receipt that replaces this one.
	ReplacedByTemplate sql.NullString `db:"rb_template"`
	ReplacedBySeries   sql.NullString `db:"rb_series"`
	ReplacedByNumber   sql.NullInt64  `db:"rb_number"`
}

const receiptColumns = `r.id, r.template, r.series, r.letters, r.year, r.number, r.issued_at,
	r.org_code, r.org_name, r.org_tax_code, r.org_address, r.payer_name, r.payer_address, r.payer_id_number,
	r.total, r.currency, r.total_in_words, r.method, r.dossier_code,
	r.card_terminal_id, r.card_trace_no, r.card_approval_code, r.card_pan_masked,
	r.replaces_template, r.replaces_series, r.replaces_number, r.content_hash, r.prev_hash, r.hash, r.replaces_issue_date,
	r.format_version, r.lookup_code, r.delegate_name, r.delegate_tax_code, r.payer_tax_code, r.payer_id_printed`

func (r receiptRow) receipt() receipts.Receipt {
	out := receipts.Receipt{
		ID:       r.ID,
		Ref:      receipts.Ref{Template: r.Template, Series: r.Series, Number: r.Number},
		IssuedAt: r.IssuedAt,
		Org:      receipts.Organisation{Code: r.OrgCode, Name: r.OrgName, TaxCode: r.OrgTaxCode, Address: r.OrgAddress},
		NewReceipt: receipts.NewReceipt{
			OrgCode: r.OrgCode,
			Payer: receipts.Payer{Name: r.PayerName, Address: r.PayerAddress, IDNumber: r.PayerIDNumber,
				TaxCode: r.PayerTaxCode, IDPrinted: r.PayerIDPrinted},
			Total:        r.Total,
			TotalInWords: r.TotalInWords,
			Method:       receipts.PaymentMethod(r.Method),
			DossierCode:  r.DossierCode,
		},
		Currency:    r.Currency,
		Status:      receipts.Valid,
		ContentHash: r.ContentHash,
		PrevHash:    r.PrevHash,
		Hash:        r.Hash,

		FormatVersion: r.FormatVersion,
		LookupCode:    r.LookupCode,
	}
	if r.DelegateName != "" || r.DelegateTaxCode != "" {
		out.Delegate = &receipts.Delegate{Name: r.DelegateName, TaxCode: r.DelegateTaxCode}
	}
	if r.CardTerminalID != "" || r.CardTraceNo != "" || r.CardApprovalCode != "" || r.CardPANMasked != "" {
		out.Card = &receipts.CardPayment{TerminalID: r.CardTerminalID, TraceNo: r.CardTraceNo,
			ApprovalCode: r.CardApprovalCode, PANMasked: r.CardPANMasked}
	}
	if r.ReplacesNumber.Valid || r.ReplacesSeries.Valid || r.ReplacesTemplate.Valid {
		out.Replaces = &receipts.Ref{Template: r.ReplacesTemplate.String, Series: r.ReplacesSeries.String, Number: r.ReplacesNumber.Int64}
		out.ReplacesDate = r.ReplacesDate.String
	}
	if r.ReplacedByNumber.Valid {
		out.Status = receipts.Replaced
		out.ReplacedBy = &receipts.Ref{Template: r.ReplacedByTemplate.String, Series: r.ReplacedBySeries.String, Number: r.ReplacedByNumber.Int64}
	}
	return out
}

type receiptLineRow struct {
	ReceiptID int64  `db:"receipt_id"`
	Name      string `db:"name"`
	Kind      string `db:"kind"`
	FeeCode   string `db:"fee_code"`
	Amount    int64  `db:"amount"`
}

func loadReceipts(ctx context.Context, q querier, where string, args ...any) ([]receipts.Receipt, error) {
	var rows []receiptRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+receiptColumns+`,
			x.template AS rb_template, x.series AS rb_series, x.number AS rb_number
		FROM receipts r LEFT JOIN receipts x ON x.id = (SELECT MIN(y.id) FROM receipts y
			WHERE y.replaces_template = r.template AND y.replaces_series = r.series AND y.replaces_number = r.number)
		WHERE `+where+` ORDER BY r.id`, args...); err != nil {
		return nil, fmt.Errorf("read receipts: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var lines []receiptLineRow
	if err := q.SelectContext(ctx, &lines, `SELECT receipt_id, name, kind, fee_code, amount FROM receipt_lines
		WHERE receipt_id IN (SELECT r.id FROM receipts r WHERE `+where+`) ORDER BY receipt_id, line_no`, args...); err != nil {
		return nil, fmt.Errorf("read receipt lines: %w", err)
	}
	out := make([]receipts.Receipt, len(rows))
	byID := make(map[int64]int, len(rows))
	for i, r := range rows {
		out[i] = r.receipt()
		byID[r.ID] = i
	}
	for _, l := range lines {
		if i, ok := byID[l.ReceiptID]; ok {
			out[i].Lines = append(out[i].Lines, receipts.Line{Name: l.Name, Kind: receipts.FeeKind(l.Kind), FeeCode: l.FeeCode, Amount: l.Amount})
		}
	}
	return out, nil
}
