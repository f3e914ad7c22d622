package taxfiling

import (
	"context"
	"fmt"
	"time"

	"github.com/feepos/feepos/receipts"
)

// Watch is what counts as late: when the day's summary is due and how long
// a document may wait for the tax office's answer.
type Watch struct {
	// SummaryAt is the time of day (Asia/Ho_Chi_Minh) the summary is
	// handed over, as a duration after midnight (0 is midnight; set it to
	// DefaultSummaryAt for the default).
	SummaryAt time.Duration
	// AckWithin is how long a handed-over document may wait for an
	// answer before it is a warning; 0 means DefaultAckWithin.
	AckWithin time.Duration
}

const (
	DefaultSummaryAt = 23*time.Hour + 30*time.Minute
	DefaultAckWithin = 24 * time.Hour
)

func (w Watch) summaryAt() time.Duration {
	if w.SummaryAt < 0 || w.SummaryAt >= 24*time.Hour {
		return DefaultSummaryAt
	}
	return w.SummaryAt
}

func (w Watch) ackWithin() time.Duration {
	if w.AckWithin <= 0 {
		return DefaultAckWithin
	}
	return w.AckWithin
}

// ParseClock reads "HH:MM" (24 hours) as a duration after midnight.
func ParseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: write HH:MM, e.g. 23:30", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// DueDay is the last business date whose summary is due at now: today once
// its SummaryAt has passed, else yesterday.
func (w Watch) DueDay(now time.Time) string {
	local := now.In(receipts.Zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, receipts.Zone)
	if local.Sub(midnight) >= w.summaryAt() {
		return receipts.SummaryDate(local)
	}
	return receipts.SummaryDate(midnight.AddDate(0, 0, -1))
}

// Outage is a provider that has not taken a document since Since: the
// documents it holds back must still reach the tax office by Deadline
// (three working days after the day it began, receipts.ResendWorkingDays).
type Outage struct {
	Since    time.Time `json:"since"`
	Deadline string    `json:"resend_deadline"` // YYYY-MM-DD, the last day
	Queued   int       `json:"queued"`
	Error    string    `json:"last_error,omitempty"`
}

// MissingSummary is an organisation whose due summary was not handed over.
type MissingSummary struct {
	Org  string `json:"org"`
	Date string `json:"date"`
}

// Status is what is not accepted yet, and what is late.
type Status struct {
	At      time.Time                      `json:"at"`
	Open    []receipts.Delivery            `json:"open"` // queued, handed over, rejected: oldest first
	ByState map[receipts.DeliveryState]int `json:"by_state"`
	// Unacknowledged counts the documents handed over longer than
	// AckWithin ago without an answer.
	Unacknowledged int              `json:"unacknowledged"`
	MissingSummary []MissingSummary `json:"missing_summaries,omitempty"`
	Outage         *Outage          `json:"outage,omitempty"`
	SummaryDueDay  string           `json:"summary_due_day"`
	AckWithinHours float64          `json:"ack_within_hours"`
}

// Status reads the delivery state as of now.
func (s *Service) Status(ctx context.Context, now time.Time, w Watch) (Status, error) {
	open, err := s.DB.OpenDeliveries(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{At: now.UTC(), Open: open, ByState: map[receipts.DeliveryState]int{}, SummaryDueDay: w.DueDay(now),
		AckWithinHours: w.ackWithin().Hours()}
	for _, d := range open {
		st.ByState[d.State]++
		if d.State == receipts.DeliveryHandedOver && d.HandedOverAt != nil && now.Sub(*d.HandedOverAt) > w.ackWithin() {
			st.Unacknowledged++
		}
		if d.State == receipts.DeliveryQueued && d.FirstFailureAt != nil {
			if st.Outage == nil || d.FirstFailureAt.Before(st.Outage.Since) {
				if st.Outage == nil {
					st.Outage = &Outage{}
				}
				st.Outage.Since, st.Outage.Error = d.FirstFailureAt.UTC(), d.LastError
			}
		}
	}
	if st.Outage != nil {
		st.Outage.Queued = st.ByState[receipts.DeliveryQueued]
		st.Outage.Deadline, _ = receipts.AddWorkingDays(receipts.SummaryDate(st.Outage.Since), receipts.ResendWorkingDays)
	}
	series, err := s.DB.SeriesList(ctx)
	if err != nil {
		return Status{}, err
	}
	for _, sr := range series {
		filings, err := s.DB.SummaryFilings(ctx, sr.OrgCode, st.SummaryDueDay)
		if err != nil {
			return Status{}, err
		}
		if len(filings) > 0 && filings[0].State != receipts.DeliveryQueued {
			continue
		}
		if issued, err := s.issuedOn(ctx, sr.OrgCode, st.SummaryDueDay); err != nil {
			return Status{}, err
		} else if issued || len(filings) > 0 {
			st.MissingSummary = append(st.MissingSummary, MissingSummary{Org: sr.OrgCode, Date: st.SummaryDueDay})
		}
	}
	return st, nil
}

// issuedOn says whether org issued a receipt on date.
func (s *Service) issuedOn(ctx context.Context, org, date string) (bool, error) {
	_, through, err := s.DB.DailySummaryAfter(ctx, org, date, 0)
	return through > 0, err
}
