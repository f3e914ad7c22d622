package terminals_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
)

// The tests of this file run the manager with the real drivers against
// the real simulators over pseudo-terminals, opened as serial ports
// (go.bug.st/serial), in real time with the protocols' own timers. No
// conversation here runs a timer out: their waits end when what they
// wait for comes, and their bounds are wide (a minute), for a busy
// machine.

const patient = time.Minute

func realZVT(t *testing.T, cfg zvtsim.Config) (*zvtsim.Sim, string) {
	t.Helper()
	s, err := zvtsim.New(cfg)
	require.NoError(t, err)
	srv, err := s.ServePTY(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return s, srv.Path
}

func realConcert(t *testing.T) (*concertsim.Sim, string) {
	t.Helper()
	s, err := concertsim.New(concertsim.Config{})
	require.NoError(t, err)
	p, err := transport.NewPTY()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ctx, p.Master)
	}()
	t.Cleanup(func() {
		cancel()
		_ = p.Close()
		<-done
	})
	return s, p.SlavePath
}

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func startManager(t *testing.T, cfgs []config.Terminal, o terminals.Options) (*terminals.Manager, *logBuffer) {
	t.Helper()
	log := &logBuffer{}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m, err := terminals.New(cfgs, o)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	t.Cleanup(func() { _ = m.Close() })
	return m, log
}

func waitFor(t *testing.T, m *terminals.Manager, id string, st terminals.Status, log *logBuffer) {
	t.Helper()
	deadline := time.Now().Add(patient)
	for time.Now().Before(deadline) {
		if statusOf(m, id).Status == st {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("terminal %s never became %s: %+v\nlog:\n%s", id, st, statusOf(m, id), log)
}

// A payment on each protocol, end to end over serial lines.
func TestSerialLines(t *testing.T) {
	zsim, zpath := realZVT(t, zvtsim.Config{})
	csim, cpath := realConcert(t)
	db := openDB(t, filepath.Join(t.TempDir(), "feepos.db"))
	m, log := startManager(t, []config.Terminal{
		{ID: "T1", Protocol: "zvt", Counter: "Quầy 1", Port: zpath},
		{ID: "T2", Protocol: "concert", Counter: "Quầy 2", Port: cpath},
	}, terminals.Options{Store: db})
	waitFor(t, m, "T1", terminals.StatusIdle, log)
	waitFor(t, m, "T2", terminals.StatusIdle, log)
	ctx, cancel := context.WithTimeout(context.Background(), patient)
	defer cancel()

	for _, id := range []string{"T1", "T2"} {
		c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: id, Amount: 150_000})
		require.NoError(t, err, id)
		require.Equal(t, pos.Approved, c.Result().Outcome, id)
		require.NoError(t, c.Confirm(ctx), id)
		assert.Equal(t, terminals.StateConfirmed, c.State(), id)
		rec := attempt(t, m, c.AttemptID())
		require.Len(t, evidence(rec, terminals.EvidenceWire), 1, id)
		if id == "T2" {
			require.Len(t, csim.Charged(c.AttemptID()), 1, "the terminal charged the attempt's reference")
		}
	}
	j := zsim.Journal()
	require.Len(t, j, 1)
	assert.True(t, j[0].Charged())
	eod, err := m.EndOfDay(ctx, "T1")
	require.NoError(t, err)
	assert.EqualValues(t, 150_000, eod.Total)
}

// A terminal whose cable is pulled in the middle of a payment comes back
// under another name (a USB terminal replugged as another ttyACM): the
// manager finds it by its USB ids, registers again, settles the payment
// the pull left in doubt from the terminal's last transaction, and goes
// on paying.
func TestReplugUnderAnotherName(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	s, err := sim.Start(context.Background(), sim.Config{Protocol: pos.ZVT, OnListen: func(p string) {
		mu.Lock()
		paths = append(paths, p)
		mu.Unlock()
	}})
	require.NoError(t, err)
	defer s.Close()
	current := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
	// The resolver: the simulator's port of now, as the USB lookup finds
	// the port that has the terminal's ids.
	resolve := func(_ context.Context, c config.Terminal) (string, error) {
		require.NotNil(t, c.USB)
		p := current()
		return p[len(p)-1], nil
	}
	var regs atomic.Int32
	db := openDB(t, filepath.Join(t.TempDir(), "feepos.db"))
	m, log := startManager(t, []config.Terminal{{ID: "T1", Protocol: "zvt", USB: &config.USB{VID: "0b00", PID: "0080", SerialNumber: "SIM"}}},
		terminals.Options{Store: db, Resolve: resolve, OnWire: func(_ string, e terminals.TapEntry) {
			if e.Direction == "ecr_to_pt" && e.Message.Kind == "registration" {
				regs.Add(1)
			}
		}})
	waitFor(t, m, "T1", terminals.StatusIdle, log)
	ctx, cancel := context.WithTimeout(context.Background(), 3*patient)
	defer cancel()

	c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
	require.NoError(t, err)
	require.NoError(t, c.Confirm(ctx))

	f, err := sim.ParseFault(pos.ZVT, "hang_up:result")
	require.NoError(t, err)
	s.Inject(f)
	c, err = m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
	require.Error(t, err)
	<-c.Finished()
	assert.Equal(t, terminals.StateInDoubt, c.State(), "%v", err)

	// Back on the new port: registered again, the attempt settled.
	deadline := time.Now().Add(patient)
	for time.Now().Before(deadline) && attempt(t, m, c.AttemptID()).State == terminals.StateInDoubt {
		time.Sleep(50 * time.Millisecond)
	}
	require.Len(t, current(), 2, "the simulator plugged a new pseudo-terminal")
	rec := attempt(t, m, c.AttemptID())
	require.Equal(t, terminals.StateSettledNotCharged, rec.State, "%+v\n%s", rec.History, log)
	waitFor(t, m, "T1", terminals.StatusIdle, log)
	assert.GreaterOrEqual(t, regs.Load(), int32(2), "registered at the start and again after the replug")
	assert.Contains(t, log.String(), "from=idle to=offline")

	c, err = m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 30_000})
	require.NoError(t, err)
	require.NoError(t, c.Confirm(ctx))
}

// Killing feepos between any two steps never leaves a charge feepos
// believes not charged, nor one it believes charged without proof: a
// child process runs the manager and is killed (SIGKILL) after the
// attempt is written down, after it is marked sent (before a byte is
// sent), and while the terminal hangs after taking the command; a new
// manager on the same database and terminal settles each from the
// terminal's last transaction.
func TestKilledBetweenSteps(t *testing.T) {
	for _, stage := range []string{"prepared", "sent", "hang"} {
		t.Run(stage, func(t *testing.T) {
			zsim, path := realZVT(t, zvtsim.Config{HangFor: 3 * time.Second})
			if stage == "hang" {
				zsim.Inject(zvtsim.Fault{}, zvtsim.Fault{Kind: zvtsim.FaultHang})
			}
			dbPath := filepath.Join(t.TempDir(), "feepos.db")
			// The child is killed while the terminal hangs: once the
			// terminal took the second payment (it records it at once).
			taken := func() bool {
				for _, tx := range zsim.Journal() {
					if tx.Amount == 20_000 {
						return true
					}
				}
				return false
			}
			id := runKilledChild(t, dbPath, path, stage, taken)

			db := openDB(t, dbPath)
			rec, err := db.Attempt(context.Background(), id)
			require.NoError(t, err)
			want := map[string]terminals.State{"prepared": terminals.StatePrepared, "sent": terminals.StateSent, "hang": terminals.StateSent}[stage]
			require.Equal(t, want, rec.State, "left so by the killed process")

			m, log := startManager(t, []config.Terminal{{ID: "T1", Protocol: "zvt", Port: path}}, terminals.Options{Store: db})
			deadline := time.Now().Add(patient)
			for time.Now().Before(deadline) && attempt(t, m, id).State.Open() {
				time.Sleep(50 * time.Millisecond)
			}
			rec = attempt(t, m, id)
			require.Equal(t, terminals.StateSettledNotCharged, rec.State, "%+v\nlog:\n%s", rec.History, log)
			if stage != "prepared" {
				assert.Contains(t, states(rec), terminals.StateInDoubt)
				lr := evidence(rec, pos.EvidenceLastResult)
				require.Len(t, lr, 1)
				assert.Equal(t, pos.NotCharged, lr[0].Finding.Verdict)
				if stage == "hang" {
					// The terminal took it: its last record is the hung
					// attempt's own, recorded aborted, next trace number.
					assert.Equal(t, pos.Aborted, lr[0].Result.Outcome, lr[0].Finding.Reason)
					assert.Equal(t, rec.TraceBefore+1, lr[0].Result.TraceNo)
				} else {
					assert.Equal(t, rec.TraceBefore, lr[0].Result.TraceNo, "never sent: the payment before")
				}
			}
			for _, tx := range zsim.Journal() {
				assert.False(t, tx.Charged() && tx.Amount == 20_000, "the terminal did not charge it either: %+v", tx)
			}
			waitFor(t, m, "T1", terminals.StatusIdle, log)
		})
	}
}

// runKilledChild runs TestKilledChild in a child process, which pays once
// on the terminal at port, then starts a second payment and is killed at
// stage; it returns the second attempt's id. For "hang" the child reports
// the attempt when it is about to send it, and the parent kills it once
// taken says the terminal took the command (no guess of how long that
// takes on a busy machine).
func runKilledChild(t *testing.T, dbPath, port, stage string, taken func() bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEEPOS_KILL_DB="+dbPath, "FEEPOS_KILL_PORT="+port, "FEEPOS_KILL_AT="+stage)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var id string
	timeout := time.After(2 * patient)
	for id == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("the child ended without reaching %s: %s", stage, stderr.String())
			}
			if rest, ok := strings.CutPrefix(l, "AT "); ok {
				id = rest
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the child never reached %s: %s", stage, stderr.String())
		}
	}
	if stage == "hang" {
		// The command is on its way: kill the child once the terminal
		// took it and hangs.
		deadline := time.Now().Add(patient)
		for !taken() {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("the terminal never took the second payment: %s", stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Kill())
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child was killed: %v %s", err, stderr.String())
	assert.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())
	return id
}

// TestKilledChild is the child of runKilledChild; alone it does nothing.
func TestKilledChild(t *testing.T) {
	dbPath, port, stage := os.Getenv("FEEPOS_KILL_DB"), os.Getenv("FEEPOS_KILL_PORT"), os.Getenv("FEEPOS_KILL_AT")
	if dbPath == "" {
		t.Skip("the child of TestKilledBetweenSteps")
	}
	die := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		die(err)
	}
	var second atomic.Bool
	opts := terminals.WithTestHook(terminals.Options{Store: db}, func(s, attempt string) {
		if !second.Load() {
			return
		}
		switch {
		case stage == "hang" && s == "sent":
			fmt.Printf("AT %s\n", attempt) // the parent kills us while the terminal hangs
		case s == stage:
			fmt.Printf("AT %s\n", attempt)
			_ = os.Stdout.Sync()
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	})
	m, err := terminals.New([]config.Terminal{{ID: "T1", Protocol: "zvt", Port: port}}, opts)
	if err != nil {
		die(err)
	}
	if err := m.Start(ctx); err != nil {
		die(err)
	}
	for i := 0; statusOf(m, "T1").Status != terminals.StatusIdle; i++ {
		if i > 3000 {
			die(fmt.Errorf("terminal not idle: %+v", statusOf(m, "T1")))
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 10_000})
	if err != nil {
		die(err)
	}
	if err := c.Confirm(ctx); err != nil {
		die(err)
	}
	second.Store(true)
	_, err = m.Charge(ctx, terminals.ChargeRequest{Terminal: "T1", Amount: 20_000})
	die(fmt.Errorf("the second charge ended (%v) before the parent killed the child", err))
}
