package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// The child is feepos as the soak kills it: the terminal manager with the
// SQLite attempt store, and a payment workflow that charges on every
// terminal in a loop, records approvals in its own transaction (with the
// attempt's "recorded" in the same commit) and confirms or rejects them
// at random. The parent kills it with SIGKILL at a random moment, or the
// child kills itself at a step its kill plan names (a state change of an
// attempt, before or after the store writes it; a step of the workflow).
//
// What the child tells the parent, one line each on stdout: READY once
// the manager started (its start-up recovery runs on); KILL <stage> just
// before it kills itself; STOPPED after a graceful stop (stdin says
// "stop", or closes); SETTLED <json> at the end of a settling run.

// childEnv carries the child's configuration (JSON).
const childEnv = "FEEPOS_TERMINALSOAK_CHILD"

// childConfig is what the parent hands a child.
type childConfig struct {
	Mode      string            `json:"mode"` // "charge" or "settle"
	Run       int               `json:"run"`
	DB        string            `json:"db"`
	PortsDir  string            `json:"ports_dir"`
	Log       string            `json:"log"`
	Terminals []config.Terminal `json:"terminals"`
	Seed      uint64            `json:"seed"`
	Kill      killPlan          `json:"kill"`
	// Settle: how long a settling run lets late answers come in before it
	// asks every terminal to recover.
	Settle time.Duration `json:"settle"`
	// Pace is the longest pause between two charges on one terminal.
	Pace time.Duration `json:"pace"`
}

// killPlan: the child kills itself the N-th time it reaches Stage.
type killPlan struct {
	Stage string `json:"stage,omitempty"`
	N     int    `json:"n,omitempty"`
}

// killStages are the steps a kill plan can name: every state change the
// manager writes (before the store writes it, and after), the result
// written with its state, evidence, the last trace number, and the
// workflow's steps around recording and confirming.
var killStages = []string{
	"create:before", "create:after",
	"state:sent:before", "state:sent:after",
	"result:held:before", "result:held:after",
	"result:declined:after", "result:aborted:after", "result:in_doubt:after", "result:failed:after",
	"record:before", "record:in_tx", "record:after",
	"confirm:after", "reject:before",
	"state:confirmed:before", "state:confirmed:after",
	"state:rejected:before", "state:expired:before", "state:reversed:before",
	"state:in_doubt:before", "state:in_doubt:after",
	"state:settled_charged:before", "state:settled_not_charged:before",
	"evidence:orphan:before", "evidence:orphan:after",
	"evidence:last_result:before", "evidence:last_result:after",
	"evidence:wire:before", "evidence:note:before",
	"trace:before", "trace:after",
}

// killer kills the process at the plan's stage.
type killer struct {
	plan killPlan
	n    atomic.Int32
}

func (k *killer) at(stage string) {
	if k == nil || k.plan.Stage != stage {
		return
	}
	if int(k.n.Add(1)) == k.plan.N {
		fmt.Fprintf(os.Stdout, "KILL %s\n", stage)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}

// killStore is the attempt store with the kill plan's hooks around every
// write.
type killStore struct {
	terminals.AttemptStore
	k *killer
}

func (s killStore) CreateAttempt(ctx context.Context, a terminals.Attempt, at time.Time) error {
	s.k.at("create:before")
	err := s.AttemptStore.CreateAttempt(ctx, a, at)
	s.k.at("create:after")
	return err
}

func (s killStore) SetAttemptState(ctx context.Context, id string, c terminals.StateChange) error {
	s.k.at("state:" + string(c.State) + ":before")
	err := s.AttemptStore.SetAttemptState(ctx, id, c)
	s.k.at("state:" + string(c.State) + ":after")
	return err
}

func (s killStore) SetAttemptResult(ctx context.Context, id string, c terminals.StateChange, r pos.Result) error {
	s.k.at("result:" + string(c.State) + ":before")
	err := s.AttemptStore.SetAttemptResult(ctx, id, c, r)
	s.k.at("result:" + string(c.State) + ":after")
	return err
}

func (s killStore) AddEvidence(ctx context.Context, e terminals.Evidence) (int64, error) {
	s.k.at("evidence:" + e.Source + ":before")
	id, err := s.AttemptStore.AddEvidence(ctx, e)
	s.k.at("evidence:" + e.Source + ":after")
	return id, err
}

func (s killStore) SetLastTrace(ctx context.Context, terminal string, t terminals.TraceInfo) error {
	s.k.at("trace:before")
	err := s.AttemptStore.SetLastTrace(ctx, terminal, t)
	s.k.at("trace:after")
	return err
}

// portResolver reads a terminal's pseudo-terminal path from the ports
// folder at every (re)open: a replugged simulator has a new one.
func portResolver(dir string) terminals.Resolver {
	return func(_ context.Context, t config.Terminal) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, t.ID))
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
}

// settled is what a settling run reports.
type settled struct {
	InDoubt   int      `json:"in_doubt"`
	Recovered int      `json:"recovered"`
	Notes     []string `json:"notes,omitempty"`
}

func say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// childMain runs the child of cfg.
func childMain(cfgJSON string) error {
	var cfg childConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return fmt.Errorf("child configuration: %w", err)
	}
	ctx := context.Background()
	logf, err := os.OpenFile(cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo})).With("run", cfg.Run)
	db, err := sqlite.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	k := &killer{plan: cfg.Kill}
	wf, err := newWorkflow(ctx, db, k, log)
	if err != nil {
		return err
	}
	m, err := terminals.New(cfg.Terminals, terminals.Options{Store: killStore{db, k}, Log: log, Resolve: portResolver(cfg.PortsDir)})
	if err != nil {
		return err
	}
	wf.m = m
	if err := m.Start(ctx); err != nil {
		return fmt.Errorf("start the manager: %w", err)
	}
	say("READY")
	if err := wf.reconcile(ctx); err != nil {
		log.Error("soak: reconcile", "err", err)
	}
	if cfg.Mode == "settle" {
		return settle(ctx, cfg, m, wf, log)
	}

	// Charge until the parent kills us, or stops us (a line "stop", or
	// the end of stdin: the parent is gone).
	stop := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if sc.Text() == "stop" {
				break
			}
		}
		close(stop)
	}()
	var wg sync.WaitGroup
	for i, t := range cfg.Terminals {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			wf.loop(ctx, t, rng, cfg.Pace, stop)
		}()
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		case <-tick.C:
			if err := wf.reconcile(ctx); err != nil {
				log.Error("soak: reconcile", "err", err)
			}
		}
	}
	wg.Wait()
	err = m.Close()
	if rerr := wf.reconcile(ctx); rerr != nil {
		log.Error("soak: reconcile", "err", rerr)
	}
	say("STOPPED")
	return err
}

// settle is the last run: no charges; late answers come in as orphans,
// each terminal recovers what is in doubt, the workflow reconciles, and
// the manager stops.
func settle(ctx context.Context, cfg childConfig, m *terminals.Manager, wf *workflow, log *slog.Logger) error {
	time.Sleep(cfg.Settle)
	var out settled
	for _, t := range cfg.Terminals {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		rep, err := m.Recover(rctx, t.ID)
		cancel()
		if err != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("%s: recover: %v", t.ID, err))
			continue
		}
		out.Recovered += len(rep.Settled)
		if rep.Note != "" {
			out.Notes = append(out.Notes, t.ID+": "+rep.Note)
		}
		log.Info("soak: final recovery", "terminal", t.ID, "settled", len(rep.Settled), "in_doubt", len(rep.InDoubt), "note", rep.Note)
	}
	doubt, err := m.InDoubt(ctx)
	if err != nil {
		return err
	}
	out.InDoubt = len(doubt)
	if err := wf.reconcile(ctx); err != nil {
		return err
	}
	if err := m.Close(); err != nil {
		return err
	}
	if err := wf.reconcile(ctx); err != nil {
		return err
	}
	b, _ := json.Marshal(out)
	say("SETTLED %s", b)
	return nil
}
