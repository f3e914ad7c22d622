package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/receipts"
)

// fullPAN is the card number a badly configured terminal sends in clear
// (a real one masks it; feepos must not rely on that).
const fullPAN = "9704361234567890"

// syncBuffer is a log written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// No full card number anywhere: a terminal sends one in clear, and after a
// paid card payment (and a declined one) no API answer (payment, request,
// receipts in every form, terminals), no stored row of any table and no
// log line holds it, nor its first 12 digits.
func TestNoFullCardNumberAnywhere(t *testing.T) {
	logs := &syncBuffer{}
	r := newPayRig(t, rigOptions{cards: []zvtsim.Card{{Name: "NAPAS", Slot: "others", PAN: fullPAN, Expiry: "2812"}}, log: logs})
	req := r.createRequest("key-pan", requestBody("HS-PAN"))
	r.sim.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x05})
	declined := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentDeclined, declined.Status)
	p := r.settled(r.charge(req.ID, map[string]any{"method": "card", "terminal": "T1"}))
	require.Equal(t, payments.PaymentPaid, p.Status, "%+v", p)
	require.NotNil(t, p.TerminalResult)
	assert.Equal(t, "970436******7890", p.TerminalResult.PANMasked, "masked: the first 6 and the last 4 digits")

	r.request(req.ID)
	r.do("GET", "/api/v1/payment-requests?dossier_code=HS-PAN", tokAccountant, nil)
	r.do("GET", "/api/v1/terminals", tokAccountant, nil)
	for _, ref := range p.Receipts {
		for _, suffix := range []string{"", ".html", ".xml"} {
			a := r.do("GET", "/api/v1/receipts/"+ref.Template+"/"+ref.Series+"/"+receipts.PrintedNumber(ref.Number)+suffix, tokAccountant, nil)
			require.Equal(t, http.StatusOK, a.Status, "%s", a)
		}
	}

	// In clear, in groups, and as BCD hex as a wire trace shows it.
	forbidden := []string{fullPAN, fullPAN[:12], spaced(fullPAN), "97 04 36 12 34 56"}
	r.mu.Lock()
	for _, body := range r.seen {
		for _, f := range forbidden {
			assert.NotContains(t, string(body), f, "an API answer holds the card number")
		}
	}
	r.mu.Unlock()
	for _, f := range forbidden {
		assert.NotContains(t, logs.String(), f, "the log holds the card number")
	}

	// Every column of every table, as text and as bytes: the digits as
	// text in a blob, or as BCD (a stored frame's bytes, whose hex reads
	// as the digits).
	ctx := context.Background()
	var tables []string
	require.NoError(t, r.db.SQL().SelectContext(ctx, &tables, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`))
	require.NotEmpty(t, tables)
	for _, table := range tables {
		var cols []string
		require.NoError(t, r.db.SQL().SelectContext(ctx, &cols, `SELECT name FROM pragma_table_info(?)`, table))
		for _, col := range cols {
			for _, f := range forbidden[:3] {
				var n int
				q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE instr(CAST(%q AS TEXT), ?) > 0 OR instr(hex(%q), ?) > 0 OR instr(hex(%q), ?) > 0`, table, col, col, col)
				require.NoError(t, r.db.SQL().GetContext(ctx, &n, q, f, strings.ToUpper(hexOf(f)), fullPAN[:12]))
				assert.Zero(t, n, "table %s column %s holds the card number (%s)", table, col, f)
			}
		}
	}
}

// spaced is a card number as printed in groups of four.
func spaced(pan string) string {
	var b strings.Builder
	for i, c := range pan {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// hexOf is the hex of s's bytes as text ("97" → "3937").
func hexOf(s string) string { return fmt.Sprintf("%x", s) }
