package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/receipts"
)

func (a *app) receiptsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipts",
		Short: "Electronic fee receipts (biên lai thu phí, lệ phí điện tử)",
		RunE:  groupHelp,
	}
	cmd.AddCommand(a.wordsCommand())
	return cmd
}

func (a *app) wordsCommand() *cobra.Command {
	var style string
	cmd := &cobra.Command{
		Use:   "words AMOUNT [--style linh|le]",
		Short: "Write an amount in đồng in Vietnamese words, as the receipt prints it",
		Example: `  feepos receipts words 1005               # Một nghìn không trăm linh năm đồng
  feepos receipts words 1005 --style le    # Một ngàn không trăm lẻ năm đồng`,
		Args: exactArgs(1, "one amount in whole đồng: feepos receipts words 1005"),
		RunE: func(_ *cobra.Command, args []string) error {
			amount, err := parseAmountArg(args[0])
			if err != nil {
				return err
			}
			ws, err := receipts.ParseWordStyle(style)
			if err != nil {
				return usageError{err}
			}
			words, err := receipts.WordsStyle(amount, ws)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Amount int64  `json:"amount"`
					Words  string `json:"words"`
				}{amount, words})
			}
			_, err = fmt.Fprintln(a.stdout, words)
			return err
		},
	}
	cmd.Flags().StringVar(&style, "style", string(receipts.WordStyleLinh), `"linh" (linh, nghìn, tỷ) or "le" (lẻ, ngàn, tỉ)`)
	return cmd
}

// parseAmountArg reads an amount typed on the command line: whole đồng in
// plain digits. Dots and commas are refused rather than guessed at, since
// "1.5" may be a decimal or a Vietnamese thousands separator.
func parseAmountArg(s string) (int64, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			if c == '-' && len(s) > 1 {
				return 0, usagef("amount %q is negative: a receipt never carries a negative amount", s)
			}
			return 0, usagef("amount %q is not a whole number of đồng: write digits only, e.g. 1500000", s)
		}
	}
	amount, err := strconv.ParseInt(s, 10, 64)
	if err != nil || amount > receipts.MaxAmountInWords {
		return 0, usagef("amount %q is not between 0 and %d đồng", s, receipts.MaxAmountInWords)
	}
	return amount, nil
}
