package sim_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/sim"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

func TestParseFault(t *testing.T) {
	cases := []struct {
		protocol pos.Protocol
		spec     string
		zvt      zvtsim.Fault
		concert  concertsim.Fault
	}{
		{pos.ZVT, "decline", zvtsim.Fault{Kind: zvtsim.FaultDecline}, concertsim.Fault{}},
		// ISO 8583 host code 51 travels as the binary number 0x33.
		{pos.ZVT, "decline:51", zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 0x33}, concertsim.Fault{}},
		{pos.ZVT, "card_error:64", zvtsim.Fault{Kind: zvtsim.FaultCardError, Code: 0x64}, concertsim.Fault{}},
		{pos.ZVT, "hang", zvtsim.Fault{Kind: zvtsim.FaultHang}, concertsim.Fault{}},
		{pos.ZVT, "Slow-Card:2s", zvtsim.Fault{Kind: zvtsim.FaultSlowCard, Delay: 2 * time.Second}, concertsim.Fault{}},
		{pos.ZVT, "bad_crc:completion", zvtsim.Fault{Kind: zvtsim.FaultBadCRC, Target: zvtsim.TargetCompletion}, concertsim.Fault{}},
		{pos.ZVT, "abort", zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort}, concertsim.Fault{}},
		{pos.ZVT, "short_timers:500ms", zvtsim.Fault{Kind: zvtsim.FaultShortTimers, Delay: 500 * time.Millisecond}, concertsim.Fault{}},
		{pos.ZVT, "registration_refused:6B", zvtsim.Fault{Kind: zvtsim.FaultRegistrationRefused, Code: 0x6B}, concertsim.Fault{}},
		{pos.ZVT, "status_bad_length", zvtsim.Fault{Kind: zvtsim.FaultStatusBadLength}, concertsim.Fault{}},
		{pos.ZVT, "repeat-original", zvtsim.Fault{Kind: zvtsim.FaultRepeatOriginal}, concertsim.Fault{}},
		{pos.Concert, "decline", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultDecline}},
		{pos.Concert, "customer_abort", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultAbort}},
		{pos.Concert, "nak_request:3", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultNAKRequest, Count: 3}},
		{pos.Concert, "slow_card", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultSlowCard, Delay: 3 * time.Second}},
		{pos.Concert, "hang", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultHang}},
		{pos.Concert, "late_answer", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultLateAnswer, Delay: 130 * time.Second}},
		{pos.Concert, "late_answer:5m", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultLateAnswer, Delay: 5 * time.Minute}},
		{pos.Concert, "busy", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultBusy, Delay: 15 * time.Second}},
		{pos.Concert, "answer_ack_lost:2", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultAnswerACKLost, Count: 2}},
		{pos.Concert, "unsolicited", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultUnsolicited}},
		{pos.Concert, "short_timers", zvtsim.Fault{}, concertsim.Fault{Kind: concertsim.FaultShortTimers, Delay: time.Second}},
	}
	for _, c := range cases {
		t.Run(string(c.protocol)+" "+c.spec, func(t *testing.T) {
			f, err := sim.ParseFault(c.protocol, c.spec)
			require.NoError(t, err)
			assert.Equal(t, c.zvt, f.ZVT())
			assert.Equal(t, c.concert, f.Concert())
			assert.Equal(t, c.spec, f.Spec)
		})
	}
}

func TestParseFaultErrors(t *testing.T) {
	cases := []struct {
		protocol pos.Protocol
		spec     string
		want     []string
	}{
		{pos.ZVT, "explode", []string{`unknown zvt fault "explode"`, "valid faults: ", "decline[:CODE]", "hang", "no_ack_reverse"}},
		{pos.Concert, "no_ack_reverse", []string{"valid faults: ", "lrc_stx", "wrong_priv"}},
		{pos.Concert, "decline:51", []string{"takes no argument", "no host code"}},
		{pos.ZVT, "decline:0", []string{"1 to 99"}},
		{pos.ZVT, "decline:x", []string{"1 to 99"}},
		{pos.ZVT, "card_error:zz", []string{"hex"}},
		{pos.ZVT, "slow_card:fast", []string{"duration"}},
		{pos.ZVT, "bad_crc:everything", []string{"ack, intermediate, result or completion"}},
		{pos.ZVT, "hang:5", []string{"takes no argument"}},
		{pos.Concert, "bad_lrc:-1", []string{"count"}},
		{"pay", "hang", []string{"zvt or concert"}},
	}
	for _, c := range cases {
		t.Run(string(c.protocol)+" "+c.spec, func(t *testing.T) {
			_, err := sim.ParseFault(c.protocol, c.spec)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := sim.ParseFaults(pos.ZVT, []string{"decline", "nope"})
	assert.ErrorContains(t, err, `"nope"`)
}

func TestFaultKindsCoverEverySimulatorKind(t *testing.T) {
	names := func(p pos.Protocol) map[string]bool {
		out := map[string]bool{}
		for _, k := range sim.FaultKinds(p) {
			k, _, _ = strings.Cut(k, "[")
			out[k] = true
		}
		return out
	}
	z := names(pos.ZVT)
	every := append(append([]zvtsim.FaultKind(nil), zvtsim.AllFaults...), zvtsim.OtherFaults...)
	for _, k := range every {
		assert.True(t, z[string(k)], k)
	}
	assert.Len(t, z, len(every))
	c := names(pos.Concert)
	for _, k := range concertsim.AllFaults {
		assert.True(t, c[string(k)], k)
	}
	assert.Len(t, c, len(concertsim.AllFaults))
}

func TestConfigValidate(t *testing.T) {
	ctx := context.Background()
	_, err := sim.Start(ctx, sim.Config{Protocol: pos.Concert, TCP: "127.0.0.1:0"})
	assert.ErrorIs(t, err, sim.ErrConcertTCP)
	_, err = sim.Start(ctx, sim.Config{Protocol: "x"})
	assert.ErrorContains(t, err, "zvt or concert")
	_, err = sim.Start(ctx, sim.Config{Protocol: pos.ZVT, TerminalID: "ABC"})
	assert.ErrorContains(t, err, "8 digits")
	_, err = sim.Start(ctx, sim.Config{Protocol: pos.Concert, TerminalID: "1"})
	assert.ErrorContains(t, err, "no terminal id")
	_, err = sim.Start(ctx, sim.Config{Protocol: pos.ZVT, FaultRate: 1.5})
	assert.ErrorContains(t, err, "between 0 and 1")
}

// logBuffer collects the simulator's log lines safely.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(t *testing.T, cfg sim.Config) (*sim.Simulator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg.Log = slog.New(slog.NewTextHandler(logs, nil))
	s, err := sim.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, logs
}

func pay(t *testing.T, term pos.Terminal, amount int64) pos.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := term.Pay(ctx, pos.Request{Amount: amount, Reference: "T1"}, nil)
	require.NotNil(t, p, "%v", err)
	require.NoError(t, p.Confirm(ctx))
	return p.Result()
}

func TestZVTOverTCPWithFaults(t *testing.T) {
	decline, err := sim.ParseFault(pos.ZVT, "decline:51")
	require.NoError(t, err)
	s, logs := start(t, sim.Config{Protocol: pos.ZVT, TCP: "127.0.0.1:0", TerminalID: "29009999", Faults: []sim.Fault{decline}})
	assert.NotContains(t, s.Addr(), ":0")

	conn, err := transport.DialTCP(context.Background(), s.Addr())
	require.NoError(t, err)
	term := zvt.New(conn, zvt.Config{ID: "T1", TCP: true})
	defer term.Close()

	r := pay(t, term, 150000)
	assert.Equal(t, pos.Declined, r.Outcome)
	assert.Equal(t, "51", r.HostCode)
	r = pay(t, term, 150000)
	assert.Equal(t, pos.Approved, r.Outcome)
	assert.Equal(t, "29009999", r.TerminalID)

	// Faults injected while running apply to the next transaction.
	cardErr, err := sim.ParseFault(pos.ZVT, "card_error:64")
	require.NoError(t, err)
	s.Inject(cardErr)
	assert.Equal(t, pos.CardError, pay(t, term, 1000).Outcome)

	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "status=approved") }, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, logs.String(), "fault=decline")
	assert.Contains(t, logs.String(), "pan=")
	assert.NoError(t, s.Close())
}

// The state file carries the last transaction over a restart: Repeat
// Receipt on the new simulator repeats the payment of the old one.
func TestZVTStateSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sim-zvt.json")
	s, _ := start(t, sim.Config{Protocol: pos.ZVT, StateFile: state})
	conn, err := transport.OpenSerial(transport.ZVTSerial(s.Addr()))
	require.NoError(t, err)
	term := zvt.New(conn, zvt.Config{ID: "T1"})
	first := pay(t, term, 150000)
	require.Equal(t, pos.Approved, first.Outcome)
	require.NoError(t, term.Close())
	require.NoError(t, s.Close())

	s, logs := start(t, sim.Config{Protocol: pos.ZVT, StateFile: state})
	conn, err = transport.OpenSerial(transport.ZVTSerial(s.Addr()))
	require.NoError(t, err)
	term = zvt.New(conn, zvt.Config{ID: "T1"})
	defer term.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	last, err := term.LastResult(ctx)
	require.NoError(t, err)
	assert.Equal(t, pos.Approved, last.Outcome)
	assert.Equal(t, first.TraceNo, last.TraceNo)
	assert.EqualValues(t, 150000, last.Amount)
	assert.Contains(t, logs.String(), "journal loaded from the state file")
	assert.NotContains(t, logs.String(), "status=approved", "history is not replayed into the log")
}

func TestConcertOnPTY(t *testing.T) {
	s, logs := start(t, sim.Config{Protocol: pos.Concert, StateFile: filepath.Join(t.TempDir(), "c.json")})
	conn, err := transport.OpenSerial(transport.ConcertSerial(s.Addr()))
	require.NoError(t, err)
	term := concert.New(conn, concert.Config{ID: "T2"})
	defer term.Close()
	r := pay(t, term, 150000)
	assert.Equal(t, pos.Approved, r.Outcome)
	assert.Equal(t, "411111******1111", r.PANMasked)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "charged=true") }, 10*time.Second, 10*time.Millisecond)
}

// A hang_up fault closes the pseudo-terminal like a pulled cable; the
// simulator plugs in a new one and says where.
func TestHangUpOpensANewPseudoTerminal(t *testing.T) {
	for _, p := range []pos.Protocol{pos.ZVT, pos.Concert} {
		t.Run(string(p), func(t *testing.T) {
			hangUp, err := sim.ParseFault(p, "hang_up")
			require.NoError(t, err)
			addrs := make(chan string, 4)
			s, _ := start(t, sim.Config{Protocol: p, Faults: []sim.Fault{hangUp}, OnListen: func(a string) { addrs <- a }})
			first := <-addrs
			assert.Equal(t, first, s.Addr())

			open := func(path string) pos.Terminal {
				if p == pos.ZVT {
					conn, err := transport.OpenSerial(transport.ZVTSerial(path))
					require.NoError(t, err)
					return zvt.New(conn, zvt.Config{ID: "T1"})
				}
				conn, err := transport.OpenSerial(transport.ConcertSerial(path))
				require.NoError(t, err)
				return concert.New(conn, concert.Config{ID: "T1"})
			}
			term := open(first)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			pend, _ := term.Pay(ctx, pos.Request{Amount: 1000, Reference: "T1"}, nil)
			require.NotNil(t, pend)
			assert.NotEqual(t, pos.Approved, pend.Result().Outcome)
			_ = pend.Confirm(ctx)
			_ = term.Close()

			var next string
			select {
			case next = <-addrs:
			case <-time.After(15 * time.Second):
				t.Fatal("no new pseudo-terminal after the hang-up")
			}
			// (The kernel may give the new pseudo-terminal the old number.)
			term = open(next)
			defer term.Close()
			assert.Equal(t, pos.Approved, pay(t, term, 1000).Outcome)
		})
	}
}
