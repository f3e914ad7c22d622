package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim"
)

// Demo terminals of serve --demo: one simulated terminal per protocol, in
// this process, each on its own pseudo-terminal.
const (
	demoZVT     = "DEMO-ZVT"
	demoConcert = "DEMO-CONCERT"
)

// startTerminals starts the terminal manager on the configured terminals
// (and, with demo, two simulated ones): it settles what the last run left
// in doubt and opens each terminal in the background, so a terminal that
// is not there does not stop the service. stop closes the manager, then
// the simulators.
func startTerminals(ctx context.Context, log *slog.Logger, db *sqlite.DB, cfgs []config.Terminal, demo bool) (m *terminals.Manager, stop func(), err error) {
	var sims []*sim.Simulator
	stop = func() {
		if m != nil {
			if err := m.Close(); err != nil {
				log.Warn("terminals closed with an error", "err", err)
			}
		}
		for _, s := range sims {
			_ = s.Close()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	resolve := terminals.ResolvePort
	if demo {
		dir := filepath.Dir(db.Path())
		byID := map[string]*sim.Simulator{}
		zvtFaults, err := demoZVTFaults() // demo_faults.go
		if err != nil {
			return nil, stop, err
		}
		for _, d := range []struct {
			id      string
			p       pos.Protocol
			counter string
		}{{demoZVT, pos.ZVT, "Quầy 1 (demo)"}, {demoConcert, pos.Concert, "Quầy 2 (demo)"}} {
			var faults []sim.Fault
			if d.id == demoZVT {
				faults = zvtFaults
			}
			s, err := sim.Start(context.WithoutCancel(ctx), sim.Config{Protocol: d.p, Faults: faults,
				StateFile: filepath.Join(dir, "demo-sim-"+string(d.p)+".json"), Log: log.With("sim", d.id)})
			if err != nil {
				return nil, stop, fmt.Errorf("demo terminal %s: %w", d.id, err)
			}
			sims = append(sims, s)
			byID[d.id] = s
			cfgs = append(cfgs, config.Terminal{ID: d.id, Protocol: string(d.p), Counter: d.counter, Port: s.Addr()})
		}
		// A simulator replugged after a hang_up fault has a new
		// pseudo-terminal: the manager finds it there.
		resolve = func(ctx context.Context, t config.Terminal) (string, error) {
			if s, ok := byID[t.ID]; ok {
				return s.Addr(), nil
			}
			return terminals.ResolvePort(ctx, t)
		}
	}
	if err := config.CheckTerminals(cfgs); err != nil {
		return nil, stop, fmt.Errorf("terminals: %w", err)
	}
	m, err = terminals.New(cfgs, terminals.Options{Store: db, Log: log.With("part", "terminals"), Resolve: resolve,
		OnWire: func(id string, e terminals.TapEntry) {
			log.Debug("wire", "terminal", id, "direction", e.Direction, "kind", e.Message.Kind, "hex", e.Hex)
		}})
	if err != nil {
		return nil, stop, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, stop, fmt.Errorf("start the terminal manager: %w", err)
	}
	for _, t := range m.Terminals() {
		log.Info("terminal", "id", t.ID, "protocol", t.Protocol, "counter", t.Counter, "link", t.Link)
	}
	doubt, err := m.InDoubt(ctx)
	if err != nil {
		return nil, stop, err
	}
	if len(doubt) > 0 {
		log.Warn("payment attempts in doubt: the manager settles them from the terminals' records when it can; the others need a person",
			"count", len(doubt))
	}
	return m, stop, nil
}
