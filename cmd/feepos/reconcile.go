package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/reconcile"
)

// feepos reconcile: the accountant's day's close (docs/RECONCILE.md).

func (a *app) reconcileCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Close the day: reconcile the ledger's card payments with terminal totals, acquirer settlement files and bank statements",
		Args:  cobra.ArbitraryArgs,
		RunE:  a.groupHelp,
	}
	cmd.AddCommand(a.reconcileImportCommand(), a.reconcileTotalsCommand(), a.reconcileRunCommand(), a.reconcileReportCommand(),
		a.reconcileExceptionsCommand(), a.reconcileResolveCommand(), a.reconcileConfirmCommand())
	return cmd
}

// closer opens the database for writing and makes the day's close on it.
func (a *app) closer(ctx context.Context) (*endofday.Closer, *sqlite.DB, config.Config, error) {
	db, cfg, err := a.openWriting(ctx)
	if err != nil {
		return nil, nil, cfg, err
	}
	return endofday.New(db, endofday.Options{}), db, cfg, nil
}

func checkFormat(format string) error {
	for _, f := range endofday.Formats {
		if f == format {
			return nil
		}
	}
	return usagef("--format %q: use one of %s", format, strings.Join(endofday.Formats, ", "))
}

func checkDate(date string) error {
	if date == "" {
		return usagef("--date is required: the business date, e.g. --date 2026-03-02")
	}
	if _, err := ledger.ParseDate(date); err != nil {
		return usageError{err}
	}
	return nil
}

// importFile reads path (with a progress bar on a terminal) and imports it.
func (a *app) importFile(ctx context.Context, c *endofday.Closer, path, format, profile string) (endofday.ImportResult, error) {
	data, err := readWithProgress(path, a.stderr)
	if err != nil {
		return endofday.ImportResult{}, err
	}
	return c.Import(ctx, cliActor(), endofday.File{Name: path, Data: data, Format: format, Profile: profile})
}

func (a *app) printImport(res endofday.ImportResult) {
	if res.Already {
		fmt.Fprintf(a.stdout, "%s: %s\n", res.File.Name, res.AlreadyText())
		return
	}
	fmt.Fprintf(a.stdout, "%s\n", res.Message())
}

func (a *app) reconcileImportCommand() *cobra.Command {
	var format, profile string
	cmd := &cobra.Command{
		Use:   "import FILE [--format auto|csv|xlsx|napas|camt053|camt054|mt940] [--profile NAME] [--json]",
		Short: "Import an acquirer settlement file or a bank statement, whole or not at all",
		Long: `Imports one file in one transaction: every row, or nothing. A bad file is refused
with every bad row (line, column, reason). The same file again (same SHA-256) is
a no-op that says when and under which name it was imported.`,
		Args: exactArgs(1, "one file to import"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			limitReconcileMemory()
			c, db, _, err := a.closer(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := a.importFile(cmd.Context(), c, args[0], format, profile)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			a.printImport(res)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "auto", "file format: "+strings.Join(endofday.Formats, ", "))
	cmd.Flags().StringVar(&profile, "profile", "", "settlement profile (a built-in name or a .toml file; default generic)")
	return cmd
}

func (a *app) reconcileTotalsCommand() *cobra.Command {
	var terminal, date, brand, receiptsRange string
	var count int
	var amount int64
	cmd := &cobra.Command{
		Use:   "totals --terminal T --date D --count N --amount A [--brand B] [--receipts FROM-TO] [--json]",
		Short: "Enter a terminal's end-of-day totals from its printed slip",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkDate(date); err != nil {
				return err
			}
			if terminal == "" {
				return usagef("--terminal is required: the terminal id printed on the slip")
			}
			if !cmd.Flags().Changed("count") || !cmd.Flags().Changed("amount") {
				return usagef("--count and --amount are required: the slip's number of transactions and total")
			}
			t := reconcile.TerminalTotal{TerminalID: terminal, Date: date, Brand: brand, Count: count, Amount: amount}
			if receiptsRange != "" {
				from, to, ok := strings.Cut(receiptsRange, "-")
				f, err1 := strconv.ParseInt(strings.TrimSpace(from), 10, 64)
				l, err2 := strconv.ParseInt(strings.TrimSpace(to), 10, 64)
				if !ok || err1 != nil || err2 != nil {
					return usagef("--receipts %q: write the slip's receipt numbers as FROM-TO, e.g. 101-148", receiptsRange)
				}
				t.ReceiptFrom, t.ReceiptTo = f, l
			}
			c, db, _, err := a.closer(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := c.EnterTotals(cmd.Context(), cliActor(), endofday.FromSlip, []reconcile.TerminalTotal{t})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			if res.Already {
				fmt.Fprintf(a.stdout, "%s\n", res.AlreadyText())
				return nil
			}
			fmt.Fprintf(a.stdout, "Đã ghi tổng cuối ngày %s của máy %s: %d giao dịch, %s đ\n", vnDate(date), terminal, count, vnd(amount))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&terminal, "terminal", "", "the terminal id printed on the slip")
	f.StringVar(&date, "date", "", "business date, YYYY-MM-DD")
	f.IntVar(&count, "count", 0, "number of transactions on the slip")
	f.Int64Var(&amount, "amount", 0, "total on the slip, whole đồng")
	f.StringVar(&brand, "brand", "", "card brand of this total (default: all brands)")
	f.StringVar(&receiptsRange, "receipts", "", "receipt number range on the slip, FROM-TO")
	return cmd
}

func (a *app) reconcileRunCommand() *cobra.Command {
	var date, format, profile string
	var settlement, bank []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "run --date YYYY-MM-DD --settlement FILE [--bank FILE] [--format auto|csv|xlsx|camt053|camt054|mt940] [--profile NAME] [--dry-run] [--json]",
		Short: "Reconcile a day: import the files given, match, store the report and post the settled batches",
		Long: `Imports the files given (each whole or not at all; a file imported before is
skipped), then reconciles the day: ledger ↔ terminal totals, ledger ↔ acquirer
lines, acquirer net ↔ bank credits, and the bank's closing balance against the
ledger. Without --dry-run it stores the run, its matches and exceptions, and
posts each settled batch (debit bank, debit bank charges, credit card
clearing); re-running a day posts nothing twice. --json prints the report.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkDate(date); err != nil {
				return err
			}
			if err := checkFormat(format); err != nil {
				return err
			}
			limitReconcileMemory()
			c, db, _, err := a.closer(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			var imports []*endofday.ImportResult // their lines go to the run: not read back
			for _, group := range []struct {
				files  []string
				format string
			}{{settlement, settlementFormat(format)}, {bank, bankFormat(format)}} {
				for _, path := range group.files {
					res, err := a.importFile(cmd.Context(), c, path, group.format, profile)
					if err != nil {
						return err
					}
					if !a.jsonOut {
						a.printImport(res)
					} else if res.Already {
						fmt.Fprintf(a.stderr, "%s: %s\n", res.File.Name, res.AlreadyText())
					}
					imports = append(imports, &res)
				}
			}
			res, err := c.RunAfterImport(cmd.Context(), cliActor(), date, dryRun, imports)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printReport(res.Report)
			}
			a.printRun(res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&date, "date", "", "business date to reconcile, YYYY-MM-DD")
	f.StringArrayVar(&settlement, "settlement", nil, "acquirer settlement file to import first (repeatable)")
	f.StringArrayVar(&bank, "bank", nil, "bank statement to import first (repeatable)")
	f.StringVar(&format, "format", "auto", "format of the settlement file: "+strings.Join(endofday.Formats, ", "))
	f.StringVar(&profile, "profile", "", "settlement profile (default generic)")
	f.BoolVar(&dryRun, "dry-run", false, "show the report; store and post nothing")
	return cmd
}

// settlementFormat is the format a --settlement file is read in:
// --format, unless it names a bank format (meant for the --bank file):
// then detected.
func settlementFormat(format string) string {
	if bankFormat(format) != "auto" {
		return "auto"
	}
	return format
}

// bankFormat is the format a --bank file is read in: --format when it
// names a bank format, else detected.
func bankFormat(format string) string {
	switch format {
	case "camt053", "camt054", "mt940":
		return format
	}
	return "auto"
}

func (a *app) printRun(res endofday.RunResult) {
	r := res.Report
	s := r.Summary
	head := "Đối soát ngày %s"
	if res.DryRun {
		head += " (chạy thử: không lưu, không hạch toán)"
	}
	fmt.Fprintf(a.stdout, head+"\n", vnDate(r.Date))
	fmt.Fprintf(a.stdout, "  Sổ: %d giao dịch, %s đ; quyết toán: %d dòng, %s đ\n", s.LedgerCount, vnd(s.LedgerAmount), s.SettlementCount, vnd(s.SettlementAmount))
	fmt.Fprintf(a.stdout, "  Khớp: %d giao dịch, %s đ; phí %s đ; tiền về %s đ\n", s.MatchedCount, vnd(s.MatchedAmount), vnd(s.FeeAmount), vnd(s.NetAmount))
	for _, p := range res.Postings {
		state := "đã hạch toán"
		if !p.Created {
			state = "đã hạch toán từ lần chạy trước"
		}
		if res.DryRun {
			state = "sẽ hạch toán"
		}
		fmt.Fprintf(a.stdout, "  Lô %s máy %s: %s %s đ (phí %s đ, về %s đ)\n", p.BatchNo, p.TerminalID, state, vnd(p.Gross), vnd(p.Fee), vnd(p.Net))
	}
	for _, o := range res.Offers {
		fmt.Fprintf(a.stdout, "  Giao dịch treo có trong tệp quyết toán: %s (dòng %s, %s đ): kế toán xác nhận bằng 'feepos reconcile confirm %s --line %s --reason …'\n",
			strings.Join(o.PaymentIDs, ","), strings.Join(o.Settlement, ","), vnd(o.Amount), strings.Join(o.PaymentIDs, ","), strings.Join(o.Settlement, ","))
	}
	fmt.Fprintf(a.stdout, "  Ngoại lệ: %d\n", len(r.Exceptions))
	for i, e := range r.Exceptions {
		id := ""
		if i < len(res.ExceptionIDs) {
			id = fmt.Sprintf("#%d ", res.ExceptionIDs[i])
		}
		fmt.Fprintf(a.stdout, "  %s[%s] %s\n", id, e.Kind, e.Detail)
	}
}

func (a *app) reconcileReportCommand() *cobra.Command {
	var date, csvPath, xlsxPath, htmlPath string
	cmd := &cobra.Command{
		Use:   "report --date D [--json|--csv FILE|--xlsx FILE|--html FILE]",
		Short: "Print or export the report of a reconciled day",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkDate(date); err != nil {
				return err
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			c := endofday.New(db, endofday.Options{})
			rep, err := c.Report(cmd.Context(), date)
			if err != nil {
				return err
			}
			wrote := false
			for _, out := range []struct {
				path  string
				write func(*os.File) error
			}{
				{csvPath, func(f *os.File) error { return endofday.WriteCSV(f, rep) }},
				{xlsxPath, func(f *os.File) error { return endofday.WriteXLSX(f, rep) }},
				{htmlPath, func(f *os.File) error {
					chart, err := c.Chart(cmd.Context(), date, 14)
					if err != nil {
						return err
					}
					return endofday.WriteHTML(f, rep, chart)
				}},
			} {
				if out.path == "" {
					continue
				}
				if err := writeFileWith(out.path, out.write); err != nil {
					return err
				}
				wrote = true
				if !a.jsonOut {
					fmt.Fprintf(a.stdout, "Đã ghi %s\n", out.path)
				}
			}
			if a.jsonOut {
				return a.printReport(rep)
			}
			if !wrote {
				a.printRun(endofday.RunResult{Report: rep})
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&date, "date", "", "business date, YYYY-MM-DD")
	f.StringVar(&csvPath, "csv", "", "write the matches and exceptions as CSV to FILE")
	f.StringVar(&xlsxPath, "xlsx", "", "write the report as an Excel workbook to FILE")
	f.StringVar(&htmlPath, "html", "", "write the self-contained HTML report to FILE")
	return cmd
}

// writeFileWith writes a file whole: to a temporary file renamed over
// path once written.
func writeFileWith(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(dirOf(path), ".feepos-report-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func (a *app) reconcileExceptionsCommand() *cobra.Command {
	var openOnly bool
	cmd := &cobra.Command{
		Use:   "exceptions [--open] [--json]",
		Short: "List the reconciliation's exceptions with their age and resolutions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := endofday.New(db, endofday.Options{}).Exceptions(cmd.Context(), openOnly)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if list == nil {
					list = []sqlite.StoredException{}
				}
				return a.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "Không có ngoại lệ.")
			}
			for _, e := range list {
				state := "đang mở"
				if !e.Open && e.Resolution != nil {
					state = fmt.Sprintf("đã xử lý (%s, %s: %s)", e.Resolution.Action, e.Resolution.Actor, e.Resolution.Reason)
				}
				fmt.Fprintf(a.stdout, "#%d [%s] từ %s, lần cuối %s, %s: %s\n", e.ID, e.Kind, vnDate(e.FirstSeen), vnDate(e.LastSeen), state, e.Detail)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&openOnly, "open", false, "only the exceptions still open")
	return cmd
}

func (a *app) reconcileResolveCommand() *cobra.Command {
	var match, writeOff, unmatch bool
	var reason, payment, line string
	cmd := &cobra.Command{
		Use:   "resolve EXCEPTION_ID --match|--write-off|--unmatch --reason TEXT [--payment ID] [--line ID] [--json]",
		Short: "Resolve an exception (a manual match or a write-off), or undo a resolution (--unmatch); audited",
		Args:  exactArgs(1, "the exception's id (feepos reconcile exceptions)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil {
				return usagef("exception id %q: use the number feepos reconcile exceptions shows", args[0])
			}
			var action string
			n := 0
			for _, o := range []struct {
				set  bool
				name string
			}{{match, endofday.ActionMatch}, {writeOff, endofday.ActionWriteOff}, {unmatch, endofday.ActionUnmatch}} {
				if o.set {
					action = o.name
					n++
				}
			}
			if n != 1 {
				return usagef("give one of --match, --write-off or --unmatch")
			}
			if reason == "" {
				return usagef("--reason is required: say why (it is kept in the audit log)")
			}
			c, db, _, err := a.closer(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := c.Resolve(cmd.Context(), cliActor(), id, endofday.ResolveInput{Action: action, Reason: reason, PaymentID: payment, LineID: line})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(e)
			}
			if e.Open {
				fmt.Fprintf(a.stdout, "Ngoại lệ #%d mở lại\n", e.ID)
			} else {
				fmt.Fprintf(a.stdout, "Ngoại lệ #%d đã xử lý (%s)\n", e.ID, action)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&match, "match", false, "match the exception's payment and settlement line by hand")
	f.BoolVar(&writeOff, "write-off", false, "accept the difference")
	f.BoolVar(&unmatch, "unmatch", false, "undo the resolution in force: the exception is open again")
	f.StringVar(&reason, "reason", "", "why (required; kept in the audit log)")
	f.StringVar(&payment, "payment", "", "for --match: the ledger payment (default: the exception's)")
	f.StringVar(&line, "line", "", "for --match: the settlement line id (default: the exception's)")
	return cmd
}

func (a *app) reconcileConfirmCommand() *cobra.Command {
	var line, reason string
	cmd := &cobra.Command{
		Use:   "confirm PAYMENT --line ID --reason TEXT [--json]",
		Short: "Confirm as charged a payment in review that the acquirer's file shows settled (an offer of the run)",
		Args:  exactArgs(1, "the payment id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if line == "" || reason == "" {
				return usagef("--line and --reason are required: the settlement line the run offered, and what you checked")
			}
			db, cfg, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			keys, err := signing.ReceiptKeys(cfg.Receipts, a.databasePath(cfg))
			if err != nil {
				return err
			}
			svc := payments.New(db, nil, keys.Keyring, payments.Options{VerifyBase: cfg.Receipts.VerifyBase})
			defer svc.Close()
			p, err := endofday.New(db, endofday.Options{Payments: svc}).Confirm(cmd.Context(), cliActor(), args[0], line, reason)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(p)
			}
			fmt.Fprintf(a.stdout, "Đã xác nhận thanh toán %s (%s đ): %s\n", p.ID, vnd(p.Amount), p.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&line, "line", "", "the settlement line the run offered as evidence")
	cmd.Flags().StringVar(&reason, "reason", "", "what you checked (required; kept in the audit log)")
	return cmd
}
