package ledger

import (
	"time"
	_ "time/tzdata" // the zone must resolve on a machine without tzdata
)

// Zone is where business dates are counted: a payment at 00:30 on 2 January
// in Hà Nội belongs to 2 January, whatever the server's clock zone.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic("ledger: load " + name + ": " + err.Error()) // embedded tzdata: cannot happen
	}
	return z
}

// DateLayout is the layout of a business date.
const DateLayout = "2006-01-02"

// BusinessDate is the date of t in Asia/Ho_Chi_Minh.
func BusinessDate(t time.Time) string { return t.In(Zone).Format(DateLayout) }

// ParseDate checks a YYYY-MM-DD business date.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, Zone)
	if err != nil {
		return time.Time{}, Invalidf("date %q is not a date: write it as YYYY-MM-DD, e.g. 2026-11-25", s)
	}
	return t, nil
}
