package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

func newAttempt(t *testing.T, db *sqlite.DB, id string, at time.Time) terminals.Attempt {
	t.Helper()
	a := terminals.Attempt{ID: id, Terminal: "T1", Protocol: pos.ZVT, Kind: pos.KindPay, Amount: 150_000,
		Reference: id, Cashier: "thu.ngan", TraceBefore: 41, StartedAt: at}
	require.NoError(t, db.CreateAttempt(context.Background(), a, at))
	return a
}

func setState(t *testing.T, db *sqlite.DB, id string, s terminals.State, at time.Time) error {
	t.Helper()
	return db.SetAttemptState(context.Background(), id, terminals.StateChange{State: s, At: at, Reason: "test " + string(s)})
}

// The store keeps the legal transitions only: the same table in Go and in
// SQL, and a refused change leaves the attempt as it was.
func TestAttemptTransitions(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	at := testNow

	// Every legal path of terminals.Transitions is accepted by SQLite.
	n := 0
	var walk func(path []terminals.State)
	walk = func(path []terminals.State) {
		last := path[len(path)-1]
		next := terminals.Transitions[last]
		if len(next) == 0 {
			n++
			id := "p" + time.Duration(n).String()
			newAttempt(t, db, id, at)
			for _, s := range path[1:] {
				require.NoError(t, setState(t, db, id, s, at), "%v", path)
			}
			rec, err := db.Attempt(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, last, rec.State)
			assert.Len(t, rec.History, len(path))
			return
		}
		for _, s := range next {
			walk(append(append([]terminals.State(nil), path...), s))
		}
	}
	walk([]terminals.State{terminals.StatePrepared})
	assert.Greater(t, n, 20)

	// Illegal changes are refused, in Go and by the trigger.
	newAttempt(t, db, "a1", at)
	for _, s := range []terminals.State{terminals.StateConfirmed, terminals.StateHeld, terminals.StateSettledCharged, terminals.StateInDoubt} {
		err := setState(t, db, "a1", s, at)
		require.ErrorIs(t, err, terminals.ErrIllegalTransition, "prepared → %s", s)
	}
	require.NoError(t, setState(t, db, "a1", terminals.StateSent, at))
	require.NoError(t, setState(t, db, "a1", terminals.StateDeclined, at))
	err := setState(t, db, "a1", terminals.StateInDoubt, at)
	require.ErrorIs(t, err, terminals.ErrIllegalTransition, "a final state never changes")
	assert.Contains(t, err.Error(), "attempt a1 is declined and cannot become in_doubt")
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO terminal_attempt_states (attempt_id, seq, state, at) VALUES ('a1', 4, 'settled_charged', 'x')`)
	require.Error(t, err, "the trigger refuses what Go would not write")
	assert.Contains(t, err.Error(), "illegal attempt state change")
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO terminal_attempt_states (attempt_id, seq, state, at) VALUES ('a1', 9, 'sent', 'x')`)
	require.Error(t, err, "seq must follow")
	err = setState(t, db, "nope", terminals.StateSent, at)
	require.ErrorIs(t, err, terminals.ErrIllegalTransition)

	// The legal transitions are data, the same as terminals.Transitions,
	// and fixed.
	var rows []struct {
		From string `db:"from_state"`
		To   string `db:"to_state"`
	}
	require.NoError(t, db.SQL().SelectContext(ctx, &rows, `SELECT from_state, to_state FROM terminal_attempt_transitions`))
	got := map[terminals.State][]terminals.State{}
	for _, r := range rows {
		got[terminals.State(r.From)] = append(got[terminals.State(r.From)], terminals.State(r.To))
	}
	for from, tos := range terminals.Transitions {
		assert.ElementsMatch(t, tos, got[from], "from %q", from)
	}
	assert.Len(t, got, len(terminals.Transitions))
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO terminal_attempt_transitions VALUES ('declined', 'settled_charged')`)
	assert.ErrorContains(t, err, "fixed by the migrations")
	_, err = db.SQL().ExecContext(ctx, `DELETE FROM terminal_attempt_transitions`)
	assert.ErrorContains(t, err, "fixed by the migrations")
}

// Attempts, their states and evidence are never changed or deleted.
func TestAttemptRecordsAreAppendOnly(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	newAttempt(t, db, "a1", testNow)
	id, err := db.AddEvidence(ctx, terminals.Evidence{AttemptID: "a1", Terminal: "T1", Source: terminals.EvidenceNote, At: testNow, Note: "x"})
	require.NoError(t, err)
	for _, stmt := range []string{
		`UPDATE terminal_attempts SET amount = 1`,
		`DELETE FROM terminal_attempts`,
		`UPDATE terminal_attempt_states SET state = 'confirmed'`,
		`DELETE FROM terminal_attempt_states`,
		`UPDATE terminal_evidence SET note = 'changed'`,
		`DELETE FROM terminal_evidence`,
	} {
		_, err := db.SQL().ExecContext(ctx, stmt)
		assert.Error(t, err, stmt)
	}
	rec, err := db.Attempt(ctx, "a1")
	require.NoError(t, err)
	require.Len(t, rec.Evidence, 1)
	assert.Equal(t, id, rec.Evidence[0].ID)
	assert.Equal(t, "x", rec.Evidence[0].Note)
	assert.EqualValues(t, 150_000, rec.Amount)
}

// What the store gives back is what was written: facts, history with the
// deadline, evidence with result, wire and finding; open attempts, loose
// orphans, references, the latest attempt and the last trace.
func TestAttemptStoreRoundTrip(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	t0 := testNow.UTC()
	a := newAttempt(t, db, "a1", t0)
	newAttempt(t, db, "a2", t0.Add(time.Minute))
	require.NoError(t, setState(t, db, "a1", terminals.StateSent, t0))
	deadline := t0.Add(90 * time.Second)
	res := pos.Result{Outcome: pos.Approved, Amount: 150_000, TraceNo: 42, ReceiptNo: 7, PANMasked: "411111******1111", Date: "07-15", Time: "10:00:01"}
	require.NoError(t, db.SetAttemptResult(ctx, "a1", terminals.StateChange{State: terminals.StateHeld, At: t0, Reason: "held", Deadline: deadline}, res))

	f := pos.Finding{Verdict: pos.NotCharged, Reason: "because"}
	orphan, err := db.AddEvidence(ctx, terminals.Evidence{Terminal: "T1", Source: pos.EvidenceOrphan, At: t0.Add(time.Second), Result: &res, Refused: true, Raw: "040F"})
	require.NoError(t, err)
	_, err = db.AddEvidence(ctx, terminals.Evidence{AttemptID: "a1", Terminal: "T1", Source: pos.EvidenceOrphan, At: t0.Add(2 * time.Second), Result: &res, Finding: &f, RefersTo: orphan})
	require.NoError(t, err)
	wire := []terminals.TapEntry{{Seq: 1, At: t0, Protocol: pos.ZVT, Direction: "ecr_to_pt", Hex: "06 01", Message: pos.Message{Protocol: pos.ZVT, Kind: "authorization", Raw: "0601"}}}
	_, err = db.AddEvidence(ctx, terminals.Evidence{AttemptID: "a1", Terminal: "T1", Source: terminals.EvidenceWire, At: t0, Wire: wire, WireLost: 3})
	require.NoError(t, err)

	rec, err := db.Attempt(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, a, rec.Attempt)
	assert.Equal(t, terminals.StateHeld, rec.State)
	require.Len(t, rec.History, 3)
	assert.True(t, deadline.Equal(rec.History[2].Deadline))
	require.Len(t, rec.Evidence, 3)
	assert.Equal(t, terminals.EvidenceResult, rec.Evidence[0].Source)
	assert.Equal(t, res, *rec.Evidence[0].Result)
	assert.Equal(t, f, *rec.Evidence[1].Finding)
	assert.Equal(t, orphan, rec.Evidence[1].RefersTo)
	assert.Equal(t, wire[0].Hex, rec.Evidence[2].Wire[0].Hex)
	assert.EqualValues(t, 3, rec.Evidence[2].WireLost)

	loose, err := db.TerminalEvidence(ctx, "T1", t0)
	require.NoError(t, err)
	require.Len(t, loose, 1)
	assert.True(t, loose[0].Refused)
	assert.Equal(t, "040F", loose[0].Raw)
	loose, err = db.TerminalEvidence(ctx, "T1", t0.Add(2*time.Second))
	require.NoError(t, err)
	assert.Empty(t, loose, "received before since")

	open, err := db.OpenAttempts(ctx, "T1")
	require.NoError(t, err)
	require.Len(t, open, 2)
	assert.Equal(t, "a1", open[0].ID, "oldest first")
	open, err = db.OpenAttempts(ctx, "T9")
	require.NoError(t, err)
	assert.Empty(t, open)
	require.NoError(t, setState(t, db, "a1", terminals.StateConfirmed, t0))
	open, err = db.OpenAttempts(ctx, "")
	require.NoError(t, err)
	require.Len(t, open, 1, "a confirmed attempt is not open")
	assert.Equal(t, "a2", open[0].ID)

	got, ok, err := db.AttemptByReference(ctx, "T1", "a1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, terminals.StateConfirmed, got.State)
	_, ok, err = db.AttemptByReference(ctx, "T1", "zz")
	require.NoError(t, err)
	assert.False(t, ok)
	latest, err := db.LatestAttemptID(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, "a2", latest)

	ti, err := db.LastTrace(ctx, "T1")
	require.NoError(t, err)
	assert.Zero(t, ti)
	require.NoError(t, db.SetLastTrace(ctx, "T1", terminals.TraceInfo{Trace: 42, Certain: true, At: t0, Source: "result"}))
	require.NoError(t, db.SetLastTrace(ctx, "T1", terminals.TraceInfo{Trace: 42, Certain: false, At: t0, Source: "abort"}))
	ti, err = db.LastTrace(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, terminals.TraceInfo{Trace: 42, Certain: false, At: t0, Source: "abort"}, ti)
}

// The payment workflow records the attempt in its own transaction: with
// the payment, or not at all; never after the hold's deadline or once the
// attempt ended otherwise.
func TestMarkAttemptRecorded(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	t0 := testNow.UTC()
	held := func(id string, deadline time.Time) {
		newAttempt(t, db, id, t0)
		require.NoError(t, setState(t, db, id, terminals.StateSent, t0))
		require.NoError(t, db.SetAttemptResult(ctx, id, terminals.StateChange{State: terminals.StateHeld, At: t0, Deadline: deadline}, pos.Result{Outcome: pos.Approved}))
	}
	state := func(id string) terminals.State {
		rec, err := db.Attempt(ctx, id)
		require.NoError(t, err)
		return rec.State
	}

	// Recorded together with the payment's own rows.
	held("a1", t0.Add(time.Hour))
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO terminal_traces (terminal, trace, certain, at) VALUES ('payment-row', 1, 1, 'x')`); err != nil {
			return err
		}
		return tx.MarkAttemptRecorded(ctx, "a1", "")
	}))
	assert.Equal(t, terminals.StateRecorded, state("a1"))

	// The payment failed: the attempt stays held.
	held("a2", t0.Add(time.Hour))
	err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
		require.NoError(t, tx.MarkAttemptRecorded(ctx, "a2", ""))
		return assert.AnError
	})
	require.ErrorIs(t, err, assert.AnError)
	assert.Equal(t, terminals.StateHeld, state("a2"))

	// Past the deadline: refused.
	held("a3", t0.Add(-time.Second))
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.MarkAttemptRecorded(ctx, "a3", "") })
	require.ErrorIs(t, err, terminals.ErrIllegalTransition)
	assert.Contains(t, err.Error(), "do not book it")

	// Expired (or confirmed, or recorded twice): refused.
	require.NoError(t, setState(t, db, "a2", terminals.StateExpired, t0))
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.MarkAttemptRecorded(ctx, "a2", "") })
	require.ErrorIs(t, err, terminals.ErrIllegalTransition)
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.MarkAttemptRecorded(ctx, "a1", "") })
	require.ErrorIs(t, err, terminals.ErrIllegalTransition)

	// Recorded before the manager wrote "held" (it writes the result
	// after handing it over): the result then keeps the state recorded.
	newAttempt(t, db, "a4", t0)
	require.NoError(t, setState(t, db, "a4", terminals.StateSent, t0))
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error { return tx.MarkAttemptRecorded(ctx, "a4", "") }))
	require.NoError(t, db.SetAttemptResult(ctx, "a4", terminals.StateChange{State: terminals.StateHeld, At: t0}, pos.Result{Outcome: pos.Approved, TraceNo: 9}))
	rec, err := db.Attempt(ctx, "a4")
	require.NoError(t, err)
	assert.Equal(t, terminals.StateRecorded, rec.State)
	require.Len(t, rec.Evidence, 1)
	assert.EqualValues(t, 9, rec.Evidence[0].Result.TraceNo)
	require.NoError(t, setState(t, db, "a4", terminals.StateConfirmed, t0))

	_, err = db.Attempt(ctx, "nope")
	require.ErrorIs(t, err, terminals.ErrAttemptNotFound)
}
