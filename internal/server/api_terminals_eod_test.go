package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/reconcile"
)

// The terminal's end of day (POST /api/v1/terminals/{id}/end-of-day on
// the simulator over its pseudo-terminal) stores its totals, and the
// next run of the day's close checks the ledger against them: equal
// after the terminal's own payment; a card payment the terminal's batch
// does not hold (typed from a slip) is a terminal_total_mismatch whose
// terminal amount is the one the terminal reported.
func TestEndOfDayTotalsFeedTheNextRun(t *testing.T) {
	ctx := context.Background()
	r := newPayRig(t, rigOptions{})
	req := r.createRequest("eod-1", requestBody("HS-EOD-1"))
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)

	a := r.do("POST", "/api/v1/terminals/T1/end-of-day", tokAccountant, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var eod endOfDayJSON
	a.decode(t, &eod)
	require.Equal(t, pos.Approved, eod.Outcome)
	require.EqualValues(t, 106_000, eod.Total, "the terminal's batch holds the payment")

	var stored []struct {
		TerminalID string `db:"terminal_id"`
		Date       string `db:"date"`
		Count      int    `db:"count"`
		Amount     int64  `db:"amount"`
		Origin     string `db:"origin"`
	}
	require.NoError(t, r.db.SQL().SelectContext(ctx, &stored, `SELECT terminal_id, date, count, amount, origin FROM reconcile_terminal_totals`))
	require.NotEmpty(t, stored, "the end of day stored the terminal's totals")
	var sum int64
	day := ledger.BusinessDate(r.db.Now())
	for _, s := range stored {
		assert.Equal(t, endofday.FromTerminal, s.Origin)
		assert.Equal(t, day, s.Date)
		sum += s.Amount
	}
	assert.EqualValues(t, 106_000, sum)

	c := endofday.New(r.db, endofday.Options{})
	accountant := testTokens[tokAccountant]
	run, err := c.Run(ctx, accountant, day, true)
	require.NoError(t, err)
	var fromTerminal bool
	for _, s := range run.Report.Sources {
		fromTerminal = fromTerminal || s.Format == endofday.FromTerminal
	}
	assert.True(t, fromTerminal, "the run names the terminal's totals among its sources: %+v", run.Report.Sources)
	for _, e := range run.Report.Exceptions {
		assert.NotEqual(t, reconcile.TerminalTotalMismatch, e.Kind, "the ledger agrees with the terminal: %+v", e)
	}

	// A card payment typed from a slip on the same terminal that the
	// terminal's closed batch does not hold.
	req2 := r.createRequest("eod-2", requestBody("HS-EOD-2"))
	cashier := testTokens[tokCashier]
	_, err = r.svc.RecordCardResult(ctx, cashier, req2.ID, "T1", payments.TerminalResult{TraceNo: "9001", ApprovalCode: "SLIP01",
		PANMasked: "970436******4321", TerminalID: stored[0].TerminalID, CardType: "NAPAS"})
	require.NoError(t, err)
	run, err = c.Run(ctx, accountant, day, true)
	require.NoError(t, err)
	var mismatch *reconcile.Exception
	for i, e := range run.Report.Exceptions {
		if e.Kind == reconcile.TerminalTotalMismatch {
			mismatch = &run.Report.Exceptions[i]
		}
	}
	require.NotNil(t, mismatch, "%+v", run.Report.Exceptions)
	require.NotNil(t, mismatch.SettlementAmount)
	require.NotNil(t, mismatch.LedgerAmount)
	assert.EqualValues(t, 106_000, *mismatch.SettlementAmount, "the terminal's reported total")
	assert.EqualValues(t, 212_000, *mismatch.LedgerAmount)
}
