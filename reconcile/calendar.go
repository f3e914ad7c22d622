package reconcile

import "time"

// noDay is an unknown or malformed date.
const noDay int32 = -1 << 31

// dayNum is a YYYY-MM-DD date as days since 1970-01-01 (noDay if it is
// not one): dates compare and subtract as integers.
func dayNum(s string) int32 {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return noDay
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return noDay
	}
	return civilDay(y, m, d)
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// civilDay is days since 1970-01-01 of a proleptic Gregorian date
// (H. Hinnant's days_from_civil): no time.Time, no allocation.
func civilDay(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// dayString is dayNum's inverse.
func dayString(n int32) string {
	if n == noDay {
		return ""
	}
	return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly)
}
