package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/ledger"
)

// vnd formats whole đồng the Vietnamese way: 1500000 → "1.500.000".
func vnd(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// vnDate turns a YYYY-MM-DD business date into dd/mm/yyyy.
func vnDate(d string) string {
	t, err := time.Parse(ledger.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
