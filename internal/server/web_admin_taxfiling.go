package server

import (
	"context"
	"time"

	"github.com/feepos/feepos/internal/taxfiling"
	"github.com/feepos/feepos/receipts"
)

// The hand-over to the tax authority's provider on the admin's receipts
// page (issue 13, item 1: "a warning in /metrics, the log and the admin
// page"): what is not accepted yet by state, documents handed over and
// unanswered for too long, organisations whose daily summary is due and
// not handed over, and a provider outage with its resend deadline. The
// figures are taxfiling.Service.Status, as `feepos receipts status`
// prints them.

// SetTaxWatch gives the page the schedule serve hands summaries over on
// ([receipts] summary_at, [receipts.provider] ack_hours) and says a
// provider is configured. Without it the page shows the state of what was
// handed over (by the CLI) against the default schedule.
func (s *Server) SetTaxWatch(w taxfiling.Watch) { s.taxWatch = &w }

// adminTaxFiling is what the page shows.
type adminTaxFiling struct {
	Scheduled bool // serve hands summaries over itself
	Status    taxfiling.Status
	Queued    int
	HandedOut int
	Rejected  []receipts.Delivery
	Warnings  int
	Deadline  string                     // the outage's resend deadline, dd/mm/yyyy
	Missing   []taxfiling.MissingSummary // dates as dd/mm/yyyy
}

func (s *Server) adminTaxFiling(ctx context.Context) (adminTaxFiling, error) {
	w := taxfiling.Watch{SummaryAt: taxfiling.DefaultSummaryAt}
	if s.taxWatch != nil {
		w = *s.taxWatch
	}
	st, err := (&taxfiling.Service{DB: s.db}).Status(ctx, s.clock(), w)
	if err != nil {
		return adminTaxFiling{}, err
	}
	out := adminTaxFiling{Scheduled: s.taxWatch != nil, Status: st,
		Queued: st.ByState[receipts.DeliveryQueued], HandedOut: st.ByState[receipts.DeliveryHandedOver]}
	for _, d := range st.Open {
		if d.State == receipts.DeliveryRejected && len(out.Rejected) < 20 {
			out.Rejected = append(out.Rejected, d)
		}
	}
	for _, m := range st.MissingSummary {
		out.Missing = append(out.Missing, taxfiling.MissingSummary{Org: m.Org, Date: isoToVN(m.Date)})
	}
	out.Warnings = st.ByState[receipts.DeliveryRejected] + st.Unacknowledged + len(st.MissingSummary)
	if st.Outage != nil {
		out.Warnings++
		out.Deadline = isoToVN(st.Outage.Deadline)
	}
	return out, nil
}

// isoToVN writes YYYY-MM-DD as dd/mm/yyyy (as given when it is not one).
func isoToVN(iso string) string {
	if t, err := time.Parse(time.DateOnly, iso); err == nil {
		return vnDate(t)
	}
	return iso
}
