package sqlite

import (
	"context"
	"fmt"
	"sync"

	"github.com/feepos/feepos/ledger"
)

// Group commit: entries posted at the same moment by different callers
// (counters, the settlement job) share one durable commit. Each entry runs
// in its own SAVEPOINT, so a refused entry is rolled back alone and its
// caller gets its own error; every caller is answered only after the COMMIT
// that holds its entry has returned, so durability is that of one commit per
// entry. Sixteen writers then post at several times the rate of one
// transaction each (docs/BENCHMARKS.md).
//
// There is no background goroutine: the caller that gets the write lock
// leads, posting the queue (its own entry included) in batches of at most
// maxGroup until its own entry is done.

// maxGroup bounds one batch so that a caller never waits behind an
// unbounded queue.
const maxGroup = 128

type groupItem struct {
	ctx  context.Context
	post func(ctx context.Context, tx *Tx) (ledger.Entry, error)
	done bool
	out  ledger.Entry
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

// postGrouped runs post in a group commit and returns its own result.
func (db *DB) postGrouped(ctx context.Context, post func(ctx context.Context, tx *Tx) (ledger.Entry, error)) (ledger.Entry, error) {
	if err := ctx.Err(); err != nil {
		return ledger.Entry{}, err
	}
	it := &groupItem{ctx: ctx, post: post}
	db.group.push(it)
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	for !it.done { // an earlier leader may have posted it already
		db.commitGroup(db.group.take(maxGroup))
	}
	return it.out, it.err
}

// commitGroup posts a batch in one transaction. Called with writeMu held.
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
	tx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin transaction: %w", err))
		return
	}
	wtx := &Tx{Tx: tx, db: db, Now: db.Now().UTC()} // the leader holds writeMu
	defer wtx.Rollback()

	var posted []*groupItem
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.done, it.err = true, err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT entry"); err != nil {
			it.done, it.err = true, fmt.Errorf("savepoint: %w", err)
			continue
		}
		out, err := it.post(ctx, wtx)
		if err != nil {
			it.done, it.err = true, err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO entry"); rerr != nil {
				fail(fmt.Errorf("roll back a refused entry: %w", rerr))
				return
			}
		} else {
			it.out = out
			posted = append(posted, it)
		}
		if _, err := tx.ExecContext(ctx, "RELEASE entry"); err != nil {
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, it := range posted {
			it.out, it.err = ledger.Entry{}, fmt.Errorf("commit: %w", err)
		}
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	for _, it := range posted {
		it.done = true
	}
}
