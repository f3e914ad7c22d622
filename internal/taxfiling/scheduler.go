package taxfiling

import (
	"context"
	"time"

	"github.com/feepos/feepos/receipts"
)

// Scheduler runs the hand-overs of feepos serve: the daily summary of every
// organisation at Watch.SummaryAt (Decree 254/2026/NĐ-CP Art. 29.3.b: the
// day's summary the same day), an amendment for the receipts issued after
// it at each later tick (the same day, or the next run after midnight for
// the day before), the retry of what is still queued, the inbox and the
// provider's status poll. Its clock and its timer are injected: tests
// drive it with a fake clock and never wait.
type Scheduler struct {
	Service *Service
	Watch   Watch
	// Every is the time between ticks; 0 means 10 minutes.
	Every time.Duration
	// Inbox is the folder of the tax office's answers; "" for none.
	Inbox string
	// Now is the clock; After the timer (time.After when nil).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
}

func (s *Scheduler) every() time.Duration {
	if s.Every <= 0 {
		return 10 * time.Minute
	}
	return s.Every
}

// Tick does what is due at the scheduler's now: files the due summaries
// (the first filing, or an amendment when receipts were issued after the
// last filing), hands over again what is queued, reads the inbox, polls
// the provider, and logs what is late. Running it twice does nothing the
// second time. It returns the first error after trying everything.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.Now()
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	log := s.Service.log()
	// Queued documents first, in order: a summary waits behind nothing.
	if _, err := s.Service.Retry(ctx); err != nil {
		keep(err)
	}
	series, err := s.Service.DB.SeriesList(ctx)
	keep(err)
	due := s.Watch.DueDay(now)
	today := receipts.SummaryDate(now)
	for _, sr := range series {
		// The day before today: what came after its last filing, or its
		// first filing when serve did not run at its SummaryAt.
		if yesterday := previousDay(today); due == today || due == yesterday {
			keep(s.fileIfIssued(ctx, sr.OrgCode, yesterday))
		}
		if due == today {
			keep(s.fileIfIssued(ctx, sr.OrgCode, today))
		}
	}
	if s.Inbox != "" {
		_, err := s.Service.Inbox(ctx, s.Inbox)
		keep(err)
	}
	_, err = s.Service.Poll(ctx)
	keep(err)

	st, err := s.Service.Status(ctx, now, s.Watch)
	keep(err)
	if err == nil {
		for _, m := range st.MissingSummary {
			log.Warn("daily summary not handed over", "org", m.Org, "date", m.Date)
		}
		if st.Unacknowledged > 0 {
			log.Warn("documents handed over without an answer from the tax office", "count", st.Unacknowledged,
				"after_hours", st.AckWithinHours)
		}
		if st.Outage != nil {
			log.Warn("the provider has not taken documents since the outage began; send them before the deadline",
				"since", st.Outage.Since, "resend_deadline", st.Outage.Deadline, "queued", st.Outage.Queued, "err", st.Outage.Error)
		}
	}
	if first != nil {
		log.Warn("tax filing tick", "err", first)
	}
	return first
}

// fileIfIssued files date's summary (first filing or amendment) when the
// organisation issued receipts that day: a day without receipts has nothing
// to report and is not filed by the schedule.
func (s *Scheduler) fileIfIssued(ctx context.Context, org, date string) error {
	issued, err := s.Service.issuedOn(ctx, org, date)
	if err != nil || !issued {
		return err
	}
	_, err = s.Service.FileSummary(ctx, org, date)
	return err
}

func previousDay(date string) string {
	d, err := time.Parse(receipts.SummaryDateLayout, date)
	if err != nil {
		return ""
	}
	return d.AddDate(0, 0, -1).Format(receipts.SummaryDateLayout)
}

// Next is how long to wait after a tick at now: Every, or less when the
// summary's time comes sooner.
func (s *Scheduler) Next(now time.Time) time.Duration {
	wait := s.every()
	local := now.In(receipts.Zone)
	at := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, receipts.Zone).Add(s.Watch.summaryAt())
	if d := at.Sub(local); d > 0 && d < wait {
		wait = d
	}
	return wait
}

// Run ticks until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	after := s.After
	if after == nil {
		after = time.After
	}
	for {
		_ = s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-after(s.Next(s.Now())):
		}
	}
}
