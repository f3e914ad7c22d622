package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/receipts"
)

func (a *app) receiptsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipts",
		Short: "Electronic fee receipts (biên lai thu phí, lệ phí điện tử)",
		RunE:  a.groupHelp,
	}
	cmd.AddCommand(a.wordsCommand(), a.receiptsVerifyCommand(), a.receiptXMLCommand(), a.receiptsSummaryCommand(),
		a.receiptsCloseCommand())
	cmd.AddCommand(a.receiptsPrintCommand())
	cmd.AddCommand(a.receiptsRenderCommand())
	cmd.AddCommand(a.receiptsExportCommand())
	cmd.AddCommand(a.receiptsNoticeCommand())
	cmd.AddCommand(a.receiptsToNotifyCommand())
	cmd.AddCommand(a.receiptsReplaceCommand())
	cmd.AddCommand(a.receiptsURLCommand())
	cmd.AddCommand(a.receiptsStatusCommand(), a.receiptsInboxCommand())
	return cmd
}

func (a *app) receiptsVerifyCommand() *cobra.Command {
	var certFile string
	cmd := &cobra.Command{
		Use:   "verify [--json] [--cert FILE]",
		Short: "Check every receipt's chain and signature and every daily closure; name the first that fails",
		Long: `Walks every series' hash chain (a changed, missing or reordered receipt), then
every receipt's signed XML (an unsigned receipt, a signature that fails, signed
content that differs from the stored receipt, a certificate whose tax code is
not the receipt's organisation's), then every signed daily closure.
Signatures must be by a certificate of --cert, else of the config ([receipts]
cert_file or p12_file, and each [[receipts.signers]] entry's), else of the demo
keys next to the database (which serve --demo creates); with none, by the
certificate each signature carries (which proves the XML unchanged since
signing, not who signed it). Exit code 1 names the first receipt that fails.
Receipts of a series whose times of issue go backwards (a clock set back) are
listed as warnings ("Cảnh báo"; "time_order" in --json): their chain holds, the
times printed on them do not.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, cfg, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			trust, how, err := signing.Trust(cfg.Receipts, certFile, a.databasePath(cfg))
			if err != nil {
				return err
			}
			rep, err := db.VerifyReceiptSignatures(cmd.Context(), trust)
			if err != nil {
				return err
			}
			rep.Trust = how.String()
			if a.jsonOut {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else if rep.OK {
				fmt.Fprintf(a.stdout, "Biên lai toàn vẹn: %d biên lai, %d đã ký, %d bản chốt ngày (%s)\n", rep.Receipts, rep.Signed, rep.Closures, how.VI())
				for _, c := range rep.Chains {
					fmt.Fprintf(a.stdout, "  %s %s: %d biên lai, cuối %s, mã băm %s\n", c.Template, c.Letters, c.Receipts,
						receipts.Ref{Series: c.Series, Number: c.Number}, c.Head)
				}
			}
			if !a.jsonOut {
				for _, p := range rep.TimeOrder {
					fmt.Fprintf(a.stdout, "  Cảnh báo: %s\n", p.VI())
				}
			}
			if !rep.OK {
				return receipts.Conflictf("receipt verification failed: %s (%d receipts before it hold); restore a backup or investigate who wrote to the database", rep.Problem, rep.Receipts)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&certFile, "cert", "", "PEM file of the certificate(s) the signatures must be made with")
	return cmd
}

func (a *app) receiptXMLCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "xml TEMPLATE SERIES NUMBER",
		Short:   "Print a receipt's signed XML as stored",
		Example: `  feepos receipts xml EBL01 26TAA 7 > 26TAA-00000007.xml`,
		Args:    exactArgs(3, "a template, a series and a number: feepos receipts xml EBL01 26TAA 7"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := parseReceiptNumber(args[2])
			if err != nil {
				return err
			}
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			doc, err := db.SignedReceiptXML(cmd.Context(), args[0], args[1], number)
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(doc)
			return err
		},
	}
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
	cmd.SetFlagErrorFunc(negativeAmountFlagError)
	return cmd
}

// negativeAmountFlagError reports "-1" given as an amount as what it is, a
// negative amount, where the flag parser sees an unknown flag "-1".
func negativeAmountFlagError(_ *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if sh := ne.GetSpecifiedShortnames(); sh != "" && sh[0] >= '0' && sh[0] <= '9' {
			return usagef("amount %q is negative: an amount is a positive whole number of đồng, e.g. 1500000", "-"+sh)
		}
	}
	return usageError{err}
}

// parseReceiptNumber reads the NUMBER argument of receipts xml, print and
// render: a receipt number in digits, from 1.
func parseReceiptNumber(s string) (int64, error) {
	number, err := strconv.ParseInt(s, 10, 64)
	if err != nil || number < 1 {
		return 0, usagef("receipt number %q: write the number in digits, e.g. 7", s)
	}
	return number, nil
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
