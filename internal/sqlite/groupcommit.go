package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Group commit: writes made at the same moment by different callers
// (counters posting entries, issuing receipts, the settlement job) share one
// durable commit. Each caller's write runs in its own SAVEPOINT, so a
// refused write is rolled back alone and its caller gets its own error;
// every caller is answered only after the COMMIT that holds its write has
// returned, so durability is that of one commit per write. Sixteen writers
// then post at several times the rate of one transaction each
// (docs/BENCHMARKS.md), and the receipts of a batch are signed in parallel
// (receipt_signatures.go).
//
// There is no background goroutine: the caller that gets the write lock
// leads, writing the queue (its own write included) in batches of at most
// maxGroup until its own write is done.

// maxGroup bounds one batch so that a caller never waits behind an
// unbounded queue.
const maxGroup = 128

type groupItem struct {
	ctx  context.Context
	run  func(ctx context.Context, tx *Tx) error
	done bool
	err  error
}

type groupQueue struct {
	mu    sync.Mutex
	items []*groupItem
}

func (q *groupQueue) push(it *groupItem) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
}

func (q *groupQueue) take(n int) []*groupItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.items))
	batch := make([]*groupItem, n)
	copy(batch, q.items[:n])
	q.items = q.items[n:]
	return batch
}

// inGroup runs fn in a group commit and returns its own error once the
// commit holding its writes is durable (or has failed). fn may run on
// another caller's goroutine; it must keep what it returns in variables the
// caller reads after inGroup returns nil.
func (db *DB) inGroup(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &groupItem{ctx: ctx, run: fn}
	db.group.push(it)
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	for !it.done { // an earlier leader may have written it already
		db.commitGroup(db.group.take(maxGroup))
	}
	return it.err
}

// inGroupValue is inGroup for a write that returns a value: the value when
// its commit is durable, the zero value and the error otherwise.
func inGroupValue[T any](ctx context.Context, db *DB, write func(ctx context.Context, tx *Tx) (T, error)) (T, error) {
	var out T
	err := db.inGroup(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		out, err = write(ctx, tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// errBatchAbandoned is what the other callers of a batch hear when one of
// its writes panicked: the batch was rolled back.
var errBatchAbandoned = errors.New("write not stored: another write of its group commit panicked and the whole batch was rolled back; try again")

// commitGroup writes a batch in one transaction. Called with writeMu held.
func (db *DB) commitGroup(batch []*groupItem) {
	// The statements run under a context that is never cancelled: a
	// cancellable one makes the driver start a goroutine per statement, and
	// one caller giving up must not abort the others' commit. A caller
	// whose context has ended before its turn is skipped.
	ctx := context.Background()
	fail := func(err error) {
		for _, it := range batch {
			if !it.done {
				it.done, it.err = true, err
			}
		}
	}
	// Every path below answers every item, except a panic in a write (the
	// HTTP server recovers it and goes on): an unanswered caller would then
	// lead empty batches in inGroup for ever, holding writeMu, and every
	// write of the process would stop. On the other paths this does nothing.
	defer fail(errBatchAbandoned)
	tx, err := db.beginOnWriter(ctx)
	if err != nil {
		fail(fmt.Errorf("begin transaction: %w", err))
		return
	}
	wtx := &Tx{Tx: tx, db: db, Now: db.Now().UTC(), parallelSign: len(batch) > 1} // the leader holds writeMu
	defer wtx.Rollback()

	var written []*groupItem
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.done, it.err = true, err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT entry"); err != nil {
			it.done, it.err = true, fmt.Errorf("savepoint: %w", err)
			continue
		}
		mark := wtx.savepoint()
		err := it.run(ctx, wtx)
		if err == nil && wtx.broken != nil { // it went on after a half-done write
			err = fmt.Errorf("not stored: a write failed half-way and the error was not returned: %w", wtx.broken)
		}
		if err != nil {
			it.done, it.err = true, err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO entry"); rerr != nil {
				fail(fmt.Errorf("roll back a refused write: %w", rerr))
				return
			}
			wtx.rollbackTo(mark)
		} else {
			written = append(written, it)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE entry"); err != nil {
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	// The receipts' signatures are awaited and stored last: a signer that
	// fails fails the whole batch (it is the organisation's key, not one
	// caller's input), and nothing of the batch is stored.
	if err := wtx.storeSignatures(ctx); err != nil {
		fail(err)
		return
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for _, it := range written {
		it.done = true
	}
}

// WithGroupTx runs fn as one write of a group commit: it is stored whole
// (its own SAVEPOINT) or not at all, and WithGroupTx returns when the
// commit that holds it is durable. Writes made at the same moment by other
// callers share that commit, and the receipts they issue are signed in
// parallel, outside the queue of single transactions; this is what lets
// sixteen counters record payments at once (docs/BENCHMARKS.md "Payments
// (issue 10)"). fn may run on another caller's goroutine and must use the
// ctx it is given (never cancelled: one caller giving up must not abort
// the others' commit; a caller whose ctx ended before its turn is not
// run). As with WithTx, write through tx only inside fn.
func (db *DB) WithGroupTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return db.inGroup(ctx, fn)
}
