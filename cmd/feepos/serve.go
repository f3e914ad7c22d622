package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
)

func (a *app) serveCommand() *cobra.Command {
	var addr string
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the service (API, web pages, terminals)",
		Long: `Run the service until SIGINT or SIGTERM.

--demo needs nothing else: it creates the database under ./feepos-data/,
seeds the chart of accounts and runs on simulated data. It also registers two
demo organisations, each with its receipt series and its own demo signing key
next to the database (key files mode 0600; reused on later starts): the
district UBND-DEMO (letters AA, demo-signing.key and .crt) and the police
CA-DEMO (letters AB, demo-signing-CA-DEMO.key and .crt). The public receipt
check trusts both keys. On the first start of a year it issues demo receipts
as a payment would: a dossier paid by card whose fees belong to both
organisations (one ledger entry, two signed receipts) and a cash payment to
the district; their /verify addresses are logged. Without --demo, the keys of the config file ([receipts]
and [[receipts.signers]]) are loaded if set; otherwise receipts are not signed
(logged).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if addr == "" {
				addr = cfg.Service.Addr
			}
			if addr == "" {
				addr = config.DefaultAddr
			}
			return a.serve(cmd.Context(), cfg, addr, demo)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default "+config.DefaultAddr+")")
	cmd.Flags().BoolVar(&demo, "demo", false, "run on the embedded default: local database, demo data, simulated terminals")
	return cmd
}

func (a *app) serve(ctx context.Context, cfg config.Config, addr string, demo bool) error {
	log := a.logger(cfg.Service.LogLevel)
	path := a.databasePath(cfg)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// Held for the life of the service: restore refuses while it is.
	lock, err := sqlite.LockDatabase(path)
	if err != nil {
		return err
	}
	defer lock.Release()

	db, _, err := a.openCreating(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	version, _ := db.SchemaVersion(ctx)
	log.Info("database ready", "path", path, "schema_version", version, "demo", demo)

	// The organisations' signing keys, and the certificates /verify trusts.
	// Nothing issues receipts over HTTP yet, so only the trust is handed
	// on; the keyring signs the demo receipts (and will sign payments').
	keys, trust, err := serveKeys(ctx, log, db, cfg.Receipts, path, demo)
	if err != nil {
		return err
	}
	if demo {
		if _, err := seedDemoReceipts(ctx, log, db, keys); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := server.New(db, log)
	srv.SetReceiptTrust(trust)
	if err := srv.Run(ctx, addr, nil); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
