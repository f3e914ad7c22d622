package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/receipts"
)

// receipts url: the address of a receipt's public check with its lookup
// code (issue 13, item 8). Receipts issued before migration 0018 were
// printed with a QR code without the code, which now answers only that
// the receipt exists; the migration gave each of them a code, and this
// prints the full address for the payer who asks (or reprint the receipt:
// render and print put the code in the QR code). The code is a key to the
// receipt's details and signed XML: give it only to the payer.
func (a *app) receiptsURLCommand() *cobra.Command {
	var template, verifyBase string
	cmd := &cobra.Command{
		Use:   "url SERIES NUMBER [--template EBL01] [--verify-base URL]",
		Short: "Print the address of a receipt's public check with its lookup code (for the payer)",
		Long: `Prints the address of the receipt's /verify page with its lookup code (mã
tra cứu), the address its QR code carries, and the code itself. Receipts issued
before the lookup codes existed have one since migration 0018, but their printed
QR code lacks it: give the payer this address (or reprint the receipt). The
code opens the receipt's details and its signed XML: give it only to the payer.
--json prints {receipt, lookup_code, verify_url}.`,
		Example: `  feepos receipts url 26TAA 7
  feepos receipts url 26TAA 7 --verify-base https://bienlai.example.gov.vn`,
		Args: exactArgs(2, "a series and a number: feepos receipts url 26TAA 7"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := parseReceiptNumber(args[1])
			if err != nil {
				return err
			}
			if err := checkVerifyBaseFlag(verifyBase); err != nil {
				return err
			}
			db, cfg, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.Receipt(cmd.Context(), template, args[0], number)
			if err != nil {
				return err
			}
			url := receipts.VerifyURL(a.verifyBase(verifyBase, cfg), r)
			if a.jsonOut {
				return a.printJSON(struct {
					Receipt    string `json:"receipt"`
					LookupCode string `json:"lookup_code"`
					VerifyURL  string `json:"verify_url"`
				}{r.Ref.String(), r.LookupCode, url})
			}
			fmt.Fprintf(a.stdout, "Biên lai %s: mã tra cứu %s\n%s\n", r.Ref, r.LookupCode, url)
			return nil
		},
	}
	cmd.Flags().StringVar(&template, "template", receipts.Template, "template symbol (ký hiệu mẫu)")
	cmd.Flags().StringVar(&verifyBase, "verify-base", "", verifyBaseUsage)
	return cmd
}
