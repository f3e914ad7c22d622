package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
)

// app holds the global flags and the streams of one run.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dbPath     string
	configPath string
	jsonOut    bool
}

// usageError is a command line that cannot be run as typed: exit code 2.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// rootCommand builds the command tree. Cobra is used because the CLI
// contract wants global flags before or after the subcommand and nested
// subcommands ("feepos ledger trial-balance"), which the standard flag
// package does not do; it is the most widely kept Go CLI library.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "feepos",
		Short:         "Electronic fee receipts, the double-entry ledger and card terminal tools of a public administration service centre",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          a.groupHelp,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", "", "database file (default "+sqlite.DefaultPath+")")
	pf.StringVar(&a.configPath, "config", "", "TOML configuration file (optional)")
	pf.BoolVar(&a.jsonOut, "json", false, "print the result as JSON")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.serveCommand(), a.backupCommand(), a.restoreCommand(), a.ledgerCommand(), a.posCommand(), a.simCommand(),
		a.receiptsCommand(), a.feesCommand())
	root.AddCommand(a.migrateCommand())
	root.AddCommand(a.tokensCommand())
	root.AddCommand(a.usersCommand())
	root.AddCommand(a.reconcileCommand())
	return root
}

// exitCode prints err for a person (or, with --json, as
// {"error":{"code","message"}}) and maps it to the exit code: 2 and code
// "usage" for bad usage, else 1 and the error's own code. cmd is the
// command that ran, for the help hint.
func (a *app) exitCode(cmd *cobra.Command, err error) int {
	if err == nil {
		return 0
	}
	code, exit := apperr.Code(err), 1
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		code, exit = apperr.Usage, 2
	}
	switch {
	case a.jsonOut:
		_ = json.NewEncoder(a.stderr).Encode(map[string]any{"error": map[string]string{"code": code, "message": err.Error()}})
	case exit == 2:
		path := "feepos"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "feepos: %v\nRun '%s --help' for usage.\n", err, path)
	default:
		fmt.Fprintf(a.stderr, "feepos: %v\n", err)
	}
	return exit
}

// isCobraUsage recognises the usage errors cobra builds itself.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// noArgs and exactArgs report extra or missing arguments as usage errors.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s", what)
		}
		return nil
	}
}

// groupHelp is the RunE of a command that only groups subcommands (and of
// feepos itself): cobra would otherwise print help and exit 0 for a
// mistyped or missing subcommand. Without one, the help goes to stderr
// (not with --json) and the exit code is 2; --help asks for it on stdout.
func (a *app) groupHelp(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	if !a.jsonOut {
		cmd.SetOut(a.stderr)
		_ = cmd.Help()
		fmt.Fprintln(a.stderr)
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	return usagef("%s needs a command: %s", cmd.CommandPath(), strings.Join(names, ", "))
}

// config loads the --config file (or nothing).
func (a *app) config() (config.Config, error) {
	return config.Load(a.configPath)
}

// databasePath is --db, else the config file's, else the default.
func (a *app) databasePath(cfg config.Config) string {
	switch {
	case a.dbPath != "":
		return a.dbPath
	case cfg.Service.DB != "":
		return cfg.Service.DB
	}
	return sqlite.DefaultPath
}

// A command opens the database by what it does to it (README, "CLI"):
//
//   - openCreating: feepos serve, the only command that creates a database
//     (and its folder) when --db names none.
//   - openWriting: commands that write (ledger post, ledger reverse,
//     receipts close). The file must exist; it is migrated.
//   - openReading: reports and checks. The file must exist; it is opened
//     read-only and never migrated or otherwise written, so an auditor's
//     read-only copy works.
//
// The first two make the chart of accounts follow the configuration; a
// report shows the chart as stored.
func (a *app) openCreating(ctx context.Context) (*sqlite.DB, config.Config, error) {
	return a.openWith(ctx, sqlite.Open, true)
}

func (a *app) openWriting(ctx context.Context) (*sqlite.DB, config.Config, error) {
	return a.openWith(ctx, sqlite.OpenExisting, true)
}

func (a *app) openReading(ctx context.Context) (*sqlite.DB, config.Config, error) {
	return a.openWith(ctx, sqlite.OpenReadOnly, false)
}

func (a *app) openWith(ctx context.Context, open func(context.Context, string) (*sqlite.DB, error), syncChart bool) (*sqlite.DB, config.Config, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, cfg, err
	}
	db, err := open(ctx, a.databasePath(cfg))
	if err != nil || !syncChart {
		return db, cfg, err
	}
	chart, err := cfg.Chart()
	if err == nil {
		err = db.SyncChart(ctx, chart)
	}
	if err != nil {
		db.Close()
		return nil, cfg, err
	}
	return db, cfg, nil
}

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (a *app) logger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config.Load; empty means info
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: l}))
}
