package zvt_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/zvt"
)

func TestValidateRequest(t *testing.T) {
	assert.NoError(t, zvt.ValidateRequest(pos.Request{Amount: 1}))
	assert.NoError(t, zvt.ValidateRequest(pos.Request{Amount: zvt.MaxAmount, Currency: pos.CurrencyVND, Reference: "a reference ZVT does not send"}))
	for name, req := range map[string]pos.Request{
		"zero":         {Amount: 0},
		"negative":     {Amount: -5},
		"13 digits":    {Amount: zvt.MaxAmount + 1},
		"euro":         {Amount: 1_000, Currency: 978},
		"10^12 đồng":   {Amount: 1_000_000_000_000},
		"int64 limits": {Amount: 1<<63 - 1},
	} {
		err := zvt.ValidateRequest(req)
		assert.ErrorIs(t, err, zvt.ErrInvalidRequest, name)
		assert.ErrorIs(t, err, pos.ErrInvalidRequest, name)
		assert.Equal(t, apperr.Invalid, apperr.Code(err), name)
	}
	assert.ErrorContains(t, zvt.ValidateRequest(pos.Request{Amount: 1_000_000_000_000}), "1 to 999999999999 đồng")

	assert.NoError(t, zvt.ValidateReversal(1, pos.Request{}))
	assert.NoError(t, zvt.ValidateReversal(9999, pos.Request{Amount: 5_000}))
	assert.ErrorIs(t, zvt.ValidateReversal(0, pos.Request{}), zvt.ErrInvalidRequest)
	assert.ErrorIs(t, zvt.ValidateReversal(10_000, pos.Request{}), zvt.ErrInvalidRequest)
	assert.ErrorIs(t, zvt.ValidateReversal(1, pos.Request{Amount: zvt.MaxAmount + 1}), zvt.ErrInvalidRequest)
	assert.ErrorIs(t, zvt.ValidateReversal(1, pos.Request{Amount: -1}), zvt.ErrInvalidRequest)
}

// A request ZVT cannot carry is the caller's mistake: the driver refuses
// it with ErrInvalidRequest before sending a byte (not even the
// registration), never with ErrTransport.
func TestDriverRefusesInvalidRequestsBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { driverRefusesInvalidRequests(t) })
}

func driverRefusesInvalidRequests(t *testing.T) {
	var sent atomic.Int32
	r := newRig(t, func(_ *rig, _ *zvtsim.Config, d *zvt.Config) {
		d.Trace = func(dir string, _ []byte) {
			if dir == "send" {
				sent.Add(1)
			}
		}
	})
	ctx := context.Background()
	check := func(name string, p pos.Pending, err error) {
		t.Helper()
		assert.ErrorIs(t, err, zvt.ErrInvalidRequest, name)
		assert.NotErrorIs(t, err, zvt.ErrTransport, name)
		require.NotNil(t, p, name)
		assert.Equal(t, pos.TransportError, p.Result().Outcome, name+": nothing was sent")
		assert.Contains(t, p.Result().TextVI, "không hợp lệ", name)
		assert.NoError(t, p.Confirm(ctx), name)
	}
	p, err := r.term.Pay(ctx, pos.Request{Amount: 1_000_000_000_000}, nil)
	check("pay 10^12", p, err)
	p, err = r.term.Pay(ctx, pos.Request{Amount: 0}, nil)
	check("pay 0", p, err)
	p, err = r.term.Refund(ctx, pos.Request{Amount: zvt.MaxAmount + 1}, nil)
	check("refund", p, err)
	p, err = r.term.Reverse(ctx, 10_000, pos.Request{}, nil)
	check("reverse receipt 10000", p, err)
	assert.Zero(t, sent.Load(), "nothing sent")
	assert.Empty(t, r.sim.Journal())
}
