package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// The benchmark's database is a feepos database as `feepos serve` opens
// it (sqlite.Open: WAL, synchronous=FULL, BEGIN IMMEDIATE), with the
// default chart of accounts, two organisations' receipt series, their
// signing keys (demo keys, RSA as the real ones) and a small catalogue.

var (
	orgDistrict = receipts.Series{OrgCode: "UBND-X", OrgName: "Ủy ban nhân dân huyện X", TaxCode: "0100000001",
		Address: "Trung tâm Phục vụ hành chính công huyện X", Letters: "AA"}
	orgPolice = receipts.Series{OrgCode: "CA-X", OrgName: "Công an huyện X", TaxCode: "0100000002",
		Address: "Trung tâm Phục vụ hành chính công huyện X (quầy Công an)", Letters: "AB"}
)

func amount(v int64) *int64 { return &v }

var benchFees = []catalogue.Fee{
	{Code: "HKD-DK", Name: "Lệ phí đăng ký hộ kinh doanh", Kind: catalogue.KindLePhi, OrgCode: "UBND-X", AgencyCode: "UBND-X",
		UnitAmount: amount(100_000), Unit: "hồ sơ", LegalBasis: "Thông tư 85/2019/TT-BTC", Active: true},
	{Code: "CT-BS", Name: "Phí chứng thực bản sao", Kind: catalogue.KindPhi, OrgCode: "UBND-X", AgencyCode: "UBND-X",
		UnitAmount: amount(2_000), Unit: "trang", LegalBasis: "Thông tư 226/2016/TT-BTC", Active: true},
	{Code: "CA-LLTP", Name: "Phí cung cấp thông tin lý lịch tư pháp", Kind: catalogue.KindPhi, OrgCode: "CA-X", AgencyCode: "CA-X",
		UnitAmount: amount(200_000), Unit: "lần", LegalBasis: "Thông tư 244/2016/TT-BTC", Active: true},
}

var (
	dossierSystem = auth.Actor{Kind: auth.KindToken, ID: "1", Name: "một cửa", Role: auth.RoleDossierSystem}
	cashier       = auth.Actor{Kind: auth.KindToken, ID: "2", Name: "Nguyễn Thị Thu", Role: auth.RoleCashier}
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openBenchDB opens (creates) a feepos database in dir with the chart,
// the two organisations' series and the catalogue, and the keys that sign
// their receipts.
func openBenchDB(ctx context.Context, dir, name string) (*sqlite.DB, *receipts.Keyring, error) {
	db, err := sqlite.Open(ctx, filepath.Join(dir, name))
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*sqlite.DB, *receipts.Keyring, error) {
		db.Close()
		return nil, nil, err
	}
	if err := db.SyncChart(ctx, ledger.DefaultChart()); err != nil {
		return fail(err)
	}
	keys := receipts.NewKeyring(nil)
	for _, org := range []receipts.Series{orgDistrict, orgPolice} {
		if _, err := db.CreateSeries(ctx, org); err != nil {
			return fail(err)
		}
		signer, err := receipts.GenerateDemoSigner(org.OrgName, org.TaxCode)
		if err != nil {
			return fail(err)
		}
		if err := keys.Add(org.OrgCode, signer); err != nil {
			return fail(err)
		}
	}
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
		for _, f := range benchFees {
			if err := tx.PutFee(ctx, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return db, keys, nil
}

func newService(db *sqlite.DB, terms *terminals.Manager, keys *receipts.Keyring) *payments.Service {
	return payments.New(db, terms, keys, payments.Options{Log: quietLog(), VerifyBase: "https://bienlai.example.gov.vn"})
}

var dossierSeq atomic.Int64

// newRequest is a dossier's request: a district fee and 3 certified pages
// (one organisation: one signed receipt), with a callback (one outbox row
// when paid).
func newRequest(tag string) payments.NewRequest {
	n := dossierSeq.Add(1)
	return payments.NewRequest{
		DossierCode: "H29.01-" + tag + "-" + strconv.FormatInt(n, 10),
		Payer:       payments.Payer{Name: "Nguyễn Văn An", IDNumber: "001090001234", Address: "Số 12 Trần Hưng Đạo"},
		Items:       []payments.NewItem{{FeeCode: "HKD-DK", Amount: 100_000}, {FeeCode: "CT-BS", Quantity: 3, Amount: 6_000}},
		CallbackURL: "https://dossiers.example.gov.vn/hook",
	}
}

// hashedTokens verifies bearer tokens as the token store does, by the
// SHA-256 of the token (the store of issue 10's access work is on another
// branch; this one is in memory).
type hashedTokens map[[32]byte]auth.Actor

func (h hashedTokens) VerifyToken(_ context.Context, token string) (auth.Actor, error) {
	a, ok := h[sha256.Sum256([]byte(token))]
	if !ok {
		return auth.Actor{}, auth.ErrBadToken
	}
	return a, nil
}

func newTokens(tokens map[string]auth.Actor) hashedTokens {
	h := hashedTokens{}
	for t, a := range tokens {
		h[sha256.Sum256([]byte(t))] = a
	}
	return h
}

func errf(format string, a ...any) error { return fmt.Errorf(format, a...) }
