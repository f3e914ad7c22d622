package terminals

import (
	"context"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
)

// orphans keeps the answers drivers report with nothing waiting for them
// (pos.Orphan: Concert's late answer to an earlier reference, a ZVT status
// information after a reconnect). The driver's hook only queues them — it
// never waits for the database, and the queue has no bound, so none is
// dropped; one goroutine stores each as evidence, with the attempt whose
// reference it names when there is one, and offers it to the recovery of
// its terminal.
type orphans struct {
	m      *Manager
	mu     sync.Mutex
	queue  []orphan
	notify chan struct{}
	done   chan struct{}
}

type orphan struct {
	t *terminal
	o pos.Orphan
}

func newOrphans(m *Manager) *orphans {
	return &orphans{m: m, notify: make(chan struct{}, 1), done: make(chan struct{})}
}

// deliver is the driver's OnOrphan hook for terminal t.
func (q *orphans) deliver(t *terminal, o pos.Orphan) {
	if o.At.IsZero() {
		o.At = q.m.now()
	}
	q.mu.Lock()
	q.queue = append(q.queue, orphan{t, o})
	q.mu.Unlock()
	t.log.Warn("orphan answer from the terminal", "outcome", o.Result.Outcome, "reference", o.Result.Reference,
		"trace", o.Result.TraceNo, "amount", o.Result.Amount, "refused", o.Refused)
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// run stores the queued orphans until stop is closed and the queue is
// empty. A store that fails is tried again: an orphan may be the only
// proof of a charge.
func (q *orphans) run(stop <-chan struct{}) {
	defer close(q.done)
	for {
		q.mu.Lock()
		batch := q.queue
		q.queue = nil
		q.mu.Unlock()
		for i := 0; i < len(batch); {
			if q.store(batch[i]) {
				i++
				continue
			}
			select {
			case <-time.After(time.Second):
			case <-stop:
				// Closing: keep trying a little, then log what is lost.
				if !q.store(batch[i]) {
					batch[i].t.log.Error("orphan answer NOT stored (the database fails): note it by hand",
						"outcome", batch[i].o.Result.Outcome, "reference", batch[i].o.Result.Reference,
						"trace", batch[i].o.Result.TraceNo, "amount", batch[i].o.Result.Amount, "wire", batch[i].o.Wire)
				}
				i++
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.notify:
		case <-stop:
			q.mu.Lock()
			empty := len(q.queue) == 0
			q.mu.Unlock()
			if empty {
				return
			}
		}
	}
}

// store keeps one orphan; false if the store failed.
func (q *orphans) store(x orphan) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	t, o := x.t, x.o
	e := Evidence{Terminal: t.id, Source: pos.EvidenceOrphan, At: o.At, Result: &o.Result, Refused: o.Refused, Raw: o.Wire, Note: o.Note}
	if ref := o.Result.Reference; ref != "" {
		a, ok, err := q.m.store.AttemptByReference(ctx, t.id, ref)
		if err != nil {
			t.log.Error("orphan answer: attempt not looked up", "reference", ref, "err", err)
			return false
		}
		if ok {
			e.AttemptID = a.ID
		}
	}
	if _, err := q.m.store.AddEvidence(ctx, e); err != nil {
		t.log.Error("orphan answer not stored yet", "err", err)
		return false
	}
	t.log.Info("orphan answer kept as evidence", "attempt", e.AttemptID, "reference", o.Result.Reference, "trace", o.Result.TraceNo)
	if o.Result.TraceNo > 0 {
		t.orphanTrace.Store(o.Result.TraceNo) // for the worker (traceFromOrphan)
	}
	t.wakeRecovery()
	return true
}

// wakeRecovery asks the worker to offer new evidence to the attempts in
// doubt.
func (t *terminal) wakeRecovery() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
