package concertsim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/internal/vectortest"
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

// send sends a payment request with the plain session.
func send(t *testing.T, sess *concert.Session, r concert.PaymentRequest) {
	t.Helper()
	text, err := r.Text()
	require.NoError(t, err)
	require.NoError(t, sess.Send(context.Background(), text))
}

// receive takes the terminal's next answer and acknowledges it.
func receive(t *testing.T, sess *concert.Session, wait time.Duration) concert.PaymentAnswer {
	t.Helper()
	text, err := sess.Receive(context.Background(), wait)
	require.NoError(t, err)
	a, err := concert.ParsePaymentAnswer(text)
	require.NoError(t, err)
	return a
}

// TestSimAnswersAsTheVectors: the simulator's answers to the requests of
// vectors D3 and D4 are those vectors, byte for byte: the encoder it
// shares with the driver is held to captured bytes, not to itself.
func TestSimAnswersAsTheVectors(t *testing.T) {
	v, err := vectortest.Tagged("../../concert/testdata/concert-vectors.txt")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		req := concert.PaymentRequest{POSNumber: 1, Amount: 1250, AnswerFlag: concert.AnswerShort, PaymentMode: concert.ModeCard,
			TransactionType: concert.TypeDebit, Currency: 978, Priv: "0000000000", Delay: concert.DelayEndOfTransaction,
			Authorization: concert.AuthorizationDefault}
		for _, c := range []struct {
			id    string
			fault Fault
		}{{"D3", Fault{}}, {"D4", Fault{Kind: FaultDecline}}} {
			s.Inject(c.fault)
			send(t, sess, req)
			_, err := sess.ReceiveFrame(context.Background(), testTimers.Answer)
			require.NoError(t, err)
			assert.Equal(t, v[c.id], sess.Held(), c.id)
			require.NoError(t, sess.Acknowledge(context.Background()))
		}
	})
}

// TestSimBusyInItsMenuAnswersNoENQ: while the menu is open the terminal
// answers nothing (no ACK, no NAK); the transaction is not run.
func TestSimBusyInItsMenuAnswersNoENQ(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		s.Inject(Fault{Kind: FaultBusy, Delay: 5 * time.Second})
		text, err := concert.NewPaymentRequest(1_000, "MENU").Text()
		require.NoError(t, err)
		err = sess.Send(context.Background(), text)
		var se *concert.SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, concert.NotDelivered, se.Delivery)
		assert.ErrorIs(t, err, concert.ErrENQRefused)
		assert.ErrorIs(t, sess.Probe(context.Background()), concert.ErrENQRefused)
		time.Sleep(5 * time.Second)
		require.NoError(t, sess.Probe(context.Background()), "the menu is closed")
		assert.Empty(t, s.Journal())
		a, _ := payOnce(t, sess, 1_000, "MENU")
		assert.Equal(t, concert.StatusAccepted, a.Status)
	})
}

// TestSimGateHoldsTheAnswer: a gated transaction answers when the gate
// opens, and the terminal ignores the register until then.
func TestSimGateHoldsTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		gate := make(chan struct{})
		s.Inject(Fault{Gate: gate})
		send(t, sess, concert.NewPaymentRequest(3_000, "GATE"))
		assert.ErrorIs(t, sess.Probe(context.Background()), concert.ErrENQRefused, "at work: no ACK")
		start := time.Now()
		time.AfterFunc(time.Hour, func() { close(gate) })
		a := receive(t, sess, 2*time.Hour)
		assert.Equal(t, time.Hour, time.Since(start))
		assert.Equal(t, "GATE", a.Priv)
		synctest.Wait()
		assert.True(t, s.Journal()[0].Acked)
	})
}

// TestSimLateAnswer: late_answer answers after its delay, approved.
func TestSimLateAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		s.Inject(Fault{Kind: FaultLateAnswer, Delay: 130 * time.Second})
		send(t, sess, concert.NewPaymentRequest(3_000, "LATE"))
		start := time.Now()
		a := receive(t, sess, time.Hour)
		assert.Equal(t, 130*time.Second, time.Since(start))
		assert.Equal(t, concert.StatusAccepted, a.Status)
		assert.Len(t, s.Charged("LATE"), 1)
	})
}

// TestSimResendsWhenItsACKIsLost: the terminal does not hear the
// register's ACK and sends its answer again an ACK timer later; after
// FrameAttempts sendings it gives up, the answer not delivered.
func TestSimResendsWhenItsACKIsLost(t *testing.T) {
	for _, lost := range []int{1, concert.FrameAttempts} {
		t.Run(fmt.Sprintf("lost %d", lost), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, err := New(Config{Timers: testTimers})
				require.NoError(t, err)
				sess := serve(t, s)
				s.Inject(Fault{Kind: FaultAnswerACKLost, Count: lost})
				send(t, sess, concert.NewPaymentRequest(3_000, "LOST"))
				_, err = sess.ReceiveFrame(context.Background(), testTimers.Answer)
				require.NoError(t, err)
				first := append([]byte(nil), sess.Held()...)
				start := time.Now()
				// Acknowledge sees each resend (within its EOT wait) and
				// acknowledges it again; the terminal ends with EOT.
				require.NoError(t, sess.Acknowledge(context.Background()))
				want := time.Duration(lost) * testTimers.ACK
				assert.Equal(t, want, time.Since(start), "%d resends, an ACK timer apart", lost)
				_, err = sess.ReceiveFrame(context.Background(), time.Second)
				assert.ErrorIs(t, err, concert.ErrNoENQ, "nothing else")
				assert.Equal(t, lost < concert.FrameAttempts, s.Journal()[0].Acked)
				assert.NotEmpty(t, first)
			})
		})
	}
}

// TestSimUnsolicited: after the transaction the terminal sends, on its
// own, the answer of a payment keyed in on it: PRIV blank.
func TestSimUnsolicited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		s.Inject(Fault{Kind: FaultUnsolicited})
		a, _ := payOnce(t, sess, 3_000, "ASKED")
		assert.Equal(t, "ASKED", a.Priv)
		own := receive(t, sess, time.Second)
		assert.Equal(t, "", own.Priv)
		assert.Equal(t, int64(UnsolicitedAmount), own.Amount)
		assert.Equal(t, concert.StatusAccepted, own.Status)
		j := s.Journal()
		require.Len(t, j, 2)
		assert.True(t, j[1].Charged)
		assert.Equal(t, FaultUnsolicited, j[1].Fault)
		synctest.Wait()
		assert.True(t, s.Journal()[1].Acked)
	})
}

// TestSimShortTimers: with its ACK timer at Delay, the terminal gives up
// on an unacknowledged answer after FrameAttempts × Delay, EOT.
func TestSimShortTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		conn, line := transport.Pipe("ecr", "terminal")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.ServeConn(ctx, line) }()
		defer func() {
			cancel()
			_ = conn.Close()
			<-done
		}()
		short := 20 * time.Millisecond
		s.Inject(Fault{Kind: FaultShortTimers, Delay: short})
		sess := concert.NewSession(conn, concert.RoleECR, testTimers, nil)
		send(t, sess, concert.NewPaymentRequest(3_000, "SHORT"))
		_, err = sess.ReceiveFrame(context.Background(), testTimers.Answer)
		require.NoError(t, err)
		frame := append([]byte(nil), sess.Held()...)
		start := time.Now()
		// Hold the ACK: read what the terminal sends.
		var got []byte
		buf := make([]byte, 512)
		for {
			n, err := conn.ReadTimeout(buf, time.Second)
			if err != nil {
				break
			}
			got = append(got, buf[:n]...)
			if got[len(got)-1] == concert.EOT {
				break
			}
		}
		assert.Equal(t, time.Duration(concert.FrameAttempts)*short, time.Since(start))
		want := append(append(append([]byte(nil), frame...), frame...), concert.EOT)
		assert.Equal(t, want, got, "two resends, then EOT")
		assert.False(t, s.Journal()[0].Acked)
	})
}

// TestSimGivesWayAndSendsTheAnswerLater: the register's ENQ crosses the
// terminal's: the terminal serves the register's session first, then
// sends the answer it still holds, before the new transaction's.
func TestSimGivesWayAndSendsTheAnswerLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(Config{Timers: testTimers})
		require.NoError(t, err)
		sess := serve(t, s)
		gate := make(chan struct{})
		s.Inject(Fault{Gate: gate})
		send(t, sess, concert.NewPaymentRequest(3_000, "FIRST"))
		close(gate)
		send(t, sess, concert.NewPaymentRequest(4_000, "SECOND"))
		a := receive(t, sess, time.Second)
		assert.Equal(t, "FIRST", a.Priv, "the answer held back comes first")
		b := receive(t, sess, time.Second)
		assert.Equal(t, "SECOND", b.Priv)
		synctest.Wait()
		for _, e := range s.Journal() {
			assert.True(t, e.Acked, "%+v", e)
		}
	})
}
