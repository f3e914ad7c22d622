package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
)

// feepos fees: the fee catalogue (docs/CATALOGUE.md).

func (a *app) feesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fees",
		Short: "List, import and export the fee catalogue (procedures and their phí and lệ phí)",
		RunE:  a.groupHelp,
	}
	cmd.AddCommand(a.feesListCommand(), a.feesImportCommand(), a.feesExportCommand())
	return cmd
}

func (a *app) feesListCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--all] [--json]",
		Short: "List the fees in use (--all: those no longer collected too)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			fees, err := db.AllFees(cmd.Context())
			if err != nil {
				return err
			}
			if !all {
				fees = activeFees(fees)
			}
			if a.jsonOut {
				out := make([]any, len(fees))
				for i, f := range fees {
					if all {
						out[i] = struct {
							catalogue.FeeJSON
							Active bool `json:"active"`
						}{f.JSON(), f.Active}
					} else {
						out[i] = f.JSON()
					}
				}
				return a.printJSON(out)
			}
			if len(fees) == 0 {
				fmt.Fprintln(a.stdout, "(danh mục phí, lệ phí trống: nhập bằng feepos fees import FILE)")
				return nil
			}
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "Mã phí\tTên phí, lệ phí\tLoại\tĐơn vị thu\tCơ quan hưởng\tMức thu\tĐơn vị tính\tCăn cứ pháp lý")
			for _, f := range fees {
				amount := "theo hồ sơ"
				if f.UnitAmount != nil {
					amount = vnd(*f.UnitAmount) + " đ"
				}
				name := f.Name
				if !f.Active {
					name += " (ngừng thu)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Code, name, f.Kind.VI(), f.OrgCode, f.AgencyCode, amount, f.Unit, f.LegalBasis)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also list the fees no longer collected")
	return cmd
}

func activeFees(fees []catalogue.Fee) []catalogue.Fee {
	out := fees[:0:0]
	for _, f := range fees {
		if f.Active {
			out = append(out, f)
		}
	}
	return out
}

// fileFormat is --format, else the format FILE's extension says.
func fileFormat(flag, path string) (catalogue.Format, error) {
	if flag != "" {
		f, err := catalogue.ParseFormat(flag)
		if err != nil {
			return "", usageError{fmt.Errorf("--format: %w", err)}
		}
		return f, nil
	}
	if path == "-" {
		return catalogue.CSV, nil
	}
	f, err := catalogue.FormatOf(path)
	if err != nil {
		return "", usageError{err}
	}
	return f, nil
}

func (a *app) feesImportCommand() *cobra.Command {
	var (
		format            string
		dryRun            bool
		deactivateMissing bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|- [--format csv|xlsx] [--dry-run] [--deactivate-missing]",
		Short: "Import a fee catalogue file: all of it, or nothing",
		Long: `Import a fee catalogue file (CSV or XLSX, docs/CATALOGUE.md): its
procedures and fees are added or updated in one transaction, with a line in
the audit log naming the OS user. A file with any wrong row imports nothing:
every wrong row is listed with its line, column and reason (exit 1).

Fees the file does not list are kept as they are; --deactivate-missing marks
them no longer collected (a payment request can then not name them).
--dry-run checks the file and prints what would change, writing nothing.
The format follows the file's extension unless --format says; - reads CSV
(or --format xlsx) from stdin.`,
		Args: exactArgs(1, "one catalogue file (or - for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := fileFormat(format, path)
			if err != nil {
				return err
			}
			var data []byte
			source := path
			if path == "-" {
				data, err = io.ReadAll(a.stdin)
				source = "stdin"
			} else {
				data, err = os.ReadFile(path)
				source = filepath.Base(path)
			}
			if err != nil {
				return fmt.Errorf("read the catalogue file: %w", err)
			}
			c, err := catalogue.Read(bytes.NewReader(data), f, source)
			if err != nil {
				return err
			}
			opt := catalogue.ImportOptions{DeactivateMissing: deactivateMissing, Source: source}
			var ch catalogue.Changes
			if dryRun {
				db, _, err := a.openReading(cmd.Context())
				if err != nil {
					return err
				}
				defer db.Close()
				if ch, err = db.PlanImport(cmd.Context(), c, opt); err != nil {
					return err
				}
			} else {
				db, _, err := a.openWriting(cmd.Context())
				if err != nil {
					return err
				}
				defer db.Close()
				if ch, err = db.ImportCatalogue(cmd.Context(), c, opt, osActor()); err != nil {
					return err
				}
			}
			if a.jsonOut {
				return a.printJSON(struct {
					DryRun bool `json:"dry_run"`
					catalogue.Changes
				}{dryRun, ch})
			}
			a.printChanges(ch, dryRun, len(c.Fees))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or xlsx (default: from the file's extension)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and show what would change; write nothing")
	cmd.Flags().BoolVar(&deactivateMissing, "deactivate-missing", false, "mark the fees the file does not list as no longer collected")
	return cmd
}

func (a *app) printChanges(ch catalogue.Changes, dryRun bool, n int) {
	if dryRun {
		fmt.Fprintf(a.stdout, "Kiểm tra tệp: %d khoản phí, lệ phí hợp lệ. Chưa ghi gì (--dry-run); khi nhập sẽ:\n", n)
	} else {
		fmt.Fprintf(a.stdout, "Đã nhập danh mục: %d khoản phí, lệ phí.\n", n)
	}
	line := func(label string, codes []string) {
		if len(codes) > 0 {
			fmt.Fprintf(a.stdout, "  %s (%d): %s\n", label, len(codes), strings.Join(codes, ", "))
		}
	}
	line("Thêm mới", ch.Added)
	line("Cập nhật", ch.Updated)
	line("Ngừng thu", ch.Deactivated)
	line("Thủ tục thêm mới", ch.ProceduresAdded)
	line("Thủ tục cập nhật", ch.ProceduresUpdated)
	if len(ch.Unchanged) > 0 {
		fmt.Fprintf(a.stdout, "  Không đổi: %d\n", len(ch.Unchanged))
	}
}

func (a *app) feesExportCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "export FILE|- [--format csv|xlsx]",
		Short: "Write the whole fee catalogue (fees no longer collected too, active 0) to a file, or - for stdout",
		Args:  exactArgs(1, "one file to write (or - for stdout)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := fileFormat(format, path)
			if err != nil {
				return err
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			c, err := db.Catalogue(cmd.Context())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := catalogue.Write(&buf, c, f); err != nil {
				return err
			}
			if path == "-" {
				_, err = a.stdout.Write(buf.Bytes())
				return err
			}
			if err := writeFileAtomic(path, buf.Bytes()); err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"file": path, "format": f, "fees": len(c.Fees), "procedures": len(c.Procedures)})
			}
			fmt.Fprintf(a.stdout, "Đã xuất %d khoản phí, lệ phí và %d thủ tục vào %s\n", len(c.Fees), len(c.Procedures), path)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv or xlsx (default: from the file's extension; csv for -)")
	return cmd
}

// osActor is the person running a command that writes, for the audit log:
// the OS user (a CLI command is run on the machine, by its
// administrator).
func osActor() auth.Actor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = "unknown"
	}
	return auth.Actor{Kind: auth.KindCLI, ID: name, Role: auth.RoleAdmin}
}
