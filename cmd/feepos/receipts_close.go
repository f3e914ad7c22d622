package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/receipts"
)

func (a *app) receiptsCloseCommand() *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "close --date YYYY-MM-DD [--json]",
		Short: "Sign the daily closure of a business date that is over",
		Long: `Signs, once, the closure of a business date (Asia/Ho_Chi_Minh) that has ended:
per series, the receipts issued that day, their total and the chain head at the
end of the day (docs/RECEIPTS.md, "Daily closure"). The closure covers every
organisation's series and is signed by one key: the organisation named by
[receipts] closure_org, else the default key of [receipts] (p12_file or
key_file), else the only [[receipts.signers]] entry's; without a config, the
demo district's key next to the database (demo-signing.key, made by serve
--demo). A date not yet over, or before the day the first receipt series was
created, is refused; a date already closed is a conflict.`,
		Example: `  feepos receipts close --date 2026-07-01
  feepos --config /etc/feepos/feepos.toml receipts close --date 2026-07-01 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if date == "" {
				return usagef("--date is required: the business date to close, e.g. --date 2026-07-01")
			}
			if _, _, err := receipts.DayBounds(date); err != nil {
				return usageError{err}
			}
			db, cfg, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			signer, from, err := signing.ClosureSigner(cfg.Receipts, a.databasePath(cfg))
			if err != nil {
				return err
			}
			c, _, err := db.CloseDay(cmd.Context(), date, signer)
			if err != nil {
				return err
			}
			subject := signer.Certificate().Subject.CommonName
			if a.jsonOut {
				return a.printJSON(struct {
					receipts.Closure
					SignedBy string `json:"signed_by"`
					Key      string `json:"key"`
				}{c, subject, from})
			}
			fmt.Fprintf(a.stdout, "Đã chốt ngày %s: %d biên lai, tổng %s đ; ký số bởi %s (%s)\n", vnDate(c.BusinessDate), c.Count, vnd(c.Total), subject, from)
			for _, s := range c.Series {
				if s.Count == 0 {
					fmt.Fprintf(a.stdout, "  %s %s: không có biên lai trong ngày, cuối %s\n", s.Template, s.Letters,
						receipts.Ref{Series: s.HeadSeries, Number: s.HeadNumber})
					continue
				}
				fmt.Fprintf(a.stdout, "  %s %s: %d biên lai (số %d–%d), tổng %s đ, cuối %s\n", s.Template, s.Letters, s.Count,
					s.FirstNumber, s.LastNumber, vnd(s.Total), receipts.Ref{Series: s.HeadSeries, Number: s.HeadNumber})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "business date to close, YYYY-MM-DD (Vietnam time)")
	return cmd
}
