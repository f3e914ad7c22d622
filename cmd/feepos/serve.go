package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

func (a *app) serveCommand() *cobra.Command {
	var addr string
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--demo]",
		Short: "Run the service: card terminals, health, metrics and the public receipt check pages (/verify)",
		Long: `Run the service until SIGINT or SIGTERM. Today it answers:
  /healthz                             whether the database is reachable
  /metrics                             Prometheus metrics, per card terminal too
  /verify/TEMPLATE/SERIES/NUMBER       the public check of a receipt (the QR code's target)
It holds the database's lock, so restore is refused while it runs.

It runs the card terminals of the config file ([[terminals]]): each is
opened in the background (one that is not there is tried again, with
backoff, and does not stop the service), registered (ZVT), polled while
idle, and every payment attempt a previous run left in doubt is settled
from the terminal's own records, or logged for a person. It does not take
payments over HTTP yet.

Without --demo, the keys of the config file ([receipts] and
[[receipts.signers]]) are loaded if set, and their certificates are the ones
the receipt check trusts; without keys that is logged.

--demo needs nothing else: it runs two simulated card terminals in this
process, DEMO-ZVT and DEMO-CONCERT, each on its own pseudo-terminal (their
state files next to the database), creates the database under ./feepos-data/ and
registers two demo organisations, each with its receipt series and its own
demo signing key next to the database (key files mode 0600; reused on later
starts): the district UBND-DEMO (letters AA, demo-signing.key and .crt) and
the police CA-DEMO (letters AB, demo-signing-CA-DEMO.key and .crt). The
receipt check trusts both keys. On the first start of a year it issues demo
receipts as a payment would: a dossier paid by card whose fees belong to
both organisations (one ledger entry, two signed receipts) and a cash
payment to the district. Every start logs the full /verify addresses of that
year's demo receipts (on [receipts] verify_base, else on the address served).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("addr") {
				if err := config.CheckAddr(addr); err != nil {
					return usageError{fmt.Errorf("--addr: %w", err)}
				}
			}
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
	cmd.Flags().StringVar(&addr, "addr", "", "listen address HOST:PORT (default [service] addr of the config, else "+config.DefaultAddr+")")
	cmd.Flags().BoolVar(&demo, "demo", false, "demo organisations, signing keys and receipts in a local database (./feepos-data/ by default)")
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
	if err := seedDemoCatalogue(ctx, log, db, demo); err != nil {
		return err
	}
	if demo {
		if err := seedDemoUsers(ctx, log, db); err != nil {
			return err
		}
	}

	// The organisations' signing keys, and the certificates /verify trusts.
	// Nothing issues receipts over HTTP yet, so only the trust is handed
	// on; the keyring signs the demo receipts (and will sign payments').
	keys, trust, err := signing.Load(ctx, log, db, cfg.Receipts, path, demo)
	if err != nil {
		return err
	}
	var demoReceipts []receipts.Receipt
	if demo {
		if _, err := seedDemoReceipts(ctx, log, db, keys); err != nil {
			return err
		}
		if demoReceipts, err = demoReceiptsOfYear(ctx, db); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := server.New(db, log)
	srv.SetReceiptTrust(trust)
	srv.SetReceiptKeys(keys)                                                      // the accountant's daily summary signs with them; the admin's receipts page shows their certificates
	hooks, stopAccess, err := startAccess(ctx, log, a.stdout, db, srv, cfg, demo) // API tokens, rate limit, webhook worker
	if err != nil {
		return err
	}
	defer stopAccess()

	// Card terminals: closed after the HTTP server stopped (deferred
	// first, run last).
	terms, stopTerminals, err := startTerminals(ctx, log, db, cfg.Terminals, demo)
	if err != nil {
		return err
	}
	defer stopTerminals()
	srv.SetTerminals(terms)
	pays := servePayments(ctx, log, db, terms, keys, cfg.Receipts, listenBase(addr), srv, hooks.Poke)
	defer pays.Close()
	// The accountant's pages: the day's close as `feepos reconcile` builds
	// it, with the payment workflow (confirm).
	srv.SetCloser(endofday.New(db, endofday.Options{Payments: pays.Service}))
	if err := seedDemoRequests(ctx, log, pays.Service, demo); err != nil {
		return err
	}
	ready := func(bound net.Addr) {
		base := cfg.Receipts.VerifyBase
		if base == "" {
			base = servedBase(bound)
		}
		for _, r := range demoReceipts {
			log.Info("demo receipt", "org", r.Org.Code, "receipt", r.Ref.String(), "total", r.Total, "verify", receipts.VerifyURL(base, r))
		}
	}
	if err := srv.Run(ctx, addr, ready); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// listenBase is the address a browser on this machine opens for the
// service about to listen on addr ("" when the port is picked at listen
// time): the receipts' verify_url in payments and webhooks names it when
// [receipts] verify_base is not set, as the demo receipts' log lines do.
func listenBase(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" || port == "" {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// servedBase is the address a browser on this machine opens for the
// service listening on bound: an unspecified host (0.0.0.0, ::) becomes
// localhost.
func servedBase(bound net.Addr) string {
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
