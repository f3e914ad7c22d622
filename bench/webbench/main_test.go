package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmoke runs the whole benchmark at a tiny size (100 requests, 1,000
// receipts, 3 requests per page), so that `make test` keeps the command
// working: the fixture is built, the server serves it, every role signs
// in, and every page of the list either answers 200 every time or is not
// built yet (404). Times are never checked: they depend on the machine.
func TestSmoke(t *testing.T) {
	ctx := context.Background()
	o := opts{fixture: filepath.Join(t.TempDir(), "fixture.db"), n: 3, warmup: 0, walks: 1, target: 1 << 62, quiet: true,
		spec: FixtureSpec{Requests: 100, Receipts: 1000, Days: 20, Seed: 1, Version: fixtureVersion}}
	res, err := run(ctx, o)
	require.NoError(t, err)

	fx := res.Fixture
	assert.False(t, res.FixtureCached)
	assert.Equal(t, 1000, fx.Receipts)
	assert.Equal(t, 100, fx.Status["paid"]+fx.Status["pending"]+fx.Status["cancelled"]+fx.Status["needs_review"], "%v", fx.Status)
	assert.Positive(t, fx.Status["paid"])
	assert.Positive(t, fx.Status["needs_review"])
	assert.Positive(t, fx.ServiceReceipts)
	for _, target := range []string{fx.PaidDossier, fx.Receipt, fx.PendingRequest, fx.PaidPayment, fx.ReviewPayment} {
		assert.NotEmpty(t, target, "%+v", fx)
	}

	require.Len(t, res.Pages, len(pages))
	built := 0
	for _, p := range res.Pages {
		switch p.State {
		case stateMeasured:
			built++
			assert.Equal(t, http.StatusOK, p.Status, p.Path)
			assert.Equal(t, 3, p.Times.N, p.Path)
			assert.Positive(t, p.Bytes, p.Path)
		case stateNotBuilt:
			assert.Equal(t, http.StatusNotFound, p.Status, p.Path)
		default:
			t.Errorf("%s (%s): %d %s", p.Path, p.Role, p.Status, p.Error)
		}
	}
	// What main has today: the login page, the kiosk and the receipt check.
	assert.GreaterOrEqual(t, built, 3)
	assert.True(t, res.Met)
	require.NotNil(t, res.Walk)
	assert.True(t, res.Walk.OK, "the fixture's chains hold")
	assert.EqualValues(t, 1000, res.Walk.Receipts)

	// A second run reuses the fixture.
	o.only, o.walks = "/login", 0
	res, err = run(ctx, o)
	require.NoError(t, err)
	assert.True(t, res.FixtureCached)
	require.Len(t, res.Pages, 1)
}

// TestFixturePages checks the fixture's pages say what a year of work
// means: the kiosk finds the paid dossier, and the receipt check finds the
// signed receipt with its chain intact through the history receipts
// interleaved with it.
func TestFixturePages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fixture.db")
	fx, _, err := loadOrBuildFixture(ctx, path, FixtureSpec{Requests: 40, Receipts: 400, Days: 5, Seed: 2, Version: fixtureVersion}, nil)
	require.NoError(t, err)
	srv, err := serve(ctx, path)
	require.NoError(t, err)
	defer srv.stop()
	b := newBrowser(srv.base, nil)
	defer b.close()

	status, body, _, err := b.get(ctx, fx.fill("/verify/{receipt}"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Contains(t, string(body), "toàn vẹn", "the chain holds")
	assert.Contains(t, string(body), "hợp lệ", "the signature holds")

	status, body, _, err = b.get(ctx, fx.fill("/kiosk?code={paid_dossier}"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Contains(t, string(body), "Đã nộp")
}
