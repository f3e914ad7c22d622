package ledger

import (
	"fmt"
	"time"
)

// The window of business dates a new entry may carry (docs/LEDGER.md,
// "Dates"). A ledger entry is kept for good, so a date a person mistyped
// (1900-01-01, 2099-01-01) or a correction slipped into a year whose
// accounts are already made would stay in every report after it.

// PriorYearOpenThrough is the last month of a year in which the previous
// year's books are still open: Vietnam's fiscal year is the calendar year,
// and a public unit makes and submits the year's financial statements in
// the first quarter of the next. Until 31 March an adjustment may be dated
// in the previous year; from 1 April it is posted in the current year, as
// any correction of a closed period is.
const PriorYearOpenThrough = time.March

// DateWindow is a range of business dates (YYYY-MM-DD), both ends included.
type DateWindow struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PostingWindow is the range of dates an entry posted at now may carry:
// from 1 January of the current year (of the previous year through
// PriorYearOpenThrough) to today. now is the store's clock, never
// time.Now in the rule itself, so tests control it; today is its business
// date in Asia/Ho_Chi_Minh. No entry is dated after today: feepos records
// what happened, and none of its postings has a reason to be dated ahead.
func PostingWindow(now time.Time) DateWindow {
	t := now.In(Zone)
	year := t.Year()
	if t.Month() <= PriorYearOpenThrough {
		year--
	}
	return DateWindow{From: fmt.Sprintf("%04d-01-01", year), To: t.Format(DateLayout)}
}

// Contains reports whether date (YYYY-MM-DD) lies in the window. Dates of
// that layout order as strings.
func (w DateWindow) Contains(date string) bool { return date >= w.From && date <= w.To }

// CheckEntryDate refuses an entry date outside the window, saying which
// dates are allowed. Call it on a date ParseDate accepts.
func (w DateWindow) CheckEntryDate(date string) error {
	switch {
	case date < w.From:
		return Invalidf("the date %s is before %s: the books of %s and earlier years are closed (a year stays open for adjustments until 31 March of the next; a later correction is posted in the open period): post it with a date from %s to %s",
			date, w.From, yearBefore(w.From), w.From, w.To)
	case date > w.To:
		return Invalidf("the date %s is after today, %s (Vietnam time, by this server's clock): an entry records what has happened and is never dated ahead: post it with a date from %s to %s",
			date, w.To, w.From, w.To)
	}
	return nil
}

// yearBefore is the year before that of a YYYY-MM-DD date.
func yearBefore(date string) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return "?"
	}
	return fmt.Sprint(t.Year() - 1)
}

// CheckReversalDate refuses a reversal of entry origID (dated origDate)
// dated before that entry: a reversal cancels an entry from its own date
// on, so a balance as of a date between the two would show a reversal of
// something that did not exist yet. Check the window first
// (CheckEntryDate).
func (w DateWindow) CheckReversalDate(origID int64, origDate, date string) error {
	if date >= origDate {
		return nil
	}
	if origDate > w.To {
		// Only an entry stored before the window existed can be dated
		// ahead; no date is both on or after it and not after today.
		return Invalidf("entry %d is dated %s, after today (%s): it cannot be reversed yet; to cancel it now post an entry with its lines, debit and credit swapped, dated from %s to %s",
			origID, origDate, w.To, w.From, w.To)
	}
	return Invalidf("entry %d is dated %s: its reversal cannot be dated earlier (%s): date the reversal from %s to %s",
		origID, origDate, date, max(origDate, w.From), w.To)
}
