package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/receipts"
)

// The payment API's end-to-end rig: the real router over httptest, the
// real SQLite database, the real payment workflow, and the real terminal
// manager driving the ZVT simulator on a pseudo-terminal (the real serial
// path). Tokens come from a small verifier mapping tokens to roles.

// patient bounds every wait on the terminal: far above what a payment
// takes, so a loaded machine does not fail a test; a test that works
// never waits for it.
const patient = time.Minute

// The test tokens, one per role.
const (
	tokDossier    = "tok-dossier"
	tokDossier2   = "tok-dossier-2"
	tokCashier    = "tok-cashier"
	tokAccountant = "tok-accountant"
	tokAdmin      = "tok-admin"
)

type fakeTokens map[string]auth.Actor

func (f fakeTokens) VerifyToken(_ context.Context, token string) (auth.Actor, error) {
	a, ok := f[token]
	if !ok {
		return auth.Actor{}, auth.ErrBadToken
	}
	return a, nil
}

var testTokens = fakeTokens{
	tokDossier:    {Kind: auth.KindToken, ID: "1", Name: "một cửa", Role: auth.RoleDossierSystem},
	tokDossier2:   {Kind: auth.KindToken, ID: "2", Name: "một cửa 2", Role: auth.RoleDossierSystem},
	tokCashier:    {Kind: auth.KindToken, ID: "3", Name: "Nguyễn Thị Thu", Role: auth.RoleCashier},
	tokAccountant: {Kind: auth.KindToken, ID: "4", Name: "Trần Văn Kế", Role: auth.RoleAccountant},
	tokAdmin:      {Kind: auth.KindToken, ID: "5", Name: "quản trị", Role: auth.RoleAdmin},
}

// The rig's organisations and fees: a district fee and a police fee, so
// one request may need two receipts.
var (
	orgDistrict = receipts.Series{OrgCode: "UBND-X", OrgName: "Ủy ban nhân dân huyện X", TaxCode: "0100000001",
		Address: "Trung tâm Phục vụ hành chính công huyện X", Letters: "AA"}
	orgPolice = receipts.Series{OrgCode: "CA-X", OrgName: "Công an huyện X", TaxCode: "0100000002",
		Address: "Trung tâm Phục vụ hành chính công huyện X (quầy Công an)", Letters: "AB"}
)

func amount(v int64) *int64 { return &v }

var testFees = []catalogue.Fee{
	{Code: "HKD-DK", Name: "Lệ phí đăng ký hộ kinh doanh", Kind: catalogue.KindLePhi, OrgCode: "UBND-X", AgencyCode: "UBND-X",
		UnitAmount: amount(100_000), Unit: "hồ sơ", LegalBasis: "Thông tư 85/2019/TT-BTC", Active: true},
	{Code: "CT-BS", Name: "Phí chứng thực bản sao", Kind: catalogue.KindPhi, OrgCode: "UBND-X", AgencyCode: "UBND-X",
		UnitAmount: amount(2_000), Unit: "trang", LegalBasis: "Thông tư 226/2016/TT-BTC", Active: true},
	{Code: "CA-LLTP", Name: "Phí cung cấp thông tin lý lịch tư pháp", Kind: catalogue.KindPhi, OrgCode: "CA-X", AgencyCode: "CA-X",
		UnitAmount: amount(200_000), Unit: "lần", LegalBasis: "Thông tư 244/2016/TT-BTC", Active: true},
	{Code: "GPXD", Name: "Lệ phí cấp giấy phép xây dựng", Kind: catalogue.KindLePhi, OrgCode: "UBND-X", AgencyCode: "UBND-X",
		Unit: "giấy phép", LegalBasis: "Nghị quyết HĐND tỉnh", Active: true},
}

type rigOptions struct {
	cards    []zvtsim.Card // the simulator's cards (default: its own, masked)
	noTerms  bool          // no terminal manager: cash only
	simTimer zvtsim.Config
	log      io.Writer // every part's log, at debug (default: discarded)
}

type payRig struct {
	t     *testing.T
	db    *sqlite.DB
	keys  *receipts.Keyring
	sim   *zvtsim.Sim
	terms *terminals.Manager
	svc   *payments.Service
	srv   *Server
	http  *httptest.Server

	mu   sync.Mutex
	seen [][]byte // every response body, for the card number check
}

func newPayRig(t *testing.T, o rigOptions) *payRig {
	t.Helper()
	ctx := context.Background()
	logTo := o.log
	if logTo == nil {
		logTo = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "feepos.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.SyncChart(ctx, ledger.DefaultChart()))
	keys := receipts.NewKeyring(nil)
	for _, org := range []receipts.Series{orgDistrict, orgPolice} {
		_, err := db.CreateSeries(ctx, org)
		require.NoError(t, err)
		signer, err := receipts.GenerateDemoSigner(org.OrgName, org.TaxCode)
		require.NoError(t, err)
		require.NoError(t, keys.Add(org.OrgCode, signer))
	}
	require.NoError(t, db.WithTx(ctx, func(tx *sqlite.Tx) error {
		for _, f := range testFees {
			if err := tx.PutFee(ctx, f); err != nil {
				return err
			}
		}
		return nil
	}))

	r := &payRig{t: t, db: db, keys: keys}
	if !o.noTerms {
		cfg := o.simTimer
		cfg.Cards = o.cards
		r.sim, err = zvtsim.New(cfg)
		require.NoError(t, err)
		pty, err := r.sim.ServePTY(context.Background())
		require.NoError(t, err)
		t.Cleanup(func() { _ = pty.Close() })
		r.terms, err = terminals.New([]config.Terminal{{ID: "T1", Protocol: "zvt", Counter: "Quầy 1", Port: pty.Path}},
			terminals.Options{Store: db, Log: log, OnWire: func(id string, e terminals.TapEntry) {
				log.Debug("wire", "terminal", id, "direction", e.Direction, "kind", e.Message.Kind, "hex", e.Hex)
			}})
		require.NoError(t, err)
		require.NoError(t, r.terms.Start(ctx))
		t.Cleanup(func() { _ = r.terms.Close() })
		require.Eventually(t, func() bool {
			for _, s := range r.terms.Status() {
				if s.ID == "T1" {
					return s.Status == terminals.StatusIdle
				}
			}
			return false
		}, patient, 20*time.Millisecond, "terminal T1 comes online")
	}
	r.svc = payments.New(db, r.terms, keys, payments.Options{Log: log, VerifyBase: "https://bienlai.example.gov.vn"})
	t.Cleanup(r.svc.Close) // before the manager closes (cleanups run last first)
	r.srv = New(db, log)
	t.Cleanup(r.srv.Close)
	r.srv.SetTokens(testTokens)
	r.srv.SetTerminals(r.terms)
	r.srv.SetReceiptTrust(keys.Trust())
	r.srv.SetVerifyBase("https://bienlai.example.gov.vn")
	r.srv.SetPayments(r.svc)
	r.http = httptest.NewServer(checkAPI(t, r.srv)) // every answer checked against openapi.json
	t.Cleanup(r.http.Close)
	return r
}

// answer is one HTTP answer.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a answer) String() string { return http.StatusText(a.Status) + " " + string(a.Body) }

// decode reads the body into v.
func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.Body, v), "%s", a.Body)
}

// errCode is the error code of an error answer.
func (a answer) errCode(t *testing.T) string {
	t.Helper()
	var e apiError
	a.decode(t, &e)
	require.NotEmpty(t, e.Error.Message)
	return e.Error.Code
}

func (a answer) errMessage(t *testing.T) string {
	t.Helper()
	var e apiError
	a.decode(t, &e)
	return e.Error.Message
}

// do sends a request: body is JSON-encoded unless it is a string or nil;
// headers are name, value pairs.
func (r *payRig) do(method, path, token string, body any, headers ...string) answer {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(r.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, r.http.URL+path, rd)
	require.NoError(r.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := r.http.Client().Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	r.mu.Lock()
	r.seen = append(r.seen, b)
	r.mu.Unlock()
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// createRequest creates a request (201) and returns it.
func (r *payRig) createRequest(key string, body any) payments.Request {
	r.t.Helper()
	a := r.do("POST", "/api/v1/payment-requests", tokDossier, body, "Idempotency-Key", key)
	require.Equal(r.t, http.StatusCreated, a.Status, "%s", a)
	var req payments.Request
	a.decode(r.t, &req)
	return req
}

// charge charges a request (202) and returns the payment's id.
func (r *payRig) charge(id string, body any) string {
	r.t.Helper()
	a := r.do("POST", "/api/v1/payment-requests/"+id+"/charge", tokCashier, body)
	require.Equal(r.t, http.StatusAccepted, a.Status, "%s", a)
	var c chargeAccepted
	a.decode(r.t, &c)
	require.NotEmpty(r.t, c.PaymentID)
	return c.PaymentID
}

// settled waits (GET ?wait=) until the payment has left processing.
func (r *payRig) settled(paymentID string) paymentJSON {
	r.t.Helper()
	deadline := time.Now().Add(patient)
	for {
		a := r.do("GET", "/api/v1/payments/"+paymentID+"?wait=30", tokCashier, nil)
		require.Equal(r.t, http.StatusOK, a.Status, "%s", a)
		var p paymentJSON
		a.decode(r.t, &p)
		if p.Status != payments.PaymentProcessing || time.Now().After(deadline) {
			return p
		}
	}
}

func (r *payRig) request(id string) payments.Request {
	r.t.Helper()
	a := r.do("GET", "/api/v1/payment-requests/"+id, tokDossier, nil)
	require.Equal(r.t, http.StatusOK, a.Status, "%s", a)
	var req payments.Request
	a.decode(r.t, &req)
	return req
}

// A request body as the dossier system sends it.
func requestBody(dossier string, items ...map[string]any) map[string]any {
	if len(items) == 0 {
		items = []map[string]any{{"fee_code": "HKD-DK", "amount": 100_000}, {"fee_code": "CT-BS", "quantity": 3, "amount": 6_000}}
	}
	return map[string]any{
		"dossier_code": dossier,
		"payer":        map[string]any{"name": "Lê Thị Hoa", "id_number": "001190000123", "address": "Số 5, đường Trần Phú"},
		"items":        items,
		"callback_url": "https://motcua.example.gov.vn/feepos/callback",
	}
}

// doRec serves one request on h without a network.
func doRec(t *testing.T, h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	checkAPI(t, h).ServeHTTP(rec, req)
	return rec
}
