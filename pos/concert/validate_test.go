package concert_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
)

// The limits of a Concert payment are the package's to say, so a caller
// can refuse a request before opening the port: the error is an invalid
// request (the caller's mistake), never a transport error.
func TestValidateRequest(t *testing.T) {
	assert.NoError(t, concert.ValidateRequest(pos.Request{Amount: 1, Reference: "A"}))
	assert.NoError(t, concert.ValidateRequest(pos.Request{Amount: concert.MaxAmount, Currency: pos.CurrencyVND, Reference: "ABCDEFGHIJ"}))
	for name, c := range map[string]struct {
		req  pos.Request
		want string
	}{
		"reference too long": {pos.Request{Amount: 1_000, Reference: "ABCDEFGHIJKL"}, "at most 10"},
		"no reference":       {pos.Request{Amount: 1_000}, "no reference"},
		"not ASCII":          {pos.Request{Amount: 1_000, Reference: "hồ sơ"}, "printable ASCII"},
		"zero amount":        {pos.Request{Amount: 0, Reference: "A"}, "1 to 99999999"},
		"over 8 digits":      {pos.Request{Amount: concert.MaxAmount + 1, Reference: "A"}, "1 to 99999999"},
		"euro":               {pos.Request{Amount: 1_000, Currency: 978, Reference: "A"}, "đồng only"},
	} {
		err := concert.ValidateRequest(c.req)
		assert.ErrorIs(t, err, concert.ErrInvalidRequest, name)
		assert.ErrorIs(t, err, pos.ErrInvalidRequest, name)
		assert.NotErrorIs(t, err, concert.ErrTransport, name)
		assert.Equal(t, apperr.Invalid, apperr.Code(err), name)
		assert.ErrorContains(t, err, c.want, name)
	}
}

// What E+ cannot do is known without a terminal, so a caller can say so
// before opening the port.
func TestUnsupported(t *testing.T) {
	for _, op := range []string{concert.OpReverse, concert.OpRefund, concert.OpAbort, concert.OpStatus, concert.OpEndOfDay} {
		ns := concert.Unsupported(op)
		if assert.NotNil(t, ns, op) {
			assert.ErrorIs(t, ns, concert.ErrNotSupported, op)
			assert.Equal(t, op, ns.Op)
			assert.NotEmpty(t, ns.MessageVI, op)
			assert.Equal(t, apperr.Invalid, apperr.Code(ns), op)
		}
	}
	assert.Nil(t, concert.Unsupported("pay"))
}
