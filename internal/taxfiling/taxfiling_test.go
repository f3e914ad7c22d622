package taxfiling_test

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/taxfiling"
	"github.com/feepos/feepos/receipts"
)

// fakeClock is the time the test says it is.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func vn(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, receipts.Zone)
}

type rig struct {
	db    *sqlite.DB
	clock *fakeClock
	drop  string
	svc   *taxfiling.Service
	key   *receipts.KeySigner
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "feepos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := &fakeClock{t: vn(2026, 7, 1, 8, 0)}
	db.Now = clock.Now
	_, err = db.CreateSeries(ctx, receipts.Series{OrgCode: "UBND-Q1", OrgName: "Ủy ban nhân dân Quận 1", TaxCode: "0301234567",
		Address: "45 Lê Duẩn", Letters: "AA"})
	require.NoError(t, err)
	key, err := receipts.GenerateDemoSigner("Ủy ban nhân dân Quận 1", "0301234567")
	require.NoError(t, err)
	drop := t.TempDir()
	svc := &taxfiling.Service{DB: db, To: receipts.FileDrop{Dir: drop}, Transport: "file",
		Sign: taxfiling.KeySign(key), Actor: auth.System("test")}
	return &rig{db: db, clock: clock, drop: drop, svc: svc, key: key}
}

func (r *rig) issue(t *testing.T, at time.Time, amount int64) receipts.Receipt {
	t.Helper()
	r.clock.Set(at)
	words, err := receipts.Words(amount)
	require.NoError(t, err)
	rc, _, err := r.db.IssueSignedReceipt(context.Background(), receipts.NewReceipt{OrgCode: "UBND-Q1", Payer: receipts.Payer{Name: "Nguyễn Văn An"},
		Lines: []receipts.Line{{Name: "Lệ phí đăng ký khai sinh", Kind: receipts.LePhi, FeeCode: "LP-HT", Amount: amount}},
		Total: amount, TotalInWords: words, Method: receipts.Cash, DossierCode: "HS-1"}, r.key)
	require.NoError(t, err)
	return rc
}

func dropped(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names
}

// Item 2: a document handed over has a state, written with its audit line;
// the tax office's answers dropped into the inbox change it; status lists
// what is not accepted.
func TestDeliveryStateAndInboxAnswers(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	rc := r.issue(t, vn(2026, 7, 1, 9, 0), 80_000)

	id, err := r.db.ReceiptRowID(ctx, rc.Ref)
	require.NoError(t, err)
	xml, err := r.db.DeliveryPayload(ctx, receipts.Delivery{Kind: receipts.DocReceipt, ReceiptID: id})
	require.NoError(t, err)
	doc := "EBL01_0301234567_26TAA_00000001.xml"
	d, err := r.svc.HandOver(ctx, receipts.Delivery{Document: doc, Kind: receipts.DocReceipt, OrgCode: "UBND-Q1", Date: "2026-07-01", ReceiptID: id}, xml)
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryHandedOver, d.State)
	require.NotNil(t, d.HandedOverAt)
	assert.Equal(t, []string{doc}, dropped(t, r.drop))
	log, err := r.db.AuditLog(ctx, sqlite.AuditFilter{Object: "tax_document:" + doc})
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "receipts.delivery.handed_over", log[0].Action)

	// Again: the same bytes are not sent again; other bytes are refused.
	again, err := r.svc.HandOver(ctx, receipts.Delivery{Document: doc, Kind: receipts.DocReceipt, ReceiptID: id}, xml)
	require.NoError(t, err)
	assert.Equal(t, d.ID, again.ID)
	_, err = r.svc.HandOver(ctx, receipts.Delivery{Document: doc, Kind: receipts.DocReceipt, ReceiptID: id}, []byte("<other/>"))
	require.ErrorContains(t, err, "never overwritten")

	// The filed summary, then the answers: one JSON file rejecting the
	// summary, one XML file accepting the receipt, one file about a
	// document feepos never sent, one that is not an answer.
	r.clock.Set(vn(2026, 7, 1, 23, 30))
	f, err := r.svc.FileSummary(ctx, "UBND-Q1", "2026-07-01")
	require.NoError(t, err)
	require.True(t, f.Filed)
	sumDoc := "01TH-BLDT_0301234567_20260701_LD.xml"
	assert.Equal(t, sumDoc, f.Delivery.Document)

	inbox := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(inbox, name), []byte(body), 0o600))
	}
	write("a-tnđt.json", `{"form": "01/TB-TNĐT", "number": "15/TB-TNĐT", "date": "2026-07-02", "document": "`+sumDoc+`",
		"result": "rejected", "reasons": [{"code": "E102", "text": "Sai mã số thuế"}]}`)
	write("b-ktdl.xml", `<?xml version="1.0" encoding="UTF-8"?>
<TaxOfficeAnswers><TaxOfficeAnswer xmlns="urn:feepos:answer:1"><Form>01/TB-KTDL</Form><Number>9</Number>
<Document>`+doc+`</Document><Result>accepted</Result><TaxOfficeCode>M1-26-ABC</TaxOfficeCode></TaxOfficeAnswer></TaxOfficeAnswers>`)
	write("c-unknown.json", `{"form": "01/TB-TNĐT", "document": "NOT_OURS.xml", "result": "accepted"}`)
	write("d-junk.txt", `hello`)
	write(".partial", `{`)
	r.clock.Set(vn(2026, 7, 2, 8, 0))
	files, err := r.svc.Inbox(ctx, inbox)
	require.NoError(t, err)
	require.Len(t, files, 4)
	assert.Equal(t, 1, files[0].Changed)
	assert.Equal(t, 1, files[1].Changed)
	assert.Contains(t, files[2].Error, "no document NOT_OURS.xml was handed to the provider")
	assert.Contains(t, files[3].Error, "neither JSON nor XML")
	assert.FileExists(t, filepath.Join(inbox, "processed", "a-tnđt.json"))
	assert.FileExists(t, filepath.Join(inbox, "processed", "b-ktdl.xml"))
	assert.FileExists(t, filepath.Join(inbox, "failed", "c-unknown.json"))
	assert.FileExists(t, filepath.Join(inbox, "failed", "c-unknown.json.error.txt"))
	assert.FileExists(t, filepath.Join(inbox, ".partial"), "a provider's temporary file is left alone")

	acc, err := r.db.Delivery(ctx, doc)
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryAccepted, acc.State)
	assert.Equal(t, "M1-26-ABC", acc.TaxOfficeCode)
	rej, err := r.db.Delivery(ctx, sumDoc)
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryRejected, rej.State)
	assert.Equal(t, "E102: Sai mã số thuế", rej.Reason)
	assert.Equal(t, "15/TB-TNĐT", rej.AnswerNumber)
	log, err = r.db.AuditLog(ctx, sqlite.AuditFilter{Object: "tax_document:" + sumDoc})
	require.NoError(t, err)
	require.Len(t, log, 2)
	assert.Equal(t, "receipts.delivery.rejected", log[0].Action)
	assert.Equal(t, "E102: Sai mã số thuế", log[0].Reason)

	st, err := r.svc.Status(ctx, r.clock.Now(), taxfiling.Watch{SummaryAt: taxfiling.DefaultSummaryAt})
	require.NoError(t, err)
	require.Len(t, st.Open, 1, "only the rejected summary is not accepted")
	assert.Equal(t, sumDoc, st.Open[0].Document)

	// The same answer again changes nothing and writes no audit line.
	write("e-again.json", `{"form": "01/TB-TNĐT", "number": "15/TB-TNĐT", "date": "2026-07-02", "document": "`+sumDoc+`",
		"result": "rejected", "reasons": [{"code": "E102", "text": "Sai mã số thuế"}]}`)
	files, err = r.svc.Inbox(ctx, inbox)
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Equal(t, 0, files[0].Changed)
	log, _ = r.db.AuditLog(ctx, sqlite.AuditFilter{Object: "tax_document:" + sumDoc})
	assert.Len(t, log, 2)

	// The service failing (here: its database closed), not the file: the
	// file stays in the inbox for the next round, not parked in failed/.
	write("f-later.json", `{"form": "01/TB-TNĐT", "document": "`+sumDoc+`", "result": "accepted"}`)
	require.NoError(t, r.db.Close())
	_, err = r.svc.Inbox(ctx, inbox)
	require.Error(t, err)
	assert.FileExists(t, filepath.Join(inbox, "f-later.json"))
	assert.NoFileExists(t, filepath.Join(inbox, "failed", "f-later.json"))
}

// flaky is a provider that is down until told otherwise.
type flaky struct {
	mu   sync.Mutex
	down bool
	to   receipts.FileDrop
}

func (f *flaky) Send(ctx context.Context, kind receipts.DocKind, name string, payload []byte) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("connection refused")
	}
	return f.to.Send(ctx, kind, name, payload)
}

// Item 1: serve's scheduler files the day's summary at summary_at, an
// amendment for a receipt issued after it (same day), the day before's
// leftovers after midnight; a missing summary, an unanswered hand-over and
// an outage (with its resend deadline) are gauges. Driven by a fake clock.
func TestSchedulerFilesSummaryAndAmendments(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	prov := &flaky{to: receipts.FileDrop{Dir: r.drop}}
	r.svc.To = prov
	at, err := taxfiling.ParseClock("23:30")
	require.NoError(t, err)
	watch := taxfiling.Watch{SummaryAt: at, AckWithin: 4 * time.Hour}
	sched := &taxfiling.Scheduler{Service: r.svc, Watch: watch, Now: r.clock.Now}
	coll := taxfiling.Collector{Service: r.svc, Watch: watch, Now: r.clock.Now}
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(coll))
	gauge := func(name string, labels ...string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		metric:
			for _, m := range mf.GetMetric() {
				for i := 0; i+1 < len(labels); i += 2 {
					ok := false
					for _, lp := range m.GetLabel() {
						if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
							ok = true
						}
					}
					if !ok {
						continue metric
					}
				}
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("no metric %s %v", name, labels)
		return 0
	}

	r.issue(t, vn(2026, 7, 1, 9, 0), 80_000)
	// Before 23:30 nothing of today is filed (yesterday had no receipt:
	// nothing to file).
	r.clock.Set(vn(2026, 7, 1, 23, 29))
	require.NoError(t, sched.Tick(ctx))
	assert.Empty(t, dropped(t, r.drop))
	assert.Equal(t, 10*time.Minute, sched.Next(vn(2026, 7, 1, 23, 0)))
	assert.Equal(t, 5*time.Minute, sched.Next(vn(2026, 7, 1, 23, 25)), "woken at summary_at")

	r.clock.Set(vn(2026, 7, 1, 23, 30))
	require.NoError(t, sched.Tick(ctx))
	assert.Equal(t, []string{"01TH-BLDT_0301234567_20260701_LD.xml"}, dropped(t, r.drop))
	assert.Equal(t, 0.0, gauge("feepos_receipts_summary_missing", "org", "UBND-Q1"))
	require.NoError(t, sched.Tick(ctx), "a second tick files nothing new")
	assert.Len(t, dropped(t, r.drop), 1)

	// A receipt after the hand-over goes out the same day, in amendment 1.
	r.issue(t, vn(2026, 7, 1, 23, 40), 20_000)
	r.clock.Set(vn(2026, 7, 1, 23, 45))
	require.NoError(t, sched.Tick(ctx))
	require.Equal(t, []string{"01TH-BLDT_0301234567_20260701_BS01.xml", "01TH-BLDT_0301234567_20260701_LD.xml"}, dropped(t, r.drop))
	amended, err := os.ReadFile(filepath.Join(r.drop, "01TH-BLDT_0301234567_20260701_BS01.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(amended), "<FirstFiling>0</FirstFiling>")
	assert.Contains(t, string(amended), "<AmendmentNumber>1</AmendmentNumber>")
	assert.Contains(t, string(amended), `<Rows count="1">`, "only the receipt issued after the first filing")
	assert.Contains(t, string(amended), "<Number>00000002</Number>")
	require.NoError(t, receipts.VerifyXML(amended, receipts.Trust{Certs: []*x509.Certificate{r.key.Certificate()}}), "signed as receipts summary signs")

	// One issued at 23:55 goes out at the next run, after midnight.
	r.issue(t, vn(2026, 7, 1, 23, 55), 30_000)
	r.clock.Set(vn(2026, 7, 2, 0, 5))
	require.NoError(t, sched.Tick(ctx))
	assert.Contains(t, dropped(t, r.drop), "01TH-BLDT_0301234567_20260701_BS02.xml")

	// Not acknowledged after 4 hours: a gauge.
	r.clock.Set(vn(2026, 7, 2, 4, 0))
	assert.Equal(t, 2.0, gauge("feepos_receipts_documents_unacknowledged"), "the first filing and amendment 1, handed over before 00:00")
	assert.Equal(t, 3.0, gauge("feepos_receipts_documents_open", "state", "handed_over"))

	// The provider goes down on Friday 03/07 before the summary: it is
	// missing, the outage and its deadline (three working days: Wed 08/07)
	// are visible; when it comes back the queued summary goes out.
	prov.mu.Lock()
	prov.down = true
	prov.mu.Unlock()
	r.issue(t, vn(2026, 7, 3, 10, 0), 10_000)
	r.clock.Set(vn(2026, 7, 3, 23, 30))
	require.ErrorContains(t, sched.Tick(ctx), "connection refused")
	assert.Equal(t, 1.0, gauge("feepos_receipts_summary_missing", "org", "UBND-Q1"))
	assert.Equal(t, 1.0, gauge("feepos_receipts_documents_open", "state", "queued"))
	st, err := r.svc.Status(ctx, r.clock.Now(), watch)
	require.NoError(t, err)
	require.NotNil(t, st.Outage)
	assert.Equal(t, "2026-07-08", st.Outage.Deadline)
	assert.Contains(t, st.Outage.Error, "connection refused")
	deadline := vn(2026, 7, 9, 0, 0).Unix()
	assert.Equal(t, float64(deadline), gauge("feepos_receipts_resend_deadline_timestamp_seconds"))
	r.clock.Set(vn(2026, 7, 4, 1, 30))
	assert.Equal(t, 2*time.Hour.Seconds(), gauge("feepos_receipts_provider_outage_seconds"))

	prov.mu.Lock()
	prov.down = false
	prov.mu.Unlock()
	require.NoError(t, sched.Tick(ctx))
	assert.Contains(t, dropped(t, r.drop), "01TH-BLDT_0301234567_20260703_LD.xml")
	assert.Equal(t, 0.0, gauge("feepos_receipts_provider_outage_seconds"))
	assert.Equal(t, 0.0, gauge("feepos_receipts_summary_missing", "org", "UBND-Q1"))
}

// The loop waits on the injected timer only: driven by a fake one, it
// ticks as often as the test says, with no wall-clock wait.
func TestSchedulerRunUsesInjectedTimer(t *testing.T) {
	r := newRig(t)
	r.issue(t, vn(2026, 7, 1, 9, 0), 80_000)
	r.clock.Set(vn(2026, 7, 1, 23, 31))
	fire := make(chan time.Time)
	var waits []time.Duration
	var mu sync.Mutex
	sched := &taxfiling.Scheduler{Service: r.svc, Now: r.clock.Now, Every: time.Minute,
		After: func(d time.Duration) <-chan time.Time {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return fire
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	fire <- time.Time{} // the first tick ran, then it waited
	fire <- time.Time{}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, len(waits), 2)
	assert.Equal(t, time.Minute, waits[0])
	assert.True(t, strings.HasPrefix(dropped(t, r.drop)[0], "01TH-BLDT_0301234567_20260701_LD"))
}

// A document the drop refuses for itself (a file of its name with other
// content) stays queued for a person, and does not hold back the others.
func TestRetryGoesPastARefusedDocument(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	prov := &flaky{to: receipts.FileDrop{Dir: r.drop}}
	r.svc.To = prov
	require.NoError(t, os.WriteFile(filepath.Join(r.drop, "a.xml"), []byte("someone else's"), 0o600))
	_, err := r.svc.HandOver(ctx, receipts.Delivery{Document: "a.xml", Kind: receipts.DocNotice}, []byte("<a/>"))
	require.ErrorContains(t, err, "never overwritten")
	prov.down = true
	_, err = r.svc.HandOver(ctx, receipts.Delivery{Document: "b.xml", Kind: receipts.DocNotice}, []byte("<b/>"))
	require.ErrorContains(t, err, "connection refused")
	prov.down = false

	n, err := r.svc.Retry(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	b, err := r.db.Delivery(ctx, "b.xml")
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryHandedOver, b.State)
	a, err := r.db.Delivery(ctx, "a.xml")
	require.NoError(t, err)
	assert.Equal(t, receipts.DeliveryQueued, a.State)
	assert.Equal(t, 2, a.Attempts)
	assert.Contains(t, a.LastError, "never overwritten")
	st, err := r.svc.Status(ctx, r.clock.Now(), taxfiling.Watch{SummaryAt: taxfiling.DefaultSummaryAt})
	require.NoError(t, err)
	assert.Nil(t, st.Outage, "a refused document is not an outage of the provider")
	assert.Equal(t, 1, st.ByState[receipts.DeliveryQueued])
}
