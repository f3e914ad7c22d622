package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// receiptsToNotifyCommand is "feepos receipts to-notify": the receipts
// issued for money that was not collected (their card payment was voided:
// the terminal reversed the charge after feepos recorded it), which an
// accountant must take up with the tax authority — the law leaves open
// how such a receipt is cancelled or reported (docs/RECEIPTS.md, "Open
// question: a payment undone in full").
func (a *app) receiptsToNotifyCommand() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "to-notify [--all]",
		Short: "List the receipts issued for a card payment the terminal then reversed (for the accountant)",
		Long: `Lists the receipts whose card payment was voided: feepos recorded the payment
and issued its receipts, then the terminal reversed the charge before feepos
acknowledged it (a crash or a lost acknowledgement), so the money was not
collected. Receipts are never edited or deleted, and the law does not say how
such a receipt is cancelled or reported (docs/RECEIPTS.md, open question): each
one stays valid and is listed here until an accountant has settled it with the
tax authority. --all lists the settled ones too.`,
		Example: `  feepos receipts to-notify
  feepos receipts to-notify --all --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, _, err := a.openReading(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := db.ReceiptsToNotify(ctx, all)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if rows == nil {
					rows = []sqlite.ReceiptToNotifyRow{}
				}
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.stdout, "Không có biên lai nào chờ xử lý")
				return nil
			}
			for _, r := range rows {
				state := "chờ xử lý"
				if r.ResolvedAt.Valid {
					state = "đã xử lý (" + r.ResolvedBy + "): " + r.Resolution
				}
				fmt.Fprintf(a.stdout, "%s %s-%s %s %d đồng, thanh toán %s bị hủy: %s\n", r.OrgCode, r.Template, r.Series,
					receipts.PrintedNumber(r.Number), r.Total, r.PaymentID, state)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also the receipts an accountant has settled")
	cmd.AddCommand(a.receiptsToNotifyResolveCommand())
	return cmd
}

// receiptsToNotifyResolveCommand is "feepos receipts to-notify resolve":
// the accountant writes down how a listed receipt was settled with the
// tax authority (once, audited); the receipt itself is not changed.
func (a *app) receiptsToNotifyResolveCommand() *cobra.Command {
	var note, template string
	cmd := &cobra.Command{
		Use:     "resolve SERIES-NUMBER --note TEXT [--template EBL01]",
		Short:   "Write down how a listed receipt was settled with the tax authority (audited, once)",
		Example: `  feepos receipts to-notify resolve 26TAA-00000007 --note "Đã báo cơ quan thuế, công văn số 12/CV ngày 08/12/2026"`,
		Args:    exactArgs(1, "one receipt, SERIES-NUMBER (e.g. 26TAA-00000007)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseReceiptRef(args[0])
			if err != nil {
				return err
			}
			ref.Template = template
			if strings.TrimSpace(note) == "" {
				return usagef("--note is required: say how the receipt was settled (e.g. the tax office's answer and its date)")
			}
			ctx := cmd.Context()
			db, _, err := a.openWriting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			actor := cliActor()
			var ok bool
			err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
				if ok, err = tx.ResolveReceiptToNotify(ctx, ref.Template, ref.Series, ref.Number, actor.String(), note); err != nil || !ok {
					return err
				}
				return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "receipt.to_notify.resolve",
					Object: "receipt:" + ref.Template + "/" + ref.Series + "/" + strconv.FormatInt(ref.Number, 10), Reason: note})
			})
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("receipt %s-%s is not among the receipts waiting to be settled (feepos receipts to-notify --all lists them)", ref.Series, receipts.PrintedNumber(ref.Number))
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"template": ref.Template, "series": ref.Series, "number": ref.Number, "resolved": true})
			}
			fmt.Fprintf(a.stdout, "Đã ghi nhận cách xử lý biên lai %s-%s\n", ref.Series, receipts.PrintedNumber(ref.Number))
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "how the receipt was settled with the tax authority (required)")
	cmd.Flags().StringVar(&template, "template", receipts.Template, "the receipt's template")
	return cmd
}
