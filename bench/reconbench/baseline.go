package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// The baseline a power user reaches for: the sqlite3 command-line tool
// imports the CSV into a table of a copy of the database, indexes it on
// the join's key, and joins the day's card payments to it on terminal,
// trace and amount: the matched count, the payments with no line, the
// lines with no payment.

// Baseline is the result of one baseline run.
type Baseline struct {
	Child
	Matched         int `json:"matched"`
	LedgerUnmatched int `json:"ledger_unmatched"`
	SettleUnmatched int `json:"settlement_unmatched"`
}

// baselineScript is what sqlite3 reads on its standard input.
func baselineScript(csvPath string) string {
	start, _ := ledger.ParseDate(day)
	lo, hi := sqlite.StoreTime(start), sqlite.StoreTime(start.AddDate(0, 0, 1))
	return `.bail on
CREATE TABLE settlement_csv (settlement_date TEXT, terminal_id TEXT, merchant_id TEXT, batch_no TEXT, trace_no INTEGER,
  rrn TEXT, approval_code TEXT, pan_masked TEXT, card_brand TEXT, txn_type TEXT, txn_time TEXT,
  amount INTEGER, fee INTEGER, net_amount INTEGER, currency TEXT);
.import --csv --skip 1 ` + csvPath + ` settlement_csv
CREATE INDEX settlement_csv_key ON settlement_csv (terminal_id, trace_no, amount);
.mode list
.separator " "
SELECT count(s.rowid), count(*) - count(s.rowid), (SELECT count(*) FROM settlement_csv) - count(s.rowid)
FROM payments p LEFT JOIN settlement_csv s
  ON s.terminal_id = json_extract(p.terminal_result, '$.terminal_id')
 AND s.trace_no = CAST(json_extract(p.terminal_result, '$.trace_no') AS INTEGER)
 AND s.amount = p.amount
WHERE p.method = 'card' AND p.status IN ('paid', 'refunded', 'needs_review')
  AND COALESCE(p.paid_at, p.created_at) >= '` + lo + `' AND COALESCE(p.paid_at, p.created_at) < '` + hi + `';
`
}

func runBaseline(ctx context.Context, sqlite3, dbPath, csvPath string) (Baseline, error) {
	c, err := runChild(ctx, []byte(baselineScript(csvPath)), sqlite3, dbPath)
	b := Baseline{Child: c}
	if err != nil {
		return b, err
	}
	f := strings.Fields(c.Stdout)
	if len(f) != 3 {
		return b, fmt.Errorf("sqlite3 printed %q: want three counts", c.Stdout)
	}
	b.Matched, _ = strconv.Atoi(f[0])
	b.LedgerUnmatched, _ = strconv.Atoi(f[1])
	b.SettleUnmatched, _ = strconv.Atoi(f[2])
	b.Stdout = ""
	return b, nil
}
