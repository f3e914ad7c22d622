package concertsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/concert"
)

// The lrc_stx fault shapes an answer of any amount and reference so that
// its LRC is STX. The terminal soak (bench/terminalsoak) met amounts for
// which no pair of report characters from the old ranges ('A'..'Z', then
// printable ASCII) gave 0x02, and the simulator stopped serving: XOR
// with an upper-case letter never clears bit 6 without setting bit 5.
func TestLRCIsSTXAnyAmount(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	for _, ref := range []string{"", "abc", "mz3k9q0a7b", "HS-2026-001"[:10]} {
		for amount := int64(1); amount < 300; amount++ {
			req := concert.NewPaymentRequest(amount, ref)
			f, err := s.answer(req, concert.StatusAccepted, FaultLRCIsSTX)
			require.NoError(t, err, "amount %d, reference %q", amount, ref)
			require.Equal(t, byte(concert.STX), f[len(f)-1], "amount %d, reference %q", amount, ref)
		}
	}
}
