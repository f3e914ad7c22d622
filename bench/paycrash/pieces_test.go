package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

func TestVerifySignature(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"event":"payment.paid","payment_request_id":"PR1","status":"paid","amount":50000}`)
	now := time.Unix(1_780_000_000, 0)
	good := sign(secret, now, body)
	require.NoError(t, verifySignature(secret, good, body, now.Add(time.Minute), time.Hour))
	// The rotation form: the first v1 does not match, the second does.
	require.NoError(t, verifySignature(secret, strings.Replace(good, "v1=", "v1=00ff,v1=", 1), body, now, time.Hour))

	for name, c := range map[string]struct {
		header string
		body   []byte
		secret []byte
		at     time.Time
		want   string
	}{
		"no header":      {"", body, secret, now, "no Feepos-Signature"},
		"body changed":   {good, append([]byte(nil), bytes.Replace(body, []byte("50000"), []byte("50001"), 1)...), secret, now, "does not match"},
		"other secret":   {good, body, []byte("other"), now, "does not match"},
		"too old":        {good, body, secret, now.Add(2 * time.Hour), "away from now"},
		"no timestamp":   {"v1=abcd", body, secret, now, "lacks t="},
		"not key=value":  {"t=1,garbage", body, secret, now, "not key=value"},
		"timestamp text": {"t=yesterday,v1=ab", body, secret, now, "not a Unix time"},
	} {
		t.Run(name, func(t *testing.T) {
			err := verifySignature(c.secret, c.header, c.body, c.at, time.Hour)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The receiver checks every delivery's signature, keeps it, and answers
// 500 to its share of deliveries.
func TestReceiver(t *testing.T) {
	r := newReceiver("s3cret", 0, 1)
	require.NoError(t, r.start())
	defer r.close()
	var seen []string
	r.onDelivery = func(d delivery) { seen = append(seen, d.Event.PaymentRequestID) }
	post := func(body, sig string) int {
		req, err := http.NewRequest(http.MethodPost, r.URL(), strings.NewReader(body))
		require.NoError(t, err)
		if sig != "" {
			req.Header.Set("Feepos-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"event":"payment.paid","payment_request_id":"PR1","status":"paid","amount":120000,"receipt":{"number":1}}`
	assert.Equal(t, 200, post(body, sign([]byte("s3cret"), time.Now(), []byte(body))))
	assert.Equal(t, 200, post(body, sign([]byte("wrong"), time.Now(), []byte(body))))
	got := r.deliveries()
	require.Len(t, got, 2)
	assert.True(t, got[0].SigOK)
	assert.Equal(t, "PR1", got[0].Event.PaymentRequestID)
	assert.Equal(t, int64(120000), got[0].Event.Amount)
	assert.False(t, got[1].SigOK)
	assert.Contains(t, got[1].SigError, "does not match")
	assert.Equal(t, []string{"PR1", "PR1"}, seen)

	failing := newReceiver("s", 1, 2)
	require.NoError(t, failing.start())
	defer failing.close()
	r = failing
	assert.Equal(t, 500, post(body, sign([]byte("s"), time.Now(), []byte(body))))
}

// A simulated terminal serves on its link (a symbolic link to its
// pseudo-terminal, what feepos's config names) through the real serial
// path and driver; its journal shows the approval, and the approval watch
// saw it sent before it was acknowledged.
func TestTerminalOnItsLink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	for _, proto := range []pos.Protocol{pos.ZVT, pos.Concert} {
		t.Run(string(proto), func(t *testing.T) {
			term, err := startTerminal(ctx, "T-"+string(proto), proto, 7, 0, dir)
			require.NoError(t, err)
			defer func() { require.NoError(t, term.stop()) }()
			target, err := os.Readlink(term.Link)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(target, "/dev/pts/"), target)
			assert.Contains(t, term.configTOML(), `port = "`+filepath.Join(dir, term.ID)+`"`)

			approvals := make(chan string, 4)
			wctx, stopWatch := context.WithCancel(ctx)
			defer stopWatch()
			go approvalWatch(wctx, []*terminal{term}, func(id string) { approvals <- id })

			cfg := config.Terminal{ID: term.ID, Protocol: string(proto), Port: term.Link}
			pt, err := terminals.Open(ctx, cfg, terminals.OpenOptions{})
			require.NoError(t, err)
			defer pt.Close()
			p, err := pt.Pay(ctx, pos.Request{Amount: 123_000, Reference: "REF1"}, nil)
			require.NoError(t, err)
			require.Equal(t, pos.Approved, p.Result().Outcome, "%+v", p.Result())
			select {
			case id := <-approvals:
				assert.Equal(t, term.ID, id)
			case <-time.After(20 * time.Second):
				t.Fatal("the approval watch did not see the approval")
			}
			require.NoError(t, p.Confirm(ctx))
			var j []journalTx
			require.Eventually(t, func() bool {
				j = term.journal()
				return len(j) == 1 && j[0].Charged
			}, 10*time.Second, 10*time.Millisecond)
			assert.Equal(t, int64(123_000), j[0].Amount)
			assert.True(t, j[0].Approved)
			assert.False(t, j[0].Reversed)
			assert.False(t, term.busy())
		})
	}
}

// An approval the ECR never acknowledges is reversed by a ZVT terminal:
// the journal has it approved and reversed, not charged.
func TestZVTJournalReversed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term, err := startTerminal(ctx, "Z9", pos.ZVT, 3, 0, t.TempDir())
	require.NoError(t, err)
	defer func() { require.NoError(t, term.stop()) }()
	pt, err := terminals.Open(ctx, config.Terminal{ID: "Z9", Protocol: "zvt", Port: term.Link}, terminals.OpenOptions{})
	require.NoError(t, err)
	defer pt.Close()
	p, err := pt.Pay(ctx, pos.Request{Amount: 77_000}, nil)
	require.NoError(t, err)
	require.Equal(t, pos.Approved, p.Result().Outcome)
	_ = p.Reject(ctx)
	require.Eventually(t, func() bool {
		j := term.journal()
		return len(j) == 1 && j[0].Reversed
	}, 20*time.Second, 10*time.Millisecond)
	j := term.journal()
	assert.False(t, j[0].Charged)
	assert.True(t, j[0].Approved)
	assert.Equal(t, string(zvtsim.AutoReversed), j[0].Status)
}

func TestPrintReport(t *testing.T) {
	r := &report{Kills: 3, KillPlans: map[string]int{"approval": 2, "random": 1}, Restarts: 4, Requests: 10,
		Statuses: map[string]int{"paid": 7, "pending": 2, "needs_review": 1}, ApprovedKept: 7,
		NeedsReview:   []review{{Request: "PR9", Reason: "the terminal did not answer", Charged: true}},
		ReviewReasons: map[string]int{"the terminal did not answer": 1}, Verify: map[string]string{"ledger verify": "ok"}}
	var b bytes.Buffer
	printReport(&b, r)
	out := b.String()
	assert.Contains(t, out, "3 SIGKILL (approval 2, random 1); 4 restarts")
	assert.Contains(t, out, "needs_review  1 (the journals say: 1 charged, 0 not)")
	assert.Contains(t, out, "the terminal did not answer")
	assert.Contains(t, out, "violations    none")
	assert.False(t, r.failed())
	r.Violations = []violation{{Rule: "charge lost", Request: "PR1", Detail: "x"}}
	assert.True(t, r.failed())
}
