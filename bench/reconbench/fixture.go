package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	_ "github.com/mattn/go-sqlite3" // the fixture's bulk insert, outside feepos's store

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// The fixture: a feepos database with n card payments of one business
// day, as the payment workflow leaves them (a paid request each, the
// payment paid with its terminal result), and the acquirer's generic CSV
// for them with a few exceptions injected. The rows are written straight
// with SQL in one transaction (setup, not measured); they are the rows
// the day's close reads (sqlite.Tx.ReconcileCardPayments).

// day is the business date of the fixture.
const day = "2026-03-02"

// header is the generic CSV's header row (CONTRACTS: generic profile).
const header = "settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n"

// Injected tells what the fixture put in: what a correct close reports.
type Injected struct {
	Payments        int   `json:"payments"`
	Lines           int   `json:"lines"`
	MissingInSettle int   `json:"missing_in_settlement"` // payments with no line
	MissingInLedger int   `json:"missing_in_ledger"`     // lines with no payment
	AmountMismatch  int   `json:"amount_mismatch"`       // same terminal and trace, another amount
	ExactMatches    int   `json:"exact_matches"`         // what a join on terminal+trace+amount finds
	Terminals       int   `json:"terminals"`
	CSVBytes        int64 `json:"csv_bytes"`
	DatabaseBytes   int64 `json:"database_bytes"`
}

// payment is one generated card payment (and its line).
type payment struct {
	terminal int // 0-based
	trace    int64
	amount   int64
	at       time.Time
}

func (p payment) terminalID() string { return fmt.Sprintf("T%07d", p.terminal+1) }

// generate makes the payments of the day, seeded: terminals round-robin,
// traces counting per terminal, times spread over 07:30–17:30.
func generate(n int, seed uint64) ([]payment, int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	terminals := min(400, max(1, n/10))
	start := time.Date(2026, 3, 2, 7, 30, 0, 0, ledger.Zone)
	span := 10 * time.Hour
	ps := make([]payment, n)
	for i := range ps {
		ps[i] = payment{terminal: i % terminals, trace: int64(i/terminals + 1),
			amount: int64(rng.IntN(4950)+50) * 1000, at: start.Add(time.Duration(int64(span) * int64(i) / int64(n)))}
	}
	return ps, terminals
}

// exceptionsOf picks k payments of each kind: missing in settlement
// (skipped in the CSV) and amount mismatch (the line says 1,000 đ more).
// k lines with no payment are added, so the CSV has n lines too.
func exceptionsOf(n int) (k int, missing, mismatch map[int]bool) {
	k = min(5, n/100)
	missing, mismatch = map[int]bool{}, map[int]bool{}
	for j := range k {
		missing[(j*2+1)*n/(2*k+1)] = true
		mismatch[(j*2+2)*n/(2*k+1)] = true
	}
	return k, missing, mismatch
}

// writeFixture creates the database at dbPath and the CSV at csvPath.
func writeFixture(ctx context.Context, dbPath, csvPath string, n int, seed uint64) (Injected, error) {
	ps, terminals := generate(n, seed)
	k, missing, mismatch := exceptionsOf(n)
	inj := Injected{Payments: n, Lines: n, MissingInSettle: k, MissingInLedger: k, AmountMismatch: k, ExactMatches: n - 2*k, Terminals: terminals}

	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", csvPath} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return inj, err
		}
	}
	// The schema, the chart of accounts: feepos's own Open.
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return inj, err
	}
	if err := db.SyncChart(ctx, ledger.DefaultChart()); err != nil {
		db.Close()
		return inj, err
	}
	if err := db.Close(); err != nil {
		return inj, err
	}
	if err := insertPayments(ctx, dbPath, ps); err != nil {
		return inj, fmt.Errorf("insert the payments: %w", err)
	}
	if err := writeCSV(csvPath, ps, terminals, missing, mismatch, k); err != nil {
		return inj, err
	}
	if st, err := os.Stat(csvPath); err == nil {
		inj.CSVBytes = st.Size()
	}
	if st, err := os.Stat(dbPath); err == nil {
		inj.DatabaseBytes = st.Size()
	}
	return inj, nil
}

func insertPayments(ctx context.Context, path string, ps []payment) error {
	raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	for _, p := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-200000"} {
		if _, err := raw.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	reqSt, err := tx.PrepareContext(ctx, `INSERT INTO payment_requests (id, client_id, idempotency_key, body_hash, dossier_code, payer,
		total, currency, callback_url, status, created_at, updated_at) VALUES (?, '1', ?, ?, ?, '{"name":"Nguyễn Văn An"}', ?, 'VND', '', 'paid', ?, ?)`)
	if err != nil {
		return err
	}
	paySt, err := tx.PrepareContext(ctx, `INSERT INTO payments (id, request_id, method, status, amount, terminal, reference, attempt_id,
		cashier_id, cashier_name, terminal_result, created_at, paid_at, message) VALUES (?, ?, 'card', 'paid', ?, ?, ?, ?, '2', 'Thu ngân', ?, ?, ?, '')`)
	if err != nil {
		return err
	}
	for i, p := range ps {
		req := fmt.Sprintf("REQ%08d", i)
		created := sqlite.StoreTime(p.at.Add(-40 * time.Second))
		paid := sqlite.StoreTime(p.at)
		if _, err := reqSt.ExecContext(ctx, req, fmt.Sprintf("K%08d", i), fmt.Sprintf("%064d", i), fmt.Sprintf("HS-%08d", i), p.amount, created, paid); err != nil {
			return err
		}
		result := fmt.Sprintf(`{"trace_no":"%d","approval_code":"A%05d","pan_masked":"970436******%04d","terminal_id":"%s","receipt_no":"%d","card_type":"NAPAS"}`,
			p.trace, i%100000, i%10000, p.terminalID(), p.trace)
		if _, err := paySt.ExecContext(ctx, fmt.Sprintf("PAY%08d", i), req, p.amount, fmt.Sprintf("T%d", p.terminal+1),
			fmt.Sprintf("REF%08d", i), fmt.Sprintf("ATT%08d", i), result, created, paid); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = raw.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// writeCSV writes the acquirer's lines: three batches per terminal, fee
// 1.1 %, the missing ones left out, the mismatched ones 1,000 đ more, and
// k lines of unknown traces at the end.
func writeCSV(path string, ps []payment, terminals int, missing, mismatch map[int]bool, k int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header)
	perTerminal := int64(len(ps)/terminals + 1)
	line := func(p payment, i int, amount int64) {
		batch := (p.trace-1)*3/perTerminal + 1
		fee := amount * 11 / 1000
		b := w.AvailableBuffer()
		b = append(b, day...)
		b = append(b, ',')
		b = append(b, p.terminalID()...)
		b = fmt.Appendf(b, ",MID%04d,%06d,%d,%012d,A%05d,970436******%04d,NAPAS,SALE,", p.terminal+1, batch, p.trace, 600000000000+i, i%100000, i%10000)
		b = p.at.In(ledger.Zone).AppendFormat(b, "2006-01-02T15:04:05")
		b = append(b, ',')
		b = strconv.AppendInt(b, amount, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, fee, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, amount-fee, 10)
		b = append(b, ",VND\n"...)
		w.Write(b)
	}
	for i, p := range ps {
		switch {
		case missing[i]:
		case mismatch[i]:
			line(p, i, p.amount+1000)
		default:
			line(p, i, p.amount)
		}
	}
	for j := range k {
		p := ps[j]
		p.trace = 900000 + int64(j)
		line(p, len(ps)+j, 123000)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
