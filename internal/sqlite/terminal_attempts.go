package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// The terminal manager's attempts, their state changes and evidence
// (migration 0007, docs/TERMINALS.md "Terminal manager"). *DB is its
// terminals.AttemptStore; each method is one transaction. The payment
// workflow records an attempt inside its own transaction with
// Tx.MarkAttemptRecorded, so that the payment and the attempt's state
// commit together.

var _ terminals.AttemptStore = (*DB)(nil)

// attemptTimeLayout has a fixed-width fraction, so stored times sort as
// text.
const attemptTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func attemptTime(t time.Time) string { return t.UTC().Format(attemptTimeLayout) }

func parseAttemptTime(s string) (time.Time, error) {
	t, err := time.Parse(attemptTimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// illegal turns the trigger's refusal into terminals.ErrIllegalTransition.
func illegal(err error) error {
	if err != nil && strings.Contains(err.Error(), "illegal attempt state change") {
		return fmt.Errorf("%w: %v", terminals.ErrIllegalTransition, err)
	}
	return err
}

// CreateAttempt writes a new attempt in state prepared.
func (db *DB) CreateAttempt(ctx context.Context, a terminals.Attempt, at time.Time) error {
	if a.ID == "" || a.Terminal == "" {
		return errors.New("attempt: id and terminal are required")
	}
	return db.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO terminal_attempts
			(id, terminal, protocol, kind, amount, reference, receipt_no, cashier, trace_before, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Terminal, string(a.Protocol), a.Kind, a.Amount, a.Reference, a.ReceiptNo, a.Cashier, a.TraceBefore, attemptTime(a.StartedAt)); err != nil {
			return fmt.Errorf("write attempt %s: %w", a.ID, err)
		}
		return tx.addAttemptState(ctx, a.ID, terminals.StateChange{State: terminals.StatePrepared, At: at, Reason: "written down before sending"})
	})
}

// SetAttemptState appends a state change of attempt id.
func (db *DB) SetAttemptState(ctx context.Context, id string, c terminals.StateChange) error {
	return db.WithTx(ctx, func(tx *Tx) error { return tx.addAttemptState(ctx, id, c) })
}

// SetAttemptResult stores the driver's result as evidence and the state
// it leads to; a held result of an attempt the caller already recorded
// keeps the state recorded.
func (db *DB) SetAttemptResult(ctx context.Context, id string, c terminals.StateChange, r pos.Result) error {
	return db.WithTx(ctx, func(tx *Tx) error {
		cur, _, err := tx.currentAttemptState(ctx, id)
		if err != nil {
			return err
		}
		if !(cur == terminals.StateRecorded && c.State == terminals.StateHeld) {
			if err := tx.addAttemptState(ctx, id, c); err != nil {
				return err
			}
		}
		terminal, err := tx.attemptTerminal(ctx, id)
		if err != nil {
			return err
		}
		_, err = tx.addEvidence(ctx, terminals.Evidence{AttemptID: id, Terminal: terminal, Source: terminals.EvidenceResult, At: c.At, Result: &r})
		return err
	})
}

// MarkAttemptRecorded records, inside the caller's transaction, that the
// payment of attempt id is stored: the attempt goes from held (or sent:
// the manager writes "held" just after handing the result over) to
// recorded, in the same commit as the payment. It refuses an attempt
// whose hold has passed its deadline, or that is in any other state (it
// expired, was rejected, or is already recorded): then the payment must
// not be booked as paid. The error matches terminals.ErrIllegalTransition.
func (tx *Tx) MarkAttemptRecorded(ctx context.Context, id, reason string) error {
	cur, deadline, err := tx.currentAttemptState(ctx, id)
	if err != nil {
		return err
	}
	if cur == terminals.StateHeld && !deadline.IsZero() && tx.Now.After(deadline) {
		return fmt.Errorf("%w: attempt %s: the terminal held its approval until %s, now past: do not book it, its result is refused",
			terminals.ErrIllegalTransition, id, deadline.Format(time.RFC3339))
	}
	if reason == "" {
		reason = "the payment is stored"
	}
	return tx.addAttemptState(ctx, id, terminals.StateChange{State: terminals.StateRecorded, At: tx.Now, Reason: reason})
}

// currentAttemptState is the attempt's last state and, when held, its
// deadline.
func (tx *Tx) currentAttemptState(ctx context.Context, id string) (terminals.State, time.Time, error) {
	var row struct {
		State    string         `db:"state"`
		Deadline sql.NullString `db:"deadline"`
	}
	err := tx.GetContext(ctx, &row, `SELECT state, deadline FROM terminal_attempt_states WHERE attempt_id = ? ORDER BY seq DESC LIMIT 1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("attempt %s: %w", id, terminals.ErrAttemptNotFound)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read attempt %s: %w", id, err)
	}
	var deadline time.Time
	if row.Deadline.Valid {
		if deadline, err = parseAttemptTime(row.Deadline.String); err != nil {
			return "", time.Time{}, err
		}
	}
	return terminals.State(row.State), deadline, nil
}

func (tx *Tx) attemptTerminal(ctx context.Context, id string) (string, error) {
	var terminal string
	if err := tx.GetContext(ctx, &terminal, `SELECT terminal FROM terminal_attempts WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("attempt %s: %w", id, terminals.ErrAttemptNotFound)
		}
		return "", err
	}
	return terminal, nil
}

// addAttemptState appends c to the attempt's states. The trigger checks
// the transition; the check here only gives the refusal words.
func (tx *Tx) addAttemptState(ctx context.Context, id string, c terminals.StateChange) error {
	var last struct {
		Seq   int64  `db:"seq"`
		State string `db:"state"`
	}
	err := tx.GetContext(ctx, &last, `SELECT seq, state FROM terminal_attempt_states WHERE attempt_id = ? ORDER BY seq DESC LIMIT 1`, id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read attempt %s: %w", id, err)
	}
	if !terminals.Legal(terminals.State(last.State), c.State) {
		from := last.State
		if from == "" {
			return fmt.Errorf("%w: attempt %s does not exist (or has no state) and cannot become %s", terminals.ErrIllegalTransition, id, c.State)
		}
		return fmt.Errorf("%w: attempt %s is %s and cannot become %s", terminals.ErrIllegalTransition, id, from, c.State)
	}
	var deadline any
	if !c.Deadline.IsZero() {
		deadline = attemptTime(c.Deadline)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO terminal_attempt_states (attempt_id, seq, state, at, reason, deadline) VALUES (?, ?, ?, ?, ?, ?)`,
		id, last.Seq+1, string(c.State), attemptTime(c.At), c.Reason, deadline); err != nil {
		return fmt.Errorf("attempt %s → %s: %w", id, c.State, illegal(err))
	}
	return nil
}

// AddEvidence appends evidence of an attempt or (AttemptID "") of a
// terminal, and returns its id.
func (db *DB) AddEvidence(ctx context.Context, e terminals.Evidence) (int64, error) {
	return withTxValue(ctx, db, func(tx *Tx) (int64, error) { return tx.addEvidence(ctx, e) })
}

func (tx *Tx) addEvidence(ctx context.Context, e terminals.Evidence) (int64, error) {
	var attempt, result, wire, verdict, refers any
	if e.AttemptID != "" {
		attempt = e.AttemptID
	}
	if e.Result != nil {
		b, err := json.Marshal(e.Result)
		if err != nil {
			return 0, err
		}
		result = string(b)
	}
	if len(e.Wire) > 0 {
		b, err := json.Marshal(e.Wire)
		if err != nil {
			return 0, err
		}
		wire = string(b)
	}
	reason := ""
	if e.Finding != nil {
		verdict, reason = string(e.Finding.Verdict), e.Finding.Reason
	}
	if e.RefersTo != 0 {
		refers = e.RefersTo
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO terminal_evidence
		(attempt_id, terminal, source, at, result, refused, raw, wire, wire_lost, verdict, reason, refers_to, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		attempt, e.Terminal, e.Source, attemptTime(e.At), result, e.Refused, e.Raw, wire, e.WireLost, verdict, reason, refers, e.Note)
	if err != nil {
		return 0, fmt.Errorf("store %s evidence of terminal %s: %w", e.Source, e.Terminal, err)
	}
	return res.LastInsertId()
}

type attemptRow struct {
	ID          string `db:"id"`
	Terminal    string `db:"terminal"`
	Protocol    string `db:"protocol"`
	Kind        string `db:"kind"`
	Amount      int64  `db:"amount"`
	Reference   string `db:"reference"`
	ReceiptNo   int64  `db:"receipt_no"`
	Cashier     string `db:"cashier"`
	TraceBefore int64  `db:"trace_before"`
	StartedAt   string `db:"started_at"`
}

const attemptColumns = `a.id, a.terminal, a.protocol, a.kind, a.amount, a.reference, a.receipt_no, a.cashier, a.trace_before, a.started_at`

// Attempt reads one attempt with its history and evidence.
func (db *DB) Attempt(ctx context.Context, id string) (terminals.AttemptRecord, error) {
	var row attemptRow
	err := db.db.GetContext(ctx, &row, `SELECT `+attemptColumns+` FROM terminal_attempts a WHERE a.id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return terminals.AttemptRecord{}, fmt.Errorf("attempt %s: %w", id, terminals.ErrAttemptNotFound)
	}
	if err != nil {
		return terminals.AttemptRecord{}, err
	}
	return db.attemptRecord(ctx, db.db, row)
}

// OpenAttempts lists the attempts not settled, oldest first, of terminal
// (or all, "").
func (db *DB) OpenAttempts(ctx context.Context, terminal string) ([]terminals.AttemptRecord, error) {
	var rows []attemptRow
	q := `SELECT ` + attemptColumns + ` FROM terminal_attempts_open o JOIN terminal_attempts a ON a.id = o.attempt_id`
	args := []any{}
	if terminal != "" {
		q += ` WHERE a.terminal = ?`
		args = append(args, terminal)
	}
	q += ` ORDER BY a.started_at, a.id`
	if err := db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read the open attempts: %w", err)
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

// AttemptByReference finds terminal's newest attempt with reference.
func (db *DB) AttemptByReference(ctx context.Context, terminal, reference string) (terminals.AttemptRecord, bool, error) {
	var row attemptRow
	err := db.db.GetContext(ctx, &row, `SELECT `+attemptColumns+` FROM terminal_attempts a
		WHERE a.terminal = ? AND a.reference = ? ORDER BY a.started_at DESC, a.id DESC LIMIT 1`, terminal, reference)
	if errors.Is(err, sql.ErrNoRows) {
		return terminals.AttemptRecord{}, false, nil
	}
	if err != nil {
		return terminals.AttemptRecord{}, false, err
	}
	rec, err := db.attemptRecord(ctx, db.db, row)
	return rec, err == nil, err
}

// LatestAttemptID is terminal's newest attempt, "" if none.
func (db *DB) LatestAttemptID(ctx context.Context, terminal string) (string, error) {
	var id string
	err := db.db.GetContext(ctx, &id, `SELECT id FROM terminal_attempts WHERE terminal = ? ORDER BY started_at DESC, id DESC LIMIT 1`, terminal)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// TerminalEvidence lists terminal's evidence kept with no attempt, from
// since on.
func (db *DB) TerminalEvidence(ctx context.Context, terminal string, since time.Time) ([]terminals.Evidence, error) {
	var rows []evidenceRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+evidenceColumns+` FROM terminal_evidence
		WHERE attempt_id IS NULL AND terminal = ? AND at >= ? ORDER BY id`, terminal, attemptTime(since)); err != nil {
		return nil, fmt.Errorf("read the evidence of terminal %s: %w", terminal, err)
	}
	return evidenceOf(rows)
}

type stateRow struct {
	State    string         `db:"state"`
	At       string         `db:"at"`
	Reason   string         `db:"reason"`
	Deadline sql.NullString `db:"deadline"`
}

type evidenceRow struct {
	ID        int64          `db:"id"`
	AttemptID sql.NullString `db:"attempt_id"`
	Terminal  string         `db:"terminal"`
	Source    string         `db:"source"`
	At        string         `db:"at"`
	Result    sql.NullString `db:"result"`
	Refused   bool           `db:"refused"`
	Raw       string         `db:"raw"`
	Wire      sql.NullString `db:"wire"`
	WireLost  uint64         `db:"wire_lost"`
	Verdict   sql.NullString `db:"verdict"`
	Reason    string         `db:"reason"`
	RefersTo  sql.NullInt64  `db:"refers_to"`
	Note      string         `db:"note"`
}

const evidenceColumns = `id, attempt_id, terminal, source, at, result, refused, raw, wire, wire_lost, verdict, reason, refers_to, note`

func (db *DB) attemptRecord(ctx context.Context, q querier, r attemptRow) (terminals.AttemptRecord, error) {
	started, err := parseAttemptTime(r.StartedAt)
	if err != nil {
		return terminals.AttemptRecord{}, err
	}
	rec := terminals.AttemptRecord{Attempt: terminals.Attempt{ID: r.ID, Terminal: r.Terminal, Protocol: pos.Protocol(r.Protocol),
		Kind: r.Kind, Amount: r.Amount, Reference: r.Reference, ReceiptNo: r.ReceiptNo, Cashier: r.Cashier,
		TraceBefore: r.TraceBefore, StartedAt: started}}
	var states []stateRow
	if err := q.SelectContext(ctx, &states, `SELECT state, at, reason, deadline FROM terminal_attempt_states WHERE attempt_id = ? ORDER BY seq`, r.ID); err != nil {
		return rec, fmt.Errorf("read the states of attempt %s: %w", r.ID, err)
	}
	for _, s := range states {
		c := terminals.StateChange{State: terminals.State(s.State), Reason: s.Reason}
		if c.At, err = parseAttemptTime(s.At); err != nil {
			return rec, err
		}
		if s.Deadline.Valid {
			if c.Deadline, err = parseAttemptTime(s.Deadline.String); err != nil {
				return rec, err
			}
		}
		rec.History = append(rec.History, c)
		rec.State = c.State
	}
	var evs []evidenceRow
	if err := q.SelectContext(ctx, &evs, `SELECT `+evidenceColumns+` FROM terminal_evidence WHERE attempt_id = ? ORDER BY id`, r.ID); err != nil {
		return rec, fmt.Errorf("read the evidence of attempt %s: %w", r.ID, err)
	}
	if rec.Evidence, err = evidenceOf(evs); err != nil {
		return rec, err
	}
	return rec, nil
}

func evidenceOf(rows []evidenceRow) ([]terminals.Evidence, error) {
	out := make([]terminals.Evidence, 0, len(rows))
	for _, r := range rows {
		at, err := parseAttemptTime(r.At)
		if err != nil {
			return nil, err
		}
		e := terminals.Evidence{ID: r.ID, AttemptID: r.AttemptID.String, Terminal: r.Terminal, Source: r.Source, At: at,
			Refused: r.Refused, Raw: r.Raw, WireLost: r.WireLost, RefersTo: r.RefersTo.Int64, Note: r.Note}
		if r.Result.Valid {
			e.Result = new(pos.Result)
			if err := json.Unmarshal([]byte(r.Result.String), e.Result); err != nil {
				return nil, fmt.Errorf("evidence %d: result: %w", r.ID, err)
			}
		}
		if r.Wire.Valid {
			if err := json.Unmarshal([]byte(r.Wire.String), &e.Wire); err != nil {
				return nil, fmt.Errorf("evidence %d: wire: %w", r.ID, err)
			}
		}
		if r.Verdict.Valid {
			e.Finding = &pos.Finding{Verdict: pos.Verdict(r.Verdict.String), Reason: r.Reason}
		}
		out = append(out, e)
	}
	return out, nil
}

// LastTrace reads terminal's last known trace number.
func (db *DB) LastTrace(ctx context.Context, terminal string) (terminals.TraceInfo, error) {
	var row struct {
		Trace   int64  `db:"trace"`
		Certain bool   `db:"certain"`
		At      string `db:"at"`
		Source  string `db:"source"`
	}
	err := db.db.GetContext(ctx, &row, `SELECT trace, certain, at, source FROM terminal_traces WHERE terminal = ?`, terminal)
	if errors.Is(err, sql.ErrNoRows) {
		return terminals.TraceInfo{}, nil
	}
	if err != nil {
		return terminals.TraceInfo{}, err
	}
	at, err := parseAttemptTime(row.At)
	if err != nil {
		return terminals.TraceInfo{}, err
	}
	return terminals.TraceInfo{Trace: row.Trace, Certain: row.Certain, At: at, Source: row.Source}, nil
}

// SetLastTrace keeps terminal's last known trace number.
func (db *DB) SetLastTrace(ctx context.Context, terminal string, t terminals.TraceInfo) error {
	return db.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO terminal_traces (terminal, trace, certain, at, source) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (terminal) DO UPDATE SET trace = excluded.trace, certain = excluded.certain, at = excluded.at, source = excluded.source`,
			terminal, t.Trace, t.Certain, attemptTime(t.At), t.Source)
		return err
	})
}
