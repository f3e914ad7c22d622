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
	return startSimOn(t, cfg)
}

// startSimOn is startSim over the line cfg.TCP says.
func startSimOn(t *testing.T, cfg zvtsim.Config) (*zvtsim.Sim, *ecr) {
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
	return s, &ecr{t: t, link: zvt.NewLink(c, cfg.TCP, timers(), nil)}
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
		// The batch is updated before the state is saved: let the save
		// that follows finish (every goroutine of the bubble blocked
		// again) before looking for its temporary file.
		synctest.Wait()

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

// The ECR's answers are written here as literal bytes (PA00P015; the
// Portalum.Zvt "issue of goods" tests), not with the zvt encoders the
// simulator shares with the driver: the simulator must be able to
// disagree with the driver.
var (
	ackBytes      = []byte{0x80, 0x00, 0x00}
	moreTimeBytes = []byte{0x84, 0x9C, 0x00}
	refuseBytes   = []byte{0x84, 0x66, 0x00}
)

func (e *ecr) raw(b []byte) {
	e.t.Helper()
	require.NoError(e.t, e.link.Send(b))
}

func (e *ecr) pay(amount int64) []byte {
	e.t.Helper()
	e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: amount, Currency: 704}))
	e.expect(0x80, 0x00)
	return e.expect(0x04, 0x0F)
}

func TestSimHoldsAResultOnMoreTimeAndReversesOnRefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{RepeatAfter: 50 * time.Millisecond})
		si := e.pay(10_000)
		for i := 0; i < 3; i++ { // three times the terminal's wait (200 ms) in all
			e.raw(moreTimeBytes)
			again := e.expect(0x04, 0x0F)
			assert.Equal(t, si, again, "the same status information, repeated")
			time.Sleep(40 * time.Millisecond)
		}
		assert.Equal(t, zvtsim.Awaiting, s.Journal()[0].Status)
		e.raw(refuseBytes)
		ab := e.expect(0x06, 0x1E)
		assert.Equal(t, []byte{0x06, 0x1E, 0x01, 0x6C}, ab)
		e.raw(ackBytes)
		assert.Equal(t, zvtsim.AutoReversed, s.Journal()[0].Status)
		assert.Empty(t, s.Batch())
	})
}

func TestSimRecordsEveryTransactionItTookWithItsTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{HangFor: 100 * time.Millisecond})
		si := e.pay(1_000)
		e.raw(ackBytes)
		e.expect(0x06, 0x0F)
		e.raw(ackBytes)
		m, _ := zvt.Decode(si)
		require.NotNil(t, m.TraceNo)
		first := *m.TraceNo

		// A customer abort: a status information with the next trace, then 06 1E.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort})
		ab := e.pay(2_000)
		m, _ = zvt.Decode(ab)
		assert.Equal(t, "6C", m.ResultCode)
		require.NotNil(t, m.TraceNo)
		assert.Equal(t, first+1, *m.TraceNo)
		e.raw(ackBytes)
		e.expect(0x06, 0x1E)
		e.raw(ackBytes)

		// A hang: 80 00 00, silence; recorded as aborted with its own trace.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultHang})
		e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: 3_000, Currency: 704}))
		e.expect(0x80, 0x00)
		time.Sleep(150 * time.Millisecond)
		last, ok := s.Last()
		require.True(t, ok)
		assert.Equal(t, first+2, last.Trace)
		assert.Equal(t, zvtsim.Aborted, last.Status)
		assert.Equal(t, int64(3_000), last.Amount)
		j := s.Journal()
		require.Len(t, j, 3)
		assert.Equal(t, zvtsim.Aborted, j[1].Status)
	})
}

func TestSimFaultsOnTheStatusInformation(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "serial", true: "tcp"}[tcp], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, e := startSimOn(t, zvtsim.Config{TCP: tcp})
				s.Inject(zvtsim.Fault{Kind: zvtsim.FaultStatusUnknownField})
				si := e.pay(1_000)
				assert.Equal(t, []byte{0x4C, 0x01, 0x02}, si[len(si)-3:], "ends with BMP 4C")
				assert.Equal(t, len(si)-3, int(si[2]), "its length right")
				e.raw(refuseBytes)
				e.expect(0x06, 0x1E)
				e.raw(ackBytes)

				if tcp {
					return // a length the rest never follows: the driver's test
				}
				s.Inject(zvtsim.Fault{Kind: zvtsim.FaultStatusBadLength})
				si = e.pay(2_000)
				assert.Equal(t, len(si)-3+31, int(si[2]), "announces 31 bytes more than it carries, in a right frame")
			})
		})
	}
}

func TestSimAnswerFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{})
		// lost_answer: the first answer is missed, the status information
		// comes again, the second answer books it.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultLostAnswer})
		si := e.pay(1_000)
		e.raw(ackBytes)
		assert.Equal(t, si, e.expect(0x04, 0x0F))
		e.raw(ackBytes)
		e.expect(0x06, 0x0F)
		e.raw(ackBytes)
		assert.Equal(t, zvtsim.Approved, s.Journal()[0].Status)

		// abort_after_ack: reversed after the ECR's 80 00 00.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultAbortAfterAck})
		e.pay(2_000)
		e.raw(ackBytes)
		assert.Equal(t, []byte{0x06, 0x1E, 0x01, 0x6C}, e.expect(0x06, 0x1E))
		e.raw(ackBytes)
		assert.Equal(t, zvtsim.AutoReversed, s.Journal()[1].Status)

		// abort_held: reversed before any answer, and it says so.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultAbortHeld})
		e.pay(2_500)
		assert.Equal(t, []byte{0x06, 0x1E, 0x01, 0x6C}, e.expect(0x06, 0x1E))
		e.raw(ackBytes)
		assert.Equal(t, zvtsim.AutoReversed, s.Journal()[2].Status)

		// short_timers: no answer within 30 ms: reversed.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultShortTimers, Delay: 30 * time.Millisecond})
		e.pay(3_000)
		time.Sleep(40 * time.Millisecond)
		assert.Equal(t, zvtsim.AutoReversed, s.Journal()[3].Status)

		// busy_menu: 84 9C, nothing runs.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultBusyMenu})
		e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: 4_000, Currency: 704}))
		assert.Equal(t, []byte{0x84, 0x9C, 0x00}, e.expect(0x84, 0x9C))
		assert.Len(t, s.Journal(), 4)

		// registration_refused: 84 83.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultRegistrationRefused})
		e.send(zvt.Registration(zvt.DefaultPassword, 0x38, 704))
		assert.Equal(t, []byte{0x84, 0x83, 0x00}, e.expect(0x84, 0x83))
	})
}

func TestSimUnsolicitedAndRepeatReceiptFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, e := startSim(t, zvtsim.Config{})
		si := e.pay(1_000)
		e.raw(ackBytes)
		e.expect(0x06, 0x0F)
		e.raw(ackBytes)

		// unsolicited: its last status information again, before it takes
		// the command.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultUnsolicited})
		e.send(zvt.Authorization(zvt.AuthorizationRequest{Amount: 2_000, Currency: 704}))
		assert.Equal(t, si, e.expect(0x04, 0x0F))
		e.raw(refuseBytes) // a booked one stays booked
		e.expect(0x80, 0x00)
		e.expect(0x04, 0x0F)
		e.raw(refuseBytes) // this one is reversed
		e.expect(0x06, 0x1E)
		e.raw(ackBytes)
		assert.Equal(t, zvtsim.Approved, s.Journal()[0].Status)
		assert.Equal(t, zvtsim.AutoReversed, s.Journal()[1].Status)

		// repeat_original: after the reversal, the original as approved.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatOriginal})
		e.send(zvt.RepeatReceipt(zvt.DefaultPassword, 0x01))
		e.expect(0x80, 0x00)
		m, _ := zvt.Decode(e.expect(0x04, 0x0F))
		assert.Equal(t, "00", m.ResultCode)
		assert.Equal(t, int64(2_000), *m.AmountMinor)
		e.raw(ackBytes)
		e.expect(0x06, 0x0F)
		e.raw(ackBytes)
		// without the fault: result B4, reversed
		e.send(zvt.RepeatReceipt(zvt.DefaultPassword, 0x01))
		e.expect(0x80, 0x00)
		m, _ = zvt.Decode(e.expect(0x04, 0x0F))
		assert.Equal(t, "B4", m.ResultCode)
		e.raw(ackBytes)
		e.expect(0x06, 0x0F)
		e.raw(ackBytes)

		// repeat_print_only: print lines and the completion, no record.
		s.Inject(zvtsim.Fault{Kind: zvtsim.FaultRepeatPrintOnly})
		e.send(zvt.RepeatReceipt(zvt.DefaultPassword, 0x01))
		e.expect(0x80, 0x00)
		e.expect(0x06, 0xD1)
		for {
			a, err := e.link.Receive(context.Background(), time.Second, nil)
			require.NoError(t, err)
			e.raw(ackBytes)
			if a[0] == 0x06 && a[1] == 0x0F {
				break
			}
			require.Equal(t, []byte{0x06, 0xD1}, a[:2])
		}
	})
}

// A simulator that died in a transaction ends it on restart as a terminal
// does: an unanswered approval reversed, anything else aborted.
func TestSimRestartEndsWhatWasOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st := map[string]any{"trace": 2, "receipt": 1, "batch": []any{}, "journal": []map[string]any{
		{"seq": 1, "kind": "payment", "status": "awaiting_ack", "amount": 1000, "trace": 1, "result_code": 0},
		{"seq": 2, "kind": "payment", "status": "running", "amount": 2000, "trace": 2, "result_code": 0},
	}, "last": map[string]any{"seq": 2, "kind": "payment", "status": "running", "amount": 2000, "trace": 2}}
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	s, err := zvtsim.New(zvtsim.Config{StateFile: path})
	require.NoError(t, err)
	j := s.Journal()
	assert.Equal(t, zvtsim.AutoReversed, j[0].Status)
	assert.Equal(t, zvtsim.Aborted, j[1].Status)
	last, _ := s.Last()
	assert.Equal(t, zvtsim.Aborted, last.Status)
	assert.Equal(t, byte(0x6C), last.ResultCode)
}
