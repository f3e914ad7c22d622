package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Demo receipts: serve --demo on a database whose district series has no
// receipt this year takes two demo payments through the payment workflow
// (internal/payments: a request from fee codes, then Record), so that the
// verification page, printing, the daily summary and receipts verify have
// something to show from the first start:
//
//   - a dossier whose fees belong to the district and to the police, paid
//     by card (recorded from the demo terminal's slip): one ledger entry
//     and two receipts, one per organisation, each in its series and
//     signed with its own key, in one transaction;
//   - a cash payment of one fee to the district (3 pages of certified
//     copies).
//
// Each request has an idempotency key of its dossier: a start killed
// half-way finds the requests and pays the ones still pending.

// demoActor is who takes the demo payments.
var demoActor = auth.Actor{Kind: auth.KindSystem, ID: "demo", Name: "demo", Role: auth.RoleAdmin}

// demoPayment is one demo payment: its request and how it is paid.
type demoPayment struct {
	request payments.NewRequest
	card    *payments.TerminalResult // nil: cash
}

// demoTerminal is the terminal id the demo card payment shows.
const demoTerminal = "DEMO-T1"

func demoPayments(day string) []demoPayment {
	return []demoPayment{{
		request: payments.NewRequest{DossierCode: demoDossierPrefix + day + "-0001",
			Payer: payments.Payer{Name: "Nguyễn Văn An", Address: "Số 12 đường Trần Hưng Đạo, thị trấn Demo", IDNumber: "001090001234"},
			Items: []payments.NewItem{{FeeCode: "LP-HKD", Amount: 100_000}, {FeeCode: "LP-CT", Amount: 20_000}}},
		card: &payments.TerminalResult{TerminalID: demoTerminal, TraceNo: "000001", ApprovalCode: "A1B2C3", PANMasked: "411111******1111"},
	}, {
		request: payments.NewRequest{DossierCode: demoDossierPrefix + day + "-0002",
			Payer: payments.Payer{Name: "Trần Thị Bình"},
			Items: []payments.NewItem{{FeeCode: "P-CTBS", Quantity: 3, Amount: 6_000}}},
	}}
}

func amount(v int64) *int64 { return &v }

// demoFees are the catalogue rows the demo payments need; they are added
// when missing (the demo catalogue, when seeded, has them already).
func demoFees() []catalogue.Fee {
	district, police := signing.DemoOrgs[0].Series.OrgCode, signing.DemoOrgs[1].Series.OrgCode
	return []catalogue.Fee{
		{Code: "LP-HKD", Name: "Lệ phí cấp giấy chứng nhận đăng ký hộ kinh doanh", Kind: catalogue.KindLePhi, OrgCode: district, AgencyCode: district,
			UnitAmount: amount(100_000), Unit: "hồ sơ", LegalBasis: "Thông tư 85/2019/TT-BTC", Active: true},
		{Code: "LP-CT", Name: "Lệ phí đăng ký cư trú", Kind: catalogue.KindLePhi, OrgCode: police, AgencyCode: police,
			UnitAmount: amount(20_000), Unit: "lần", LegalBasis: "Thông tư 75/2022/TT-BTC", Active: true},
		{Code: "P-CTBS", Name: "Phí chứng thực bản sao từ bản chính", Kind: catalogue.KindPhi, OrgCode: district, AgencyCode: district,
			UnitAmount: amount(2_000), Unit: "trang", LegalBasis: "Thông tư 226/2016/TT-BTC", Active: true},
	}
}

// seedDemoFees adds the demo fees the catalogue lacks.
func seedDemoFees(ctx context.Context, db *sqlite.DB) error {
	return db.WithTx(ctx, func(tx *sqlite.Tx) error {
		for _, f := range demoFees() {
			_, err := tx.FeeByCode(ctx, f.Code)
			var unknown *catalogue.UnknownFeeError
			switch {
			case errors.As(err, &unknown):
				if err := tx.PutFee(ctx, f); err != nil {
					return err
				}
			case err != nil:
				return err
			}
		}
		return nil
	})
}

// seedDemoReceipts takes the demo payments when the district's series has
// no receipt in the current year, and returns the receipts issued (none
// on a database that has them already).
func seedDemoReceipts(ctx context.Context, log *slog.Logger, db *sqlite.DB, keys receipts.Keys) ([]receipts.Receipt, error) {
	district := signing.DemoOrgs[0].Series
	now := db.Now()
	series := receipts.SeriesSymbol(receipts.YearOf(now), district.Letters)
	_, err := db.Receipt(ctx, receipts.Template, series, 1)
	switch {
	case err == nil:
		return nil, nil // seeded before (or real receipts): leave them
	case apperr.Code(err) != apperr.NotFound:
		return nil, fmt.Errorf("demo receipts: %w", err)
	}
	if err := seedDemoFees(ctx, db); err != nil {
		return nil, fmt.Errorf("demo fees: %w", err)
	}
	svc := payments.New(db, nil, keys, payments.Options{Log: log})
	defer svc.Close()
	var out []receipts.Receipt
	for _, p := range demoPayments(now.In(receipts.Zone).Format("060102")) {
		rs, err := takeDemoPayment(ctx, svc, db, p)
		if err != nil {
			return nil, fmt.Errorf("demo payment %s: %w", p.request.DossierCode, err)
		}
		out = append(out, rs...)
	}
	for _, r := range out {
		// Their full /verify addresses are logged once serve listens.
		log.Info("demo receipt issued", "org", r.Org.Code, "receipt", r.Ref.String(), "total", r.Total)
	}
	return out, nil
}

// takeDemoPayment creates the demo request (idempotently) and pays it,
// unless it is paid already.
func takeDemoPayment(ctx context.Context, svc *payments.Service, db *sqlite.DB, p demoPayment) ([]receipts.Receipt, error) {
	req, _, err := svc.CreateRequest(ctx, demoActor, "demo:"+p.request.DossierCode, p.request)
	if err != nil {
		return nil, err
	}
	if req.Status != payments.RequestPending {
		return nil, nil
	}
	var pay payments.Payment
	if p.card != nil {
		pay, err = svc.RecordCardResult(ctx, demoActor, req.ID, demoTerminal, *p.card)
	} else {
		pay, err = svc.Charge(ctx, demoActor, req.ID, payments.ChargeInput{Method: payments.MethodCash})
	}
	if err != nil {
		return nil, err
	}
	out := make([]receipts.Receipt, 0, len(pay.Receipts))
	for _, ref := range pay.Receipts {
		r, err := db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// demoDossierPrefix starts the dossier code of every demo payment.
const demoDossierPrefix = "H29.DEMO-"

// demoReceiptsOfYear returns the demo receipts of the current year: the
// first receipts of each demo organisation's series, as long as they
// belong to a demo dossier.
func demoReceiptsOfYear(ctx context.Context, db *sqlite.DB) ([]receipts.Receipt, error) {
	year := receipts.YearOf(db.Now())
	var out []receipts.Receipt
	for _, org := range signing.DemoOrgs {
		series := receipts.SeriesSymbol(year, org.Series.Letters)
		for n := int64(1); ; n++ {
			r, err := db.Receipt(ctx, receipts.Template, series, n)
			if apperr.Code(err) == apperr.NotFound {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("demo receipts: %w", err)
			}
			if !strings.HasPrefix(r.DossierCode, demoDossierPrefix) {
				break
			}
			out = append(out, r)
		}
	}
	return out, nil
}
