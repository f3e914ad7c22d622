package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/reconcile"
)

// The streamed report is byte for byte what the indented encoder of
// printJSON writes, for full, empty and nil lists.
func TestWriteReportSameBytesAsPrintJSON(t *testing.T) {
	amt := int64(150000)
	full := reconcile.Report{
		Date:    "2026-03-02",
		Sources: []reconcile.SourceInfo{{File: "a<b>&.csv", SHA256: "ab", Format: "csv", Rows: 2}},
		Summary: reconcile.Summary{LedgerCount: 2, LedgerAmount: 300000, MatchedCount: 1, PendingCount: 1},
		Matches: []reconcile.Match{
			{Rule: "terminal_trace_date", PaymentIDs: []string{"p1"}, Settlement: []string{"s1"}, Amount: 150000, Fee: 1650, Net: 148350, LagDays: 1},
			{Rule: "offer", PaymentIDs: []string{"p2", "p3"}, Amount: 5, Offer: true, Explanation: "Khớp \"theo\" mã <chuẩn chi> & số"},
		},
		Exceptions: []reconcile.Exception{
			{Kind: reconcile.MissingInLedger, SettlementID: "s9", LedgerAmount: &amt, Detail: "Không có trong sổ"},
			{Kind: reconcile.CarriedOver, Detail: "x", Since: "2026-03-01", AgeDays: 1, OriginKind: reconcile.AmountMismatch},
		},
	}
	for name, rep := range map[string]reconcile.Report{
		"full":  full,
		"empty": {Date: "2026-03-02", Sources: []reconcile.SourceInfo{}, Matches: []reconcile.Match{}, Exceptions: []reconcile.Exception{}},
		"nil":   {Date: "2026-03-02"},
		"one":   {Date: "d", Matches: full.Matches[:1], Exceptions: full.Exceptions[1:]},
	} {
		var want, got bytes.Buffer
		require.NoError(t, (&app{stdout: &want}).printJSON(rep), name)
		require.NoError(t, (&app{stdout: &got}).printReport(rep), name)
		require.Equal(t, want.String(), got.String(), name)
		require.True(t, json.Valid(got.Bytes()), name)
	}
}
