package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/receipts"
)

// receiptsExportCommand is "feepos receipts export": a business date's
// signed receipt XMLs, and its signed closure once the day is closed, into
// the drop folder a licensed provider's agent picks up from (the daily
// summary has its own command, receipts summary --drop).
func (a *app) receiptsExportCommand() *cobra.Command {
	var date, org, drop string
	cmd := &cobra.Command{
		Use:   "export [--drop DIR] [--date YYYY-MM-DD] [--org CODE]",
		Short: "Put a day's signed receipt XMLs (and its signed closure) into the provider's drop folder",
		Long: `Writes the signed XML of every receipt issued on a business date (Asia/Ho_Chi_Minh,
default today), of one organisation with --org or of all, into the drop folder
of the licensed provider that transmits them to the tax authority, one file per
receipt named EBL01_<MST>_<series>_<number>.xml, and the day's signed closure
(CHOTNGAY_<YYYYMMDD>.xml) when the day is closed (receipts close).

Each file is written atomically and never overwrites another document of the
same name; a file already there with the same bytes counts as sent, so the
command can run again later in the day and adds only what is new. A receipt
of the day without a signature stops the export before anything is written:
it names them, since an unsigned receipt must not reach the tax authority.
The daily summary 01/TH-BLĐT is exported by receipts summary --drop.

Each document handed over is recorded with its delivery state (queued,
handed over, accepted, rejected): feepos receipts status lists what the tax
office has not accepted. Without --drop the config's [receipts.provider]
(a drop folder, or a provider's HTTP API) is used.`,
		Example: `  feepos receipts export --drop /srv/einvoice/outbox
  feepos receipts export --date 2026-07-01 --org UBND-Q1 --drop /srv/einvoice/outbox --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if date == "" {
				date = receipts.SummaryDate(time.Now())
			}
			if _, _, err := receipts.DayBounds(date); err != nil {
				return usageError{err}
			}
			if drop != "" {
				if st, err := os.Stat(drop); err != nil || !st.IsDir() {
					return receipts.Invalidf("drop folder %s does not exist or is not a folder: create it (the provider's agent reads from it) and let feepos write there", drop)
				}
			}
			ctx := cmd.Context()
			db, cfg, err := a.openWriting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			to, err := a.taxFiling(db, cfg, drop, true)
			if err != nil {
				return err
			}
			if to.To == nil {
				return usagef("give the provider's drop folder: --drop DIR (or set [receipts.provider] in the config file)")
			}
			docs, err := db.SignedReceiptsOfDay(ctx, date, org)
			if err != nil {
				return err
			}
			var unsigned []string
			for _, d := range docs {
				if d.XML == nil {
					unsigned = append(unsigned, d.Ref.String())
				}
			}
			if len(unsigned) > 0 {
				return receipts.Conflictf("nothing was exported: %d receipt(s) of %s have no signature (%s); an unsigned receipt must not reach the tax authority: find why they were issued without a key (feepos receipts verify) and report them to the provider",
					len(unsigned), date, strings.Join(unsigned, ", "))
			}
			closure, err := db.ClosureXML(ctx, date)
			if err != nil && apperr.Code(err) != apperr.NotFound {
				return err
			}
			for _, d := range docs {
				id, err := db.ReceiptRowID(ctx, d.Ref)
				if err != nil {
					return err
				}
				if _, err := to.HandOver(ctx, receipts.Delivery{Document: d.FileName(), Kind: receipts.DocReceipt,
					OrgCode: d.OrgCode, Date: date, ReceiptID: id}, d.XML); err != nil {
					return err
				}
			}
			closed := closure != nil
			if closed {
				if _, err := to.HandOver(ctx, receipts.Delivery{Document: receipts.ClosureFileName(date), Kind: receipts.DocClosure, Date: date}, closure); err != nil {
					return err
				}
			}
			if drop == "" {
				drop = to.Transport + ":" + cfg.Receipts.Provider.Drop + cfg.Receipts.Provider.Endpoint
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Date     string                   `json:"date"`
					Org      string                   `json:"org,omitempty"`
					Drop     string                   `json:"drop"`
					Receipts []receipts.SignedReceipt `json:"receipts"`
					Closure  bool                     `json:"closure"`
				}{date, org, drop, docs, closed})
			}
			fmt.Fprintf(a.stdout, "Đã chuyển %d biên lai ngày %s vào %s", len(docs), vnDate(date), drop)
			if closed {
				fmt.Fprintf(a.stdout, ", kèm bản chốt ngày %s\n", receipts.ClosureFileName(date))
			} else {
				fmt.Fprintf(a.stdout, "; ngày chưa chốt: chạy feepos receipts close --date %s khi hết ngày rồi chuyển lại\n", date)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&drop, "drop", "", "the provider's drop folder (default: [receipts.provider] of the config)")
	f.StringVar(&date, "date", "", "business date YYYY-MM-DD in Asia/Ho_Chi_Minh (default today)")
	f.StringVar(&org, "org", "", "only this organisation's receipts (default all)")
	return cmd
}
