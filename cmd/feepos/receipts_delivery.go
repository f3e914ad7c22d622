package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/taxfiling"
	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/receipts/provider"
)

// Hand-overs to the provider go through internal/taxfiling, which records
// each document's delivery state (docs/RECEIPTS.md "Delivery state and the
// tax office's answers"). A command's --drop DIR is a file drop into DIR;
// without it the config's [receipts.provider] is used.

// providerTransmitter builds the transmitter of [receipts.provider], or of
// drop when given. nil (and "") when neither is set.
func providerTransmitter(p config.Provider, drop string) (receipts.Transmitter, string, error) {
	switch {
	case drop != "":
		return receipts.FileDrop{Dir: drop}, "file", nil
	case p.Kind == "file":
		return receipts.FileDrop{Dir: p.Drop}, "file", nil
	case p.Kind == "http":
		env := p.TokenEnv
		if env == "" {
			env = config.DefaultProviderTokenEnv
		}
		token := os.Getenv(env)
		if token == "" {
			token = p.Token
		}
		h := &provider.HTTP{Endpoint: p.Endpoint, Token: token, Timeout: p.Timeout.Duration, Retries: p.Retries}
		if err := h.Check(); err != nil {
			return nil, "", err
		}
		return h, "http", nil
	}
	return nil, "", nil
}

// taxFiling is the hand-over service of a command: drop (or the config's
// provider) as the transmitter, summaries signed with each organisation's
// key unless unsigned.
func (a *app) taxFiling(db *sqlite.DB, cfg config.Config, drop string, unsigned bool) (*taxfiling.Service, error) {
	to, transport, err := providerTransmitter(cfg.Receipts.Provider, drop)
	if err != nil {
		return nil, err
	}
	svc := &taxfiling.Service{DB: db, To: to, Transport: transport, Actor: cliActor()}
	if !unsigned {
		svc.Sign = func(org receipts.Organisation, form string, doc []byte) ([]byte, error) {
			signed, _, err := a.signTaxDocument(cfg, org, form, doc)
			return signed, err
		}
	}
	return svc, nil
}

// taxWatch is the [receipts] schedule and ack_hours as taxfiling reads them.
func taxWatch(cfg config.Receipts) taxfiling.Watch {
	w := taxfiling.Watch{SummaryAt: taxfiling.DefaultSummaryAt, AckWithin: time.Duration(cfg.Provider.AckHours) * time.Hour}
	if cfg.SummaryAt != "" {
		w.SummaryAt, _ = taxfiling.ParseClock(cfg.SummaryAt) // checked when the config was loaded
	}
	return w
}

// receiptsStatusCommand is "feepos receipts status".
func (a *app) receiptsStatusCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the documents handed to the provider that the tax office has not accepted yet",
		Long: `Lists every receipt XML, daily summary, notice and closure handed to the
provider (or queued for it) that the tax office has not accepted: queued (the
hand-over failed or is pending: it is sent again), handed over and waiting for
an answer, or rejected with the tax office's reason. It also says which
organisation's summary due by now was not handed over, how many documents
wait for an answer longer than [receipts.provider] ack_hours, and, when the
provider has been unreachable, since when and the last day to resend (three
working days after the outage began).`,
		Example: `  feepos receipts status
  feepos receipts status --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, cfg, err := a.openReading(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := &taxfiling.Service{DB: db}
			st, err := svc.Status(ctx, time.Now(), taxWatch(cfg.Receipts))
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(st)
			}
			w := a.stdout
			if len(st.Open) == 0 {
				fmt.Fprintln(w, "Mọi chứng từ đã chuyển đều được cơ quan thuế tiếp nhận.")
			} else {
				fmt.Fprintf(w, "%d chứng từ chưa được cơ quan thuế tiếp nhận:\n", len(st.Open))
				for _, d := range st.Open {
					line := fmt.Sprintf("  %-44s %-8s %s", d.Document, d.Kind, d.State.Label())
					switch {
					case d.State == receipts.DeliveryRejected:
						line += ": " + d.Reason
					case d.State == receipts.DeliveryQueued && d.LastError != "":
						line += fmt.Sprintf(" (%d lần thử; lỗi: %s)", d.Attempts, d.LastError)
					case d.HandedOverAt != nil:
						line += " từ " + d.HandedOverAt.In(receipts.Zone).Format("15:04 02/01/2006")
					}
					fmt.Fprintln(w, line)
				}
			}
			for _, m := range st.MissingSummary {
				fmt.Fprintf(w, "Cảnh báo: bảng tổng hợp %s ngày %s của %s chưa được chuyển.\n", receipts.SummaryForm, vnDate(m.Date), m.Org)
			}
			if st.Unacknowledged > 0 {
				fmt.Fprintf(w, "Cảnh báo: %d chứng từ đã chuyển quá %g giờ chưa có trả lời của cơ quan thuế.\n", st.Unacknowledged, st.AckWithinHours)
			}
			if o := st.Outage; o != nil {
				fmt.Fprintf(w, "Sự cố: nhà cung cấp không nhận chứng từ từ %s (%d chứng từ chờ chuyển; lỗi: %s). Hạn chuyển lại: hết ngày %s.\n",
					o.Since.In(receipts.Zone).Format("15:04 02/01/2006"), o.Queued, o.Error, vnDate(o.Deadline))
			}
			return nil
		},
	}
	return cmd
}

// receiptsInboxCommand is "feepos receipts inbox DIR".
func (a *app) receiptsInboxCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inbox [DIR]",
		Short: "Record the tax office's answers the provider dropped into a folder",
		Long: `Reads every answer file in DIR (default [receipts.provider] inbox): the tax
office's 01/TB-TNĐT, 01/TB-SSĐT or 01/TB-KTDL as the provider passes it on, in
the JSON or XML shape of docs/RECEIPTS.md ("Delivery state and the tax
office's answers"). Each answer names the document feepos handed over; its
state becomes accepted, or rejected with the reasons, with an audit line.
A file whose answers were all recorded moves into DIR/processed/; one that
cannot be read, or names a document feepos did not hand over, into
DIR/failed/ beside a .error.txt that says why. Files starting with a dot are
left alone. feepos serve does the same on its schedule when inbox is set.`,
		Example: `  feepos receipts inbox /srv/einvoice/inbox
  feepos receipts inbox --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, cfg, err := a.openWriting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			dir := cfg.Receipts.Provider.Inbox
			if len(args) == 1 {
				dir = args[0]
			}
			if dir == "" {
				return usagef("give the inbox folder: feepos receipts inbox DIR (or set [receipts.provider] inbox)")
			}
			svc := &taxfiling.Service{DB: db, Actor: cliActor()}
			files, err := svc.Inbox(ctx, dir)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Inbox string                `json:"inbox"`
					Files []taxfiling.InboxFile `json:"files"`
				}{dir, files})
			}
			failed := 0
			for _, f := range files {
				if f.Error != "" {
					failed++
					fmt.Fprintf(a.stdout, "%s: không dùng được (%s) → %s\n", f.Name, f.Error, f.MovedTo)
					continue
				}
				docs := make([]string, len(f.Answers))
				for i, an := range f.Answers {
					docs[i] = an.Document + " " + an.Result.Label()
				}
				fmt.Fprintf(a.stdout, "%s: %s\n", f.Name, strings.Join(docs, "; "))
			}
			fmt.Fprintf(a.stdout, "Đã xử lý %d tệp trả lời (%d không dùng được).\n", len(files), failed)
			if failed > 0 {
				return receipts.Invalidf("%d answer file(s) in %s could not be used: see %s/%s/*.error.txt", failed, dir, dir, taxfiling.InboxFailed)
			}
			return nil
		},
	}
	return cmd
}
