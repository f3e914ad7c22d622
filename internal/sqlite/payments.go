package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Payment requests and payments (migration 0012, docs/PAYMENTS.md). The
// workflow is internal/payments; these are its rows. Times are stored as
// attempt times (UTC, fixed nine-digit fraction) so that they sort as
// text.

// PaymentRequestRow is a payment request as stored.
type PaymentRequestRow struct {
	ID             string `db:"id"`
	ClientID       string `db:"client_id"`
	IdempotencyKey string `db:"idempotency_key"`
	BodyHash       string `db:"body_hash"`
	DossierCode    string `db:"dossier_code"`
	Payer          string `db:"payer"` // JSON
	Total          int64  `db:"total"`
	Currency       string `db:"currency"`
	CallbackURL    string `db:"callback_url"`
	Status         string `db:"status"`
	CreatedAt      string `db:"created_at"`
	UpdatedAt      string `db:"updated_at"`
	Items          []PaymentItemRow
}

// PaymentItemRow is one fee line of a request.
type PaymentItemRow struct {
	RequestID  string        `db:"request_id"`
	Line       int           `db:"line"`
	FeeCode    string        `db:"fee_code"`
	Name       string        `db:"name"`
	Kind       string        `db:"kind"`
	OrgCode    string        `db:"org_code"`
	AgencyCode string        `db:"agency_code"`
	Quantity   int64         `db:"quantity"`
	UnitAmount sql.NullInt64 `db:"unit_amount"`
	Amount     int64         `db:"amount"`
}

// PaymentRow is a payment as stored.
type PaymentRow struct {
	ID              string         `db:"id"`
	RequestID       string         `db:"request_id"`
	Method          string         `db:"method"`
	Status          string         `db:"status"`
	Amount          int64          `db:"amount"`
	Terminal        string         `db:"terminal"`
	Reference       string         `db:"reference"`
	AttemptID       string         `db:"attempt_id"`
	CashierID       string         `db:"cashier_id"`
	CashierName     string         `db:"cashier_name"`
	Tendered        int64          `db:"tendered"`
	TerminalResult  sql.NullString `db:"terminal_result"` // JSON
	CreatedAt       string         `db:"created_at"`
	PaidAt          sql.NullString `db:"paid_at"`
	LedgerEntryID   sql.NullInt64  `db:"ledger_entry_id"`
	ReversalEntryID sql.NullInt64  `db:"reversal_entry_id"`
	Review          sql.NullString `db:"review"` // JSON
	Message         string         `db:"message"`
	ShiftID         sql.NullInt64  `db:"shift_id"`
}

// PaymentReceiptRow links a payment to a receipt it issued.
type PaymentReceiptRow struct {
	PaymentID string `db:"payment_id"`
	Template  string `db:"template"`
	Series    string `db:"series"`
	Number    int64  `db:"number"`
	OrgCode   string `db:"org_code"`
	Total     int64  `db:"total"`
	Kind      string `db:"kind"`
	// LookupCode is the receipt's (receipts table), for its verify URL.
	LookupCode string `db:"lookup_code"`
}

// PaymentHistoryRow is one status change of a request or payment.
type PaymentHistoryRow struct {
	ID        int64  `db:"id"`
	RequestID string `db:"request_id"`
	PaymentID string `db:"payment_id"`
	Status    string `db:"status"`
	At        string `db:"at"`
	Actor     string `db:"actor"`
	Reason    string `db:"reason"`
}

// ShiftRow is a closed cash shift.
type ShiftRow struct {
	ID            int64         `db:"id"`
	CashierID     string        `db:"cashier_id"`
	CashierName   string        `db:"cashier_name"`
	OpenedAt      string        `db:"opened_at"`
	ClosedAt      string        `db:"closed_at"`
	Expected      int64         `db:"expected"`
	Counted       int64         `db:"counted"`
	Note          string        `db:"note"`
	LedgerEntryID sql.NullInt64 `db:"ledger_entry_id"`
}

// ErrPaymentLive matches the refusal of a second payment for a request
// that has one processing, paid or waiting for review (the partial unique
// index payments_one_live_per_request).
var ErrPaymentLive = errors.New("the payment request already has a payment that is processing, paid or in review")

// StoreTime is how payment times are stored.
func StoreTime(t time.Time) string { return attemptTime(t) }

// ParseStoreTime reads a stored payment time.
func ParseStoreTime(s string) (time.Time, error) { return parseAttemptTime(s) }

// InsertPaymentRequest writes a new request and its lines, and the first
// line of its history.
func (tx *Tx) InsertPaymentRequest(ctx context.Context, r PaymentRequestRow, actor string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_requests (id, client_id, idempotency_key, body_hash, dossier_code,
		payer, total, currency, callback_url, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.ClientID, r.IdempotencyKey, r.BodyHash, r.DossierCode, r.Payer, r.Total, r.Currency, r.CallbackURL,
		r.Status, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("write payment request %s: %w", r.ID, err)
	}
	for _, it := range r.Items {
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_request_items (request_id, line, fee_code, name, kind, org_code,
			agency_code, quantity, unit_amount, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, it.Line, it.FeeCode, it.Name, it.Kind, it.OrgCode, it.AgencyCode, it.Quantity, it.UnitAmount, it.Amount)
		if err != nil {
			return fmt.Errorf("write line %d of payment request %s: %w", it.Line, r.ID, err)
		}
	}
	return tx.paymentHistory(ctx, r.ID, "", r.Status, actor, "created")
}

func (tx *Tx) paymentHistory(ctx context.Context, requestID, paymentID, status, actor, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_status_history (request_id, payment_id, status, at, actor, reason)
		VALUES (?, ?, ?, ?, ?, ?)`, requestID, paymentID, status, attemptTime(tx.Now), actor, reason)
	if err != nil {
		return fmt.Errorf("write status history of %s: %w", requestID, err)
	}
	return nil
}

// PaymentRequestByKey finds the request a client created with an
// idempotency key; false if none.
func (tx *Tx) PaymentRequestByKey(ctx context.Context, clientID, key string) (PaymentRequestRow, bool, error) {
	var id string
	err := tx.GetContext(ctx, &id, `SELECT id FROM payment_requests WHERE client_id = ? AND idempotency_key = ?`, clientID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentRequestRow{}, false, nil
	}
	if err != nil {
		return PaymentRequestRow{}, false, fmt.Errorf("find payment request by key: %w", err)
	}
	r, err := paymentRequest(ctx, tx, id)
	return r, err == nil, err
}

// ErrNoPaymentRequest: no request with that id.
var ErrNoPaymentRequest = errors.New("no such payment request")

// ErrNoPayment: no payment with that id.
var ErrNoPayment = errors.New("no such payment")

// PaymentRequest reads a request with its lines (ErrNoPaymentRequest).
func (tx *Tx) PaymentRequest(ctx context.Context, id string) (PaymentRequestRow, error) {
	return paymentRequest(ctx, tx, id)
}

// PaymentRequest is Tx.PaymentRequest outside a transaction.
func (db *DB) PaymentRequest(ctx context.Context, id string) (PaymentRequestRow, error) {
	return paymentRequest(ctx, db.db, id)
}

const paymentRequestColumns = `id, client_id, idempotency_key, body_hash, dossier_code, payer, total, currency, callback_url, status, created_at, updated_at`

func paymentRequest(ctx context.Context, q querier, id string) (PaymentRequestRow, error) {
	var r PaymentRequestRow
	err := q.GetContext(ctx, &r, `SELECT `+paymentRequestColumns+` FROM payment_requests WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: %s", ErrNoPaymentRequest, id)
	}
	if err != nil {
		return r, fmt.Errorf("read payment request %s: %w", id, err)
	}
	if err := q.SelectContext(ctx, &r.Items, `SELECT request_id, line, fee_code, name, kind, org_code, agency_code, quantity,
		unit_amount, amount FROM payment_request_items WHERE request_id = ? ORDER BY line`, id); err != nil {
		return r, fmt.Errorf("read lines of payment request %s: %w", id, err)
	}
	return r, nil
}

// PaymentRequestFilter selects requests.
type PaymentRequestFilter struct {
	DossierCode string
	Status      string
	ClientID    string // only this API client's requests ("": all)
	After       string // list ids below this one (ids grow with time)
	Limit       int
}

// PaymentRequests lists requests, newest first.
func (db *DB) PaymentRequests(ctx context.Context, f PaymentRequestFilter) ([]PaymentRequestRow, error) {
	var ids []string
	err := db.db.SelectContext(ctx, &ids, `SELECT id FROM payment_requests
		WHERE (? = '' OR dossier_code = ?) AND (? = '' OR status = ?) AND (? = '' OR client_id = ?) AND (? = '' OR id < ?)
		ORDER BY id DESC LIMIT ?`, f.DossierCode, f.DossierCode, f.Status, f.Status, f.ClientID, f.ClientID, f.After, f.After, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list payment requests: %w", err)
	}
	out := make([]PaymentRequestRow, 0, len(ids))
	for _, id := range ids {
		r, err := paymentRequest(ctx, db.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// SetPaymentRequestStatus changes a request's status and writes the
// change to the history.
func (tx *Tx) SetPaymentRequestStatus(ctx context.Context, id, status, actor, reason string) error {
	res, err := tx.ExecContext(ctx, `UPDATE payment_requests SET status = ?, updated_at = ? WHERE id = ?`, status, attemptTime(tx.Now), id)
	if err != nil {
		return fmt.Errorf("set status of payment request %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrNoPaymentRequest, id)
	}
	return tx.paymentHistory(ctx, id, "", status, actor, reason)
}

// InsertPayment writes a new payment; a second live payment of the same
// request is ErrPaymentLive.
func (tx *Tx) InsertPayment(ctx context.Context, p PaymentRow, actor string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payments (id, request_id, method, status, amount, terminal, reference, attempt_id,
		cashier_id, cashier_name, tendered, created_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.RequestID, p.Method, p.Status, p.Amount, p.Terminal, p.Reference, p.AttemptID, p.CashierID, p.CashierName, p.Tendered,
		p.CreatedAt, p.Message)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: payments.request_id") {
			return fmt.Errorf("%w: %s", ErrPaymentLive, p.RequestID)
		}
		return fmt.Errorf("write payment %s: %w", p.ID, err)
	}
	return tx.paymentHistory(ctx, p.RequestID, p.ID, p.Status, actor, "charge "+p.Method)
}

// SetPaymentAttempt sets the terminal attempt of a card payment (once:
// the trigger refuses a change).
func (tx *Tx) SetPaymentAttempt(ctx context.Context, id, attemptID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE payments SET attempt_id = ? WHERE id = ? AND attempt_id = ''`, attemptID, id)
	if err != nil {
		return fmt.Errorf("set attempt of payment %s: %w", id, err)
	}
	return nil
}

// PaymentUpdate is a change of a payment's working state; nil fields are
// left as they are.
type PaymentUpdate struct {
	Status          string
	Reason          string // for the history
	TerminalResult  *string
	PaidAt          *string
	LedgerEntryID   *int64
	ReversalEntryID *int64
	Review          *string
	Message         *string
}

const sqlUpdatePayment = `UPDATE payments SET status = ?, terminal_result = ?, paid_at = ?, ledger_entry_id = ?,
	reversal_entry_id = ?, review = ?, message = ? WHERE id = ?`

// UpdatePayment applies u to payment id whose status is one of from (none:
// any); ok is false when the payment is in another status (someone else
// moved it first).
func (tx *Tx) UpdatePayment(ctx context.Context, id string, from []string, u PaymentUpdate, actor string) (ok bool, err error) {
	p, err := paymentByID(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if len(from) > 0 {
		match := false
		for _, s := range from {
			match = match || s == p.Status
		}
		if !match {
			return false, nil
		}
	}
	if u.TerminalResult != nil {
		p.TerminalResult = sql.NullString{String: *u.TerminalResult, Valid: true}
	}
	if u.PaidAt != nil {
		p.PaidAt = sql.NullString{String: *u.PaidAt, Valid: true}
	}
	if u.LedgerEntryID != nil {
		p.LedgerEntryID = sql.NullInt64{Int64: *u.LedgerEntryID, Valid: true}
	}
	if u.ReversalEntryID != nil {
		p.ReversalEntryID = sql.NullInt64{Int64: *u.ReversalEntryID, Valid: true}
	}
	if u.Review != nil {
		p.Review = sql.NullString{String: *u.Review, Valid: true}
	}
	if u.Message != nil {
		p.Message = *u.Message
	}
	changed := u.Status != "" && u.Status != p.Status
	if u.Status != "" {
		p.Status = u.Status
	}
	// Prepared once (stmt.go): the statement is on every payment's path.
	st, err := tx.stmt(ctx, sqlUpdatePayment)
	if err != nil {
		return false, err
	}
	_, err = st.ExecContext(ctx, p.Status, p.TerminalResult, p.PaidAt, p.LedgerEntryID, p.ReversalEntryID, p.Review, p.Message, id)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed: payments.request_id") {
			return false, fmt.Errorf("%w: %s", ErrPaymentLive, p.RequestID)
		}
		return false, fmt.Errorf("update payment %s: %w", id, err)
	}
	if changed {
		if err := tx.paymentHistory(ctx, p.RequestID, id, p.Status, actor, u.Reason); err != nil {
			return false, err
		}
	}
	return true, nil
}

// AddPaymentReceipt links a receipt to the payment that issued it.
func (tx *Tx) AddPaymentReceipt(ctx context.Context, r PaymentReceiptRow) error {
	if r.Kind == "" {
		r.Kind = "issued"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_receipts (payment_id, template, series, number, org_code, total, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.PaymentID, r.Template, r.Series, r.Number, r.OrgCode, r.Total, r.Kind)
	if err != nil {
		return fmt.Errorf("link receipt %s %d to payment %s: %w", r.Series, r.Number, r.PaymentID, err)
	}
	return nil
}

const paymentColumns = `id, request_id, method, status, amount, terminal, reference, attempt_id, cashier_id, cashier_name, tendered,
	terminal_result, created_at, paid_at, ledger_entry_id, reversal_entry_id, review, message, shift_id`

func paymentByID(ctx context.Context, q querier, id string) (PaymentRow, error) {
	var p PaymentRow
	err := q.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("%w: %s", ErrNoPayment, id)
	}
	if err != nil {
		return p, fmt.Errorf("read payment %s: %w", id, err)
	}
	return p, nil
}

// Payment reads one payment (ErrNoPayment).
func (tx *Tx) Payment(ctx context.Context, id string) (PaymentRow, error) {
	return paymentByID(ctx, tx, id)
}

// Payment is Tx.Payment outside a transaction.
func (db *DB) Payment(ctx context.Context, id string) (PaymentRow, error) {
	return paymentByID(ctx, db.db, id)
}

// PaymentsOfRequest lists a request's payments, oldest first.
func (db *DB) PaymentsOfRequest(ctx context.Context, requestID string) ([]PaymentRow, error) {
	var out []PaymentRow
	if err := db.db.SelectContext(ctx, &out, `SELECT `+paymentColumns+` FROM payments WHERE request_id = ?
		ORDER BY created_at, id`, requestID); err != nil {
		return nil, fmt.Errorf("list payments of %s: %w", requestID, err)
	}
	return out, nil
}

// PaymentsInStatus lists the payments in one of the statuses, oldest
// first (recovery).
func (db *DB) PaymentsInStatus(ctx context.Context, statuses ...string) ([]PaymentRow, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, s := range statuses {
		args[i] = s
	}
	var out []PaymentRow
	q := `SELECT ` + paymentColumns + ` FROM payments WHERE status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `) ORDER BY created_at, id`
	if err := db.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list payments: %w", err)
	}
	return out, nil
}

// PaymentReceipts lists the receipts a payment issued.
func (db *DB) PaymentReceipts(ctx context.Context, paymentID string) ([]PaymentReceiptRow, error) {
	return paymentReceipts(ctx, db.db, paymentID)
}

// PaymentReceipts is DB.PaymentReceipts inside the transaction.
func (tx *Tx) PaymentReceipts(ctx context.Context, paymentID string) ([]PaymentReceiptRow, error) {
	return paymentReceipts(ctx, tx, paymentID)
}

func paymentReceipts(ctx context.Context, q querier, paymentID string) ([]PaymentReceiptRow, error) {
	var out []PaymentReceiptRow
	if err := q.SelectContext(ctx, &out, `SELECT p.payment_id, p.template, p.series, p.number, p.org_code, p.total, p.kind,
			COALESCE(r.lookup_code, '') AS lookup_code
		FROM payment_receipts p LEFT JOIN receipts r ON r.template = p.template AND r.series = p.series AND r.number = p.number
		WHERE p.payment_id = ? ORDER BY p.rowid`, paymentID); err != nil {
		return nil, fmt.Errorf("list receipts of payment %s: %w", paymentID, err)
	}
	return out, nil
}

// PaymentHistory lists every status change of a request and its payments.
func (db *DB) PaymentHistory(ctx context.Context, requestID string) ([]PaymentHistoryRow, error) {
	var out []PaymentHistoryRow
	if err := db.db.SelectContext(ctx, &out, `SELECT id, request_id, payment_id, status, at, actor, reason
		FROM payment_status_history WHERE request_id = ? ORDER BY id`, requestID); err != nil {
		return nil, fmt.Errorf("read status history of %s: %w", requestID, err)
	}
	return out, nil
}

// OpenCashPayments lists the paid cash payments of a cashier not yet in a
// closed shift.
func (tx *Tx) OpenCashPayments(ctx context.Context, cashierID string) ([]PaymentRow, error) {
	var out []PaymentRow
	if err := tx.SelectContext(ctx, &out, `SELECT `+paymentColumns+` FROM payments WHERE method = 'cash' AND shift_id IS NULL
		AND cashier_id = ? AND status = 'paid' ORDER BY created_at, id`, cashierID); err != nil {
		return nil, fmt.Errorf("list open cash payments of %s: %w", cashierID, err)
	}
	return out, nil
}

// InsertShift writes a closed shift and puts the payments in it.
func (tx *Tx) InsertShift(ctx context.Context, s ShiftRow, paymentIDs []string) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO cash_shifts (cashier_id, cashier_name, opened_at, closed_at, expected, counted,
		note, ledger_entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.CashierID, s.CashierName, s.OpenedAt, s.ClosedAt,
		s.Expected, s.Counted, s.Note, s.LedgerEntryID)
	if err != nil {
		return 0, fmt.Errorf("write shift of %s: %w", s.CashierID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, p := range paymentIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET shift_id = ? WHERE id = ?`, id, p); err != nil {
			return 0, fmt.Errorf("put payment %s in shift %d: %w", p, id, err)
		}
	}
	return id, nil
}

// PaymentsToCheck lists the payments recovery looks at: those processing
// or in review, and the paid card payments whose terminal attempt has not
// ended charged (the attempt was recorded but not confirmed when feepos
// stopped, or its confirmation failed), oldest first.
func (db *DB) PaymentsToCheck(ctx context.Context) ([]PaymentRow, error) {
	var out []PaymentRow
	err := db.db.SelectContext(ctx, &out, `SELECT `+paymentColumns+` FROM payments p
		WHERE p.status IN ('processing', 'needs_review')
		   OR (p.status = 'paid' AND p.method = 'card' AND p.attempt_id <> '' AND
		       (SELECT s.state FROM terminal_attempt_states s WHERE s.attempt_id = p.attempt_id ORDER BY s.seq DESC LIMIT 1)
		       NOT IN ('confirmed', 'settled_charged'))
		ORDER BY p.created_at, p.id`)
	if err != nil {
		return nil, fmt.Errorf("list payments to check: %w", err)
	}
	return out, nil
}
