package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/pos"
)

// runConfig is one run of the harness.
type runConfig struct {
	Seed       uint64
	ZVT        int
	Concert    int
	Kills      int           // SIGKILLs of feepos before the settling run
	FaultRate  float64       // share of transactions a simulator disturbs
	MaxLife    time.Duration // a random kill comes U(0, MaxLife) after a start
	Pace       time.Duration // longest pause between two requests on a terminal
	HookFail   float64       // share of webhook deliveries the receiver answers 500
	MaxRunTime time.Duration // stop killing after this long (the report says so)
	Dir        string        // work folder: database, config, ports, logs
	Bin        string        // the feepos binary
	Out        io.Writer     // progress lines
}

// killPlans are the moments a kill is aimed at. random: U(0, MaxLife)
// after the start; approval: right after a terminal sent its approval
// (ZVT: the result not yet acknowledged; Concert: the charge not yet
// acknowledged); charge: right after a charge was accepted (the attempt
// is written, the terminal has or has not the command); webhook: while a
// webhook is being delivered.
var killPlans = []string{"random", "random", "approval", "approval", "approval", "charge", "webhook"}

// reqRec is what the harness knows of one payment request it made.
type reqRec struct {
	Key      string        `json:"idempotency_key"`
	Body     createRequest `json:"-"`
	ID       string        `json:"id"`
	Terminal string        `json:"terminal"`
	Total    int64         `json:"total"`
	Charges  int           `json:"charges"`      // charge calls answered 202
	Unknown  int           `json:"charges_lost"` // charge calls with no answer (feepos killed)
	Refused  int           `json:"charges_refused"`
	Payments []string      `json:"payment_ids,omitempty"`
	Status   string        `json:"status"` // the last the worker saw
}

// harness is a run in progress.
type harness struct {
	cfg   runConfig
	terms []*terminal
	fp    *feepos
	hook  *receiver
	dossr *client // dossier-system token
	cash  *client // cashier token
	admin *client // admin token: retries webhooks waiting out their backoff when the run settles

	fees    []fee
	mu      sync.Mutex
	reqs    []*reqRec
	totals  map[int64]bool
	next    int64
	charged chan string // a charge was accepted (kill plan "charge")
	hooked  chan string // a webhook arrived (kill plan "webhook")
	approve chan string // a terminal sent an approval (kill plan "approval")

	attempts       atomic.Int64 // charge calls sent
	receiptsBefore int64        // receipts issued before the run (the demo's seed)
	adminRetries   int          // webhook messages an admin asked to retry while settling
	planKills      map[string]int
	restarts       int
	notes          []string
}

// runHarness sets everything up, runs the kills, settles and checks.
func runHarness(ctx context.Context, cfg runConfig) (*report, error) {
	start := time.Now()
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	for _, d := range []string{"ports", "logs"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xc4a54))
	h := &harness{cfg: cfg, totals: map[int64]bool{}, planKills: map[string]int{},
		charged: make(chan string, 1), hooked: make(chan string, 1), approve: make(chan string, 1)}

	simCtx, stopSims := context.WithCancel(ctx)
	defer stopSims()
	defer func() {
		for _, t := range h.terms {
			_ = t.stop()
		}
	}()
	for i := range cfg.ZVT + cfg.Concert {
		id, proto := fmt.Sprintf("Z%d", i+1), pos.ZVT
		if i >= cfg.ZVT {
			id, proto = fmt.Sprintf("C%d", i-cfg.ZVT+1), pos.Concert
		}
		t, err := startTerminal(simCtx, id, proto, rng.Uint64(), cfg.FaultRate, filepath.Join(cfg.Dir, "ports"))
		if err != nil {
			return nil, err
		}
		h.terms = append(h.terms, t)
	}
	go approvalWatch(simCtx, h.terms, func(id string) { offer(h.approve, id) })

	h.hook = newReceiver("", cfg.HookFail, cfg.Seed)
	h.hook.onDelivery = func(d delivery) { offer(h.hooked, d.Event.PaymentRequestID) }
	if err := h.hook.start(); err != nil {
		return nil, err
	}
	defer h.hook.close()

	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	h.fp = &feepos{Bin: cfg.Bin, DB: filepath.Join(cfg.Dir, "feepos.db"), Config: filepath.Join(cfg.Dir, "feepos.toml"),
		Addr: addr, Logs: filepath.Join(cfg.Dir, "logs"), Args: []string{"--demo"}}
	defer h.fp.kill()
	if err := h.writeConfig(); err != nil {
		return nil, err
	}
	// The first start creates the database (and the demo's catalogue,
	// keys and receipt series); the tokens are made against it.
	if err := h.fp.start(ctx); err != nil {
		return nil, err
	}
	if err := h.fp.stop(); err != nil {
		return nil, err
	}
	if err := h.makeTokens(ctx); err != nil {
		return nil, err
	}
	if err := h.importCatalogue(ctx); err != nil {
		return nil, err
	}
	if err := h.fp.start(ctx); err != nil {
		return nil, err
	}
	if h.fees, err = h.catalogue(ctx); err != nil {
		return nil, err
	}
	if len(h.fees) == 0 {
		return nil, errors.New("the fee catalogue is empty: the harness charges fees from it")
	}

	if h.receiptsBefore, err = lastReceipt(ctx, h.fp.DB); err != nil {
		return nil, err
	}

	// The cashiers: one per terminal, charging in a loop.
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	var wg sync.WaitGroup
	for i, t := range h.terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.cashier(wctx, t.ID, rand.New(rand.NewPCG(cfg.Seed+uint64(i)+1, 0xca5)))
		}()
	}

	// The killer.
	incomplete := ""
	kills := 0
	for kills < cfg.Kills {
		if cfg.MaxRunTime > 0 && time.Since(start) > cfg.MaxRunTime {
			incomplete = fmt.Sprintf("stopped after %s (-max-time) with %d kills of %d", time.Since(start).Round(time.Second), kills, cfg.Kills)
			break
		}
		if !h.fp.running() {
			if err := h.fp.start(ctx); err != nil {
				stopWorkers()
				wg.Wait()
				return nil, err
			}
			h.restarts++
		}
		plan := killPlans[rng.IntN(len(killPlans))]
		drain(h.charged, h.hooked, h.approve)
		wait := time.Duration(rng.Int64N(int64(cfg.MaxLife)))
		var trigger <-chan string
		switch plan {
		case "approval":
			trigger = h.approve
		case "charge":
			trigger = h.charged
		case "webhook":
			trigger = h.hooked
		}
		how := plan
		if trigger != nil {
			// A chosen moment, or a random one if it does not come soon.
			select {
			case <-trigger:
				// A little after: the write, the acknowledgement or the
				// delivery may be under way.
				time.Sleep(time.Duration(rng.Int64N(int64(15 * time.Millisecond))))
			case <-time.After(2*cfg.MaxLife + wait):
				how = plan + " (did not come: random)"
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		} else {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if h.fp.kill() {
			kills++
			h.planKills[how]++
		}
		fmt.Fprintf(cfg.Out, "kill %4d  %-30s requests %5d  charges sent %5d\n", kills, how, h.requestCount(), h.attempts.Load())
		// Down for a moment: a terminal may give up on its answer and
		// reverse, or keep it for feepos's next start.
		select {
		case <-time.After(time.Duration(rng.Int64N(int64(300 * time.Millisecond)))):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	stopWorkers()
	wg.Wait()

	// The settling run: the terminals finish what they took, feepos
	// starts once more, late answers come in, recovery settles what is in
	// doubt, the outbox drains.
	h.fp.kill()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		busy := false
		for _, t := range h.terms {
			busy = busy || t.busy()
		}
		if !busy {
			break
		}
	}
	fmt.Fprintf(cfg.Out, "settling: feepos starts once more; late answers come in for %s; recovery, the outbox drains\n", quietAfter())
	if err := h.fp.start(ctx); err != nil {
		return nil, err
	}
	h.restarts++
	time.Sleep(quietAfter())
	if err := h.settle(ctx, 3*time.Minute); err != nil {
		h.notes = append(h.notes, err.Error())
	}
	if err := h.fp.stop(); err != nil {
		h.notes = append(h.notes, err.Error())
	}
	stopSims()
	for _, t := range h.terms {
		if err := t.stop(); err != nil {
			return nil, err
		}
	}
	rep, err := h.check(ctx)
	if err != nil {
		return nil, err
	}
	rep.Seed = cfg.Seed
	rep.Kills, rep.Restarts, rep.KillPlans, rep.Incomplete = h.fp.kills, h.restarts, h.planKills, incomplete
	rep.Elapsed = time.Since(start).Round(time.Second).String()
	rep.Notes = append(rep.Notes, h.notes...)
	rep.AdminRetries = h.adminRetries
	return rep, nil
}

// catalogue is the fee catalogue, from GET /api/v1/fees, or, while
// the running feepos does not serve that route (404), from its database.
func (h *harness) catalogue(ctx context.Context) ([]fee, error) {
	fees, err := h.dossr.fees(ctx)
	if statusOf(err) != http.StatusNotFound {
		if err != nil {
			return nil, fmt.Errorf("GET /api/v1/fees: %w", err)
		}
		return fees, nil
	}
	h.notes = append(h.notes, "GET /api/v1/fees answered 404: the fees were read from the database")
	db, err := sqlite.OpenReadOnly(ctx, h.fp.DB)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cat, err := db.Fees(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range cat {
		fees = append(fees, fee{FeeCode: f.Code, Name: f.Name, Kind: string(f.Kind), OrgCode: f.OrgCode,
			AgencyCode: f.AgencyCode, UnitAmount: f.UnitAmount, Unit: f.Unit})
	}
	return fees, nil
}

// harnessCatalogue is the fee catalogue the harness imports when feepos
// has none (the demo's organisations collect: their receipt series and
// signing keys exist): fees per unit and per dossier, of two
// organisations, one collected for another agency.
const harnessCatalogue = `fee_code,name,kind,procedure_code,procedure_name,org_code,agency_code,unit_amount,unit,legal_basis
PC-HKD,Lệ phí đăng ký hộ kinh doanh,le_phi,PC-TT1,Đăng ký thành lập hộ kinh doanh,UBND-DEMO,UBND-DEMO,100000,hồ sơ,Thông tư 85/2019/TT-BTC
PC-SAO,Phí chứng thực bản sao từ bản chính,phi,PC-TT2,Chứng thực bản sao từ bản chính,UBND-DEMO,UBND-DEMO,2000,trang,Thông tư 226/2016/TT-BTC
PC-GPXD,Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ,le_phi,PC-TT3,Cấp giấy phép xây dựng,UBND-DEMO,UBND-DEMO,75000,giấy phép,Nghị quyết của HĐND tỉnh
PC-SDD,Tiền sử dụng đất (thu hộ),phi,PC-TT4,Chuyển mục đích sử dụng đất,UBND-DEMO,STNMT-DEMO,,hồ sơ,Nghị định 103/2024/NĐ-CP
PC-CT,Lệ phí đăng ký cư trú,le_phi,PC-TT5,Đăng ký thường trú,CA-DEMO,CA-DEMO,20000,lần,Thông tư 75/2022/TT-BTC
`

// importCatalogue imports harnessCatalogue with `feepos fees import`
// unless feepos has fees already.
func (h *harness) importCatalogue(ctx context.Context) error {
	db, err := sqlite.OpenReadOnly(ctx, h.fp.DB)
	if err != nil {
		return err
	}
	fees, err := db.Fees(ctx)
	db.Close()
	if err != nil || len(fees) > 0 {
		return err
	}
	path := filepath.Join(h.cfg.Dir, "catalogue.csv")
	if err := os.WriteFile(path, []byte(harnessCatalogue), 0o600); err != nil {
		return err
	}
	_, err = h.fp.run(ctx, "fees", "import", path)
	return err
}

// offer sends v on c unless c is full.
func offer(c chan string, v string) {
	select {
	case c <- v:
	default:
	}
}

func drain(cs ...chan string) {
	for _, c := range cs {
		select {
		case <-c:
		default:
		}
	}
}

// writeConfig writes feepos's config: the terminals on their links.
func (h *harness) writeConfig() error {
	var b strings.Builder
	b.WriteString("# bench/paycrash: the simulated terminals of the harness (their ports are links to pseudo-terminals)\n")
	// No API rate limit: the harness's cashiers poll far faster than a
	// person.
	b.WriteString("[service]\nlog_level = \"debug\"\nrate_limit = -1\n\n")
	for _, t := range h.terms {
		b.WriteString(t.configTOML())
		b.WriteString("\n")
	}
	return os.WriteFile(h.fp.Config, []byte(b.String()), 0o600)
}

// makeTokens creates the dossier system's token (with its webhook
// secret) and a cashier's.
func (h *harness) makeTokens(ctx context.Context) error {
	type created struct {
		Token         string `json:"token"`
		WebhookSecret string `json:"webhook_secret"`
	}
	mk := func(name, role string) (created, error) {
		out, err := h.fp.run(ctx, "tokens", "create", "--name", name, "--role", role, "--json")
		if err != nil {
			return created{}, err
		}
		var c created
		if err := json.Unmarshal(out, &c); err != nil {
			return created{}, fmt.Errorf("feepos tokens create --json: %w: %s", err, out)
		}
		if c.Token == "" {
			return created{}, fmt.Errorf("feepos tokens create --json gave no token: %s", out)
		}
		return c, nil
	}
	d, err := mk("paycrash-dossier-system", "dossier-system")
	if err != nil {
		return err
	}
	if d.WebhookSecret == "" {
		return errors.New("feepos tokens create --role dossier-system --json gave no webhook_secret")
	}
	h.hook.setSecret(d.WebhookSecret)
	c, err := mk("paycrash-cashier", "cashier")
	if err != nil {
		return err
	}
	a, err := mk("paycrash-admin", "admin")
	if err != nil {
		return err
	}
	base := "http://" + h.fp.Addr
	h.dossr, h.cash, h.admin = newClient(base, d.Token), newClient(base, c.Token), newClient(base, a.Token)
	return nil
}

func (h *harness) requestCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// newRequest makes the body of the next request: fee lines from the
// catalogue whose total no other request has (the ZVT journal keeps
// amounts, not references: the total names the request).
func (h *harness) newRequest(rng *rand.Rand, terminal string) *reqRec {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		h.next++
		n := h.next
		var items []item
		// A fee per dossier (no unit amount) with an amount of its own,
		// or a fee per unit with a quantity of its own.
		f := h.fees[rng.IntN(len(h.fees))]
		if f.UnitAmount == nil {
			items = append(items, item{FeeCode: f.FeeCode, Amount: 10_000 + n*1_000})
		} else {
			q := 1 + n%97
			items = append(items, item{FeeCode: f.FeeCode, Quantity: q, Amount: q * *f.UnitAmount})
		}
		// Sometimes a second line, maybe of another organisation (two
		// receipts).
		if rng.IntN(3) == 0 {
			g := h.fees[rng.IntN(len(h.fees))]
			if g.FeeCode != f.FeeCode {
				if g.UnitAmount == nil {
					items = append(items, item{FeeCode: g.FeeCode, Amount: 5_000 + int64(rng.IntN(50))*1_000})
				} else {
					items = append(items, item{FeeCode: g.FeeCode, Quantity: 1, Amount: *g.UnitAmount})
				}
			}
		}
		var total int64
		for _, it := range items {
			total += it.Amount
		}
		if total <= 0 || total > 99_999_999 || h.totals[total] {
			continue
		}
		h.totals[total] = true
		r := &reqRec{Key: fmt.Sprintf("paycrash-%d-%d", h.cfg.Seed, n), Terminal: terminal, Total: total,
			Body: createRequest{DossierCode: fmt.Sprintf("HS-%06d", n), CallbackURL: h.hook.URL(),
				Payer: payer{Name: payerNames[n%int64(len(payerNames))], Phone: fmt.Sprintf("09%08d", n)}, Items: items}}
		h.reqs = append(h.reqs, r)
		return r
	}
}

var payerNames = []string{"Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức", "Võ Thị Hà"}

// update changes a request under the lock.
func (h *harness) update(r *reqRec, fn func(r *reqRec)) {
	h.mu.Lock()
	fn(r)
	h.mu.Unlock()
}

// retry calls fn until it gets an answer from feepos (a transport error
// means feepos is down or being killed; 429, too many requests, is asked
// again too) or ctx ends.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if st := statusOf(err); err == nil || (st != 0 && st != http.StatusTooManyRequests) || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(30 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// cashier creates requests for one terminal and charges them on card
// until ctx ends: a request declined or aborted is charged again (at
// most four calls); the request left as it is when ctx ends is settled
// by the last run.
func (h *harness) cashier(ctx context.Context, terminal string, rng *rand.Rand) {
	for ctx.Err() == nil {
		r := h.newRequest(rng, terminal)
		var pr paymentRequest
		err := retry(ctx, func() error {
			var err error
			pr, _, err = h.dossr.create(ctx, r.Key, r.Body)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				h.note("create %s (%d đồng): %v", r.Key, r.Total, err)
			}
			continue
		}
		h.update(r, func(r *reqRec) { r.ID, r.Status = pr.ID, pr.Status })
		if pr.Total != r.Total {
			h.note("request %s: total %d, the harness's lines add up to %d", pr.ID, pr.Total, r.Total)
		}
		h.chargeUntilDone(ctx, r, rng)
		select {
		case <-time.After(time.Duration(rng.Int64N(int64(h.cfg.Pace) + 1))):
		case <-ctx.Done():
		}
	}
}

func (h *harness) chargeUntilDone(ctx context.Context, r *reqRec, rng *rand.Rand) {
	for tries := 0; tries < 4 && ctx.Err() == nil; tries++ {
		h.attempts.Add(1)
		pid, err := h.cash.charge(ctx, r.ID, r.Terminal)
		switch st := statusOf(err); {
		case err == nil:
			h.update(r, func(r *reqRec) {
				r.Charges++
				if pid != "" {
					r.Payments = append(r.Payments, pid)
				}
			})
			offer(h.charged, r.ID)
		case st == 0:
			// No answer: feepos died. Whether the charge was taken is
			// read back from the request.
			h.update(r, func(r *reqRec) { r.Unknown++ })
		case st == 409:
			// Processing or paid already (a charge whose answer was lost).
		case st >= 500 || st == 429 || st == 423:
			// The terminal is busy or offline (feepos just restarted): later.
			h.update(r, func(r *reqRec) { r.Refused++ })
			sleep(ctx, 200*time.Millisecond)
			continue
		default:
			h.update(r, func(r *reqRec) { r.Refused++ })
			h.note("charge %s on %s: %v", r.ID, r.Terminal, err)
			return
		}
		status := h.waitSettled(ctx, r)
		switch status {
		case "paid", "needs_review", "cancelled", "":
			return
		case "pending", "declined", "failed":
			if rng.IntN(4) == 0 {
				return // the citizen goes away; the request stays payable
			}
		}
	}
}

// waitSettled polls the request until it leaves processing, through
// kills; "" when ctx ended first.
func (h *harness) waitSettled(ctx context.Context, r *reqRec) string {
	for ctx.Err() == nil {
		var pr paymentRequest
		err := retry(ctx, func() error {
			var err error
			pr, err = h.dossr.request(ctx, r.ID)
			return err
		})
		if err == nil {
			h.update(r, func(r *reqRec) { r.Status = pr.Status })
			if pr.Status != "processing" {
				if pr.Status == "paid" {
					h.touchPayments(ctx, r)
				}
				return pr.Status
			}
		}
		sleep(ctx, 50*time.Millisecond)
	}
	return ""
}

// touchPayments reads the request's payments (GET /api/v1/payments/{id}),
// as a cashier's screen would.
func (h *harness) touchPayments(ctx context.Context, r *reqRec) {
	h.mu.Lock()
	ids := append([]string(nil), r.Payments...)
	h.mu.Unlock()
	for _, id := range ids {
		_, _ = h.cash.payment(ctx, id)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func (h *harness) note(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.notes) < 200 {
		h.notes = append(h.notes, fmt.Sprintf(format, args...))
	}
}

// retryWebhooks asks, as an admin, for every undelivered webhook message
// to be tried now.
func (h *harness) retryWebhooks(ctx context.Context) {
	db, err := sqlite.OpenReadOnly(ctx, h.fp.DB)
	if err != nil {
		h.note("settling: %v", err)
		return
	}
	var ids []int64
	err = db.SQL().SelectContext(ctx, &ids, `SELECT id FROM webhook_outbox WHERE state <> 'delivered' ORDER BY id`)
	db.Close()
	if err != nil {
		h.note("settling: undelivered webhooks: %v", err)
		return
	}
	for _, id := range ids {
		if _, err := h.admin.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/webhooks/%d/retry", id), nil, struct{}{}, nil); err != nil {
			h.note("settling: retry webhook %d: %v", id, err)
			continue
		}
		h.mu.Lock()
		h.adminRetries++
		h.mu.Unlock()
	}
}

// settle waits until no request of the run is processing, every paid
// request's webhook was delivered (answered 2xx), and every request told
// paid was last told where it is now (a voided payment's message), or
// until timeout.
func (h *harness) settle(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	// The dossier system is up for good now; a message whose tries the
	// kills and the receiver's 500s pushed far into its backoff is retried
	// by an admin (POST /api/v1/webhooks/{id}/retry), as a person would.
	h.hook.setFailRate(0)
	nextRetry := time.Now().Add(10 * time.Second)
	for {
		if time.Now().After(nextRetry) {
			nextRetry = time.Now().Add(15 * time.Second)
			h.retryWebhooks(ctx)
		}
		h.mu.Lock()
		reqs := append([]*reqRec(nil), h.reqs...)
		h.mu.Unlock()
		delivered := map[string]bool{}
		last := map[string]string{} // the status the dossier system was told last
		for _, d := range h.hook.deliveries() {
			if d.Answer/100 != 2 {
				continue
			}
			if d.Event.Status == "paid" {
				delivered[d.Event.PaymentRequestID] = true
			}
			last[d.Event.PaymentRequestID] = d.Event.Status
		}
		var open []string
		for _, r := range reqs {
			if r.ID == "" {
				continue
			}
			pr, err := h.dossr.request(ctx, r.ID)
			if err != nil {
				return fmt.Errorf("settling: GET request %s: %w", r.ID, err)
			}
			h.update(r, func(r *reqRec) { r.Status = pr.Status })
			// A request told paid and since undone (voided: pending
			// again, or in review) waits until it is told so too.
			if pr.Status == "processing" || (pr.Status == "paid" && !delivered[r.ID]) ||
				(delivered[r.ID] && last[r.ID] != pr.Status) {
				open = append(open, r.ID+" "+pr.Status)
			}
		}
		if len(open) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			sort.Strings(open)
			if len(open) > 10 {
				open = append(open[:10], "…")
			}
			return fmt.Errorf("settling: after %s, %d requests still processing or their webhook undelivered: %s",
				timeout, len(open), strings.Join(open, ", "))
		}
		sleep(ctx, 500*time.Millisecond)
	}
}
