package main

import (
	"time"

	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// vnd formats whole đồng the Vietnamese way: 1500000 → "1.500.000".
func vnd(n int64) string { return receipts.GroupDigits(n) }

// vnDate turns a YYYY-MM-DD business date into dd/mm/yyyy.
func vnDate(d string) string {
	t, err := time.Parse(ledger.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}
