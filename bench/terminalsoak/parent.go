package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos"
)

// soakConfig is one soak.
type soakConfig struct {
	Seed       uint64
	ZVT        int // ZVT terminals; the last repeats the original receipt after a reversal (if there are two or more)
	Concert    int
	Attempts   int // at least this many attempts written down
	Kills      int // and at least this many SIGKILLs
	FaultRate  float64
	MaxLife    time.Duration // a child lives U(0, MaxLife) after READY
	EarlyKill  float64       // share of children killed before READY
	Targeted   float64       // share of children with a kill plan
	GraceStop  float64       // share of children stopped gracefully instead
	Pace       time.Duration // longest pause between two charges on a terminal
	Dir        string        // work folder (database, ports, logs)
	MaxRunTime time.Duration // stop starting children after this (the report says so)
	// Exe and Args start a child; the child's configuration is added to
	// its environment (childEnv).
	Exe  string
	Args []string
	Out  io.Writer // progress lines
}

// runRecord is one child's life.
type runRecord struct {
	Run      int           `json:"run"`
	Plan     killPlan      `json:"plan,omitzero"`
	End      string        `json:"end"`             // killed, killed_itself, stopped, error
	Stage    string        `json:"stage,omitempty"` // the stage it killed itself at
	Life     time.Duration `json:"life"`
	Attempts int           `json:"attempts"` // written down during the run
	Injected []string      `json:"injected,omitempty"`
	settled  *settled      // the settling run's report
}

// soakResult is what the soak did before the check.
type soakResult struct {
	Runs       []runRecord
	Kills      int
	Targeted   int
	Early      int
	Stops      int
	Incomplete string // why the soak stopped before its targets
	Settled    settled
	Elapsed    time.Duration
}

// runSoak runs the simulated terminals, the children and the final
// settling run, then checks the result against the simulators' journals.
func runSoak(ctx context.Context, cfg soakConfig) (*report, error) {
	start := time.Now()
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	for _, d := range []string{"ports", "logs"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	dbPath := filepath.Join(cfg.Dir, "feepos.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var sims []*termSim
	defer func() {
		for _, s := range sims {
			_ = s.stop()
		}
	}()
	simCtx, stopSims := context.WithCancel(ctx)
	defer stopSims()
	for i := range cfg.ZVT + cfg.Concert {
		sp := simSpec{seed: rng.Uint64(), faultRate: cfg.FaultRate}
		if i < cfg.ZVT {
			sp.id, sp.proto = fmt.Sprintf("Z%d", i+1), pos.ZVT
			sp.repeatsOriginal = cfg.ZVT >= 2 && i == cfg.ZVT-1
		} else {
			sp.id, sp.proto = fmt.Sprintf("C%d", i-cfg.ZVT+1), pos.Concert
		}
		s, err := startSim(simCtx, sp, filepath.Join(cfg.Dir, "ports"))
		if err != nil {
			return nil, err
		}
		sims = append(sims, s)
	}
	var terms []config.Terminal
	for _, s := range sims {
		terms = append(terms, s.cfg)
	}

	var res soakResult
	attempts := func() int {
		var n int
		_ = db.SQL().GetContext(ctx, &n, `SELECT COUNT(*) FROM terminal_attempts`)
		return n
	}
	for run := 1; ; run++ {
		n := attempts()
		if n >= cfg.Attempts && res.Kills >= cfg.Kills {
			break
		}
		if cfg.MaxRunTime > 0 && time.Since(start) > cfg.MaxRunTime {
			res.Incomplete = fmt.Sprintf("stopped after %s (-max-time): %d attempts, %d kills", time.Since(start).Round(time.Second), n, res.Kills)
			break
		}
		rr := runRecord{Run: run}
		for _, s := range sims {
			for _, f := range s.injectBetweenRuns(rng) {
				rr.Injected = append(rr.Injected, s.cfg.ID+":"+f)
			}
		}
		cc := childConfig{Mode: "charge", Run: run, DB: dbPath, PortsDir: filepath.Join(cfg.Dir, "ports"),
			Log: filepath.Join(cfg.Dir, "logs", fmt.Sprintf("run-%04d.log", run)), Terminals: terms,
			Seed: cfg.Seed*1_000_003 + uint64(run), Pace: cfg.Pace}
		if rng.Float64() < cfg.Targeted {
			cc.Kill = killPlan{Stage: killStages[rng.IntN(len(killStages))], N: 1 + rng.IntN(3)}
		}
		rr.Plan = cc.Kill
		early := rng.Float64() < cfg.EarlyKill
		life := time.Duration(rng.Int64N(int64(cfg.MaxLife)))
		if early {
			life = time.Duration(rng.Int64N(int64(150 * time.Millisecond)))
		}
		grace := !early && rng.Float64() < cfg.GraceStop
		if err := runChild(ctx, cfg, cc, early, life, grace, &rr); err != nil {
			return nil, err
		}
		rr.Attempts = attempts() - n
		switch rr.End {
		case "killed":
			res.Kills++
			if early {
				res.Early++
			}
		case "killed_itself":
			res.Kills++
			res.Targeted++
		case "stopped":
			res.Stops++
		}
		res.Runs = append(res.Runs, rr)
		fmt.Fprintf(out, "run %4d  %-13s %-34s life %6s  attempts +%-3d total %5d  kills %4d\n", run, rr.End,
			planText(rr), rr.Life.Round(time.Millisecond), rr.Attempts, n+rr.Attempts, res.Kills)
	}

	// The last run settles: the terminals finish what they took, late
	// answers come in, every terminal recovers what is in doubt.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		busy := false
		for _, s := range sims {
			busy = busy || s.busy()
		}
		if !busy {
			break
		}
	}
	cc := childConfig{Mode: "settle", Run: len(res.Runs) + 1, DB: dbPath, PortsDir: filepath.Join(cfg.Dir, "ports"),
		Log: filepath.Join(cfg.Dir, "logs", "settle.log"), Terminals: terms, Seed: cfg.Seed, Settle: quietAfter()}
	fmt.Fprintf(out, "settling: the terminals finish, late answers come in for %s, every terminal recovers\n", cc.Settle)
	rr := runRecord{Run: cc.Run}
	if err := runChild(ctx, cfg, cc, false, 0, false, &rr); err != nil {
		return nil, err
	}
	if rr.End != "settled" || rr.settled == nil {
		return nil, fmt.Errorf("the settling run ended %s (see %s)", rr.End, cc.Log)
	}
	res.Settled = *rr.settled
	stopSims()
	for _, s := range sims {
		if err := s.stop(); err != nil {
			return nil, err
		}
	}
	res.Elapsed = time.Since(start)
	return check(ctx, db, sims, res)
}

func planText(rr runRecord) string {
	switch {
	case rr.Stage != "":
		return "at " + rr.Stage
	case rr.Plan.Stage != "":
		return fmt.Sprintf("(plan %s #%d not reached)", rr.Plan.Stage, rr.Plan.N)
	}
	return ""
}

// runChild starts one child and ends it: killed at life after READY (or
// after its start when early), stopped gracefully (grace), or, when it
// settles, when it is done.
func runChild(ctx context.Context, cfg soakConfig, cc childConfig, early bool, life time.Duration, grace bool, rr *runRecord) error {
	b, err := json.Marshal(cc)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, cfg.Exe, cfg.Args...)
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderrPath := strings.TrimSuffix(cc.Log, ".log") + ".stderr"
	stderr, err := os.Create(stderrPath)
	if err != nil {
		return err
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }

	var timer <-chan time.Time
	if early {
		timer = time.After(life)
	}
	startTimeout := time.After(2 * time.Minute)
	ready, sentStop := false, false
	settleTimeout := (<-chan time.Time)(nil)
	if cc.Mode == "settle" {
		settleTimeout = time.After(cc.Settle + 5*time.Minute)
	}
	for lines != nil {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				break
			}
			switch {
			case l == "READY":
				ready = true
				if !early && cc.Mode == "charge" {
					timer = time.After(life)
				}
			case strings.HasPrefix(l, "KILL "):
				rr.Stage = strings.TrimPrefix(l, "KILL ")
			case strings.HasPrefix(l, "SETTLED "):
				rr.settled = new(settled)
				if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "SETTLED ")), rr.settled); err != nil {
					return fmt.Errorf("settling run: %w", err)
				}
			}
		case <-timer:
			timer = nil
			if grace {
				_, _ = io.WriteString(stdin, "stop\n")
				sentStop = true
				timer = time.After(time.Minute) // then it hangs: kill
				grace = false
				continue
			}
			if sentStop {
				rr.End = "error"
				kill()
				_ = cmd.Wait()
				return fmt.Errorf("run %d: the child did not stop within a minute of being asked (see %s)", cc.Run, cc.Log)
			}
			kill()
		case <-startTimeout:
			if !ready {
				kill()
				_ = cmd.Wait()
				return fmt.Errorf("run %d: the child did not start within two minutes (see %s, %s)", cc.Run, cc.Log, stderrPath)
			}
		case <-settleTimeout:
			kill()
			_ = cmd.Wait()
			return fmt.Errorf("run %d: the settling run did not end (see %s)", cc.Run, cc.Log)
		}
	}
	err = cmd.Wait()
	rr.Life = time.Since(started)
	var exit *exec.ExitError
	switch {
	case err == nil && cc.Mode == "settle":
		rr.End = "settled"
	case err == nil && sentStop:
		rr.End = "stopped"
	case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
		rr.End = "killed"
		if rr.Stage != "" {
			rr.End = "killed_itself"
		}
	default:
		tail, _ := os.ReadFile(stderrPath)
		return fmt.Errorf("run %d: the child ended with %v: %s (log %s)", cc.Run, err, lastLines(string(tail), 20), cc.Log)
	}
	return nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
