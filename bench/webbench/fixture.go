package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/demo"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// The fixture: a feepos database as a year of a center's work leaves it.
//
//   - The demo catalogue, organisations, series and signing keys, as
//     `feepos serve --demo` makes them (demo.SeedCatalogue, signing.Load).
//   - Users: three cashiers, an accountant and an admin (sqlite.CreateUser,
//     argon2id like `feepos users create`), password benchPassword.
//   - -requests payment requests spread over -days days, each through the
//     real payment service (payments.Service): CreateRequest, then ~80 %
//     paid (card recorded from the terminal's slip with RecordCardResult,
//     or cash with Charge: the payment, its ledger entry, its receipts
//     signed with the demo keys, the webhook outbox row, the audit), ~7 %
//     cancelled (CancelRequest), a few (0.2 %, at least one) in
//     needs_review, the rest pending; every cashier closes a shift at the
//     end of each day (CloseShift, counted = expected).
//   - The rest of -receipts receipts as the history of the same days:
//     issued with sqlite.Tx.IssueReceipt, the store's own issuing step
//     (numbering, hash chain, counters, lines: the same rows the payment
//     path writes), interleaved in time with the payments so the chains
//     run through both, but unsigned and with no payment behind them.
//
// needs_review is written with the store calls payments' recovery makes
// (tx.InsertPayment, tx.UpdatePayment, tx.SetPaymentRequestStatus,
// tx.Audit): the real path to it needs a terminal that drops a charge.
// The chart of accounts is the default one (ledger.DefaultChart, what
// serve syncs without a [chart] config). Everything runs on a fake clock (sqlite.DB.Now) walking the days.

// benchPassword is the password of the fixture's users.
const benchPassword = "mật-khẩu-đo-12"

// FixtureSpec is what a fixture is built from; a cached fixture is reused
// only when its spec is the same.
type FixtureSpec struct {
	Requests int    `json:"requests"`
	Receipts int    `json:"receipts"`
	Days     int    `json:"days"`
	Seed     uint64 `json:"seed"`
	Version  int    `json:"version"` // of this generator
}

// fixtureVersion changes when the generator writes something else.
const fixtureVersion = 2 // 2: the receipt's page with its lookup code

// Fixture is what was built and what the pages are measured on.
type Fixture struct {
	Spec            FixtureSpec    `json:"spec"`
	From            string         `json:"from"` // first day, dd/mm/yyyy
	To              string         `json:"to"`
	Status          map[string]int `json:"requests_by_status"`
	CardPayments    int            `json:"card_payments"`
	CashPayments    int            `json:"cash_payments"`
	Shifts          int            `json:"shifts"`
	ServiceReceipts int            `json:"service_receipts"` // signed, from the payments
	HistoryReceipts int            `json:"history_receipts"` // unsigned, no payment
	Receipts        int            `json:"receipts"`
	BuildSeconds    float64        `json:"build_seconds"`
	DatabaseBytes   int64          `json:"database_bytes"`

	// The pages' targets (the newest of each kind).
	PaidDossier    string            `json:"paid_dossier"`
	Receipt        string            `json:"receipt"` // TEMPLATE/SERIES/NUMBER of a signed receipt
	PendingRequest string            `json:"pending_request"`
	PaidPayment    string            `json:"paid_payment"`
	ReviewPayment  string            `json:"review_payment"`
	Users          map[string]string `json:"users"` // role → username
}

// clock is the fixture's fake time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// loadOrBuildFixture reuses the fixture at dbPath when its description
// (dbPath + ".json") has the same spec, else builds it anew.
func loadOrBuildFixture(ctx context.Context, dbPath string, spec FixtureSpec, logf func(string, ...any)) (Fixture, bool, error) {
	var f Fixture
	if b, err := os.ReadFile(dbPath + ".json"); err == nil && json.Unmarshal(b, &f) == nil && f.Spec == spec {
		if _, err := os.Stat(dbPath); err == nil {
			return f, true, nil
		}
	}
	f, err := buildFixture(ctx, dbPath, spec, logf)
	if err != nil {
		return f, false, err
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return f, false, os.WriteFile(dbPath+".json", append(b, '\n'), 0o644)
}

// fee is a catalogue fee the generator uses (internal/demo/catalogue.csv).
type fee struct {
	code, name string
	kind       receipts.FeeKind
	org        string
	unit       int64 // 0: the amount is assessed (P-TDGCN)
}

var fees = []fee{
	{"LP-HKD", "Lệ phí cấp giấy chứng nhận đăng ký hộ kinh doanh", receipts.FeeKind("le_phi"), "UBND-DEMO", 100_000},
	{"P-CTBS", "Phí chứng thực bản sao từ bản chính", receipts.FeeKind("phi"), "UBND-DEMO", 2_000},
	{"P-CTCK", "Phí chứng thực chữ ký", receipts.FeeKind("phi"), "UBND-DEMO", 10_000},
	{"LP-GPXD", "Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ", receipts.FeeKind("le_phi"), "UBND-DEMO", 75_000},
	{"P-TDGCN", "Phí thẩm định hồ sơ cấp Giấy chứng nhận quyền sử dụng đất", receipts.FeeKind("phi"), "UBND-DEMO", 0},
	{"LP-GCN", "Lệ phí cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất", receipts.FeeKind("le_phi"), "UBND-DEMO", 25_000},
	{"LP-CT", "Lệ phí đăng ký cư trú", receipts.FeeKind("le_phi"), "CA-DEMO", 20_000},
	{"LP-CCCD", "Lệ phí cấp đổi thẻ căn cước", receipts.FeeKind("le_phi"), "CA-DEMO", 50_000},
}

var (
	surnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
	middles  = []string{"Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Thu"}
	givens   = []string{"An", "Bình", "Cường", "Dũng", "Hà", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Tâm", "Trang", "Tuấn", "Yến"}
)

type gen struct{ rng *rand.Rand }

func (g gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }
func (g gen) name() string           { return g.pick(surnames) + " " + g.pick(middles) + " " + g.pick(givens) }

// items is 1–3 fee lines, with their amounts.
func (g gen) items() []payments.NewItem {
	n := 1 + g.rng.IntN(3)
	var out []payments.NewItem
	used := map[string]bool{}
	for len(out) < n {
		f := fees[g.rng.IntN(len(fees))]
		if used[f.code] {
			continue
		}
		used[f.code] = true
		it := payments.NewItem{FeeCode: f.code, Quantity: 1}
		switch {
		case f.unit == 0:
			it.Amount = int64(100+g.rng.IntN(4900)) * 1000
		case f.code == "P-CTBS":
			it.Quantity = int64(1 + g.rng.IntN(20))
			it.Amount = it.Quantity * f.unit
		default:
			it.Amount = f.unit
		}
		out = append(out, it)
	}
	return out
}

// historyReceipt is one receipt of the history: one organisation's fees.
func (g gen) historyReceipt(day time.Time, n int) receipts.NewReceipt {
	org := "UBND-DEMO"
	if g.rng.IntN(4) == 0 {
		org = "CA-DEMO"
	}
	var lines []receipts.Line
	var total int64
	for _, it := range g.items() {
		for _, f := range fees {
			if f.code == it.FeeCode && f.org == org {
				lines = append(lines, receipts.Line{Name: f.name, Kind: f.kind, FeeCode: f.code, Amount: it.Amount})
				total += it.Amount
			}
		}
	}
	if len(lines) == 0 {
		f := fees[6]
		if org == "UBND-DEMO" {
			f = fees[2]
		}
		lines, total = []receipts.Line{{Name: f.name, Kind: f.kind, FeeCode: f.code, Amount: f.unit}}, f.unit
	}
	words, _ := receipts.Words(total)
	nr := receipts.NewReceipt{OrgCode: org, Payer: receipts.Payer{Name: g.name(), Address: "Thị trấn Demo"},
		Lines: lines, Total: total, TotalInWords: words, Method: receipts.PaymentMethod("cash"),
		DossierCode: fmt.Sprintf("H29.LS-%s-%05d", day.Format("060102"), n)}
	if g.rng.IntN(10) < 6 {
		nr.Method = receipts.PaymentMethod("card")
		nr.Card = &receipts.CardPayment{TerminalID: fmt.Sprintf("T%d", 1+g.rng.IntN(4)), TraceNo: fmt.Sprintf("%06d", g.rng.IntN(1000000)),
			ApprovalCode: fmt.Sprintf("A%05d", g.rng.IntN(100000)), PANMasked: fmt.Sprintf("970436******%04d", g.rng.IntN(10000))}
	}
	return nr
}

func buildFixture(ctx context.Context, dbPath string, spec FixtureSpec, logf func(string, ...any)) (Fixture, error) {
	start := time.Now()
	f := Fixture{Spec: spec, Status: map[string]int{}, Users: map[string]string{}}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f, err
	}
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + ".json"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return f, err
		}
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return f, err
	}
	defer db.Close()
	clk := &clock{}
	// The days end yesterday: the pages run on the real clock, after them.
	today := time.Now().In(receipts.Zone)
	first := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, receipts.Zone).AddDate(0, 0, -spec.Days)
	clk.Set(first.Add(7 * time.Hour))
	db.Now = clk.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The chart of accounts as serve syncs it (the default config's).
	if err := db.SyncChart(ctx, ledger.DefaultChart()); err != nil {
		return f, fmt.Errorf("chart of accounts: %w", err)
	}
	if _, err := demo.SeedCatalogue(ctx, db); err != nil {
		return f, fmt.Errorf("demo catalogue: %w", err)
	}
	keys, _, err := signing.Load(ctx, log, db, config.Receipts{}, dbPath, true)
	if err != nil {
		return f, fmt.Errorf("demo signing keys: %w", err)
	}
	var rk receipts.Keys
	if keys != nil {
		rk = keys
	}
	svc := payments.New(db, nil, rk, payments.Options{Log: log, Clock: clk.Now})
	defer svc.Close()

	var cashiers []auth.Actor
	for _, u := range []struct {
		name, full string
		role       auth.Role
	}{
		{"thungan1", "Nguyễn Thị Thu", auth.RoleCashier}, {"thungan2", "Phạm Văn Ngân", auth.RoleCashier}, {"thungan3", "Lê Thị Quỹ", auth.RoleCashier},
		{"ketoan1", "Trần Văn Kế", auth.RoleAccountant}, {"quantri1", "Lê Quản Trị", auth.RoleAdmin},
	} {
		cu, err := db.CreateUser(ctx, sqlite.NewUser{Username: u.name, Name: u.full, Role: u.role, Password: benchPassword}, auth.System("webbench"))
		if err != nil {
			return f, fmt.Errorf("user %s: %w", u.name, err)
		}
		if u.role == auth.RoleCashier {
			cashiers = append(cashiers, cu.User.Actor())
		}
		if _, ok := f.Users[string(u.role)]; !ok {
			f.Users[string(u.role)] = u.name
		}
	}
	dossierSystem := auth.System("dossier-system")

	g := gen{rng: rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))}
	reviews := max(1, spec.Requests/500)
	reviewEvery := spec.Requests / reviews
	reqNo := 0
	for d := range spec.Days {
		day := first.AddDate(0, 0, d)
		// This day's requests and history receipts, in an order of their own.
		nReq := (d+1)*spec.Requests/spec.Days - d*spec.Requests/spec.Days
		targetReceipts := (d + 1) * spec.Receipts / spec.Days
		// The requests from 07:30 on, evenly; the history after them in
		// batches of up to 25 (its count is known once the requests took
		// their receipts).
		slots := 8*60*60/max(1, nReq+10) + 1
		cash := map[string]int64{}
		for i := range nReq {
			clk.Set(day.Add(7*time.Hour + 30*time.Minute + time.Duration(i*slots)*time.Second))
			if err := f.request(ctx, svc, db, g, dossierSystem, cashiers, day, reqNo, reqNo%reviewEvery == reviewEvery/2 && f.Status["needs_review"] < reviews, cash); err != nil {
				return f, fmt.Errorf("request %d: %w", reqNo, err)
			}
			reqNo++
		}
		// The history receipts of the day, to the day's share of -receipts.
		h := targetReceipts - f.ServiceReceipts - f.HistoryReceipts
		if d == spec.Days-1 {
			h = spec.Receipts - f.ServiceReceipts - f.HistoryReceipts
		}
		for b, done := 0, 0; done < h; b++ {
			n := min(25, h-done)
			clk.Set(day.Add(7*time.Hour + 45*time.Minute + time.Duration(nReq*slots+b*97)*time.Second))
			err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
				for k := range n {
					if _, err := tx.IssueReceipt(ctx, g.historyReceipt(day, done+k)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return f, fmt.Errorf("history receipts of %s: %w", day.Format(time.DateOnly), err)
			}
			done += n
			f.HistoryReceipts += n
		}
		// The shifts close at 17:30, the drawer as expected.
		clk.Set(day.Add(17*time.Hour + 30*time.Minute))
		for _, c := range cashiers {
			if _, err := svc.CloseShift(ctx, c, cash[c.ID], ""); err != nil {
				return f, fmt.Errorf("close shift of %s: %w", c.Name, err)
			}
			f.Shifts++
		}
		if logf != nil && (d+1)%30 == 0 {
			logf("fixture: day %d/%d, %d requests, %d receipts, %.0f s", d+1, spec.Days, reqNo, f.ServiceReceipts+f.HistoryReceipts, time.Since(start).Seconds())
		}
	}
	f.Receipts = f.ServiceReceipts + f.HistoryReceipts
	f.From, f.To = first.Format("02/01/2006"), first.AddDate(0, 0, spec.Days-1).Format("02/01/2006")
	svc.Close()
	if err := db.Close(); err != nil {
		return f, err
	}
	if st, err := os.Stat(dbPath); err == nil {
		f.DatabaseBytes = st.Size()
	}
	f.BuildSeconds = time.Since(start).Seconds()
	return f, nil
}

// request makes one payment request and takes it where the mix says.
func (f *Fixture) request(ctx context.Context, svc *payments.Service, db *sqlite.DB, g gen, client auth.Actor, cashiers []auth.Actor,
	day time.Time, n int, review bool, cash map[string]int64) error {
	dossier := fmt.Sprintf("H29.%s-%05d", day.Format("060102"), n)
	req, _, err := svc.CreateRequest(ctx, client, "bench:"+dossier, payments.NewRequest{DossierCode: dossier,
		Payer: payments.Payer{Name: g.name(), Address: "Thị trấn Demo", IDNumber: fmt.Sprintf("0010900%05d", n%100000)}, Items: g.items()})
	if err != nil {
		return err
	}
	cashier := cashiers[g.rng.IntN(len(cashiers))]
	roll := g.rng.IntN(1000)
	switch {
	case review:
		f.Status["needs_review"]++
		id, err := needsReview(ctx, db, req, cashier)
		f.ReviewPayment = id
		return err
	case roll < 70:
		f.Status["cancelled"]++
		_, err := svc.CancelRequest(ctx, cashier, req.ID, "Hồ sơ bị trả lại")
		return err
	case roll < 200:
		f.Status["pending"]++
		f.PendingRequest = req.ID
		return nil
	}
	f.Status["paid"]++
	var p payments.Payment
	if g.rng.IntN(10) < 6 {
		f.CardPayments++
		p, err = svc.RecordCardResult(ctx, cashier, req.ID, fmt.Sprintf("T%d", 1+g.rng.IntN(4)), payments.TerminalResult{
			TraceNo: fmt.Sprintf("%06d", n%1000000), ApprovalCode: fmt.Sprintf("A%05d", n%100000), PANMasked: fmt.Sprintf("970436******%04d", n%10000),
			TerminalID: fmt.Sprintf("T%07d", 1+g.rng.IntN(4)), ReceiptNo: fmt.Sprintf("%d", n), CardType: "NAPAS"})
	} else {
		f.CashPayments++
		tendered := (req.Total + 49_999) / 50_000 * 50_000
		p, err = svc.Charge(ctx, cashier, req.ID, payments.ChargeInput{Method: payments.MethodCash, Tendered: tendered})
		cash[cashier.ID] += req.Total
	}
	if err != nil {
		return err
	}
	f.ServiceReceipts += len(p.Receipts)
	f.PaidDossier, f.PaidPayment = dossier, p.ID
	if len(p.Receipts) > 0 {
		r := p.Receipts[len(p.Receipts)-1]
		f.Receipt = fmt.Sprintf("%s/%s/%s", r.Template, r.Series, receipts.PrintedNumber(r.Number))
		// The page as the receipt's QR code opens it: with its lookup
		// code (without it /verify says only whether the receipt exists).
		rc, err := db.Receipt(ctx, r.Template, r.Series, r.Number)
		if err != nil {
			return err
		}
		if rc.LookupCode != "" {
			f.Receipt += "?c=" + rc.LookupCode
		}
	}
	return nil
}

// needsReview leaves req with a card payment whose outcome is unknown, as
// payments' recovery does (toReview) when a terminal drops a charge.
func needsReview(ctx context.Context, db *sqlite.DB, req payments.Request, cashier auth.Actor) (string, error) {
	id := fmt.Sprintf("PMREVIEW%s", req.ID)
	review, _ := json.Marshal(payments.Review{Reason: "the terminal did not answer after the card was read",
		Evidence: map[string]any{"terminal": "T1", "amount": req.Total, "history": []string{"sent", "card read", "no answer"}}})
	rv := string(review)
	msg := "Chưa xác định được thẻ đã bị trừ tiền hay chưa: đối chiếu với hóa đơn in từ máy POS"
	return id, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		p := sqlite.PaymentRow{ID: id, RequestID: req.ID, Method: payments.MethodCard, Status: string(payments.PaymentProcessing),
			Amount: req.Total, Terminal: "T1", Reference: id[len(id)-10:], CashierID: cashier.ID, CashierName: cashier.Name, CreatedAt: sqlite.StoreTime(tx.Now)}
		if err := tx.InsertPayment(ctx, p, cashier.String()); err != nil {
			return err
		}
		if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(payments.RequestProcessing), cashier.String(), "payment "+id); err != nil {
			return err
		}
		if _, err := tx.UpdatePayment(ctx, id, []string{p.Status}, sqlite.PaymentUpdate{Status: string(payments.PaymentNeedsReview),
			Reason: "no answer from the terminal", Review: &rv, Message: &msg}, "system:recovery"); err != nil {
			return err
		}
		if err := tx.SetPaymentRequestStatus(ctx, req.ID, string(payments.RequestNeedsReview), "system:recovery", "payment "+id+": no answer"); err != nil {
			return err
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: auth.System("recovery"), Action: "payment.needs_review", Object: "payment:" + id, Reason: "no answer from the terminal"})
	})
}
