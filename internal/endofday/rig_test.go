package endofday_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

var (
	signerOnce sync.Once
	signer     *receipts.KeySigner

	dossierSystem = auth.Actor{Kind: auth.KindToken, ID: "1", Name: "một cửa", Role: auth.RoleDossierSystem}
	cashier       = auth.Actor{Kind: auth.KindToken, ID: "2", Name: "Thu ngân Lan", Role: auth.RoleCashier}
	accountant    = auth.Actor{Kind: auth.KindToken, ID: "3", Name: "Kế toán Hà", Role: auth.RoleAccountant}
)

func testKeys() receipts.Keys {
	signerOnce.Do(func() {
		var err error
		signer, err = receipts.GenerateDemoSigner("Ủy ban nhân dân phường Demo", "0101234567")
		if err != nil {
			panic(err)
		}
	})
	return signer
}

// rig is a database with a fee whose amount the agency computes, the
// payment workflow (card payments recorded from terminal slips), a
// settable clock and the day's close.
type rig struct {
	t   *testing.T
	ctx context.Context
	db  *sqlite.DB
	s   *payments.Service
	c   *endofday.Closer

	mu  sync.Mutex
	now time.Time
	n   int
}

func vn(date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, ledger.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

func newRig(t *testing.T) *rig {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "feepos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	r := &rig{t: t, ctx: ctx, db: db, now: vn("2026-03-02", "08:00")}
	db.Now = r.clock
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	_, err = db.CreateSeries(ctx, receipts.Series{OrgCode: "UBND", OrgName: "Ủy ban nhân dân phường Demo", TaxCode: "0101234567", Address: "Số 1 phố Demo", Letters: "AA"})
	require.NoError(t, err)
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		return tx.PutFee(ctx, catalogue.Fee{Code: "TSDD", Name: "Tiền sử dụng đất", Kind: catalogue.KindLePhi, OrgCode: "UBND", AgencyCode: "UBND", Unit: "hồ sơ", Active: true})
	}))
	r.s = payments.New(db, nil, testKeys(), payments.Options{VerifyBase: "https://bienlai.example.vn", Clock: r.clock})
	t.Cleanup(r.s.Close)
	r.c = endofday.New(db, endofday.Options{Payments: r.s})
	return r
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *rig) at(t time.Time) {
	r.mu.Lock()
	r.now = t
	r.mu.Unlock()
}

// card records a card payment approved on terminal T0000001 with the
// given trace at the rig's clock.
func (r *rig) card(trace int, amount int64) payments.Payment {
	r.n++
	key := fmt.Sprintf("K%d", r.n)
	req, _, err := r.s.CreateRequest(r.ctx, dossierSystem, key, payments.NewRequest{DossierCode: "HS-" + key,
		Payer: payments.Payer{Name: "Nguyễn Văn An"}, Items: []payments.NewItem{{FeeCode: "TSDD", Amount: amount}}})
	require.NoError(r.t, err)
	p, err := r.s.RecordCardResult(r.ctx, cashier, req.ID, "T1", payments.TerminalResult{TraceNo: fmt.Sprint(trace),
		ApprovalCode: fmt.Sprintf("AP%04d", trace), PANMasked: "970436******1234", TerminalID: "T0000001", CardType: "NAPAS"})
	require.NoError(r.t, err)
	return p
}

// line is one generic-CSV settlement line.
type line struct {
	date   string
	batch  string
	trace  int
	amount int64
	typ    string
}

// csvOf writes lines as the generic settlement CSV (fee 1.1%).
func csvOf(lines ...line) []byte {
	var b strings.Builder
	b.WriteString("settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n")
	for _, l := range lines {
		typ := l.typ
		if typ == "" {
			typ = "SALE"
		}
		fee := l.amount * 11 / 1000
		fmt.Fprintf(&b, "%s,T0000001,MID1,%s,%d,RRN%d,AP%04d,970436******1234,NAPAS,%s,%sT09:00:00,%d,%d,%d,VND\n",
			l.date, l.batch, l.trace, l.trace, l.trace, typ, l.date, l.amount, fee, l.amount-fee)
	}
	return []byte(b.String())
}

func (r *rig) importCSV(name string, data []byte) endofday.ImportResult {
	res, err := r.c.Import(r.ctx, accountant, endofday.File{Name: name, Data: data, Format: "csv"})
	require.NoError(r.t, err)
	return res
}

func (r *rig) count(table string) int {
	var n int
	require.NoError(r.t, r.db.SQL().GetContext(r.ctx, &n, "SELECT COUNT(*) FROM "+table))
	return n
}
