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

	want := map[string]ledger.NewEntry{}
	for w := 0; w < workers; w++ {
		for n := 0; n < perWorker; n++ {
			key := fmt.Sprintf("w%02d-%03d", w, n)
			want[key] = cardPayment(fmt.Sprintf("2026-03-%02d", 1+n%28), int64(1000*(w+1)+n), key)
		}
	}
	ids := runWorkers(t, workers, perWorker, func(w, n int) (int64, error) {
		e, err := db.Post(ctx, want[fmt.Sprintf("w%02d-%03d", w, n)])
		return e.ID, err
	})

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

// Posts that share a group commit are refused one by one: a bad entry in the
// batch (an account the chart lacks, a key reused with other content, a
// second reversal) is rolled back alone and its caller gets its own error,
// while the good entries around it commit.
func TestGroupCommitRefusesEntriesAlone(t *testing.T) {
	const workers = 16
	ctx := context.Background()
	db := newTestDB(t)
	orig := post(t, db, cardPayment("2026-03-01", 5000, "orig"))

	start := make(chan struct{})
	var wg sync.WaitGroup
	type outcome struct {
		key string
		id  int64
		err error
	}
	results := make(chan outcome, workers*31)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			for n := 0; n < 30; n++ {
				key := fmt.Sprintf("g%02d-%02d", w, n)
				e := cardPayment("2026-03-02", int64(100+w*30+n), key)
				switch n % 3 {
				case 1:
					e.Lines[0].Account = "999" // not in the chart
				case 2:
					e.IdempotencyKey = "orig" // reused with other content
				}
				got, err := db.Post(ctx, e)
				results <- outcome{key, got.ID, err}
			}
			if w%4 == 0 {
				got, err := db.Reverse(ctx, orig.ID, "2026-03-02", "", "")
				results <- outcome{"reverse", got.ID, err}
			}
		}(w)
	}
	close(start)
	wg.Wait()
	close(results)

	good, reversals := map[string]int64{}, 0
	for r := range results {
		switch {
		case r.key == "reverse" && r.err == nil:
			reversals++
		case r.key == "reverse":
			var le *ledger.Error
			require.ErrorAs(t, r.err, &le)
			assert.Equal(t, ledger.EConflict, le.Code)
		case r.err == nil:
			good[r.key] = r.id
		default:
			var le *ledger.Error
			require.ErrorAs(t, r.err, &le, r.key)
		}
	}
	assert.Equal(t, 1, reversals, "an entry is reversed once, however many ask at once")
	assert.Len(t, good, workers*10)
	for key, id := range good {
		e, err := db.Entry(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, key, e.IdempotencyKey)
	}
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK, rep.Problem)
	assert.EqualValues(t, 1+workers*10+1, rep.Entries)
}
