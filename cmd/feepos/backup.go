package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
)

func (a *app) backupCommand() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Write a consistent copy of the database (also while the service runs)",
		Long: `Writes a consistent copy of the database (VACUUM INTO) while the service keeps
running, readable by its owner only. The database is opened read-only: a backup
never migrates or writes it. The copy is checked before it is put in place
(SQLite's integrity check, the schema against feepos's migrations, the ledger's
and the receipts' hash chains); one that does not check out is not written.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usagef("say where to write the copy: feepos backup --to FILE")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			path := a.databasePath(cfg)
			if err := sqlite.BackupFile(cmd.Context(), path, to); err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"backup": to, "from": path})
			}
			fmt.Fprintf(a.stdout, "Đã sao lưu cơ sở dữ liệu %s vào %s\n", path, to)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "file to write (must not exist)")
	return cmd
}

func (a *app) restoreCommand() *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Replace the database with a backup (refused while the service runs)",
		Long: `Replaces the database with a backup made by feepos backup. The backup is
checked first, as ledger verify and receipts verify would check it (the hash
chains; the receipts' signatures against the certificates receipts verify
trusts: the config's, else the demo keys beside the database), and its schema
against feepos's migrations at its version (no table, index or trigger missing,
changed or added); one that does not check out is refused, naming the first
problem, and the database is left as it was. The replaced database is kept
beside it as FILE.before-restore-TIME. Refused while feepos serve runs.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usagef("say which backup to restore: feepos restore --from FILE")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			path := a.databasePath(cfg)
			trust, _, err := signing.Trust(cfg.Receipts, "", path)
			if err != nil {
				return err
			}
			kept, err := sqlite.Restore(cmd.Context(), from, path, trust)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"restored": path, "from": from, "previous_kept_at": kept})
			}
			fmt.Fprintf(a.stdout, "Đã khôi phục %s từ bản sao lưu %s\n", path, from)
			if kept != "" {
				fmt.Fprintf(a.stdout, "Cơ sở dữ liệu cũ được giữ tại %s\n", kept)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup file made by feepos backup")
	return cmd
}

// migrateCommand upgrades an existing database to this binary's schema:
// reports open the database read-only and never do, so they send the
// person here.
func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Upgrade an existing database to this feepos's schema (back it up first)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			db, err := sqlite.OpenExisting(cmd.Context(), a.databasePath(cfg))
			if err != nil {
				return err
			}
			defer db.Close()
			version, err := db.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"database": db.Path(), "schema_version": version})
			}
			fmt.Fprintf(a.stdout, "Cơ sở dữ liệu %s ở phiên bản lược đồ %d\n", db.Path(), version)
			return nil
		},
	}
}
