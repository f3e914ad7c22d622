package main

import (
	"fmt"

	"github.com/spf13/cobra"

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
	return cmd
}
