package server

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
)

// chainOfJSON asks /verify for a receipt's chain state.
func chainOfJSON(t *testing.T, s *Server, number string) map[string]any {
	t.Helper()
	rec := getAccept(t, s, "/verify/EBL01/26TAA/"+number+"?format=json", "")
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	return got
}

// walkedOnce starts the walker and waits for its first full walk.
func walkedOnce(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.WaitReceiptChecks(ctx))
	require.EqualValues(t, 1, s.verify.chains.fullWalks.Load())
}

func dropTriggers(t *testing.T, db *sqlite.DB) {
	t.Helper()
	var names []string
	require.NoError(t, db.SQL().Select(&names, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'receipt%'`))
	for _, n := range names {
		_, err := db.SQL().Exec(`DROP TRIGGER ` + n)
		require.NoError(t, err)
	}
}

func TestVerifyChecksNewReceiptIncrementally(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	walkedOnce(t, s)
	c := s.verify.chains

	// Covered by the walk: no check at all.
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000001")["chain"])
	assert.EqualValues(t, 0, c.incChecks.Load())

	// Issued after the walk: checked from the walk's head, not walked.
	issueCard(t, db, 200_000, nil)
	issueCard(t, db, 300_000, nil)
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000003")["chain"])
	assert.EqualValues(t, 1, c.incChecks.Load())
	// The head moved: the receipts up to 3 need no second check.
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000002")["chain"])
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000003")["chain"])
	assert.EqualValues(t, 1, c.incChecks.Load())
	c.mu.Lock()
	assert.EqualValues(t, 3, c.heads[chainKey{"EBL01", "AA"}].Number)
	c.mu.Unlock()

	// The request path never walks every chain.
	assert.EqualValues(t, 1, c.fullWalks.Load())
}

func TestVerifyChecksNewChainFromGenesis(t *testing.T) {
	s, db := newVerifyServer(t)
	walkedOnce(t, s) // no receipt yet: the series' chain is not in the walk
	issueCard(t, db, 150_000, nil)
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000001")["chain"])
	assert.EqualValues(t, 1, s.verify.chains.incChecks.Load())
	assert.EqualValues(t, 1, s.verify.chains.fullWalks.Load())
}

func TestVerifyIncrementalCatchesTampering(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	issueCard(t, db, 200_000, nil)
	walkedOnce(t, s)
	issueCard(t, db, 300_000, nil)
	issueCard(t, db, 400_000, nil)
	dropTriggers(t, db)
	_, err := db.SQL().Exec(`UPDATE receipts SET total = 1000 WHERE number = 3`)
	require.NoError(t, err)

	// Receipt 4 is after the head: the check from the head meets 3.
	got := chainOfJSON(t, s, "00000004")
	assert.Equal(t, "broken", got["chain"])
	assert.Equal(t, false, got["chain_ok"])
	body := getAccept(t, s, "/verify/EBL01/26TAA/00000004", "").Body.String()
	assert.Contains(t, body, "<dt>Chuỗi băm</dt><dd>không toàn vẹn")
	assert.Contains(t, body, "26TAA-00000003")
	// The whole chain is broken, the receipts the walk covered too.
	assert.Equal(t, "broken", chainOfJSON(t, s, "00000001")["chain"])
	assert.EqualValues(t, 1, s.verify.chains.fullWalks.Load(), "the request path never walks every chain")
}

func TestVerifyIncrementalCatchesTamperedReceiptItself(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	walkedOnce(t, s)
	issueCard(t, db, 200_000, nil)
	dropTriggers(t, db)
	_, err := db.SQL().Exec(`UPDATE receipts SET total = 1000 WHERE number = 2`)
	require.NoError(t, err)
	got := chainOfJSON(t, s, "00000002")
	assert.Equal(t, "broken", got["chain"])
	body := getAccept(t, s, "/verify/EBL01/26TAA/00000002", "").Body.String()
	assert.Contains(t, body, "26TAA-00000002")
}

func TestVerifyBeforeFirstWalkIsUnknown(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	c := s.verify.chains
	c.firstWait = 0
	c.stop() // no walker: the first walk never comes
	got := chainOfJSON(t, s, "00000001")
	assert.Equal(t, "unknown", got["chain"])
	body := getAccept(t, s, "/verify/EBL01/26TAA/00000001", "").Body.String()
	assert.Contains(t, body, "<dt>Chuỗi băm</dt><dd>chưa kiểm tra được")
	assert.Contains(t, body, "thử lại sau")
	assert.EqualValues(t, 0, c.fullWalks.Load())
	assert.EqualValues(t, 0, c.incChecks.Load(), "no check from genesis on the request's path")
}

func TestVerifyBackgroundWalkSeesChanges(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	walkedOnce(t, s)
	c := s.verify.chains
	tick := func() {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	// A new receipt: the next tick walks again.
	issueCard(t, db, 200_000, nil)
	require.Eventually(t, func() bool {
		tick()
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.full != nil && c.full.OK && c.heads[chainKey{"EBL01", "AA"}].Number == 2
	}, time.Minute, 10*time.Millisecond)
	// A receipt changed behind feepos's back (its triggers dropped) is
	// found by the next walk even though it is before the head.
	dropTriggers(t, db)
	_, err := db.SQL().Exec(`UPDATE receipts SET total = 1000 WHERE number = 1`)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		tick()
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.full != nil && !c.full.OK
	}, time.Minute, 10*time.Millisecond)
	got := chainOfJSON(t, s, "00000002")
	assert.Equal(t, "broken", got["chain"])
}

func TestVerifyWalkerStopsOnClose(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	walkedOnce(t, s)
	s.Close()
	select {
	case <-s.verify.chains.done:
	default:
		t.Fatal("the walker is still running after Close")
	}
	s.Close() // twice is fine
	// Requests still answer from the last walk.
	assert.Equal(t, "intact", chainOfJSON(t, s, "00000001")["chain"])
	s.verify.chains.start() // no restart after a stop
	assert.EqualValues(t, 1, s.verify.chains.fullWalks.Load())
}

func TestVerifyWalkerStopsWithRun(t *testing.T) {
	s, db := newVerifyServer(t)
	issueCard(t, db, 150_000, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	bound := make(chan net.Addr, 1)
	go func() { ran <- s.Run(ctx, "127.0.0.1:0", func(a net.Addr) { bound <- a }) }()
	select {
	case <-bound:
	case err := <-ran:
		t.Fatalf("Run ended before listening: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Run is not listening after a minute")
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	require.NoError(t, s.WaitReceiptChecks(wctx), "Run starts the walk")
	cancel()
	require.NoError(t, <-ran)
	select {
	case <-s.verify.chains.done:
	default:
		t.Fatal("the walker is still running after Run returned")
	}
}
