package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim"
)

// simDataDir is where `feepos sim` keeps its state file by default, next
// to the default database.
const simDataDir = "feepos-data"

func (a *app) simCommand() *cobra.Command {
	var (
		protocol, tcp, state, terminalID string
		faults                           []string
		faultRate                        float64
		seed                             int64
	)
	cmd := &cobra.Command{
		Use:   "sim --protocol zvt|concert [--tcp ADDR] [--fault KIND[:ARG]]...",
		Short: "Run a simulated card terminal on a new pseudo-terminal or a TCP address",
		Long: `Run a simulated card terminal until SIGINT or SIGTERM.

The first line on stdout is "listening on PATH_OR_ADDR": the pseudo-terminal
to open with "feepos pos ... --port PATH", or with --tcp (ZVT only) the bound
address, port 0 giving a free port. If a hang_up fault closes the
pseudo-terminal (a pulled cable), a new one is opened and another
"listening on" line printed. What the terminal does is logged to stderr,
card numbers masked.

The state file (default ./feepos-data/sim-PROTOCOL.json) keeps the counters,
and for ZVT the batch and the last transaction, so Repeat Receipt and
End-of-Day work across restarts.

Faults (--fault, repeatable) apply to the next transactions, one each, in
order: e.g. --fault decline:51 (host code 51, insufficient funds), --fault
hang, --fault card_error:64. --fault-rate P gives every other transaction a
random fault with probability P; --seed N makes the draw repeatable.
ZVT faults:     ` + strings.Join(sim.FaultKinds(pos.ZVT), ", ") + `
Concert faults: ` + strings.Join(sim.FaultKinds(pos.Concert), ", "),
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := pos.Protocol(protocol)
			if p != pos.ZVT && p != pos.Concert {
				return usagef("--protocol must be zvt or concert, got %q", protocol)
			}
			parsed, err := sim.ParseFaults(p, faults)
			if err != nil {
				return usageError{err}
			}
			if state == "" {
				state = filepath.Join(simDataDir, "sim-"+protocol+".json")
			}
			log := a.logger("info")
			if faultRate > 0 && !cmd.Flags().Changed("seed") {
				seed = time.Now().UnixNano()
			}
			cfg := sim.Config{
				Protocol: p, TCP: tcp, StateFile: state, TerminalID: terminalID,
				Faults: parsed, FaultRate: faultRate, Seed: seed, Log: log,
				// Written unbuffered: a script waiting for the line gets it at once.
				OnListen: func(addr string) { fmt.Fprintln(a.stdout, "listening on "+addr) },
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			if err := os.MkdirAll(filepath.Dir(state), 0o700); err != nil {
				return fmt.Errorf("create the folder of the state file: %w", err)
			}
			if faultRate > 0 {
				log.Info("random faults", "rate", faultRate, "seed", seed)
			}
			for _, f := range parsed {
				log.Info("fault queued for the next transaction", "fault", f.Spec)
			}

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := sim.Start(ctx, cfg)
			if err != nil {
				return fmt.Errorf("start the simulator: %w", err)
			}
			err = s.Wait()
			if err != nil {
				return fmt.Errorf("simulator stopped: %w", err)
			}
			log.Info("simulator stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&protocol, "protocol", "", "zvt or concert")
	f.StringVar(&tcp, "tcp", "", "listen on this TCP address instead of a pseudo-terminal (ZVT only; port 0: any free port)")
	f.StringVar(&state, "state", "", "state file (default ./"+simDataDir+"/sim-PROTOCOL.json)")
	f.StringVar(&terminalID, "terminal-id", "", "ZVT terminal id, up to 8 digits (default 29001234)")
	f.StringArrayVar(&faults, "fault", nil, "fault for the next transaction, KIND or KIND:ARG (repeatable, used in order)")
	f.Float64Var(&faultRate, "fault-rate", 0, "probability (0–1) of a random fault in a transaction")
	f.Int64Var(&seed, "seed", 0, "seed of the random faults (default: from the clock, logged)")
	return cmd
}
