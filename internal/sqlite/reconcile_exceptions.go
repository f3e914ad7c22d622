package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// Exceptions and their resolutions (migration 0014). An exception is
// stored the day it is first seen and keeps its id while later runs see
// it again; it is open while it has a resolution not undone.

// StoredException is an exception with its identity and state.
type StoredException struct {
	ID        int64  `json:"id"`
	Key       string `json:"-"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	reconcile.Exception
	Open       bool         `json:"open"`
	Resolution *Resolution  `json:"resolution,omitempty"` // the one in force
	History    []Resolution `json:"history,omitempty"`
}

// Resolution is a resolution row.
type Resolution struct {
	ID          int64     `json:"id" db:"id"`
	ExceptionID int64     `json:"exception_id" db:"exception_id"`
	Action      string    `json:"action" db:"action"` // match, write_off, unmatch, auto
	Reason      string    `json:"reason" db:"reason"`
	Actor       string    `json:"actor" db:"actor"`
	At          time.Time `json:"at" db:"-"`
	Date        string    `json:"date,omitempty" db:"date"`
	MatchID     int64     `json:"match_id,omitempty" db:"-"`
	Undoes      int64     `json:"undoes,omitempty" db:"-"`
}

// ErrNoException is an exception id that does not exist.
type ErrNoException struct{ ID int64 }

func (e *ErrNoException) Error() string {
	return fmt.Sprintf("exception %d does not exist: list them with feepos reconcile exceptions", e.ID)
}

// ErrorCode marks it as not found.
func (e *ErrNoException) ErrorCode() string { return "not_found" }

type exceptionRow struct {
	ID               int64         `db:"id"`
	Key              string        `db:"key"`
	Kind             string        `db:"kind"`
	FirstSeen        string        `db:"first_seen"`
	LastSeen         string        `db:"last_seen"`
	PaymentID        string        `db:"payment_id"`
	SettlementID     string        `db:"settlement_id"`
	BankID           string        `db:"bank_id"`
	TerminalID       string        `db:"terminal_id"`
	TraceNo          int64         `db:"trace_no"`
	ApprovalCode     string        `db:"approval_code"`
	RRN              string        `db:"rrn"`
	LedgerAmount     sql.NullInt64 `db:"ledger_amount"`
	SettlementAmount sql.NullInt64 `db:"settlement_amount"`
	Detail           string        `db:"detail"`
	Open             bool          `db:"open"`
}

const exceptionColumns = `id, key, kind, first_seen, last_seen, payment_id, settlement_id, bank_id, terminal_id, trace_no,
	approval_code, rrn, ledger_amount, settlement_amount, detail,
	NOT EXISTS (SELECT 1 FROM reconcile_resolutions r WHERE r.exception_id = x.id AND r.action <> 'unmatch'
		AND NOT EXISTS (SELECT 1 FROM reconcile_resolutions u WHERE u.undoes = r.id)) AS open`

func (r exceptionRow) stored() StoredException {
	e := StoredException{ID: r.ID, Key: r.Key, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Open: r.Open,
		Exception: reconcile.Exception{Kind: reconcile.ExceptionKind(r.Kind), PaymentID: r.PaymentID, SettlementID: r.SettlementID,
			BankID: r.BankID, TerminalID: r.TerminalID, TraceNo: r.TraceNo, ApprovalCode: r.ApprovalCode, RRN: r.RRN, Detail: r.Detail}}
	if r.LedgerAmount.Valid {
		v := r.LedgerAmount.Int64
		e.LedgerAmount = &v
	}
	if r.SettlementAmount.Valid {
		v := r.SettlementAmount.Int64
		e.SettlementAmount = &v
	}
	return e
}

// UpsertException stores e seen on date under key: a new exception
// (first seen that day), or the same one seen again (last_seen moves on;
// the figures and the detail stay those of the first sighting). It
// returns the stored exception.
func (tx *Tx) UpsertException(ctx context.Context, key, date string, e reconcile.Exception) (StoredException, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO reconcile_exceptions
		(key, kind, first_seen, last_seen, payment_id, settlement_id, bank_id, terminal_id, trace_no, approval_code, rrn,
		 ledger_amount, settlement_amount, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
		key, string(e.Kind), date, date, e.PaymentID, e.SettlementID, e.BankID, e.TerminalID, e.TraceNo, e.ApprovalCode, e.RRN,
		e.LedgerAmount, e.SettlementAmount, e.Detail)
	if err != nil {
		tx.halfDone(err)
		return StoredException{}, fmt.Errorf("store exception %s: %w", e.Kind, err)
	}
	var r exceptionRow
	if err := tx.GetContext(ctx, &r, `SELECT `+exceptionColumns+` FROM reconcile_exceptions x WHERE key = ?`, key); err != nil {
		return StoredException{}, fmt.Errorf("read exception back: %w", err)
	}
	return r.stored(), nil
}

// TouchException marks an open exception seen again on date.
func (tx *Tx) TouchException(ctx context.Context, id int64, date string) error {
	_, err := tx.ExecContext(ctx, `UPDATE reconcile_exceptions SET last_seen = max(last_seen, ?) WHERE id = ?`, date, id)
	return err
}

// ExceptionFilter selects exceptions.
type ExceptionFilter struct {
	OpenOnly bool
	// SeenBy: only those first seen on or before this date (empty: all).
	SeenBy string
}

func listExceptions(ctx context.Context, q querier, f ExceptionFilter) ([]StoredException, error) {
	var rows []exceptionRow
	err := q.SelectContext(ctx, &rows, `SELECT * FROM (SELECT `+exceptionColumns+` FROM reconcile_exceptions x)
		WHERE (? = 0 OR open) AND (? = '' OR first_seen <= ?) ORDER BY first_seen, id`, f.OpenOnly, f.SeenBy, f.SeenBy)
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", err)
	}
	out := make([]StoredException, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.stored())
	}
	return out, nil
}

// Exceptions lists exceptions, oldest first.
func (tx *Tx) Exceptions(ctx context.Context, f ExceptionFilter) ([]StoredException, error) {
	return listExceptions(ctx, tx, f)
}

// Exceptions lists exceptions, oldest first, each with its resolutions.
func (db *DB) Exceptions(ctx context.Context, f ExceptionFilter) ([]StoredException, error) {
	out, err := listExceptions(ctx, db.db, f)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := withResolutions(ctx, db.db, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Exception reads one exception with its resolutions.
func (tx *Tx) Exception(ctx context.Context, id int64) (StoredException, error) {
	var r exceptionRow
	err := tx.GetContext(ctx, &r, `SELECT `+exceptionColumns+` FROM reconcile_exceptions x WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredException{}, &ErrNoException{ID: id}
	}
	if err != nil {
		return StoredException{}, fmt.Errorf("read exception %d: %w", id, err)
	}
	e := r.stored()
	return e, withResolutions(ctx, tx, &e)
}

func withResolutions(ctx context.Context, q querier, e *StoredException) error {
	var rows []struct {
		Resolution
		AtS     string        `db:"at"`
		MatchID sql.NullInt64 `db:"match_id"`
		Undoes  sql.NullInt64 `db:"undoes"`
	}
	if err := q.SelectContext(ctx, &rows, `SELECT id, exception_id, action, reason, actor, at, date, match_id, undoes
		FROM reconcile_resolutions WHERE exception_id = ? ORDER BY id`, e.ID); err != nil {
		return fmt.Errorf("read the resolutions of exception %d: %w", e.ID, err)
	}
	undone := map[int64]bool{}
	e.History = nil
	for _, r := range rows {
		res := r.Resolution
		res.At, _ = time.Parse(time.RFC3339Nano, r.AtS)
		res.MatchID, res.Undoes = r.MatchID.Int64, r.Undoes.Int64
		if res.Undoes != 0 {
			undone[res.Undoes] = true
		}
		e.History = append(e.History, res)
	}
	e.Resolution = nil
	for i := len(e.History) - 1; i >= 0; i-- {
		if h := e.History[i]; h.Action != "unmatch" && !undone[h.ID] {
			e.Resolution = &e.History[i]
			break
		}
	}
	return nil
}

// InsertResolution stores a resolution and returns its id.
func (tx *Tx) InsertResolution(ctx context.Context, r Resolution) (int64, error) {
	var match, undoes any
	if r.MatchID != 0 {
		match = r.MatchID
	}
	if r.Undoes != 0 {
		undoes = r.Undoes
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO reconcile_resolutions (exception_id, action, reason, actor, at, date, match_id, undoes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ExceptionID, r.Action, r.Reason, r.Actor, tx.Now.UTC().Format(time.RFC3339Nano), r.Date, match, undoes)
	if err != nil {
		tx.halfDone(err)
		return 0, fmt.Errorf("store the resolution of exception %d: %w", r.ExceptionID, err)
	}
	return res.LastInsertId()
}
