package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/ledger"
)

func (a *app) ledgerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Read, check and correct the double-entry ledger",
		RunE:  a.groupHelp,
	}
	cmd.AddCommand(a.ledgerVerifyCommand(), a.trialBalanceCommand(), a.journalCommand(),
		a.accountsCommand(), a.balancesCommand(), a.postCommand(), a.reverseCommand())
	return cmd
}

// today is the business date now, in Asia/Ho_Chi_Minh.
func today() string { return ledger.BusinessDate(time.Now()) }

// dateArg is a --date flag: today when empty, else a YYYY-MM-DD date; a
// malformed one is bad usage (exit 2), like every other flag.
func dateArg(date string) (string, error) {
	if date == "" {
		return today(), nil
	}
	if _, err := ledger.ParseDate(date); err != nil {
		return "", usageError{err}
	}
	return date, nil
}

func (a *app) ledgerVerifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Walk the hash chain and name the first entry that does not hold",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := db.Verify(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else if rep.OK {
				fmt.Fprintf(a.stdout, "Sổ cái toàn vẹn: %d bút toán, mã băm cuối %s\n", rep.Entries, rep.Head)
			}
			if !rep.OK {
				return ledger.Conflictf("ledger verification failed at entry %d: %s (%d entries before it hold); restore a backup or investigate who wrote to the database", rep.BadID, rep.Problem, rep.Entries)
			}
			return nil
		},
	}
}

func (a *app) trialBalanceCommand() *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "trial-balance [--date YYYY-MM-DD]",
		Short: "Every account's debits, credits and balance up to a date (default today)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := dateArg(date)
			if err != nil {
				return err
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			tb, err := db.TrialBalance(cmd.Context(), date)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(tb)
			}
			fmt.Fprintf(a.stdout, "BẢNG CÂN ĐỐI SỐ PHÁT SINH\nLũy kế đến hết ngày %s\n\n", vnDate(date))
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "Tài khoản\tTên tài khoản\tTiền tệ\tPhát sinh Nợ\tPhát sinh Có\tDư Nợ\tDư Có\t")
			for _, r := range tb.Rows {
				dr, cr := "", ""
				if r.Balance > 0 {
					dr = vnd(r.Balance)
				} else if r.Balance < 0 {
					cr = vnd(-r.Balance)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Account, r.Name, r.Currency, vnd(r.Debit), vnd(r.Credit), dr, cr)
			}
			for _, t := range tb.Totals {
				fmt.Fprintf(w, "Tổng cộng\t\t%s\t%s\t%s\t\t\t\n", t.Currency, vnd(t.Debit), vnd(t.Credit))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(tb.Rows) == 0 {
				fmt.Fprintln(a.stdout, "(chưa có bút toán nào)")
			} else if tb.Balanced() {
				fmt.Fprintln(a.stdout, "\nTổng phát sinh Nợ bằng tổng phát sinh Có.")
			} else {
				return ledger.Conflictf("the trial balance does not balance: run 'feepos ledger verify'")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "as of this business date, YYYY-MM-DD (default today)")
	return cmd
}

func (a *app) journalCommand() *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "journal [--date YYYY-MM-DD]",
		Short: "List the entries of one business date",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := dateArg(date)
			if err != nil {
				return err
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			entries, err := db.Journal(cmd.Context(), date)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if entries == nil {
					entries = []ledger.Entry{}
				}
				return a.printJSON(entries)
			}
			a.printJournal(date, entries)
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "business date, YYYY-MM-DD (default today)")
	return cmd
}

func (a *app) printJournal(date string, entries []ledger.Entry) {
	fmt.Fprintf(a.stdout, "SỔ NHẬT KÝ CHUNG — ngày %s — %d bút toán\n", vnDate(date), len(entries))
	for _, e := range entries {
		fmt.Fprintf(a.stdout, "\n#%d  %s", e.ID, e.Description)
		if e.Reverses != 0 {
			fmt.Fprintf(a.stdout, "  (đảo bút toán #%d)", e.Reverses)
		}
		if e.ReversedBy != 0 {
			fmt.Fprintf(a.stdout, "  (đã bị đảo bởi #%d)", e.ReversedBy)
		}
		fmt.Fprintln(a.stdout)
		w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		for _, l := range e.Lines {
			side := "Nợ"
			if l.Side == ledger.Credit {
				side = "  Có"
			}
			fmt.Fprintf(w, "    %s TK %s\t%s %s\t%s\n", side, l.Account, vnd(l.Amount), l.Currency, dimsText(l.Dimensions))
		}
		w.Flush()
	}
}

// dimensionVN is a dimension's column header in a report, the words of
// dimsText.
var dimensionVN = map[ledger.Dimension]string{
	ledger.DimAgency: "Cơ quan", ledger.DimFeeCode: "Mã phí", ledger.DimTerminal: "Máy POS",
	ledger.DimCounter: "Quầy", ledger.DimCashier: "Thu ngân", ledger.DimDossier: "Hồ sơ",
}

// dimensionNames lists the dimensions --by takes.
func dimensionNames() string {
	names := make([]string, len(ledger.AllDimensions))
	for i, d := range ledger.AllDimensions {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

func dimsText(d ledger.Dimensions) string {
	var parts []string
	for _, p := range []struct{ label, v string }{
		{"cơ quan", d.Agency}, {"phí", d.FeeCode}, {"máy POS", d.Terminal},
		{"quầy", d.Counter}, {"thu ngân", d.Cashier}, {"hồ sơ", d.Dossier},
	} {
		if p.v != "" {
			parts = append(parts, p.label+" "+p.v)
		}
	}
	return strings.Join(parts, ", ")
}

func (a *app) accountsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "accounts",
		Short: "List the chart of accounts and the role of each account",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			accounts, err := db.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(accounts)
			}
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "Tài khoản\tTên tài khoản\tLoại\tTiền tệ\tVai trò")
			for _, acc := range accounts {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", acc.Code, acc.Name, accountTypeVN[acc.Type], acc.Currency, acc.Role)
			}
			return w.Flush()
		},
	}
}

var accountTypeVN = map[ledger.AccountType]string{
	ledger.Asset: "Tài sản", ledger.Liability: "Nợ phải trả", ledger.Equity: "Nguồn vốn",
	ledger.Revenue: "Thu", ledger.Expense: "Chi",
}

func (a *app) balancesCommand() *cobra.Command {
	var date, by, account string
	cmd := &cobra.Command{
		Use:   "balances [--date D] [--by agency,fee_code,...] [--account CODE]",
		Short: "Balances per account, grouped by dimensions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := dateArg(date)
			if err != nil {
				return err
			}
			q := ledger.BalanceQuery{AsOf: date, Account: account}
			for _, d := range strings.Split(by, ",") {
				if d = strings.TrimSpace(d); d != "" {
					if !slices.Contains(ledger.AllDimensions, ledger.Dimension(d)) {
						return usagef("--by %q: cannot group by %q; use one or more of %s, separated by commas", by, d, dimensionNames())
					}
					q.GroupBy = append(q.GroupBy, ledger.Dimension(d))
				}
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			bs, err := db.Balances(cmd.Context(), q)
			if apperr.Code(err) == apperr.NotFound && account != "" {
				return fmt.Errorf("%w: see 'feepos ledger accounts' for the codes", err)
			}
			if err != nil {
				return err
			}
			if a.jsonOut {
				if bs == nil {
					bs = []ledger.Balance{}
				}
				return a.printJSON(bs)
			}
			fmt.Fprintf(a.stdout, "SỐ DƯ TÀI KHOẢN đến hết ngày %s\n\n", vnDate(date))
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			header := "Tài khoản\tTiền tệ"
			for _, d := range q.GroupBy {
				header += "\t" + dimensionVN[d]
			}
			fmt.Fprintln(w, header+"\tNợ\tCó\tSố dư")
			for _, b := range bs {
				row := b.Account + "\t" + b.Currency
				for _, d := range q.GroupBy {
					row += "\t" + b.Dims[d]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", row, vnd(b.Debit), vnd(b.Credit), vnd(b.Balance))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if len(bs) == 0 {
				fmt.Fprintln(a.stdout, "(chưa có bút toán nào)")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "as of this business date, YYYY-MM-DD (default today)")
	cmd.Flags().StringVar(&by, "by", "", "dimensions to group by, separated by commas: "+dimensionNames())
	cmd.Flags().StringVar(&account, "account", "", "only this account code")
	return cmd
}

func (a *app) postCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "post [--file ENTRY.json]",
		Short: "Post a manual entry given as JSON (from a file or stdin)",
		Long: `Post a manual entry, e.g. an adjustment the accountant decided. The JSON is
{"date":"2026-11-25","description":"…","idempotency_key":"…",
 "lines":[{"account":"111","side":"D","amount":50000,"agency":"…"}, …]}
The date (default today) is from 1 January of this year (of the previous year
until 31 March) to today; a line's currency (default VND) must be its
account's (docs/LEDGER.md).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var r io.Reader = a.stdin
			if file != "" && file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			var e ledger.NewEntry
			dec := json.NewDecoder(r)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				return ledger.Invalidf("read entry JSON: %v (see 'feepos ledger post --help' for the shape)", err)
			}
			if e.Date == "" {
				e.Date = today()
			}
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			posted, created, err := db.PostCreated(cmd.Context(), e)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(postedJSON{posted, created})
			}
			if !created {
				fmt.Fprintf(a.stdout, "Bút toán #%d đã được ghi trước đó với cùng khóa %q (ngày %s): không ghi thêm bút toán nào\n", posted.ID, posted.IdempotencyKey, vnDate(posted.Date))
				return nil
			}
			fmt.Fprintf(a.stdout, "Đã ghi bút toán #%d ngày %s\n", posted.ID, vnDate(posted.Date))
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "JSON file with the entry (default stdin)")
	return cmd
}

// postedJSON is a posted entry as ledger post and reverse print it:
// created is false when its idempotency key had posted it before.
type postedJSON struct {
	ledger.Entry
	Created bool `json:"created"`
}

func (a *app) reverseCommand() *cobra.Command {
	var date, description, key string
	cmd := &cobra.Command{
		Use:   "reverse ENTRY_ID",
		Short: "Post the reversal of an entry (an entry is reversed once)",
		Args:  exactArgs(1, "one entry id: feepos ledger reverse 42"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usagef("entry id %q is not a positive number", args[0])
			}
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			rev, created, err := db.ReverseCreated(cmd.Context(), id, date, description, key)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(postedJSON{rev, created})
			}
			if !created {
				fmt.Fprintf(a.stdout, "Bút toán đảo #%d cho bút toán #%d đã được ghi trước đó với cùng khóa %q: không ghi thêm bút toán nào\n", rev.ID, id, key)
				return nil
			}
			fmt.Fprintf(a.stdout, "Đã ghi bút toán đảo #%d cho bút toán #%d\n", rev.ID, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "business date of the reversal (default today; not before the entry's date)")
	cmd.Flags().StringVar(&description, "description", "", "why (default: names the reversed entry)")
	cmd.Flags().StringVar(&key, "key", "", "idempotency key, so a repeated command reverses once")
	return cmd
}
