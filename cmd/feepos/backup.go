package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/sqlite"
)

func (a *app) backupCommand() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Write a consistent copy of the database (also while the service runs)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usagef("say where to write the copy: feepos backup --to FILE")
			}
			db, _, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), to); err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"backup": to, "from": db.Path()})
			}
			fmt.Fprintf(a.stdout, "Đã sao lưu cơ sở dữ liệu %s vào %s\n", db.Path(), to)
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
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usagef("say which backup to restore: feepos restore --from FILE")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			path := a.databasePath(cfg)
			kept, err := sqlite.Restore(cmd.Context(), from, path)
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
