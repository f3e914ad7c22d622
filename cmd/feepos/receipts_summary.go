package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/receipts"
)

// receiptsSummaryCommand is "feepos receipts summary": the daily summary
// 01/TH-BLĐT of one organisation for one business date, as XML or XLSX, to
// standard output (XML only), a file, or the provider's drop folder.
func (a *app) receiptsSummaryCommand() *cobra.Command {
	var org, date, format, out, drop string
	var unsigned bool
	cmd := &cobra.Command{
		Use:   "summary --org CODE [--date YYYY-MM-DD] [--format xml|xlsx] [--out FILE | --drop DIR] [--unsigned]",
		Short: "Write the daily summary for the tax authority (form 01/TH-BLĐT), XML or XLSX",
		Long: `Export the daily summary (form 01/TH-BLĐT) of one collecting organisation for
one business date in Asia/Ho_Chi_Minh: one row per fee line of every receipt
issued from 00:00 to 24:00, with each receipt's status at the end of that day.

Without --out or --drop the XML is written to standard output (XLSX needs a
file). --drop files the XML with the provider: written atomically into the
folder a licensed provider's agent picks up from and recorded with its
delivery state (feepos receipts status). The first filing of a day is named
01TH-BLDT_<MST>_<YYYYMMDD>_LD.xml ([02] "Lần đầu"); run again after more
receipts were issued, it files an amendment of those receipts only,
…_BS01.xml, …_BS02.xml ([03] "Bổ sung lần thứ n"), and nothing when there is
nothing new. An XLSX --drop is the copy for people and is not recorded. With --json and no
destination the summary itself is printed as JSON; with a destination, what
was written.

The XML is signed (enveloped XMLDSig, like a receipt) with the organisation's
own key: its [[receipts.signers]] entry, else the default [receipts] key, else
the demo keys next to the database (docs/RECEIPTS.md, "Demo keys and
configuration"); a key whose certificate carries another tax code is refused.
Without a key the export is refused: configure one, or give --unsigned when
the licensed provider signs the summary itself. The XLSX file is never
signed: it is the copy for people; the XML is the document that is sent.`,
		Example: `  feepos receipts summary --org UBND-Q1 --date 2026-07-01 > summary.xml
  feepos receipts summary --org UBND-Q1 --date 2026-07-01 --format xlsx --out summary.xlsx
  feepos receipts summary --org UBND-Q1 --drop /srv/einvoice/outbox --json
  feepos receipts summary --org CA-Q1 --date 2026-07-01 --unsigned --out summary.xml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if org == "" {
				return usagef("give the organisation: --org CODE")
			}
			if date == "" {
				date = receipts.SummaryDate(time.Now())
			}
			if _, _, err := receipts.ParseSummaryDate(date); err != nil {
				return usageError{err}
			}
			if format != "xml" && format != "xlsx" {
				return usagef("format %q: use xml or xlsx", format)
			}
			if out != "" && drop != "" {
				return usagef("give --out FILE or --drop DIR, not both")
			}
			if format == "xlsx" && out == "" && drop == "" {
				return usagef("an XLSX file is binary: give --out FILE or --drop DIR")
			}

			ctx := cmd.Context()
			if drop != "" && format == "xml" {
				return a.fileSummary(cmd, org, date, drop, unsigned)
			}
			db, cfg, err := a.openReading(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := db.DailySummary(ctx, org, date)
			if err != nil {
				return err
			}
			totals := s.Totals()
			if a.jsonOut && out == "" && drop == "" {
				return a.printJSON(struct {
					receipts.DailySummary
					Totals receipts.SummaryTotals `json:"totals"`
				}{s, totals})
			}

			var (
				payload []byte
				sig     taxSignature
			)
			if format == "xml" {
				payload, err = receipts.SummaryXML(s)
				if err == nil && !unsigned {
					payload, sig, err = a.signTaxDocument(cfg, s.Org, receipts.SummaryForm, payload)
				}
			} else {
				payload, err = receipts.SummaryXLSX(s)
			}
			if err != nil {
				return err
			}

			var path string
			if drop != "" {
				// Only the XLSX comes here (the XML is filed by fileSummary):
				// the copy for people, dropped beside the XML, not recorded as
				// a document sent.
				path = filepath.Join(drop, s.FileName(format))
				err = receipts.FileDrop{Dir: drop}.Send(ctx, receipts.DocSummary, s.FileName(format), payload)
			} else {
				path, err = a.deliverTaxDocument(ctx, out, "", receipts.DocSummary, s.FileName(format), payload)
			}
			if err != nil || path == "" {
				return err
			}

			sum := sha256.Sum256(payload)
			if a.jsonOut {
				return a.printJSON(struct {
					Org      string `json:"org"`
					Date     string `json:"date"`
					Format   string `json:"format"`
					File     string `json:"file"`
					Bytes    int    `json:"bytes"`
					SHA256   string `json:"sha256"`
					Receipts int    `json:"receipts"`
					Rows     int    `json:"rows"`
					Amount   int64  `json:"amount"`
					InForce  int64  `json:"in_force"`
					Replaced int    `json:"replaced"`
					taxSignature
				}{s.Org.Code, s.Date, format, path, len(payload), hex.EncodeToString(sum[:]),
					totals.Receipts, totals.Rows, totals.Amount, totals.InForce, totals.Replaced, sig})
			}
			signed := sig.words()
			if format == "xlsx" {
				signed = "XLSX không ký số"
			}
			_, err = fmt.Fprintf(a.stdout, "Bảng tổng hợp %s %s, %s: %d biên lai, %d dòng, tổng %s đ (còn hiệu lực %s đ) → %s; %s\n",
				receipts.SummaryForm, s.Org.Code, s.Period(), totals.Receipts, totals.Rows, vnd(totals.Amount), vnd(totals.InForce), path, signed)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation code of the receipt series (required)")
	f.StringVar(&date, "date", "", "business date YYYY-MM-DD in Asia/Ho_Chi_Minh (default today)")
	f.StringVar(&format, "format", "xml", `"xml" or "xlsx"`)
	f.StringVar(&out, "out", "", "write the file here (replaced if it exists)")
	f.StringVar(&drop, "drop", "", "write the file into this provider drop folder (never overwrites)")
	f.BoolVar(&unsigned, "unsigned", false, "do not sign the XML (a provider that signs it itself); XLSX is never signed")
	return cmd
}

// fileSummary is summary --drop for the XML: the day's next filing (the
// first, or an amendment of what was issued after the last), handed over
// and recorded by internal/taxfiling.
func (a *app) fileSummary(cmd *cobra.Command, org, date, drop string, unsigned bool) error {
	ctx := cmd.Context()
	db, cfg, err := a.openWriting(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := a.taxFiling(db, cfg, drop, unsigned)
	if err != nil {
		return err
	}
	var sig taxSignature
	if !unsigned {
		svc.Sign = func(o receipts.Organisation, form string, doc []byte) ([]byte, error) {
			signed, s, err := a.signTaxDocument(cfg, o, form, doc)
			sig = s
			return signed, err
		}
	}
	f, err := svc.FileSummary(ctx, org, date)
	if err != nil {
		return err
	}
	payload, err := db.DeliveryPayload(ctx, f.Delivery)
	if err != nil {
		return err
	}
	path := filepath.Join(drop, f.Delivery.Document)
	totals := f.Summary.Totals()
	if a.jsonOut {
		return a.printJSON(struct {
			Org       string                 `json:"org"`
			Date      string                 `json:"date"`
			Format    string                 `json:"format"`
			File      string                 `json:"file"`
			Bytes     int                    `json:"bytes"`
			SHA256    string                 `json:"sha256"`
			Filed     bool                   `json:"filed"`
			Amendment int                    `json:"amendment"`
			State     receipts.DeliveryState `json:"state"`
			Receipts  int                    `json:"receipts"`
			Rows      int                    `json:"rows"`
			Amount    int64                  `json:"amount"`
			InForce   int64                  `json:"in_force"`
			Replaced  int                    `json:"replaced"`
			taxSignature
		}{org, date, "xml", path, len(payload), f.Delivery.SHA256, f.Filed, f.Delivery.Amendment, f.Delivery.State,
			totals.Receipts, totals.Rows, totals.Amount, totals.InForce, totals.Replaced, sig})
	}
	if !f.Filed {
		_, err = fmt.Fprintf(a.stdout, "Bảng tổng hợp %s %s, %s: không có biên lai mới sau lần chuyển %s (%s); không chuyển thêm\n",
			receipts.SummaryForm, org, "Ngày "+vnDate(date), f.Delivery.Document, f.Delivery.State.Label())
		return err
	}
	signed := sig.words()
	if unsigned {
		signed = taxSignature{}.words()
	}
	_, err = fmt.Fprintf(a.stdout, "Bảng tổng hợp %s %s, %s, %s: %d biên lai, %d dòng, tổng %s đ (còn hiệu lực %s đ) → %s; %s\n",
		receipts.SummaryForm, org, f.Summary.Period(), f.Summary.FilingWords(), totals.Receipts, totals.Rows, vnd(totals.Amount), vnd(totals.InForce), path, signed)
	return err
}
