package zvtsim_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// timers are the tests' timers. The tests run in synctest bubbles on a
// transport.Pipe, so the timers run on the bubble's fake clock: exact,
// free, and the same on a busy machine.
func timers() zvt.Timers {
	return zvt.Timers{T1: 20 * time.Millisecond, T2: 60 * time.Millisecond, T3: 250 * time.Millisecond, T4: 500 * time.Millisecond}
}

// ecr is a bare ECR-side link on the simulator's line: the test speaks
// ZVT message by message.
type ecr struct {
	t    *testing.T
	link *zvt.Link
}

// startSim serves a simulator on one end of a transport.Pipe and returns
// a link on the other. Call it inside synctest.Test.
func startSim(t *testing.T, cfg zvtsim.Config) (*zvtsim.Sim, *ecr) {
	t.Helper()
	cfg.Timers = timers()
	if cfg.AckTimeout == 0 {
		cfg.AckTimeout = 200 * time.Millisecond
	}
	s, err := zvtsim.New(cfg)
	require.NoError(t, err)
	c, line := transport.Pipe("ecr", "terminal")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ctx, line)
	}()
	t.Cleanup(func() {
		cancel()
		_ = c.Close()
		<-done
	})
	return s, &ecr{t: t, link: zvt.NewLink(c, false, timers(), nil)}
}

func (e *ecr) send(apdu []byte, err error) {
	e.t.Helper()
	require.NoError(e.t, err)
	require.NoError(e.t, e.link.Send(apdu))
}

func (e *ecr) expect(class, instr byte) []byte {
	e.t.Helper()
	for {
		a, err := e.link.Receive(context.Background(), 2*time.Second, nil)
		require.NoError(e.t, err)
		if a[0] == 0x04 && a[1] == 0xFF && !(class == 0x04 && instr == 0xFF) {
			require.NoError(e.t, e.link.Send(zvt.Ack()))
			continue
		}
		require.Equal(e.t, []byte{class, instr}, a[:2], "got % X", a)
		return a
	}
}

func TestSimPaymentSequenceAndAutoReversal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{})
		e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: 150_000, Currency: 704}))
		e.expect(0x80, 0x00)
		si := e.expect(0x04, 0x0F)
		m, err := zvt.Decode(si)
		require.NoError(t, err)
		assert.Equal(t, "00", m.ResultCode)
		assert.Equal(t, "704", m.Currency)
		assert.Equal(t, "29001234", m.TerminalID)
		assert.Contains(t, []string{"970436******1234", "422151******5678", "512345******9012"}, m.PANMasked)
		// No acknowledgement: after AckTimeout the payment is reversed.
		time.Sleep(350 * time.Millisecond)
		j := s.Journal()
		require.Len(t, j, 1)
		assert.Equal(t, zvtsim.AutoReversed, j[0].Status)
		assert.False(t, j[0].Charged())
		assert.Empty(t, s.Batch())

		// Repeat Receipt reports it with "already reversed".
		e.send(zvt.RepeatReceipt(zvt.DefaultPassword, 0x01))
		e.expect(0x80, 0x00)
		rep := e.expect(0x04, 0x0F)
		m, _ = zvt.Decode(rep)
		assert.Equal(t, "B4", m.ResultCode)
		require.NoError(t, e.link.Send(zvt.Ack()))
		e.expect(0x06, 0x0F)
		require.NoError(t, e.link.Send(zvt.Ack()))
	})
}

func TestSimRepeatReceiptWithoutTransaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, e := startSim(t, zvtsim.Config{})
		e.send(zvt.RepeatReceipt(zvt.DefaultPassword, 0x01))
		e.expect(0x80, 0x00)
		e.expect(0x06, 0x1E)
	})
}

func TestSimStateFileAtomicAndReloaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.json")
		s, e := startSim(t, zvtsim.Config{StateFile: path})
		e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: 42_000, Currency: 704}))
		e.expect(0x80, 0x00)
		e.expect(0x04, 0x0F)
		require.NoError(t, e.link.Send(zvt.Ack()))
		e.expect(0x06, 0x0F)
		require.NoError(t, e.link.Send(zvt.Ack()))
		require.Eventually(t, func() bool { return len(s.Batch()) == 1 }, time.Second, 5*time.Millisecond)

		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var st map[string]any
		require.NoError(t, json.Unmarshal(b, &st), "the state file is whole JSON")
		entries, _ := os.ReadDir(filepath.Dir(path))
		assert.Len(t, entries, 1, "no temporary file left behind")

		s2, err := zvtsim.New(zvtsim.Config{StateFile: path})
		require.NoError(t, err)
		last, ok := s2.Last()
		require.True(t, ok)
		assert.Equal(t, int64(42_000), last.Amount)
		assert.Equal(t, zvtsim.Approved, last.Status)
		assert.Len(t, s2.Batch(), 1)

		require.NoError(t, os.WriteFile(path, []byte("{broken"), 0o600))
		_, err = zvtsim.New(zvtsim.Config{StateFile: path})
		assert.ErrorContains(t, err, "damaged")
	})
}

func TestSimRandomFaultsAreSeeded(t *testing.T) {
	draw := func(t *testing.T, seed int64) []zvtsim.FaultKind {
		s, e := startSim(t, zvtsim.Config{Random: &zvtsim.RandomFaults{Seed: seed, Probability: 1, Kinds: []zvtsim.FaultKind{zvtsim.FaultDecline, zvtsim.FaultCustomerAbort, zvtsim.FaultCardError}}})
		for i := 0; i < 8; i++ {
			e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: int64(1000 + i), Currency: 704}))
			e.expect(0x80, 0x00)
			for {
				a, err := e.link.Receive(context.Background(), 2*time.Second, nil)
				require.NoError(t, err)
				require.NoError(t, e.link.Send(zvt.Ack()))
				if a[0] == 0x06 && (a[1] == 0x0F || a[1] == 0x1E) {
					break
				}
			}
		}
		var kinds []zvtsim.FaultKind
		for _, tx := range s.Journal() {
			kinds = append(kinds, tx.Fault)
		}
		return kinds
	}
	var a, b []zvtsim.FaultKind
	synctest.Test(t, func(t *testing.T) { a = draw(t, 7) })
	synctest.Test(t, func(t *testing.T) { b = draw(t, 7) })
	assert.Equal(t, a, b)
	assert.Len(t, a, 8)
}

func TestSimEndOfDayResetsBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{})
		for _, amt := range []int64{10_000, 20_000} {
			e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: amt, Currency: 704}))
			e.expect(0x80, 0x00)
			e.expect(0x04, 0x0F)
			require.NoError(t, e.link.Send(zvt.Ack()))
			e.expect(0x06, 0x0F)
			require.NoError(t, e.link.Send(zvt.Ack()))
		}
		e.send(zvt.EndOfDay(zvt.DefaultPassword))
		e.expect(0x80, 0x00)
		si := e.expect(0x04, 0x0F)
		m, _ := zvt.Decode(si)
		require.NotNil(t, m.AmountMinor)
		assert.Equal(t, int64(30_000), *m.AmountMinor)
		require.NoError(t, e.link.Send(zvt.Ack()))
		e.expect(0x06, 0x0F)
		require.NoError(t, e.link.Send(zvt.Ack()))
		assert.Empty(t, s.Batch())
	})
}
