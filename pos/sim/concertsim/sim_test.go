package concertsim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
)

// testTimers are the tests' timers. The tests that talk to the simulator
// run in synctest bubbles on a transport.Pipe, so the timers run on the
// bubble's fake clock: exact, free, and the same on a busy machine.
var testTimers = concert.Timers{ACK: 100 * time.Millisecond, ENQRetryPause: 10 * time.Millisecond,
	ByteGap: 60 * time.Millisecond, EOT: 150 * time.Millisecond, Answer: 500 * time.Millisecond}

// serve runs s on one end of a new transport.Pipe and returns an ECR-side
// session on the other. Call it inside synctest.Test.
func serve(t *testing.T, s *Sim) *concert.Session {
	t.Helper()
	conn, line := transport.Pipe("ecr", "terminal")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(ctx, line) }()
	t.Cleanup(func() {
		cancel()
		_ = conn.Close()
		<-done
	})
	return concert.NewSession(conn, concert.RoleECR, testTimers, nil)
}

// payOnce sends a request and receives the answer with the plain session.
func payOnce(t *testing.T, sess *concert.Session, amount int64, priv string) (concert.PaymentAnswer, []byte) {
	t.Helper()
	text, err := concert.NewPaymentRequest(amount, priv).Text()
	require.NoError(t, err)
	require.NoError(t, sess.Send(context.Background(), text))
	ans, err := sess.ReceiveFrame(context.Background(), testTimers.Answer)
	require.NoError(t, err)
	frame := append([]byte(nil), sess.Held()...)
	require.NoError(t, sess.Acknowledge(context.Background()))
	a, err := concert.ParsePaymentAnswer(ans)
	require.NoError(t, err)
	return a, frame
}

func TestSimAnswersEchoesPRIVAndKeepsJournalAndState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state.json")
		s, err := New(Config{Timers: testTimers, StatePath: state})
		require.NoError(t, err)
		sess := serve(t, s)

		a, _ := payOnce(t, sess, 150_000, "HS00012345")
		assert.Equal(t, concert.StatusAccepted, a.Status)
		assert.Equal(t, "HS00012345", a.Priv)
		assert.Equal(t, int64(150_000), a.Amount)
		assert.Equal(t, "704", a.Currency)
		assert.True(t, a.Long)
		assert.Equal(t, "411111******1111", a.PANMasked)

		s.Inject(Fault{Kind: FaultDecline})
		a, _ = payOnce(t, sess, 20_000, "DECL")
		assert.Equal(t, concert.StatusRefused, a.Status)

		j := s.Journal()
		require.Len(t, j, 2)
		assert.True(t, j[0].Charged)
		assert.False(t, j[1].Charged)
		assert.Equal(t, FaultDecline, j[1].Fault)
		assert.Len(t, s.Charged("HS00012345"), 1)
		assert.Empty(t, s.Charged("DECL"))

		// The counters survive a restart; no temporary file is left behind.
		again, err := New(Config{StatePath: state})
		require.NoError(t, err)
		assert.Equal(t, State{Seq: 2, ChargedCount: 1, ChargedTotal: 150_000}, again.State())
		files, err := os.ReadDir(filepath.Dir(state))
		require.NoError(t, err)
		assert.Len(t, files, 1)
	})
}

func TestSimDamagedStateFileIsReported(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(state, []byte("{not json"), 0o600))
	_, err := New(Config{StatePath: state})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "delete it")
}

func TestSimAnswerWithLRCEqualToSTX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		s.Inject(Fault{Kind: FaultLRCIsSTX})
		a, frame := payOnce(t, sess, 1_242, "LRC")
		assert.Equal(t, concert.STX, frame[len(frame)-1])
		assert.Equal(t, concert.ETX, frame[len(frame)-2])
		assert.Equal(t, concert.StatusAccepted, a.Status)
		assert.Equal(t, "LRC", a.Priv)
	})
}

func TestSimRandomFaultsAreSeeded(t *testing.T) {
	draw := func() []FaultKind {
		s, err := New(Config{Seed: 42, FaultRate: 0.5, FaultMix: []Fault{{Kind: FaultDecline}, {Kind: FaultGarbage}, {Kind: FaultHang}}})
		require.NoError(t, err)
		var out []FaultKind
		for range 50 {
			out = append(out, s.nextFault().Kind)
		}
		return out
	}
	first := draw()
	assert.Equal(t, first, draw())
	assert.Contains(t, first, FaultNone)
	assert.Contains(t, first, FaultDecline)
}

func TestSimInjectedFaultsComeFirstInOrder(t *testing.T) {
	s, err := New(Config{Seed: 1, FaultRate: 1, FaultMix: []Fault{{Kind: FaultGarbage}}})
	require.NoError(t, err)
	s.Inject(Fault{Kind: FaultDecline}, Fault{Kind: FaultHang})
	assert.Equal(t, FaultDecline, s.nextFault().Kind)
	assert.Equal(t, FaultHang, s.nextFault().Kind)
	assert.Equal(t, FaultGarbage, s.nextFault().Kind)
}

func TestSimHangUpClosesTheLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		conn, line := transport.Pipe("ecr", "terminal")
		defer conn.Close()
		done := make(chan error, 1)
		go func() { done <- s.ServeConn(context.Background(), line) }()
		s.Inject(Fault{Kind: FaultHangUp})
		sess := concert.NewSession(conn, concert.RoleECR, testTimers, nil)
		text, err := concert.NewPaymentRequest(5_000, "HUP").Text()
		require.NoError(t, err)
		require.NoError(t, sess.Send(context.Background(), text))
		_, err = sess.ReceiveFrame(context.Background(), testTimers.Answer)
		assert.ErrorIs(t, err, transport.ErrVanished)
		assert.ErrorIs(t, <-done, ErrHungUp)
		assert.Len(t, s.Charged("HUP"), 1, "the charge was taken before the line died")
	})
}
