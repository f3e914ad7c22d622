package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// How /verify knows whether a receipt's hash chain holds, without reading
// every receipt on a request's path (issue 12: 100,000 receipts take
// seconds to walk):
//
//   - a full walk (sqlite.DB.VerifyReceipts: every chain from genesis,
//     replacements, counters) runs in the background, at start and then
//     whenever the receipts changed, at most every verifyWalkEvery, and at
//     least every verifyWalkMaxAge;
//   - a request uses the latest full walk, and for a receipt issued after
//     it checks only the receipts of its chain between the walk's head and
//     the receipt (sqlite.DB.VerifyReceiptsAfter: the same per-receipt
//     checks), then keeps the head it reached for the next request.
//
// A problem found by either makes the receipts of that chain "broken".
const (
	verifyWalkEvery  = 2 * time.Minute
	verifyWalkMaxAge = 30 * time.Minute
	// verifyFirstWalkWait is how long a request arriving before the first
	// full walk has finished (just after a start) waits for it. A small
	// database is walked in milliseconds, so its pages are complete from
	// the first request; a large one takes seconds, which no citizen
	// should wait for: past the bound the page says the chain could not be
	// checked yet ("chưa kiểm tra được … thử lại sau") rather than check
	// the chain from genesis on the request's path, and a retry a few
	// seconds later has the answer. The window is only the first walk
	// after a start.
	verifyFirstWalkWait = 200 * time.Millisecond
)

type chainKey struct{ template, letters string }

// chainChecker keeps the latest full walk and the heads the incremental
// checks reached since.
type chainChecker struct {
	db                       *sqlite.DB
	log                      *slog.Logger
	every, maxAge, firstWait time.Duration // the constants above; tests change them before start

	cancel context.CancelFunc
	done   chan struct{} // closed when the walker has stopped
	ready  chan struct{} // closed when the first full walk has ended (done or failed)
	kick   chan struct{} // a test asks for a walk now

	mu               sync.Mutex
	started, stopped bool
	gen              int64                  // full walks finished: an incremental result of an older walk is dropped
	full             *receipts.VerifyReport // the latest full walk, nil before the first
	heads            map[chainKey]receipts.ChainHead
	broken           map[chainKey]string // chain → bad receipt, found by an incremental check since the walk

	incMu sync.Mutex // one incremental check at a time: concurrent requests reuse its head

	fullWalks, incChecks atomic.Int64 // counted for tests
}

func newChainChecker(db *sqlite.DB, log *slog.Logger) *chainChecker {
	return &chainChecker{db: db, log: log, every: verifyWalkEvery, maxAge: verifyWalkMaxAge, firstWait: verifyFirstWalkWait,
		done: make(chan struct{}), ready: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// start runs the background walker, once: later calls, and calls after
// stop, do nothing.
func (c *chainChecker) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.stopped {
		return
	}
	c.started = true
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(ctx)
}

// stop ends the walker (a walk under way is cancelled) and waits for it.
// Requests still answer from the last walk, and check incrementally.
func (c *chainChecker) stop() {
	c.mu.Lock()
	running := c.started && !c.stopped
	c.stopped = true
	c.mu.Unlock()
	if running {
		c.cancel()
		<-c.done
	}
}

func (c *chainChecker) run(ctx context.Context) {
	defer close(c.done)
	var (
		last     sqlite.ReceiptsVersion
		walked   time.Time
		haveWalk bool
		readyed  bool
	)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		v, err := c.db.ReceiptsVersion(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			c.log.Error("verify: read receipts version", "err", err)
		case !haveWalk || v != last || time.Since(walked) >= c.maxAge:
			if c.walk(ctx) {
				last, walked, haveWalk = v, time.Now(), true
			}
		}
		if !readyed {
			close(c.ready)
			readyed = true
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
	}
}

// walk runs one full walk and makes it the one requests use.
func (c *chainChecker) walk(ctx context.Context) bool {
	c.fullWalks.Add(1)
	rep, err := c.db.VerifyReceipts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("verify: walk receipt chains", "err", err)
		}
		return false
	}
	if !rep.OK {
		c.log.Warn("verify: a receipt chain does not hold", "receipt", rep.Bad, "problem", rep.Problem)
	}
	heads := map[chainKey]receipts.ChainHead{}
	for _, h := range rep.Chains {
		heads[chainKey{h.Template, h.Letters}] = h
	}
	c.mu.Lock()
	c.gen++
	c.full, c.heads, c.broken = &rep, heads, map[chainKey]string{}
	c.mu.Unlock()
	return true
}

// state says whether rc's chain holds, and which receipt broke it. It
// never walks every chain: see the top of this file.
func (c *chainChecker) state(ctx context.Context, rc receipts.Receipt) (state, bad string) {
	_, letters, err := receipts.ParseSeries(rc.Series)
	if err != nil {
		return chainUnknown, ""
	}
	key := chainKey{rc.Template, letters}
	select {
	case <-c.ready:
	default:
		wait := time.NewTimer(c.firstWait)
		select {
		case <-c.ready:
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
	}

	c.mu.Lock()
	full, gen := c.full, c.gen
	if full == nil {
		c.mu.Unlock()
		return chainUnknown, "" // the first walk has not finished
	}
	if !full.OK {
		c.mu.Unlock()
		// The walk stops at its first problem: chains after it were not
		// walked, so only rc's own chain is known (broken).
		return chainState(*full, rc)
	}
	if b, ok := c.broken[key]; ok {
		c.mu.Unlock()
		return chainBroken, b
	}
	head := c.headOf(key)
	c.mu.Unlock()
	if coversHead(head, rc) {
		return chainIntact, ""
	}

	c.incMu.Lock()
	defer c.incMu.Unlock()
	c.mu.Lock() // another request may have checked this far meanwhile
	if c.gen == gen {
		if b, ok := c.broken[key]; ok {
			c.mu.Unlock()
			return chainBroken, b
		}
		head = c.headOf(key)
	}
	c.mu.Unlock()
	if coversHead(head, rc) {
		return chainIntact, ""
	}
	c.incChecks.Add(1)
	rep, err := c.db.VerifyReceiptsAfter(ctx, []receipts.ChainHead{head}, rc.Ref)
	if err != nil {
		c.log.Error("verify: check receipt chain after its head", "receipt", rc.Ref.String(), "err", err)
		return chainUnknown, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !rep.OK {
		c.log.Warn("verify: a receipt chain does not hold", "receipt", rep.Bad, "problem", rep.Problem)
		if c.gen == gen {
			c.broken[key] = rep.Bad
		}
		return chainBroken, rep.Bad
	}
	next := rep.Chains[0]
	if c.gen == gen {
		c.heads[key] = next
	}
	if coversHead(next, rc) {
		return chainIntact, ""
	}
	// rc was read before the check, so the check's snapshot holds it:
	// not reached means the chain ended before it (it was deleted since).
	return chainUnknown, ""
}

// headOf is key's head, or its genesis when the walk found no receipt of
// the chain (so all of its receipts were issued since). c.mu is held.
func (c *chainChecker) headOf(key chainKey) receipts.ChainHead {
	if h, ok := c.heads[key]; ok {
		return h
	}
	return receipts.ChainHead{Template: key.template, Letters: key.letters}
}

// coversHead: the chain was checked at least up to rc.
func coversHead(h receipts.ChainHead, rc receipts.Receipt) bool {
	return h.Series != "" && covers(receipts.VerifyReport{OK: true, Chains: []receipts.ChainHead{h}}, rc)
}
