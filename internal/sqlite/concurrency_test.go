package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/ledger"
)

func TestConcurrentPosts(t *testing.T) {
	const (
		workers   = 16
		perWorker = 50
	)
	ctx := context.Background()
	db := newTestDB(t)
	m := &model{chart: ledger.DefaultChart()}

	start := make(chan struct{})
	var wg sync.WaitGroup
	ids := make([][]int64, workers)
	errs := make([]error, workers)
	want := map[string]ledger.NewEntry{}
	for w := 0; w < workers; w++ {
		for n := 0; n < perWorker; n++ {
			key := fmt.Sprintf("w%02d-%03d", w, n)
			want[key] = cardPayment(fmt.Sprintf("2026-03-%02d", 1+n%28), int64(1000*(w+1)+n), key)
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			for n := 0; n < perWorker; n++ {
				e, err := db.Post(ctx, want[fmt.Sprintf("w%02d-%03d", w, n)])
				if err != nil {
					errs[w] = err
					return
				}
				ids[w] = append(ids[w], e.ID)
			}
		}(w)
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}

	// Ids returned are distinct and each worker's are increasing.
	seen := map[int64]bool{}
	for w := range ids {
		require.Len(t, ids[w], perWorker)
		for i, id := range ids[w] {
			require.False(t, seen[id], "id %d returned twice", id)
			seen[id] = true
			if i > 0 {
				require.Greater(t, id, ids[w][i-1])
			}
		}
	}

	// Ids in the table are exactly 1..800, each key once, with its content.
	type row struct {
		ID          int64  `db:"id"`
		Key         string `db:"idempotency_key"`
		ContentHash string `db:"content_hash"`
	}
	var rows []row
	require.NoError(t, db.SQL().Select(&rows, `SELECT id, idempotency_key, content_hash FROM ledger_entries ORDER BY id`))
	require.Len(t, rows, workers*perWorker)
	keys := map[string]int{}
	for i, r := range rows {
		require.Equal(t, int64(i+1), r.ID, "ids are contiguous")
		keys[r.Key]++
		require.True(t, seen[r.ID])
	}
	require.Len(t, keys, workers*perWorker)
	for k, n := range keys {
		assert.Equal(t, 1, n, "key %s", k)
		_, ok := want[k]
		assert.True(t, ok, "unexpected key %s", k)
	}
	for _, r := range rows {
		e := want[r.Key].Normalize()
		require.Equal(t, e.ContentHash(), r.ContentHash, "entry %d (%s) stored with its own content", r.ID, r.Key)
		m.entries = append(m.entries, e)
	}

	requireVerified(t, db, workers*perWorker)
	tb := requireTrialBalanceMatches(t, db, m, "")
	require.Len(t, tb.Totals, 1)
	requireTrialBalanceMatches(t, db, m, "2026-03-14")
}
